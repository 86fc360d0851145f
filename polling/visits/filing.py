"""Filing, correcting and reviewing visits."""

from collections.abc import Mapping
from contextlib import nullcontext
from dataclasses import dataclass
from typing import Any, NamedTuple

from django.db import IntegrityError, connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.canonical import jsonb_text
from config.db import on_postgresql, prepared_cursor
from missions.access import MissionAccess, get_mission_for, get_mission_with
from missions.audit_trail import append_sql, appended, audit_append, audit_entry, audit_record
from missions.models import AuditEntry, Member, Mission, Role
from polling.models import Answer, Channel, Checklist, ChecklistVersion, PollingStation, Visit, VisitRevision
from polling.visits.errors import Errors, VisitConflict, VisitForbidden, VisitInvalid, VisitLocked
from polling.visits.validation import (
    VersionSpec,
    Window,
    answer_values,
    build_content,
    canonical_json,
    clean_fields,
    content_changes,
    content_hash,
    parse_uuid,
    remember_spec,
    text_hash,
    validate_answers,
    version_spec,
)


def audit_actor(member: Member, request):
    """The member's user for the audit trail, without a query when the request has it loaded."""
    user = getattr(request, "user", None)
    return user if user is not None and user.pk == member.user_id else member.user


# Roles that file visits in a team and may correct their team's visits.
TEAM_ROLES = frozenset({Role.OBSERVER, Role.TEAM_LEADER})

# ---------------------------------------------------------------------------
# Who may do what to a visit.
# ---------------------------------------------------------------------------


def can_edit_visit(member: Member, visit: Visit) -> bool:
    """The observer who filed it, and the members of its team who file visits (observers work in pairs;
    the team leader corrects for them). Set-up roles review but do not rewrite others' visits."""
    if member.pk == visit.observer_id:
        return True
    return member.role in TEAM_ROLES and member.team_id is not None and member.team_id == visit.team_id


def can_review_visit(member: Member, visit: Visit) -> bool:
    """The leader of the visit's team, and the secretariat and head of mission."""
    if member.can_change_setup:
        return True
    return member.role == Role.TEAM_LEADER and member.team_id is not None and member.team_id == visit.team_id


def visit_lock_reason(visit: Visit, mission: Mission) -> str:
    """Why the visit can no longer be corrected, or '' when it can."""
    if mission.is_closed:
        return _("The mission is closed: its visits can no longer be changed.")
    if visit.review_status == Visit.Review.REVIEWED:
        return _("The team leader has marked this visit as reviewed: it can no longer be changed.")
    return ""


# ---------------------------------------------------------------------------
# Filing and correcting visits.
# ---------------------------------------------------------------------------


# The hot path of election day: the checklist version named by a new visit, whether it is published and
# open, whether it already has visits (then its questions are cached), and the station's id. Plain SQL
# because the ORM spends longer composing this query than PostgreSQL running it. On PostgreSQL it is a
# lateral subquery of the member's own query (filing_access): one round trip answers both, and also
# says whether the visit's UUID is already stored, so that a phone resending a visit whose answer it
# lost gets its answer without a failed INSERT (visit_submit).
_LOOKUP = """
    SELECT v.id AS version_id, c.id AS checklist_id, c.is_active, cv.number AS published,
           EXISTS (SELECT 1 FROM polling_visit pv WHERE pv.checklist_version_id = v.id) AS has_visits,
           s.id AS station_id, s.name AS station_name, {stored}
    FROM polling_checklist c
    JOIN polling_checklistversion v ON v.checklist_id = c.id
    LEFT JOIN polling_checklistversion cv ON cv.id = c.current_version_id
    LEFT JOIN polling_pollingstation s ON s.mission_id = c.mission_id AND s.code = %s
    WHERE c.mission_id = {mission} AND c.code = %s AND v.number = %s
"""


class VersionLookup(NamedTuple):
    """A row of _LOOKUP, by name (its columns, in order)."""

    version_id: int | None
    checklist_id: int | None
    is_active: bool | None
    published_number: int | None
    has_visits: bool | None
    station_id: int | None
    station_name: str | None
    stored: list | None  # [id, mission_id, observer_id] of a visit with the new visit's UUID


# Parameters: station code, mission id, checklist code, version number.
_LOOKUP_SQL = _LOOKUP.format(mission="%s", stored="NULL AS stored")
# Parameters: the visit's UUID, station code, checklist code, version number.
_LOOKUP_LATERAL = _LOOKUP.format(
    mission="mi.id",
    stored="(SELECT ARRAY[sv.id, sv.mission_id, sv.observer_id] FROM polling_visit sv WHERE sv.uuid = %s) "
    "AS stored",
)


