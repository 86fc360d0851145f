"""Who may see and change what. Every view goes through these helpers.

The rule, everywhere: someone who is not an active member of the mission gets
404 (the mission's existence is not revealed); a member whose role may not do
the action gets 403. Every query in a view starts from an object returned here.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from missions.audit import audit_record
from missions.models import Member, Mission, Role, Team


@dataclass(frozen=True)
class MissionAccess:
    mission: Mission
    member: Member

    @property
    def can_change_setup(self) -> bool:
        return self.member.can_change_setup

    @property
    def sees_all_teams(self) -> bool:
        return self.member.sees_all_teams

    @property
    def role(self) -> str:
        return self.member.role


def get_mission_for(user, code: str, *, write: bool = False) -> MissionAccess:
    """The mission `code` as `user` may see it; `write=True` demands a set-up role."""
    if not user.is_authenticated:
        raise Http404
    member = (
        Member.objects.select_related("mission", "team")
        .filter(mission__code=code, user=user, is_active=True)
        .first()
    )
    if member is None:
        audit_record(
            action="access.refused",
            actor=user,
            mission_code=code[:40],
            changes={"reason": [None, "not a member"]},
        )
        raise Http404(_("No such mission."))
    if write and not member.can_change_setup:
        audit_record(
            action="access.refused",
            actor=user,
            mission=member.mission,
            changes={"reason": [None, "role may not write"]},
        )
        raise PermissionDenied(_("Your role in this mission may not change its set-up."))
    return MissionAccess(mission=member.mission, member=member)


def get_team_for(access: MissionAccess, team_uuid, *, write: bool = False) -> Team:
    """A team of the mission; observers and team leaders see only their own team."""
    team = get_object_or_404(
        Team.objects.select_related("leader__user"), mission=access.mission, uuid=team_uuid
    )
    if write and not access.can_change_setup:
        raise PermissionDenied(_("Your role in this mission may not change its teams."))
    if not access.sees_all_teams and access.member.team_id != team.pk:
        raise PermissionDenied(_("You can only see your own team."))
    return team


def can_create_missions(user) -> bool:
    """Secretariat staff of any mission (and Django staff) may open a new mission."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    return Member.objects.filter(user=user, is_active=True, role=Role.SECRETARIAT).exists()
