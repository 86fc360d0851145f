"""The results dashboard: the page, its self-refreshing panel, and the visits behind any figure.

Head of mission and secretariat see the whole mission and may pick a team or an
area; team leaders see their own team only; observers get 403, outsiders 404.
The panel is rendered from the pre-aggregated counts and cached by the counts'
version, so sixteen people watching cost one rendering per change (on SQLite, the
laptop demo, it is computed live on each request).
"""

from __future__ import annotations

import datetime
import hashlib
from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from missions.access import MissionAccess, get_mission_for
from missions.models import Role, Team
from polling.models import Answer, Area
from reports.charts import HOUR_PARAMETER, hour_bars, map_dots
from reports.selectors import dashboard_data, results_state, visits_for
from reports.selectors.dashboard import uses_counts

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


def results_access(user, code: str) -> tuple[MissionAccess, Team | None]:
    """The mission and the team the viewer is confined to (None: the whole mission)."""
    access = get_mission_for(user, code)
    if access.sees_all_teams:
        return access, None
    if access.role == Role.TEAM_LEADER and access.member.team_id:
        return access, access.member.team
    raise PermissionDenied(_("Results are for the head of mission, the secretariat and team leaders."))


def parse_filters(get, mission, own_team: Team | None) -> Filters:
    levels = len(mission.area_levels or []) or 1
    team = own_team
    area = None
    if own_team is None and get.get("team"):
        team = Team.objects.filter(mission=mission, uuid=_uuid_or_none(get["team"])).first()
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


def _level_name(mission, level: int) -> str:
    levels = mission.area_levels or []
    return levels[level - 1] if 1 <= level <= len(levels) else ""


def _uuid_or_none(value: str):
    import uuid

    try:
        return uuid.UUID(value)
    except ValueError:
        return None


def request_refresh(mission, state) -> None:
    """Ask the worker to bring the counts up to date if they are a few seconds old (once per few seconds)."""
    from reports.tasks import refresh_mission_results

    stale = state is None or state.as_of is None
    stale = stale or timezone.now() - state.as_of > datetime.timedelta(seconds=REFRESH_AFTER_SECONDS)
    if stale and cache.add(f"reports:refresh:{mission.pk}", 1, timeout=REFRESH_AFTER_SECONDS):
        refresh_mission_results.delay(mission.pk)


def _panel_key(mission_pk: int, language: str, query: str) -> str:
    """The panel depends only on the filters (a team leader's always name their team) and the language."""
    return f"reports:panel:{mission_pk}:{language}:{hashlib.sha256(query.encode()).hexdigest()[:16]}"


def render_panel(request, access: MissionAccess, filters: Filters) -> str:
    """The panel for these filters, rendered once per version of the counts, by the worker if it can.

    1. Read the counts' version (one small query) and the cached (version, html) for these filters.
    2. Same version: serve it. This is the usual case: after each refresh the worker renders again
       every panel viewed in the last minutes (warm_panels).
    3. Older version: one request (a cache lock) renders the new one; the others keep serving the
       previous rendering meanwhile instead of all rendering at once.
    """
    mission = access.mission
    if not uses_counts():  # SQLite (laptop demo): no counts to refresh, a few dozen visits counted live
        return _render_panel(mission, filters)
    state = results_state(mission)
    request_refresh(mission, state)
    version = state.version if state else 0
    language, query = translation.get_language(), filters.query()
    _remember_viewed(mission.pk, language, query)
    key = _panel_key(mission.pk, language, query)
    cached = cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    html = _render_and_store(mission, filters, key, version)
    return html if html is not None else (cached or cache.get(key))[1]


def _render_and_store(mission, filters: Filters, key: str, version: int, *, wait: bool = True) -> str | None:
    """Render and cache the panel unless someone else is rendering it (then None, if there is an old one)."""
    if not cache.add(key + ":rendering", 1, timeout=RENDER_LOCK_SECONDS) and (not wait or cache.get(key)):
        return None
    try:
        html = _render_panel(mission, filters)
        cache.set(key, (version, html), PANEL_CACHE_SECONDS)
    finally:
        cache.delete(key + ":rendering")
    return html


