"""Workflows that change a mission's set-up. Views call these; they never write models directly.

Every service records what it changed in the audit trail, inside its own transaction, as
`actor` (the user acting) from `request` (optional: it only supplies the address and browser).
"""

import logging
from collections.abc import Callable, Iterable
from itertools import islice

from allauth.account.models import EmailAddress
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from config.problems import UserError
from missions import emails
from missions.accounts.security import user_sessions_end
from missions.audit_trail import audit_record, diff
from missions.models import Invitation, Meeting, Member, Mission, Role, Team, User

logger = logging.getLogger(__name__)

STATION_BATCH = 5000


class SetupError(UserError):
    """A set-up change that cannot be made; the message is shown to the user."""


def _form_changes(form) -> dict:
    """{field: [before, after]} for what a bound ModelForm changed."""
    before = {name: form.initial.get(name) for name in form.changed_data}
    after = {name: form.cleaned_data.get(name) for name in form.changed_data}
    return diff(before, after)


def _member_state(member: Member) -> dict:
    return {
        "role": member.role,
        "country": member.country,
        "team": member.team.name if member.team_id else None,
        "is_active": member.is_active,
    }


# Missions


@transaction.atomic
def mission_create(*, form, user: User, request=None) -> Mission:
    """Save a new mission from a valid MissionForm; its creator joins it as secretariat."""
    mission = form.save()
    Member.objects.create(mission=mission, user=user, role=Role.SECRETARIAT)
    audit_record(
        action="mission.create",
        actor=user,
        mission=mission,
        target=mission,
        changes=diff({}, {"code": mission.code, "name": mission.name}),
        request=request,
    )
    return mission


@transaction.atomic
def mission_update(*, form, actor: User, request=None) -> Mission:
    changes = _form_changes(form)
    mission = form.save()
    audit_record(
        action="mission.update",
        actor=actor,
        mission=mission,
        target=mission,
        changes=changes,
        request=request,
    )
    return mission


# Members and invitations


@transaction.atomic
def invitation_send(
    *,
    mission: Mission,
    actor: User,
    email: str,
    name: str,
    role: str,
    country: str = "",
    team: Team | None = None,
    language: str = "",
    link_for: Callable[[str], str],
    request=None,
) -> Invitation:
    """Invite `email` to the mission and e-mail them the link; `link_for(token)` makes it absolute.

    1. An address that already belongs to an active member is refused.
    2. The address's pending invitations are revoked: only the newest link works.
    3. Only the hash of the new token is stored; the token itself exists only in the e-mail.
    4. The e-mail is sent inside the transaction: if it cannot be sent, no invitation is left behind.
    """
    email = email.strip().lower()
    if mission.members.filter(user__email__iexact=email, is_active=True).exists():
        raise SetupError(_("%(email)s is already a member of this mission.") % {"email": email})
    if team is not None and team.mission_id != mission.pk:
        raise SetupError(_("That team belongs to another mission."))
    now = timezone.now()
    replaced = mission.invitations.pending().filter(email__iexact=email).update(revoked_at=now)
    invitation = Invitation(
        mission=mission,
        email=email,
        name=name,
        role=role,
        country=country,
        team=team,
        language=language,
        invited_by=actor,
    )
    token = invitation.issue_token()
    invitation.save()
    try:
        emails.send_invitation(invitation=invitation, link=link_for(token))
    except OSError as error:  # smtplib's errors are OSErrors too
        logger.warning("Invitation e-mail to %s failed: %s", email, error)
        raise SetupError(
            _("The invitation e-mail to %(email)s could not be sent; nothing was saved. Try again later.")
            % {"email": email}
        ) from error
    state = {"email": email, "role": role, "country": country, "team": team.name if team else None}
    audit_record(
        action="invitation.send",
        actor=actor,
        mission=mission,
        target=invitation,
        changes={**diff({}, state), **({"replaced_invitations": [None, replaced]} if replaced else {})},
        request=request,
    )
    return invitation


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, request=None) -> None:
    revoked = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True
    ).update(revoked_at=timezone.now())
    if not revoked:
        raise SetupError(_("This invitation was already accepted or withdrawn."))
    audit_record(
        action="invitation.revoke",
        actor=actor,
        mission=invitation.mission,
        target=invitation,
        request=request,
    )