def _clean_station_code(code) -> str | None:
    if isinstance(code, int) and not isinstance(code, bool):
        code = str(code)
    if not isinstance(code, str) or not code.strip():
        return None
    return code.strip()


def _station_code(code, errors: Errors) -> str | None:
    code = _clean_station_code(code)
    if code is None:
        errors["station"] = [_("Choose the polling station.")]
    return code


def _lookup_params(payload) -> list | None:
    """_LOOKUP_LATERAL's parameters, when the payload names a checklist version."""
    if not isinstance(payload, Mapping):
        return None
    code, number = payload.get("checklist"), payload.get("version")
    if not isinstance(code, str) or not code or isinstance(number, bool) or not isinstance(number, int):
        return None
    station = _clean_station_code(payload.get("station")) or ""
    return [parse_uuid(payload.get("uuid")), station, code, number]


def filing_access(user, code: str, payload) -> tuple[MissionAccess, tuple | None]:
    """get_mission_for(user, code) and, on PostgreSQL, the lookup of the checklist version and station
    the new visit names, in the same round trip: pass the row to visit_submit(lookup=...)."""
    params = _lookup_params(payload)
    if params is None or not on_postgresql():
        return get_mission_for(user, code), None
    access, row = get_mission_with(user, code, _LOOKUP_LATERAL, params)
    return access, VersionLookup._make(row) if row is not None else None


def _no_station(code: str, errors: Errors) -> None:
    errors["station"] = [_("This mission has no polling station %(code)s.") % {"code": code[:64]}]


def station_for(mission: Mission, code, errors: Errors) -> PollingStation | None:
    code = _station_code(code, errors)
    if code is None:
        return None
    station = mission.stations.filter(code=code).only("pk", "mission_id", "code", "name").first()
    if station is None:
        _no_station(code, errors)
    return station


def _version_and_station(
    mission: Mission, payload: Mapping, errors: Errors, lookup: VersionLookup | None = None
) -> tuple[ChecklistVersion | None, PollingStation | None]:
    """The checklist version and station a new visit names (one query when both exist, none when
    `lookup` is filing_access's row for this payload)."""
    code, number = payload.get("checklist"), payload.get("version")
    station_code = _station_code(payload.get("station"), errors)
    if not isinstance(code, str) or not code:
        errors["checklist"] = [_("Name the checklist by its code.")]
    elif isinstance(number, bool) or not isinstance(number, int):
        errors["version"] = [_("Give the checklist version as a number.")]
    else:
        if lookup is not None:
            row = lookup if lookup.version_id is not None else None
        else:
            with prepared_cursor() as cursor:
                cursor.execute(_LOOKUP_SQL, [station_code or "", mission.pk, code, number])
                found = cursor.fetchone()
            row = VersionLookup._make(found) if found is not None else None
        if row is None:
            if not mission.checklists.filter(code=code).exists():
                errors["checklist"] = [_("This mission has no checklist %(code)s.") % {"code": code}]
            else:
                errors["version"] = [
                    _("Checklist %(code)s has no version %(number)s.") % {"code": code, "number": number}
                ]
            return None, station_for(mission, station_code, errors) if station_code else None
        version_id, checklist_id, is_active = row.version_id, row.checklist_id, row.is_active
        published_number, has_visits, station_id, station_name = (
            row.published_number,
            row.has_visits,
            row.station_id,
            row.station_name,
        )
        station = None
        if station_id is not None:
            station = PollingStation(id=station_id, mission=mission, code=station_code, name=station_name)
        elif station_code is not None:
            _no_station(station_code, errors)
        if published_number is None or number > published_number:
            errors["version"] = [_("This version of the checklist has not been published.")]
        elif not is_active:
            errors["checklist"] = [_("This checklist is closed for filing.")]
        else:
            checklist = Checklist(id=checklist_id, mission=mission, code=code, is_active=is_active)
            version = ChecklistVersion(id=version_id, checklist=checklist, number=number)
            version.has_filed_visits = has_visits
            return version, station
        return None, station
    if station_code is None:
        return None, None
    return None, station_for(mission, station_code, errors)


