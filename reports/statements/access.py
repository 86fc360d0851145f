"""Who may see and change a mission's statement (on top of missions.access).

Outsiders get 404 from get_mission_for. Editors (secretariat, head of mission) see
and edit drafts; only a head of mission approves; every other member sees only
published versions and gets 403 for anything else.
"""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.utils.translation import gettext as _

from missions.access import MissionAccess, get_mission_for
from missions.models import Role
from reports.models import Statement, StatementVersion
from reports.statements.services import EDITOR_ROLES


def is_editor(access: MissionAccess) -> bool:
    return access.role in EDITOR_ROLES


def is_approver(access: MissionAccess) -> bool:
    return access.role == Role.HEAD_OF_MISSION


def get_statement_access(user, code: str, *, edit: bool = False, approve: bool = False) -> MissionAccess:
    access = get_mission_for(user, code)
    if approve and not is_approver(access):
        raise PermissionDenied(_("Only the head of mission approves the statement."))
    if edit and not is_editor(access):
        raise PermissionDenied(_("Only the secretariat and the head of mission edit the statement."))
    return access


def get_statement(access: MissionAccess) -> Statement | None:
    return Statement.objects.filter(mission=access.mission).first()


def visible_versions(access: MissionAccess, statement: Statement | None):
    if statement is None:
        return StatementVersion.objects.none()
    versions = statement.versions.select_related("approved_by", "submitted_by", "published_by")
    if is_editor(access):
        return versions
    return versions.filter(status=StatementVersion.Status.PUBLISHED)


def get_version_for(access: MissionAccess, number: int | None = None) -> StatementVersion:
    """A version the member may see: 403 for a draft they may not see, 404 when there is none."""
    statement = get_statement(access)
    if statement is None:
        if is_editor(access):
            raise Http404(_("No statement yet."))
        raise PermissionDenied(_("The statement has not been published yet."))
    if number is None:
        version = visible_versions(access, statement).order_by("-number").first()
        if version is None:
            raise PermissionDenied(_("The statement has not been published yet."))
        return version
    version = statement.versions.filter(number=number).first()
    if version is None:
        raise Http404(_("No such version."))
    if not is_editor(access) and version.status != StatementVersion.Status.PUBLISHED:
        raise PermissionDenied(_("Only published statements are open to every member."))
    return version