@transaction.atomic
def invitation_accept(
    *, invitation: Invitation, user: User | None = None, name: str = "", password: str = "", request=None
) -> Member:
    """Join the mission through an invitation: as the logged-in `user`, or as a new account.

    1. Claim the invitation with a conditional update: of two clicks on the same link, exactly
       one matches `accepted_at IS NULL`; the other updates no row and is refused.
    2. Without `user`, create the account for the invited address (the link proves the
       address, so it is recorded as verified).
    3. Make the membership, or re-activate a removed one, with the invitation's role, country
       and team. An active membership is left as it is.
    4. Other pending invitations of the address to this mission stop working.
    Any refusal after step 1 rolls the claim back.
    """
    now = timezone.now()
    claimed = Invitation.objects.filter(
        pk=invitation.pk, accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=now
    ).update(accepted_at=now)
    if not claimed:
        raise SetupError(_("This invitation link has already been used, was withdrawn or has expired."))
    new_account = user is None
    if new_account:
        user = _account_for_invitation(invitation, name=name, password=password)
    elif user.email.lower() != invitation.email.lower():
        raise SetupError(_("This invitation is for %(email)s.") % {"email": invitation.email})
    member, created = Member.objects.get_or_create(
        mission=invitation.mission,
        user=user,
        defaults={"role": invitation.role, "country": invitation.country, "team": invitation.team},
    )
    before = {} if created else _member_state(member)
    if not created and not member.is_active:
        member.role, member.country, member.team = invitation.role, invitation.country, invitation.team
        member.is_active = True
        member.save(update_fields=["role", "country", "team", "is_active"])
    Invitation.objects.filter(pk=invitation.pk).update(accepted_by=user)
    invitation.mission.invitations.pending().filter(email__iexact=invitation.email).update(revoked_at=now)
    audit_record(
        action="invitation.accept",
        actor=user,
        mission=invitation.mission,
        target=member,
        changes={
            **diff(before, _member_state(member)),
            **({"account": [None, "created"]} if new_account else {}),
        },
        request=request,
    )
    return member


def _account_for_invitation(invitation: Invitation, *, name: str, password: str) -> User:
    taken = _("An account for %(email)s already exists: log in first.") % {"email": invitation.email}
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise SetupError(taken)
    try:
        with transaction.atomic():
            user = User.objects.create_user(
                email=invitation.email, password=password, name=name, language=invitation.language
            )
    except IntegrityError as error:  # the same address joined through another invitation meanwhile
        raise SetupError(taken) from error
    EmailAddress.objects.create(user=user, email=user.email, primary=True, verified=True)
    return user


def _keep_a_secretariat(member: Member) -> None:
    """Refuse to take away the mission's last secretariat member.

    The rows are locked, so two people demoting the last two secretariat members at the same
    time cannot both succeed: the second one waits, then sees only one left.
    """
    secretariat = list(
        Member.objects.select_for_update()
        .filter(mission_id=member.mission_id, role=Role.SECRETARIAT, is_active=True)
        .values_list("pk", flat=True)
    )
    if secretariat == [member.pk]:
        raise SetupError(
            _(
                "%(name)s is the mission's only secretariat member: make someone else secretariat first, "
                "so that someone can still administer the mission."
            )
            % {"name": member.user}
        )


@transaction.atomic
def member_update(
    *, member: Member, role: str, country: str, team: Team | None, actor: User, request=None
) -> Member:
    if role != Role.SECRETARIAT:
        _keep_a_secretariat(member)
    if team is not None and team.mission_id != member.mission_id:
        raise SetupError(_("That team belongs to another mission."))
    before = _member_state(Member.objects.select_related("team").get(pk=member.pk))
    # A member who leaves the team they lead stops leading it.
    Team.objects.filter(leader=member).exclude(pk=getattr(team, "pk", None)).update(leader=None)
    member.role, member.country, member.team = role, country, team
    member.save(update_fields=["role", "country", "team"])
    audit_record(
        action="member.update",
        actor=actor,
        mission=member.mission,
        target=member,
        changes=diff(before, _member_state(member)),
        request=request,
    )
    return member