def insert_answers(visit_id: int, values: list[tuple]) -> None:
    """All the answers of a visit in one INSERT. On PostgreSQL the columns go as arrays and are unnested
    there: what bulk_create does too, without its Python work per row (about a third of a filing)."""
    if not values:
        return
    if not on_postgresql():
        Answer.objects.bulk_create(
            Answer(visit_id=visit_id, question_id=q, option_id=o, number=n, text=t) for q, o, n, t in values
        )
        return
    questions, options, numbers, texts = (list(column) for column in zip(*values, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            'INSERT INTO "polling_answer" ("visit_id", "question_id", "option_id", "number", "text") '
            "SELECT %s, * FROM unnest(%s::bigint[], %s::bigint[], %s::numeric[], %s::text[])",
            [visit_id, questions, options, numbers, texts],
        )


@dataclass
class CleanVisit:
    spec: VersionSpec
    station: PollingStation
    fields: dict[str, Any]
    answers: dict[str, Any]
    content: dict
    content_json: str  # canonical_json(content): hashed, and stored as the first revision's content
    digest: str


def _clean_visit(
    mission: Mission, payload, *, version: ChecklistVersion | None = None, lookup: VersionLookup | None = None
) -> CleanVisit:
    """Validate a payload; `version` fixes the checklist version (a correction cannot change it);
    `lookup` is filing_access's row for a new visit."""
    if not isinstance(payload, Mapping):
        raise VisitInvalid({"__all__": [_("Send the visit as a JSON object.")]})
    errors: Errors = {}
    station_code = payload.get("station")
    if version is None:
        version, station = _version_and_station(mission, payload, errors, lookup)
    else:
        if (payload.get("checklist", version.checklist.code), payload.get("version", version.number)) != (
            version.checklist.code,
            version.number,
        ):
            errors["version"] = [_("A correction cannot move the visit to another checklist or version.")]
        station = station_for(mission, station_code, errors)
    fields, field_errors = clean_fields(payload, window=Window.for_mission(mission))
    errors.update(field_errors)
    answers: dict = {}
    spec = None
    if version is not None:
        spec = version_spec(version)
        answers, answer_errors = validate_answers(spec, payload.get("answers"))
        errors.update(answer_errors)
    if errors:
        raise VisitInvalid(errors)
    content = build_content(spec, station=str(station_code).strip(), fields=fields, answers=answers)
    text = canonical_json(content)
    return CleanVisit(spec, station, fields, answers, content, text, text_hash(text))


def _stored_hashes(visit: Visit) -> set[str]:
    return {visit.content_hash} | {content_hash(c) for c in visit.revisions.values_list("content", flat=True)}


# A new visit, its answers, its first revision and its audit entry: one call of the function made by
# polling/migrations/0006_file_visit_function.py, prepared once per connection (config/db.py) and sent
# in autocommit, so the one round trip is the whole transaction; the chain's lock is held only for the
# audit entry and the commit. The answers go as one JSON array of [question, option, number, text] rows,
# unpacked there: no Python work per row beyond serialising it (jsonb_text).
_FILE_VISIT_SQL = "SELECT * FROM observa_file_visit({})".format(  # noqa: S608 (placeholders only)
    ", ".join(["%s"] * 32)
)
_NO_AUDIT_PARAMS = [None] * 14


def _insert_visit(
    visit: Visit, clean: CleanVisit, *, member: Member, channel: str, entry: AuditEntry | None
) -> None:
    """Write a new visit, its answers, its first revision and its audit entry, all or nothing; an
    IntegrityError if the UUID is taken. `entry=None` files without an entry: only
    bench/submit_visits.py does, to measure what the trail costs."""
    values = answer_values(clean.spec, clean.answers)
    if not on_postgresql():
        with transaction.atomic():
            visit.save(force_insert=True)
            insert_answers(visit.pk, values)
            VisitRevision.objects.create(
                visit=visit,
                number=1,
                user_id=member.user_id,
                channel=channel,
                content=clean.content,
                changes={},
            )
            if entry is not None:
                audit_append(entry)
        return
    answers = jsonb_text([[q, o, None if n is None else str(n), t] for q, o, n, t in values])
    params = [
        visit.uuid,
        visit.mission_id,
        visit.checklist_version_id,
        visit.station_id,
        member.pk,
        member.team_id,
        visit.arrived_at,
        visit.departed_at,
        visit.notes,
        visit.assessment,
        visit.content_hash,
        visit.review_status,
        visit.created_at,
        answers,
        member.user_id,
        channel,
        clean.content_json,  # jsonb: the canonical text serialised once for the hash serves as well
        entry is not None,
        *(append_sql(entry)[1] if entry is not None else _NO_AUDIT_PARAMS),
    ]
    # Inside a transaction (a test, a caller's), a savepoint keeps a refused UUID from spoiling it.
    savepoint = transaction.atomic() if connection.in_atomic_block else nullcontext()
    with savepoint, prepared_cursor() as cursor:
        cursor.execute(_FILE_VISIT_SQL, params)
        visit.pk, *stored = cursor.fetchone()
    visit._state.adding = False
    visit._state.db = connection.alias
    if entry is not None:
        appended(entry, stored)


def visit_submit(
    *,
    mission: Mission,
    member: Member,
    payload,
    channel: str = Channel.WEB,
    request=None,
    lookup: VersionLookup | None = None,
) -> tuple[Visit, bool]:
    """File a visit as `member`; returns (visit, created). created=False: this was a resubmission.

    1. Validate everything first (no write): VisitInvalid lists every error.
    2. Insert the visit, its answers, its first revision and its audit entry together (one message on
       PostgreSQL, see _INSERT_VISIT_SQL).
    3. A UUID already stored (filing_access looked) is answered without writing: the stored visit's
       content decides: the same hash (of the first submission or of any later revision, by the same
       observer) is a duplicate, anything else a conflict. A second submission racing this one fails on
       the UUID's unique index instead, is rolled back, and is then answered the same way.
    """
    if mission.is_closed:
        raise VisitForbidden(_("The mission is closed: visits can no longer be filed."))
    visit_uuid = parse_uuid(payload.get("uuid")) if isinstance(payload, Mapping) else None
    try:
        clean = _clean_visit(mission, payload, lookup=lookup)
    except VisitInvalid as invalid:
        if visit_uuid is None:
            invalid.errors.setdefault("uuid", [_("Send the visit's UUID.")])
        raise
    if visit_uuid is None:
        raise VisitInvalid({"uuid": [_("Send the visit's UUID.")]})
    stored = lookup.stored if lookup is not None else None  # filing_access found the UUID already stored
    if stored is not None:
        visit_id, mission_id, observer_id = stored
        if mission_id == mission.pk and observer_id == member.pk:  # else a conflict: no need to load it
            return _resubmitted(Visit.objects.get(pk=visit_id), clean, mission=mission, member=member), False
        raise _conflict()
    now = timezone.now()
    visit = Visit(
        uuid=visit_uuid,
        mission=mission,
        checklist_version_id=clean.spec.pk,
        station=clean.station,
        observer=member,
        team_id=member.team_id,
        content_hash=clean.digest,
        revision=1,
        created_at=now,
        updated_at=now,
        **clean.fields,
    )
    entry = audit_entry(
        action="visit.create",
        actor=audit_actor(member, request),
        mission=mission,
        target=visit,
        changes={
            "checklist": [None, f"{clean.spec.checklist} v{clean.spec.number}"],
            "station": [None, clean.station.code],
            "revision": [None, 1],
            "content_hash": [None, clean.digest],
            "channel": [None, channel],
        },
        request=request,
    )
    try:
        _insert_visit(visit, clean, member=member, channel=channel, entry=entry)
    except IntegrityError:
        existing = Visit.objects.filter(uuid=visit_uuid).first()
        if existing is None:
            raise
        return _resubmitted(existing, clean, mission=mission, member=member), False
    remember_spec(clean.spec)
    return visit, True


def _resubmitted(existing: Visit, clean: CleanVisit, *, mission: Mission, member: Member) -> Visit:
    """A visit sent again: the stored one if the same observer sent the same content (its first
    submission or any later revision), else a conflict."""
    same_sender = existing.mission_id == mission.pk and existing.observer_id == member.pk
    if same_sender and (clean.digest == existing.content_hash or clean.digest in _stored_hashes(existing)):
        return existing
    raise _conflict()


def _conflict() -> VisitConflict:
    return VisitConflict(
        _("Another visit with different content was already saved under this identifier; it was not changed.")
    )


def visit_update(
    *, visit: Visit, member: Member, payload, base_revision, channel: str = Channel.WEB, request=None
) -> tuple[Visit, bool]:
    """Correct a visit; returns (visit, changed). Content equal to the stored one changes nothing, so
    resending a correction that was already saved is answered like the first time.

    1. Lock the visit's row: two corrections of one visit are applied one after the other.
    2. Only the observer and their team may correct it (VisitForbidden); the content must be valid.
    3. A reviewed visit or a closed mission refuses (VisitLocked); so does a correction based on a
       revision that is no longer the latest (VisitConflict): the observer reloads and sees the change.
    4. The visit, its answers (deleted and re-inserted with one INSERT), a new revision with
       what changed and, last, the audit entry are written together.
    """
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("mission", "checklist_version__checklist")
            .get(pk=visit.pk)
        )
        if not can_edit_visit(member, visit):
            raise VisitForbidden(_("Only the observer and their team can correct this visit."))
        payload_uuid = payload.get("uuid") if isinstance(payload, Mapping) else None
        if payload_uuid is not None and parse_uuid(payload_uuid) != visit.uuid:
            raise VisitInvalid({"uuid": [_("The UUID in the body is not the visit's.")]})
        if isinstance(base_revision, bool) or not isinstance(base_revision, int):
            raise VisitInvalid({"revision": [_("Send the revision the correction was based on.")]})
        clean = _clean_visit(visit.mission, payload, version=visit.checklist_version)
        if clean.digest == visit.content_hash:
            return visit, False
        reason = visit_lock_reason(visit, visit.mission)
        if reason:
            raise VisitLocked(reason)
        if base_revision != visit.revision:
            raise VisitConflict(
                _(
                    "This visit was changed (now revision %(current)s) after you opened it (revision %(base)s). "
                    "Reload it and make your correction again."
                )
                % {"current": visit.revision, "base": base_revision}
            )
        before = visit.revisions.get(number=visit.revision).content
        visit.revision += 1
        before_hash = visit.content_hash
        visit.station = clean.station
        for name, value in clean.fields.items():
            setattr(visit, name, value)
        visit.content_hash = clean.digest
        visit.save(
            update_fields=[
                "revision",
                "station",
                "arrived_at",
                "departed_at",
                "notes",
                "assessment",
                "content_hash",
                "updated_at",
            ]
        )
        visit.answers.all().delete()
        insert_answers(visit.pk, answer_values(clean.spec, clean.answers))
        changes = content_changes(before, clean.content)
        VisitRevision.objects.create(
            visit=visit,
            number=visit.revision,
            user_id=member.user_id,
            channel=channel,
            content=clean.content,
            changes=changes,
        )
        audit_record(
            action="visit.update",
            actor=audit_actor(member, request),
            mission=visit.mission,
            target=visit,
            changes={
                **changes,
                "revision": [visit.revision - 1, visit.revision],
                "content_hash": [before_hash, clean.digest],
                "channel": [None, channel],
            },
            request=request,
        )
    return visit, True


