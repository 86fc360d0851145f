"""The audit trail: who did what, when (UTC), from where, with before and after.

Services call `audit_record(...)` inside their transaction, so an entry exists
exactly when the change it describes was committed. Entries form a hash chain:
`entry_hash = sha256(prev_hash + canonical JSON of the entry)`.
"""

import hashlib
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

from config.canonical import canonical_json, jsonb_text
from config.db import on_postgresql
from missions.models import AuditEntry

GENESIS = "0" * 64
# Any constant works; it names the lock that serialises appends to the chain.
_CHAIN_LOCK = 7_406_115_001


def _jsonable(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _canonical(entry: AuditEntry) -> str:
    """The entry's content as canonical JSON: everything the hash covers except the link to the entry before."""
    body = {
        "created_at": entry.created_at.astimezone(UTC).isoformat(),
        "mission_code": entry.mission_code,
        "mission_id": entry.mission_id,
        "actor_id": entry.actor_id,
        "actor_email": entry.actor_email,
        "action": entry.action,
        "target_type": entry.target_type,
        "target_id": entry.target_id,
        "target_repr": entry.target_repr,
        "changes": entry.changes,
        "ip_address": entry.ip_address,
        "user_agent": entry.user_agent,
    }
    return canonical_json(body)


def _chained(prev_hash: str, canonical: str) -> str:
    return hashlib.sha256((prev_hash + canonical).encode()).hexdigest()


def entry_digest(entry: AuditEntry) -> str:
    return _chained(entry.prev_hash, _canonical(entry))


def client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR") or None


def diff(before: dict, after: dict) -> dict:
    """{field: [before, after]} for the fields whose value changed."""
    keys = sorted(set(before) | set(after))
    return {
        k: [_jsonable(before.get(k)), _jsonable(after.get(k))] for k in keys if before.get(k) != after.get(k)
    }


# Appending on PostgreSQL, in one round trip (psycopg binds the parameters on the client, so the two
# statements go as one message), with nothing computed on the client while the lock is held:
# 1. take the lock that serialises appends (held until the transaction ends);
# 2. in a statement of its own, whose snapshot therefore sees what the previous holder committed while
#    this transaction waited, read the head of the chain and insert the entry linked to it, its hash
#    computed by PostgreSQL: sha256 of the UTF-8 bytes of prev_hash + the canonical JSON, as _chained.
# Call audit_record as the last statement before the commit: the lock is then held for one round trip
# and the commit. A service can also append its entry in the statement that makes the change
# (chain_lock_sql, append_sql): sent in autocommit, the message is the whole transaction, and the lock
# is held for no round trip at all.
CHAIN_LOCK_SQL = f"SELECT pg_advisory_xact_lock({_CHAIN_LOCK});"
_APPEND_INSERT_SQL = """
    INSERT INTO missions_auditentry (created_at, mission_id, mission_code, actor_id, actor_email, action,
        target_type, target_id, target_repr, changes, ip_address, user_agent, prev_hash, entry_hash)
    SELECT %s, %s, %s, %s, %s, %s, %s, %s, %s, %s::jsonb, %s::inet, %s,
        head.hash, encode(sha256(convert_to(head.hash || %s, 'UTF8')), 'hex')
    FROM (
        SELECT coalesce((SELECT entry_hash FROM missions_auditentry ORDER BY id DESC LIMIT 1), %s) AS hash
    ) head
    RETURNING id, prev_hash, entry_hash
"""
_APPEND_SQL = CHAIN_LOCK_SQL + _APPEND_INSERT_SQL


def _new_entry(*, action, actor, mission, mission_code, target, changes, request) -> AuditEntry:
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEntry(
        created_at=timezone.now(),
        mission=mission,
        mission_code=getattr(mission, "code", "") or mission_code,
        actor=user,
        actor_email=getattr(user, "email", "") or "",
        action=action,
        target_type=target._meta.label_lower if target is not None else "",
        target_id=str(getattr(target, "uuid", None) or getattr(target, "pk", "") or "")
        if target is not None
        else "",
        target_repr=str(target)[:300] if target is not None else "",
        changes=_jsonable(changes or {}),
        ip_address=client_ip(request),
        user_agent=(request.META.get("HTTP_USER_AGENT", "")[:300] if request is not None else ""),
    )


def append_sql(entry: AuditEntry) -> tuple[str, list]:
    """The INSERT that appends `entry` (from audit_entry) and its parameters, for a data-modifying WITH
    clause of a statement that follows CHAIN_LOCK_SQL in the same message; it returns (id, prev_hash,
    entry_hash): pass them to appended()."""
    return _APPEND_INSERT_SQL, [
        entry.created_at,
        entry.mission_id,
        entry.mission_code,
        entry.actor_id,
        entry.actor_email,
        entry.action,
        entry.target_type,
        entry.target_id,
        entry.target_repr,
        jsonb_text(entry.changes),
        entry.ip_address,
        entry.user_agent,
        _canonical(entry),
        GENESIS,
    ]


def appended(entry: AuditEntry, row) -> AuditEntry:
    """`entry` as stored: `row` is what append_sql's RETURNING gave."""
    entry.pk, entry.prev_hash, entry.entry_hash = row
    entry._state.adding = False
    entry._state.db = connection.alias
    return entry


def _append_postgresql(entry: AuditEntry) -> None:
    insert, params = append_sql(entry)
    with connection.cursor() as cursor:
        cursor.execute(CHAIN_LOCK_SQL + insert, params)
        cursor.nextset()
        appended(entry, cursor.fetchone())


def audit_entry(
    *,
    action: str,
    actor=None,
    mission=None,
    mission_code: str = "",
    target=None,
    changes: dict | None = None,
    request=None,
) -> AuditEntry:
    """An entry not yet stored, for append_sql (audit_record's arguments)."""
    return _new_entry(
        action=action,
        actor=actor,
        mission=mission,
        mission_code=mission_code,
        target=target,
        changes=changes,
        request=request,
    )


def audit_record(
    *,
    action: str,
    actor=None,
    mission=None,
    mission_code: str = "",
    target=None,
    changes: dict | None = None,
    request=None,
) -> AuditEntry:
    """Append one entry. Call inside the transaction of the change it records, as its last statement:
    from here to the commit, other transactions that append to the trail wait (see _LOCK_AND_HEAD_SQL).

    The entry is built and serialised before the lock is taken; only the link to the head and the
    INSERT happen while it is held. Inside a transaction no savepoint is made: if the entry cannot be
    written, the change it records must not be committed either."""
    entry = audit_entry(
        action=action,
        actor=actor,
        mission=mission,
        mission_code=mission_code,
        target=target,
        changes=changes,
        request=request,
    )
    return audit_append(entry)


def audit_append(entry: AuditEntry) -> AuditEntry:
    """Store an entry from audit_entry, linked to the head of the chain (see audit_record)."""
    with transaction.atomic(savepoint=False):
        if on_postgresql():
            _append_postgresql(entry)
        else:
            last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
            entry.prev_hash = last or GENESIS
            entry.entry_hash = _chained(entry.prev_hash, _canonical(entry))
            entry.save()
    return entry


@dataclass
class ChainProblem:
    entry_id: int
    message: str


def audit_verify() -> tuple[int, list[ChainProblem], str]:
    """Walk the chain in order; returns (entries checked, problems, head hash)."""
    problems: list[ChainProblem] = []
    expected_prev = GENESIS
    checked = 0
    for entry in AuditEntry.objects.order_by("id").iterator(chunk_size=2000):
        checked += 1
        if entry.prev_hash != expected_prev:
            problems.append(
                ChainProblem(
                    entry.pk, "the entry before it was deleted or changed (chain link does not match)"
                )
            )
        if entry_digest(entry) != entry.entry_hash:
            problems.append(
                ChainProblem(entry.pk, "the entry was edited (its hash does not match its content)")
            )
        expected_prev = entry.entry_hash
    return checked, problems, expected_prev