@transaction.atomic
def member_remove(*, member: Member, actor: User, request=None) -> None:
    """Take the member out of the mission; the row stays, so their past work keeps its author.

    They are logged out everywhere at once (but in the session doing this, if they remove
    themselves): a removed observer's open browser must not keep showing the mission.
    """
    _keep_a_secretariat(member)
    before = _member_state(member)
    Team.objects.filter(leader=member).update(leader=None)
    member.is_active = False
    member.team = None
    member.save(update_fields=["is_active", "team"])
    own_session = request.session.session_key if request is not None and request.user == member.user else None
    user_sessions_end(user=member.user, keep_session_key=own_session)
    audit_record(
        action="member.remove",
        actor=actor,
        mission=member.mission,
        target=member,
        changes=diff(before, _member_state(member)),
        request=request,
    )


# Teams


def _team_state(team: Team) -> dict:
    members = team.members.filter(is_active=True).select_related("user").order_by("user__email")
    return {
        "name": team.name,
        "leader": team.leader.user.email if team.leader_id else None,
        "members": [m.user.email for m in members],
    }


def _team_set_members(team: Team, members: Iterable[Member], leader: Member | None) -> None:
    """Make `members` exactly the team's active members (moving them from other teams) and set the leader."""
    wanted = {m.pk for m in members}
    team.members.filter(is_active=True).exclude(pk__in=wanted).update(team=None)
    Team.objects.filter(leader__in=wanted).exclude(pk=team.pk).update(leader=None)
    Member.objects.filter(pk__in=wanted, mission_id=team.mission_id, is_active=True).update(team=team)
    team.leader = leader if leader is not None and leader.pk in wanted else None
    team.save(update_fields=["leader"])


def _team_save_name(team: Team) -> None:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError as error:  # two people naming two teams alike at the same moment
        raise SetupError(
            _("This mission already has a team called “%(name)s”.") % {"name": team.name}
        ) from error


def _audit_team(action: str, team: Team, before: dict, *, actor: User, request) -> None:
    after = _team_state(team) if team.pk else {}
    audit_record(
        action=action,
        actor=actor,
        mission=team.mission,
        target=team,
        changes=diff(before, after),
        request=request,
    )


@transaction.atomic
def team_create(
    *,
    mission: Mission,
    name: str,
    members: Iterable[Member] = (),
    leader: Member | None = None,
    actor: User,
    request=None,
) -> Team:
    team = Team(mission=mission, name=name)
    _team_save_name(team)
    _team_set_members(team, members, leader)
    _audit_team("team.create", team, {}, actor=actor, request=request)
    return team


@transaction.atomic
def team_update(
    *, team: Team, name: str, members: Iterable[Member], leader: Member | None, actor: User, request=None
) -> Team:
    before = _team_state(Team.objects.get(pk=team.pk))
    team.name = name
    _team_save_name(team)
    _team_set_members(team, members, leader)
    _audit_team("team.update", team, before, actor=actor, request=request)
    return team


@transaction.atomic
def team_members_add(*, team: Team, members: Iterable[Member], actor: User, request=None) -> int:
    before = _team_state(team)
    current = list(team.members.filter(is_active=True))
    _team_set_members(team, [*current, *members], team.leader)
    _audit_team("team.update", team, before, actor=actor, request=request)
    return len({m.pk for m in members} - {m.pk for m in current})


@transaction.atomic
def team_member_remove(*, team: Team, member: Member, actor: User, request=None) -> None:
    if member.team_id != team.pk:
        raise SetupError(_("%(name)s is not in this team.") % {"name": member.user})
    before = _team_state(team)
    _team_set_members(team, team.members.filter(is_active=True).exclude(pk=member.pk), team.leader)
    _audit_team("team.update", team, before, actor=actor, request=request)


