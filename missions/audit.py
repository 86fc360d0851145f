"""The audit trail: who did what, when (UTC), from where, with before and after.

Services call `audit_record(...)` inside their transaction, so an entry exists
exactly when the change it describes was committed. Entries form a hash chain:
`entry_hash = sha256(prev_hash + canonical JSON of the entry)`.
"""

import hashlib
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime
from decimal import Decimal

from django.db import connection, transaction
from django.utils import timezone

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


def entry_digest(entry: AuditEntry) -> str:
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
    canonical = json.dumps(body, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256((entry.prev_hash + canonical).encode()).hexdigest()


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
    """Append one entry. Call inside the transaction of the change it records."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [_CHAIN_LOCK])
        last = AuditEntry.objects.order_by("-id").values_list("entry_hash", flat=True).first()
        user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
        entry = AuditEntry(
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
            prev_hash=last or GENESIS,
        )
        entry.entry_hash = entry_digest(entry)
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
