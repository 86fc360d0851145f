"""A team's plan of polling stations: which stations the secretariat sends each observer team to."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.formats import number_format
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from missions import services
from missions.access import MissionAccess, get_mission_for, get_team_for
from missions.models import Team
from polling.teams.forms import StationFilterForm, TeamStationsForm

STATIONS_PER_PAGE = 50


@login_required
@require_http_methods(["GET", "POST"])
def team_stations(request, code, team):
    access = get_mission_for(request.user, code, write=True)
    team = get_team_for(access, team, write=True)
    if request.method == "POST":
        return _team_stations_change(request, access, team)
    filters = StationFilterForm(request.GET, mission=access.mission)
    stations = filters.filter(team.stations.all() if filters.planned_only else access.mission.stations.all())
    stations = (
        stations.select_related("area")
        .annotate(
            is_planned=Exists(Team.stations.through.objects.filter(team=team, pollingstation=OuterRef("pk")))
        )
        .prefetch_related(
            Prefetch("planned_by_teams", Team.objects.exclude(pk=team.pk), to_attr="other_teams")
        )
        .order_by("code")
    )
    page = Paginator(stations, STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = access.page_context(team=team, filters=filters, page=page, planned_count=team.stations.count())
    return render(request, "polling/teams/stations.html", context)


def _team_stations_change(request, access: MissionAccess, team: Team):
    form = TeamStationsForm(request.POST, mission=access.mission)
    if form.is_valid():
        stations = form.chosen_stations(team)
        if form.adds:
            count = services.team_stations_add(
                team=team, stations=stations, actor=request.user, request=request
            )
            message = ngettext(
                "%(count)s polling station added to the team's plan.",
                "%(count)s polling stations added to the team's plan.",
                count,
            )
        else:
            count = services.team_stations_remove(
                team=team, stations=stations, actor=request.user, request=request
            )
            message = ngettext(
                "%(count)s polling station removed from the team's plan.",
                "%(count)s polling stations removed from the team's plan.",
                count,
            )
        messages.success(request, message % {"count": number_format(count, force_grouping=True)})
    else:
        messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
    return redirect(
        f"{reverse('polling:team_stations', args=[access.mission.code, team.uuid])}?{form.querystring()}"
    )