@transaction.atomic
def team_leader_set(*, team: Team, member: Member, actor: User, request=None) -> None:
    if member.team_id != team.pk:
        raise SetupError(
            _("Only a member of the team can lead it; add %(name)s to the team first.")
            % {"name": member.user}
        )
    before = _team_state(team)
    team.leader = member
    team.save(update_fields=["leader"])
    _audit_team("team.update", team, before, actor=actor, request=request)


@transaction.atomic
def team_delete(*, team: Team, actor: User, request=None) -> None:
    """Delete the team; its members stay in the mission without a team, its plan of stations goes."""
    before = {**_team_state(team), "planned_stations": team.stations.count()}
    audit_record(
        action="team.delete",
        actor=actor,
        mission=team.mission,
        target=team,
        changes=diff(before, {}),
        request=request,
    )
    team.members.update(team=None)
    team.delete()


@transaction.atomic
def team_stations_add(*, team: Team, stations: QuerySet, actor: User, request=None) -> int:
    """Plan every station of the `stations` query for the team; returns how many were new.

    The query runs in the database and its ids stream into batched inserts into the
    through table, so adding a whole country's 176,000 stations never builds them as objects.
    Conflicts (a station planned meanwhile by someone else) are ignored.
    """
    through = Team.stations.through
    new_ids = (
        stations.filter(mission_id=team.mission_id)
        .exclude(planned_by_teams=team)
        .order_by()
        .values_list("pk", flat=True)
    )
    ids = new_ids.iterator(chunk_size=STATION_BATCH)
    added = 0
    while batch := list(islice(ids, STATION_BATCH)):
        through.objects.bulk_create(
            [through(team_id=team.pk, pollingstation_id=pk) for pk in batch], ignore_conflicts=True
        )
        added += len(batch)
    if added:
        _audit_stations("team.stations_add", team, added, actor=actor, request=request)
    return added


@transaction.atomic
def team_stations_remove(*, team: Team, stations: QuerySet, actor: User, request=None) -> int:
    removed, _per_model = Team.stations.through.objects.filter(
        team=team, pollingstation__in=stations.order_by().values("pk")
    ).delete()
    if removed:
        _audit_stations("team.stations_remove", team, removed, actor=actor, request=request)
    return removed


def _audit_stations(action: str, team: Team, count: int, *, actor: User, request) -> None:
    """The count, not the list: one entry for 176,000 stations must stay small."""
    audit_record(
        action=action,
        actor=actor,
        mission=team.mission,
        target=team,
        changes={"stations": [None, count], "planned_now": [None, team.stations.count()]},
        request=request,
    )


# Meetings


def _meeting_state(meeting: Meeting) -> dict:
    return {f: getattr(meeting, f) for f in ("date", "counterpart", "title", "category", "notes")}


@transaction.atomic
def meeting_create(*, mission: Mission, form, actor: User, request=None) -> Meeting:
    meeting = form.save(commit=False)
    meeting.mission = mission
    meeting.save()
    audit_record(
        action="meeting.create",
        actor=actor,
        mission=mission,
        target=meeting,
        changes=diff({}, _meeting_state(meeting)),
        request=request,
    )
    return meeting


@transaction.atomic
def meeting_update(*, form, actor: User, request=None) -> Meeting:
    changes = _form_changes(form)
    meeting = form.save()
    audit_record(
        action="meeting.update",
        actor=actor,
        mission=meeting.mission,
        target=meeting,
        changes=changes,
        request=request,
    )
    return meeting


@transaction.atomic
def meeting_delete(*, meeting: Meeting, actor: User, request=None) -> None:
    audit_record(
        action="meeting.delete",
        actor=actor,
        mission=meeting.mission,
        target=meeting,
        changes=diff(_meeting_state(meeting), {}),
        request=request,
    )
    meeting.delete()
