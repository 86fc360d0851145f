"""Who may see and change what. Every view goes through these helpers.

The rule, everywhere: someone who is not an active member of the mission gets
404 (the mission's existence is not revealed); a member whose role may not do
the action gets 403. Every query in a view starts from an object returned here.

Once access is granted, the rest of the request shows times in the mission's time zone
(missions.middleware.TimeZoneResetMiddleware starts and ends every request in the deployment's).
"""

import hashlib
import logging
from dataclasses import dataclass
from functools import cache

from django.core.cache import cache as shared_cache
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.translation import gettext as _

from config.db import prepared_cursor
from missions.audit_trail import audit_record
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

    def page_context(self, **extra) -> dict:
        """The context every mission page starts from: this access and its mission."""
        return {"access": self, "mission": self.mission, **extra}


def model_columns(model, alias: str) -> tuple[list[str], list[str], list[list]]:
    """A model's columns for a SELECT, its field names for from_db() and each field's value converters."""
    fields = model._meta.concrete_fields
    columns = [f'{alias}."{field.column}"' for field in fields]
    converters = [
        connection.ops.get_db_converters(field.get_col(alias)) + field.get_db_converters(connection)
        for field in fields
    ]
    return columns, [field.attname for field in fields], converters


@cache
def _member_query(lateral: str = "") -> tuple[str, list]:
    """The member, their mission and their team in one statement, written once from the models' fields;
    with `lateral`, a subquery about the mission (`mi`) whose one row, or NULLs, ends each result row.

    Every request of an observer starts here, and the ORM spent longer composing this query (three
    models' columns, the member's ordering through the user table) than PostgreSQL running it.
    """
    parts = [
        (model, *model_columns(model, alias))
        for model, alias in ((Member, "m"), (Mission, "mi"), (Team, "t"))
    ]
    select = ", ".join(column for _model, columns, _names, _conv in parts for column in columns)
    sql = (
        f"SELECT {select}{', extra.*' if lateral else ''} FROM {Member._meta.db_table} m "  # noqa: S608 (names only)
        f"JOIN {Mission._meta.db_table} mi ON mi.id = m.mission_id "
        f"LEFT JOIN {Team._meta.db_table} t ON t.id = m.team_id "
        + (f"LEFT JOIN LATERAL ({lateral}) extra ON true " if lateral else "")
        + "WHERE mi.code = %s AND m.user_id = %s AND m.is_active"
    )
    return sql, [(model, names, converters) for model, _columns, names, converters in parts]


def model_instance(model, names: list[str], converters: list[list], values):
    """An instance of `model` from the values model_columns() selected, converted as the ORM does."""
    converted = []
    for value, field_converters in zip(values, converters, strict=True):
        for converter in field_converters:
            value = converter(value, None, connection)
        converted.append(value)
    return model.from_db(connection.alias, names, converted)


def _active_member(user, code: str, lateral: str = "", params=()) -> tuple[Member | None, tuple]:
    """The user's active membership of mission `code` (at most one: a user is a member once), with its
    mission and team loaded, and the values of the `lateral` subquery's row (see _member_query)."""
    sql, parts = _member_query(lateral)
    with prepared_cursor() as cursor:
        cursor.execute(sql, [*params, code, user.pk])
        row = cursor.fetchone()
    if row is None:
        return None, ()
    instances, start = [], 0
    for model, names, converters in parts:
        values = row[start : start + len(names)]
        start += len(names)
        instances.append(None if values[0] is None else model_instance(model, names, converters, values))
    member, mission, team = instances
    member.mission, member.team = mission, team
    return member, tuple(row[start:])


def get_mission_for(user, code: str, *, write: bool = False) -> MissionAccess:
    """The mission `code` as `user` may see it; `write=True` demands a set-up role."""
    if not user.is_authenticated:
        raise Http404
    member, _extra = _active_member(user, code)
    if member is None:
        if refusal_worth_recording(user, code, "not a member"):
            audit_record(
                action="access.refused",
                actor=user,
                mission_code=code[:40],
                changes={"reason": [None, "not a member"]},
            )
        raise Http404(_("No such mission."))
    if write and not member.can_change_setup:
        if refusal_worth_recording(user, code, "role may not write"):
            audit_record(
                action="access.refused",
                actor=user,
                mission=member.mission,
                changes={"reason": [None, "role may not write"]},
            )
        raise PermissionDenied(_("Your role in this mission may not change its set-up."))
    return _granted(member)


# Refusals are written to the audit trail under its chain lock: one logged-in user requesting /m/<random>/
# 300 times appended 300 entries. The trail keeps the first refusal of a user for a mission and reason
# in REFUSAL_FOLD_SECONDS, and at most REFUSALS_PER_HOUR refusals of a user an hour; the rest go to the log.
REFUSAL_FOLD_SECONDS = 600
REFUSALS_PER_HOUR = 30
logger = logging.getLogger(__name__)


def refusal_worth_recording(user, code: str, reason: str) -> bool:
    """Whether this refusal goes to the audit trail (the first of its kind lately, within the user's budget)."""
    who = f"{user.pk}.{user.date_joined.timestamp()}"  # a new account with a reused id starts afresh
    digest = hashlib.sha256(f"{who}|{code}|{reason}".encode()).hexdigest()[:24]
    if not shared_cache.add(f"access:refused:{digest}", 1, timeout=REFUSAL_FOLD_SECONDS):
        return False
    budget = f"access:refusals:{who}"
    shared_cache.add(budget, 0, timeout=3600)
    try:
        count = shared_cache.incr(budget)
    except ValueError:  # expired between add and incr
        count = 1
    if count > REFUSALS_PER_HOUR:
        logger.warning(
            "access refused to user %s for %r (%s): not recorded, over the hourly budget",
            user.pk,
            code[:40],
            reason,
        )
        return False
    return True


def _granted(member: Member) -> MissionAccess:
    timezone.activate(member.mission.tzinfo)
    return MissionAccess(mission=member.mission, member=member)


def get_mission_with(user, code: str, lateral: str, params) -> tuple[MissionAccess, tuple | None]:
    """get_mission_for(user, code), and in the same round trip the row of a query about the mission:
    `lateral` is a subquery that names the mission `mi` and takes `params` (NULLs when it finds no row).
    For a hot path whose next question about the mission is known before the member is."""
    if user.is_authenticated:
        member, extra = _active_member(user, code, lateral, params)
        if member is not None:
            return _granted(member), extra
    # Refused as everywhere; None if the user became a member in between: the caller asks on its own.
    return get_mission_for(user, code), None


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
