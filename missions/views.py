from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Q
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from missions import services
from missions.access import can_create_missions, get_mission_for
from missions.forms import MissionForm
from missions.models import Mission


@login_required
def mission_list(request):
    missions = (
        Mission.objects.filter(members__user=request.user, members__is_active=True)
        .annotate(
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
            station_count=Count("stations", distinct=True),
        )
        .order_by("-election_date", "name")
    )
    return render(
        request,
        "missions/mission_list.html",
        {"missions": missions, "can_create": can_create_missions(request.user)},
    )


@login_required
@require_http_methods(["GET", "POST"])
def mission_create(request):
    if not can_create_missions(request.user):
        raise PermissionDenied(_("Only secretariat staff can open a new mission."))
    form = MissionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        mission = services.mission_create(form=form, user=request.user)
        messages.success(request, _("Mission “%(name)s” created.") % {"name": mission.name})
        return redirect(mission)
    return render(request, "missions/mission_form.html", {"form": form})


@login_required
def mission_detail(request, code):
    access = get_mission_for(request.user, code)
    mission = access.mission
    context = {
        "access": access,
        "mission": mission,
        "teams": mission.teams.select_related("leader__user").annotate(
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
            station_count=Count("stations", distinct=True),
        ),
        "station_count": mission.stations.count(),
        "member_count": mission.members.filter(is_active=True).count(),
        "country_count": mission.members.filter(is_active=True).exclude(country="").values("country").distinct().count(),
        "meetings": mission.meetings.all()[:5],
    }
    return render(request, "missions/mission_detail.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def mission_edit(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = MissionForm(request.POST or None, instance=access.mission)
    if request.method == "POST" and form.is_valid():
        form.save()
        messages.success(request, _("Mission updated."))
        return redirect(access.mission)
    return render(request, "missions/mission_form.html", {"form": form, "access": access, "mission": access.mission})


def _not_built(request, *args, **kwargs):  # placeholder until the set-up views land
    raise NotImplementedError


member_list = member_invite = member_edit = member_remove = invitation_revoke = invitation_accept = _not_built
team_list = team_create = team_detail = team_edit = team_delete = team_stations = _not_built
meeting_list = meeting_create = meeting_edit = meeting_delete = _not_built