# ---------------------------------------------------------------------------
# Review by the team leader (or the secretariat and head of mission).
# ---------------------------------------------------------------------------


def _review(*, visit: Visit, by: Member, status: str, comment: str, request=None) -> Visit:
    """Record a review decision as a revision of its own, so the history shows who decided what, when."""
    with transaction.atomic():
        visit = (
            Visit.objects.select_for_update(of=("self",))
            .select_related("mission", "station")
            .get(pk=visit.pk)
        )
        if not can_review_visit(by, visit):
            raise VisitForbidden(
                _("Only the team's leader, the secretariat and the head of mission review visits.")
            )
        if visit.mission.is_closed:
            raise VisitLocked(_("The mission is closed: its visits can no longer be changed."))
        if visit.review_status == status and visit.review_comment == comment:
            return visit
        changes = {"review_status": [visit.review_status, status]}
        if visit.review_comment != comment:
            changes["review_comment"] = [visit.review_comment, comment]
        content = visit.revisions.get(number=visit.revision).content
        visit.revision += 1
        visit.review_status, visit.review_comment = status, comment
        visit.reviewed_by_id, visit.reviewed_at = by.user_id, timezone.now()
        visit.save(
            update_fields=[
                "revision",
                "review_status",
                "review_comment",
                "reviewed_by",
                "reviewed_at",
                "updated_at",
            ]
        )
        VisitRevision.objects.create(
            visit=visit,
            number=visit.revision,
            user_id=by.user_id,
            channel=Channel.WEB,
            content=content,
            changes=changes,
        )
        audit_record(
            action="visit.review",
            actor=audit_actor(by, request),
            mission=visit.mission,
            target=visit,
            changes={**changes, "revision": [visit.revision - 1, visit.revision]},
            request=request,
        )
    return visit


def visit_mark_reviewed(*, visit: Visit, by: Member, request=None) -> Visit:
    """The team leader has checked the visit: from now on it can no longer be corrected."""
    return _review(visit=visit, by=by, status=Visit.Review.REVIEWED, comment="", request=request)


def visit_flag_follow_up(*, visit: Visit, by: Member, comment: str, request=None) -> Visit:
    """Ask the observer to look again; the visit can be corrected (again) until it is marked reviewed."""
    comment = (comment or "").strip()
    if not comment:
        raise VisitInvalid({"comment": [_("Say what needs following up.")]})
    return _review(visit=visit, by=by, status=Visit.Review.FOLLOW_UP, comment=comment, request=request)
