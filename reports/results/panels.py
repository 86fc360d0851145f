"""The dashboard's panel: its filters, its rendering, and the cache of renderings by the counts' version.

The panel is rendered from the pre-aggregated counts and cached by the counts' version, so sixteen
people watching cost one rendering per change; after each refresh the worker renders again every panel
viewed in the last minutes (warm_panels), off their requests.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.core.cache import cache
from django.http import QueryDict
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from missions.models import Team
from polling.models import Area
from reports.results.charts import hour_bars, map_dots
from reports.results.selectors import dashboard_data, results_state

PANEL_CACHE_SECONDS = 600
RENDER_LOCK_SECONDS = 10
LAGGING_TEAMS = 12
VIEWED_SECONDS = 180
MAX_WARM_PANELS = 20
REFRESH_AFTER_SECONDS = 4
POLL_SECONDS = 10


@dataclass(frozen=True)
class Filters:
    """What the viewer picked; public identifiers only (team uuid, area path, codes)."""

    team: Team | None = None
    area: Area | None = None
    checklist: str = ""
    question: str = ""
    by: str = ""  # "team" or an area level ("1", "2", ...)
    level: int = 1  # area level of the coverage table

    @property
    def area_level(self) -> int | None:
        return int(self.by) if self.by.isdigit() else None

    def params(self, **override) -> dict:
        values = {
            "team": str(self.team.uuid) if self.team else "",
            "area": self.area.path if self.area else "",
            "checklist": self.checklist,
            "question": self.question,
            "by": self.by,
            "level": str(self.level),
        }
        values.update(override)
        return {k: v for k, v in values.items() if v}

    def query(self, **override) -> str:
        return urlencode(self.params(**override))


def parse_filters(get, mission, own_team: Team | None) -> Filters:
    levels = len(mission.area_levels or []) or 1
    team = own_team
    area = None
    if own_team is None and get.get("team"):
        team = Team.objects.filter(mission=mission, uuid=uuid_or_none(get["team"])).first()
    if team is None and get.get("area"):
        area = Area.objects.filter(mission=mission, path=get["area"]).first()
    by = get.get("by", "")
    if by == "team" and team is not None:
        by = ""
    if by.isdigit() and not 1 <= int(by) <= levels:
        by = ""
    default_level = mission.statement_level or 1
    if area is not None and area.depth >= default_level:
        default_level = min(area.depth + 1, levels)
    level = get.get("level", "")
    level = int(level) if level.isdigit() and 1 <= int(level) <= levels else default_level
    return Filters(team, area, get.get("checklist", "")[:40], get.get("question", "")[:40], by, level)


def level_name(mission, level: int) -> str:
    levels = mission.area_levels or []
    return levels[level - 1] if 1 <= level <= len(levels) else ""


def uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def panel_key(mission_pk: int, language: str, query: str) -> str:
    """The panel depends only on the filters (a team leader's always name their team) and the language."""
    return f"reports:panel:{mission_pk}:{language}:{hashlib.sha256(query.encode()).hexdigest()[:16]}"


def render_and_store(mission, filters: Filters, key: str, version: int, *, wait: bool = True) -> str | None:
    """Render and cache the panel unless someone else is rendering it (then None, if there is an old one)."""
    if not cache.add(key + ":rendering", 1, timeout=RENDER_LOCK_SECONDS) and (not wait or cache.get(key)):
        return None
    try:
        html = panel_html(mission, filters)
        cache.set(key, (version, html), PANEL_CACHE_SECONDS)
    finally:
        cache.delete(key + ":rendering")
    return html


def warm_panels(mission) -> int:
    """Render every panel viewed in the last minutes at the counts' current version (run by the worker)."""
    state = results_state(mission)
    version = state.version if state else 0
    index_key = f"reports:viewed:{mission.pk}"
    index = cache.get(index_key) or []
    entries = cache.get_many([f"{index_key}:{digest}" for digest in index])
    alive, todo = [], []
    for digest in index:
        entry = entries.get(f"{index_key}:{digest}")
        if entry is None:
            continue
        alive.append(digest)
        language, query = entry
        key = panel_key(mission.pk, language, query)
        cached = cache.get(key)
        # Take every lock first: meanwhile viewers get the previous rendering instead of rendering themselves.
        if (cached is None or cached[0] != version) and cache.add(
            key + ":rendering", 1, timeout=RENDER_LOCK_SECONDS
        ):
            todo.append((language, query, key))
    rendered = 0
    for language, query, key in todo:
        try:
            with translation.override(language):
                html = panel_html(mission, parse_filters(QueryDict(query), mission, None))
            cache.set(key, (version, html), PANEL_CACHE_SECONDS)
            rendered += 1
        finally:
            cache.delete(key + ":rendering")
    cache.set(index_key, alive, timeout=None)
    return rendered


def panel_html(mission, filters: Filters) -> str:
    data = dashboard_data(
        mission,
        team=filters.team,
        area=filters.area,
        checklist=filters.checklist or None,
        question=filters.question or None,
        area_level=filters.area_level,
        by_team=filters.by == "team",
        coverage_level=filters.level,
    )
    context = {
        "mission": mission,
        "d": data,
        "f": filters,
        "state": data.state,
        "poll": POLL_SECONDS,
        "slice_q": filters.query(checklist="", question="", by="", level=""),
        "hours": hour_bars(data.coverage.visits_per_hour),
        "map": map_dots(data.station_map),
        "level_name": level_name(mission, filters.level),
        "by_name": _("team") if filters.by == "team" else level_name(mission, filters.area_level or 0),
        # The teams furthest behind their plan; a team's own figures are one click away.
        "lagging_teams": sorted(data.coverage.by_team, key=lambda r: (r.share.fraction, r.label))[
            :LAGGING_TEAMS
        ],
    }
    return render_to_string("reports/results/_panel.html", context)