def _remember_viewed(mission_pk: int, language: str, query: str) -> None:
    """Note that someone watches this panel, so that the worker renders it after each refresh."""
    digest = hashlib.sha256(f"{language}|{query}".encode()).hexdigest()[:16]
    if cache.add(f"reports:viewed:{mission_pk}:{digest}", (language, query), timeout=VIEWED_SECONDS):
        index_key = f"reports:viewed:{mission_pk}"
        index = cache.get(index_key) or []
        if digest not in index:
            cache.set(index_key, [*index[-(MAX_WARM_PANELS - 1) :], digest], timeout=None)
    else:
        cache.touch(f"reports:viewed:{mission_pk}:{digest}", VIEWED_SECONDS)


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
        key = _panel_key(mission.pk, language, query)
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
                html = _render_panel(mission, parse_filters(QueryDict(query), mission, None))
            cache.set(key, (version, html), PANEL_CACHE_SECONDS)
            rendered += 1
        finally:
            cache.delete(key + ":rendering")
    cache.set(index_key, alive, timeout=None)
    return rendered


def _render_panel(mission, filters: Filters) -> str:
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
        "level_name": _level_name(mission, filters.level),
        "by_name": _("team") if filters.by == "team" else _level_name(mission, filters.area_level or 0),
        # The teams furthest behind their plan; a team's own figures are one click away.
        "lagging_teams": sorted(data.coverage.by_team, key=lambda r: (r.share.fraction, r.label))[
            :LAGGING_TEAMS
        ],
    }
    return render_to_string("reports/_panel.html", context)


def _form_context(access, own_team, filters) -> dict:
    mission = access.mission
    levels = list(enumerate(mission.area_levels or [], start=1))
    areas = Area.objects.filter(mission=mission, depth__lte=min(2, len(levels) or 1)).order_by("path")
    teams = Team.objects.filter(mission=mission).order_by("name") if own_team is None else []
    return {"levels": levels, "areas": areas, "teams": teams, "own_team": own_team}


@login_required
@require_GET
def dashboard(request, code):
    access, own_team = results_access(request.user, code)
    filters = parse_filters(request.GET, access.mission, own_team)
    panel = render_panel(request, access, filters)
    context = {
        "mission": access.mission,
        "access": access,
        "f": filters,
        "panel": panel,
        "poll": POLL_SECONDS,
    }
    return render(request, "reports/dashboard.html", context | _form_context(access, own_team, filters))


@login_required
@require_GET
def dashboard_panel(request, code):
    access, own_team = results_access(request.user, code)
    filters = parse_filters(request.GET, access.mission, own_team)
    return HttpResponse(render_panel(request, access, filters))


FLAG_FILTERS = {
    "flagged": {"option__flagged": True},
    "serious": {"option__flagged": True, "option__severity": "serious"},
    "negative": {"option__negative": True},
}


@login_required
@require_GET
def figure_visits(request, code):
    """The visits behind a figure: ?checklist=&question=&option=&flag=&team=&area=&hour= (exact, live)."""
    access, own_team = results_access(request.user, code)
    filters = parse_filters(request.GET, access.mission, own_team)
    get = request.GET
    visits = visits_for(access.mission, team=filters.team, area=filters.area)
    if filters.checklist:
        visits = visits.filter(checklist_version__checklist__code=filters.checklist)
    answers = Answer.objects.filter(visit=OuterRef("pk"))
    if filters.question:
        answers = answers.filter(question__code=filters.question)
    if get.get("option"):
        answers = answers.filter(option__value=get["option"])
    answers = answers.filter(**FLAG_FILTERS.get(get.get("flag", ""), {}))
    if filters.question or get.get("option") or get.get("flag") in FLAG_FILTERS:
        visits = visits.filter(Exists(answers))
    hour = _hour_or_none(get.get("hour", ""))
    if hour is not None:
        visits = visits.filter(arrived_at__gte=hour, arrived_at__lt=hour + datetime.timedelta(hours=1))
    visits = visits.select_related("station__area", "team", "observer__user", "checklist_version__checklist")
    page = Paginator(visits.order_by("-arrived_at", "-pk"), 50).get_page(get.get("page"))
    back = filters.query()
    context = {
        "mission": access.mission,
        "access": access,
        "page": page,
        "f": filters,
        "back": back,
        "figure": {k: get.get(k, "") for k in ("option", "flag")},
        "hour": (hour, hour + datetime.timedelta(hours=1)) if hour is not None else None,
        "page_query": urlencode({k: v for k, v in get.items() if k != "page"}),
    }
    return render(request, "reports/figure_visits.html", context)


def _hour_or_none(value: str):
    """The start of the hour a chart bar links to: the UTC moment (minutes too: in Asia/Kathmandu an
    hour starts at :15 UTC), or an hour in UTC as earlier links wrote it."""
    for pattern in (HOUR_PARAMETER, "%Y-%m-%dT%H"):
        try:
            return datetime.datetime.strptime(value, pattern).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
    return None
