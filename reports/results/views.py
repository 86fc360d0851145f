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
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from missions.access import MissionAccess, get_mission_for
from missions.models import Role, Team
from polling.models import Answer, Area
from reports.results.charts import HOUR_PARAMETER
from reports.results.panels import (
    MAX_WARM_PANELS,
    POLL_SECONDS,
    REFRESH_AFTER_SECONDS,
    VIEWED_SECONDS,
    Filters,
    panel_html,
    panel_key,
    parse_filters,
    render_and_store,
)
from reports.results.selectors import results_state, visits_for
from reports.results.selectors.dashboard import uses_counts
from reports.results.tasks import refresh_mission_results


def results_access(user, code: str) -> tuple[MissionAccess, Team | None]:
    """The mission and the team the viewer is confined to (None: the whole mission)."""
    access = get_mission_for(user, code)
    if access.sees_all_teams:
        return access, None
    if access.role == Role.TEAM_LEADER and access.member.team_id:
        return access, access.member.team
    raise PermissionDenied(_("Results are for the head of mission, the secretariat and team leaders."))


def request_refresh(mission, state) -> None:
    """Ask the worker to bring the counts up to date if they are a few seconds old (once per few seconds)."""
    stale = state is None or state.as_of is None
    stale = stale or timezone.now() - state.as_of > datetime.timedelta(seconds=REFRESH_AFTER_SECONDS)
    if stale and cache.add(f"reports:refresh:{mission.pk}", 1, timeout=REFRESH_AFTER_SECONDS):
        refresh_mission_results.delay(mission.pk)


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
        return panel_html(mission, filters)
    state = results_state(mission)
    request_refresh(mission, state)
    version = state.version if state else 0
    language, query = translation.get_language(), filters.query()
    _remember_viewed(mission.pk, language, query)
    key = panel_key(mission.pk, language, query)
    cached = cache.get(key)
    if cached is not None and cached[0] == version:
        return cached[1]
    html = render_and_store(mission, filters, key, version)
    return html if html is not None else (cached or cache.get(key))[1]


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
    return render(
        request, "reports/results/dashboard.html", context | _form_context(access, own_team, filters)
    )


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
    return render(request, "reports/results/figure_visits.html", context)


def _hour_or_none(value: str):
    """The start of the hour a chart bar links to: the UTC moment (minutes too: in Asia/Kathmandu an
    hour starts at :15 UTC), or an hour in UTC as earlier links wrote it."""
    for pattern in (HOUR_PARAMETER, "%Y-%m-%dT%H"):
        try:
            return datetime.datetime.strptime(value, pattern).replace(tzinfo=datetime.UTC)
        except ValueError:
            continue
    return None
