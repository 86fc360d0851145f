from allauth.account.utils import perform_login
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import (
    Case,
    Count,
    F,
    IntegerField,
    OuterRef,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from missions import services
from missions.access import MissionAccess, can_create_missions, get_mission_for, get_team_for
from missions.accounts import language
from missions.models import Invitation, Member, Mission, Role, Team, User
from missions.setup.forms import (
    InvitationForm,
    InvitationSignupForm,
    MeetingForm,
    MemberForm,
    MissionForm,
    TeamForm,
    TeamMembershipForm,
)

STATIONS_PER_PAGE = 50


def _count(queryset, outer: str):
    """COUNT(*) of `queryset` for each outer row, as a correlated subquery.

    Counting two relations of a row through joins would multiply them (members x 176,000 stations).
    """
    counted = (
        queryset.filter(**{outer: OuterRef("pk")}).order_by().values(outer).annotate(n=Count("*")).values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def _active_members_of(outer: str):
    return _count(Member.objects.filter(is_active=True), outer)


def _stations_of_team():
    return _count(Team.stations.through.objects.all(), "team")


def _confirm(request, access: MissionAccess, *, title: str, question: str, action: str, cancel_url: str):
    """The confirmation page every destructive action shows on GET; the button POSTs to the same URL."""
    context = access.page_context(title=title, question=question, action=action, cancel_url=cancel_url)
    return render(request, "missions/confirm.html", context)


# Missions


@login_required
def mission_list(request):
    missions = (
        Mission.objects.filter(members__user=request.user, members__is_active=True)
        .annotate(
            member_count=_active_members_of("mission"),
            # The stations are the polling app's: reached through the relation, not imported (layers).
            station_count=_count(Mission.stations.rel.related_model.objects.all(), "mission"),
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
        mission = services.mission_create(form=form, user=request.user, request=request)
        messages.success(request, _("Mission “%(name)s” created.") % {"name": mission.name})
        return redirect(mission)
    return render(request, "missions/mission_form.html", {"form": form})


@login_required
def mission_detail(request, code):
    access = get_mission_for(request.user, code)
    mission = access.mission
    members = mission.members.filter(is_active=True)
    context = access.page_context(
        teams=mission.teams.select_related("leader__user").annotate(
            member_count=_active_members_of("team"), station_count=_stations_of_team()
        ),
        station_count=mission.stations.count(),
        member_count=members.count(),
        country_count=members.exclude(country="").values("country").distinct().count(),
        meetings=mission.meetings.order_by("-date", "-created_at")[:5],
        setup=_setup_progress(mission) if access.can_change_setup else None,
    )
    return render(request, "missions/mission_detail.html", context)


def _members_without_team(mission: Mission):
    """Observers and team leaders not yet in a team (the secretariat and head of mission need none)."""
    return mission.members.filter(
        is_active=True, team__isnull=True, role__in=[Role.TEAM_LEADER, Role.OBSERVER]
    )


def _setup_progress(mission: Mission) -> dict:
    """What the secretariat still has to do: the numbers behind the mission page's set-up card."""
    planned = Team.stations.through.objects.filter(team__mission=mission).values("pollingstation").distinct()
    return {
        "pending_invitations": mission.invitations.pending().count(),
        "members_without_team": _members_without_team(mission).count(),
        "planned_stations": planned.count(),
        "meeting_count": mission.meetings.count(),
    }


@login_required
@require_http_methods(["GET", "POST"])
def mission_edit(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = MissionForm(request.POST or None, instance=access.mission)
    if request.method == "POST" and form.is_valid():
        services.mission_update(form=form, actor=request.user, request=request)
        messages.success(request, _("Mission updated."))
        return redirect(access.mission)
    return render(request, "missions/mission_form.html", access.page_context(form=form))


# Members and invitations

ROLE_ORDER = Case(
    *(When(role=role, then=Value(i)) for i, role in enumerate(Role.values)), output_field=IntegerField()
)


def _member(access: MissionAccess, member_uuid) -> Member:
    return get_object_or_404(
        access.mission.members.select_related("user", "team"), uuid=member_uuid, is_active=True
    )


@login_required
def member_list(request, code):
    access = get_mission_for(request.user, code)
    members = (
        access.mission.members.filter(is_active=True)
        .select_related("user", "team")
        .annotate(role_order=ROLE_ORDER)
        .order_by("role_order", "team__name", "user__name", "user__email")
    )
    invitations = (
        access.mission.invitations.pending().select_related("team", "invited_by")
        if access.can_change_setup
        else []
    )
    return render(
        request, "missions/member_list.html", access.page_context(members=members, invitations=invitations)
    )


@login_required
@require_http_methods(["GET", "POST"])
def member_invite(request, code):
    access = get_mission_for(request.user, code, write=True)
    initial = {"role": Role.OBSERVER, "team": request.GET.get("team"), "language": request.LANGUAGE_CODE}
    form = InvitationForm(request.POST or None, mission=access.mission, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            invitation = services.invitation_send(
                mission=access.mission,
                actor=request.user,
                request=request,
                **form.cleaned_data,
                link_for=lambda token: request.build_absolute_uri(
                    reverse("missions:invitation_accept", args=[token])
                ),
            )
        except services.SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("Invitation sent to %(email)s.") % {"email": invitation.email})
            return redirect("missions:member_list", code=code)
    return render(request, "missions/member_invite.html", access.page_context(form=form))


@login_required
@require_http_methods(["GET", "POST"])
def member_edit(request, code, member):
    access = get_mission_for(request.user, code, write=True)
    member = _member(access, member)
    form = MemberForm(request.POST or None, instance=member)
    if request.method == "POST" and form.is_valid():
        try:
            services.member_update(member=member, **form.cleaned_data, actor=request.user, request=request)
        except services.SetupError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("%(name)s updated.") % {"name": member.user})
            return redirect("missions:member_list", code=code)
    return render(request, "missions/member_form.html", access.page_context(form=form, member=member))


@login_required
@require_http_methods(["GET", "POST"])
def member_remove(request, code, member):
    access = get_mission_for(request.user, code, write=True)
    member = _member(access, member)
    if request.method == "GET":
        return _confirm(
            request,
            access,
            title=_("Remove %(name)s") % {"name": member.user},
            question=_(
                "%(name)s will no longer see this mission. Their past work stays in the mission's records."
            )
            % {"name": member.user},
            action=_("Remove from the mission"),
            cancel_url=reverse("missions:member_list", args=[code]),
        )
    try:
        services.member_remove(member=member, actor=request.user, request=request)
    except services.SetupError as error:
        messages.error(request, str(error))
        return redirect("missions:member_list", code=code)
    messages.success(request, _("%(name)s was removed from the mission.") % {"name": member.user})
    if member == access.member:
        return redirect("missions:list")
    return redirect("missions:member_list", code=code)


@login_required
@require_http_methods(["GET", "POST"])
def invitation_revoke(request, code, invitation):
    access = get_mission_for(request.user, code, write=True)
    invitation = get_object_or_404(access.mission.invitations.pending(), uuid=invitation)
    if request.method == "GET":
        return _confirm(
            request,
            access,
            title=_("Withdraw invitation"),
            question=_("The link sent to %(email)s will stop working.") % {"email": invitation.email},
            action=_("Withdraw invitation"),
            cancel_url=reverse("missions:member_list", args=[code]),
        )
    try:
        services.invitation_revoke(invitation=invitation, actor=request.user, request=request)
    except services.SetupError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("The invitation to %(email)s was withdrawn.") % {"email": invitation.email}
        )
    return redirect("missions:member_list", code=code)


@require_http_methods(["GET", "POST"])
def invitation_accept(request, token):
    """Public: the link in the invitation e-mail. Nothing changes until the invitee presses the button."""
    token_hash = Invitation.hash_token(token)
    invitation = Invitation.objects.select_related("mission", "team").filter(token_hash=token_hash).first()
    if invitation is None or not invitation.is_usable:
        return _invitation_refused(request, invitation)
    if language.supported(invitation.language) and not language.chosen(request):
        translation.activate(invitation.language)  # the language the inviter chose for the invitee
        request.LANGUAGE_CODE = invitation.language
    account = User.objects.filter(email__iexact=invitation.email).first()
    context = {"invitation": invitation, "account": account, "accept_url": request.path}
    if account is not None and request.user != account:
        return render(request, "missions/invitation_login.html", context)
    form = None if account else InvitationSignupForm(request.POST or None, invitation=invitation)
    if request.method == "POST" and (form is None or form.is_valid()):
        new_account = form.account_fields() if form else {}
        try:
            member = services.invitation_accept(
                invitation=invitation, user=account, request=request, **new_account
            )
        except services.SetupError as error:
            return _invitation_refused(request, invitation, error=str(error))
        messages.success(request, _("Welcome to %(mission)s.") % {"mission": invitation.mission.name})
        if account is None:
            return perform_login(request, member.user, redirect_url=invitation.mission.get_absolute_url())
        return redirect(invitation.mission)
    return render(request, "missions/invitation_accept.html", {**context, "form": form})


def _invitation_refused(request, invitation: Invitation | None, error: str = ""):
    """404 for a link that never existed, 410 Gone for one used, withdrawn or expired."""
    context = {"invitation": invitation, "error": error}
    return render(
        request, "missions/invitation_invalid.html", context, status=404 if invitation is None else 410
    )


# Teams


@login_required
def team_list(request, code):
    access = get_mission_for(request.user, code)
    teams = access.mission.teams.select_related("leader__user").annotate(
        member_count=_active_members_of("team"), station_count=_stations_of_team()
    )
    unassigned = _members_without_team(access.mission).count()
    return render(
        request, "missions/team_list.html", access.page_context(teams=teams, unassigned_count=unassigned)
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_create(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = TeamForm(request.POST or None, mission=access.mission)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(
                mission=access.mission, **form.cleaned_data, actor=request.user, request=request
            )
        except services.SetupError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Team “%(name)s” created.") % {"name": team.name})
            return redirect(team)
    return render(request, "missions/team_form.html", access.page_context(form=form))


@login_required
def team_detail(request, code, team):
    access = get_mission_for(request.user, code)
    team = get_team_for(access, team)
    members = team.members.filter(is_active=True).select_related("user").annotate(role_order=ROLE_ORDER)
    stations = team.stations.select_related("area").order_by("area__path", "code")
    page = Paginator(stations, STATIONS_PER_PAGE).get_page(request.GET.get("page"))
    context = access.page_context(
        team=team,
        members=members.order_by("role_order", "user__name", "user__email"),
        stations=page,
        station_areas=stations.order_by().values("area__path").annotate(n=Count("pk")).order_by("area__path"),
        candidates=_team_candidates(access, team) if access.can_change_setup else [],
    )
    return render(request, "missions/team_detail.html", context)


def _team_candidates(access: MissionAccess, team: Team):
    """Active members not in this team, for the team page's "add members" list."""
    return (
        access.mission.members.filter(is_active=True)
        .exclude(team=team)
        .select_related("user", "team")
        .order_by(F("team__name").asc(nulls_first=True), "user__name", "user__email")
    )


@login_required
@require_http_methods(["GET", "POST"])
def team_edit(request, code, team):
    access = get_mission_for(request.user, code, write=True)
    team = get_team_for(access, team, write=True)
    if "action" in request.POST:
        return _team_membership_change(request, access, team)
    form = TeamForm(request.POST or None, instance=team, mission=access.mission)
    if request.method == "POST" and form.is_valid():
        try:
            services.team_update(team=team, **form.cleaned_data, actor=request.user, request=request)
        except services.SetupError as error:
            form.add_error("name", str(error))
        else:
            messages.success(request, _("Team “%(name)s” saved.") % {"name": team.name})
            return redirect(team)
    return render(request, "missions/team_form.html", access.page_context(form=form, team=team))


def _team_membership_change(request, access: MissionAccess, team: Team):
    """The team page's small forms: add members, remove one, make one the leader."""
    form = TeamMembershipForm(request.POST, mission=access.mission)
    if not form.is_valid():
        messages.error(request, " ".join(form.errors.get("__all__", [])) or _("Choose at least one member."))
        return redirect(team)
    action, members = form.cleaned_data["action"], list(form.cleaned_data["members"])
    try:
        if action == form.ADD:
            added = services.team_members_add(team=team, members=members, actor=request.user, request=request)
            message = ngettext(
                "%(count)d member added to the team.", "%(count)d members added to the team.", added
            )
            messages.success(request, message % {"count": added})
        elif action == form.REMOVE:
            services.team_member_remove(team=team, member=members[0], actor=request.user, request=request)
            messages.success(request, _("%(name)s is no longer in this team.") % {"name": members[0].user})
        else:
            services.team_leader_set(team=team, member=members[0], actor=request.user, request=request)
            messages.success(request, _("%(name)s now leads the team.") % {"name": members[0].user})
    except services.SetupError as error:
        messages.error(request, str(error))
    return redirect(team)


@login_required
@require_http_methods(["GET", "POST"])
def team_delete(request, code, team):
    access = get_mission_for(request.user, code, write=True)
    team = get_team_for(access, team, write=True)
    if request.method == "GET":
        return _confirm(
            request,
            access,
            title=_("Delete team “%(name)s”") % {"name": team.name},
            question=_team_delete_question(team),
            action=_("Delete team"),
            cancel_url=team.get_absolute_url(),
        )
    services.team_delete(team=team, actor=request.user, request=request)
    messages.success(request, _("Team “%(name)s” deleted.") % {"name": team.name})
    return redirect("missions:team_list", code=code)


def _team_delete_question(team: Team) -> str:
    members, stations = team.members.filter(is_active=True).count(), team.stations.count()
    return " ".join(
        [
            ngettext(
                "Its %(count)d member stays in the mission without a team.",
                "Its %(count)d members stay in the mission without a team.",
                members,
            )
            % {"count": members},
            ngettext(
                "Its plan of %(count)s polling station is discarded; the station itself stays.",
                "Its plan of %(count)s polling stations is discarded; the stations themselves stay.",
                stations,
            )
            % {"count": number_format(stations, force_grouping=True)},
        ]
    )


# Meetings


def _meeting(access: MissionAccess, meeting_uuid):
    return get_object_or_404(access.mission.meetings, uuid=meeting_uuid)


@login_required
def meeting_list(request, code):
    access = get_mission_for(request.user, code)
    meetings = access.mission.meetings.order_by("date", "created_at")
    return render(request, "missions/meeting_list.html", access.page_context(meetings=meetings))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_create(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        services.meeting_create(mission=access.mission, form=form, actor=request.user, request=request)
        messages.success(request, _("Meeting added to the log."))
        return redirect("missions:meeting_list", code=code)
    return render(request, "missions/meeting_form.html", access.page_context(form=form))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_edit(request, code, meeting):
    access = get_mission_for(request.user, code, write=True)
    meeting = _meeting(access, meeting)
    form = MeetingForm(request.POST or None, instance=meeting)
    if request.method == "POST" and form.is_valid():
        services.meeting_update(form=form, actor=request.user, request=request)
        messages.success(request, _("Meeting saved."))
        return redirect("missions:meeting_list", code=code)
    return render(request, "missions/meeting_form.html", access.page_context(form=form, meeting=meeting))


@login_required
@require_http_methods(["GET", "POST"])
def meeting_delete(request, code, meeting):
    access = get_mission_for(request.user, code, write=True)
    meeting = _meeting(access, meeting)
    if request.method == "GET":
        return _confirm(
            request,
            access,
            title=_("Delete meeting"),
            question=_("The meeting with %(counterpart)s on %(date)s will be removed from the log.")
            % {"counterpart": meeting.counterpart_with_title, "date": date_format(meeting.date)},
            action=_("Delete meeting"),
            cancel_url=reverse("missions:meeting_list", args=[code]),
        )
    services.meeting_delete(meeting=meeting, actor=request.user, request=request)
    messages.success(request, _("Meeting deleted."))
    return redirect("missions:meeting_list", code=code)
