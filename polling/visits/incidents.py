"""Serious incidents, reported from a visit or on their own; idempotent like visits."""

from collections.abc import Mapping

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from missions.audit_trail import audit_record
from missions.models import Member, Mission
from polling.models import Incident
from polling.visits.errors import Errors, VisitConflict, VisitForbidden, VisitInvalid
from polling.visits.filing import audit_actor, station_for
from polling.visits.validation import (
    NOTES_MAX,
    Window,
    content_hash,
    is_blank,
    moment_str,
    parse_moment,
    parse_uuid,
)


def incident_report(
    *, mission: Mission, member: Member, payload, visible_visits=None, request=None
) -> tuple[Incident, bool]:
    """Report a serious incident as `member`; returns (incident, created), idempotent like visits.

    `visible_visits` is the queryset of visits the member may see (selectors.visits_visible_to): an
    incident can only be attached to one of those, at the same polling station.
    """
    if mission.is_closed:
        raise VisitForbidden(_("The mission is closed: incidents can no longer be reported."))
    if not isinstance(payload, Mapping):
        raise VisitInvalid({"__all__": [_("Send the incident as a JSON object.")]})
    errors: Errors = {}
    incident_uuid = parse_uuid(payload.get("uuid"))
    if incident_uuid is None:
        errors["uuid"] = [_("Send the incident's UUID.")]
    station_code = payload.get("station")
    station = station_for(mission, station_code, errors)
    occurred_at = parse_moment(payload.get("occurred_at"), "occurred_at", errors, required=True)
    Window.for_mission(mission).check(occurred_at, "occurred_at", errors)
    category = payload.get("category")
    if category not in Incident.Category.values:
        errors["category"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Incident.Category.values)}
        ]
    description = payload.get("description")
    description = description.strip() if isinstance(description, str) else ""
    if not description:
        errors["description"] = [_("Describe what happened.")]
    elif len(description) > NOTES_MAX:
        errors["description"] = [_("Use at most %(limit)s characters.") % {"limit": NOTES_MAX}]
    visit = None
    if not is_blank(payload.get("visit")):
        visit_uuid = parse_uuid(payload.get("visit"))
        scope = visible_visits if visible_visits is not None else mission.visits.filter(observer=member)
        visit = scope.filter(mission=mission, uuid=visit_uuid).first() if visit_uuid else None
        if visit is None:
            errors["visit"] = [_("There is no such visit of yours.")]
        elif station is not None and visit.station_id != station.pk:
            errors["station"] = [_("The incident must be at the visit's polling station.")]
    if errors:
        raise VisitInvalid(errors)
    content = {
        "station": str(station_code).strip(),
        "visit": str(visit.uuid) if visit else None,
        "occurred_at": moment_str(occurred_at),
        "category": category,
        "description": description,
    }
    digest = content_hash(content)
    try:
        with transaction.atomic():
            incident = Incident.objects.create(
                uuid=incident_uuid,
                mission=mission,
                station=station,
                visit=visit,
                observer=member,
                team_id=member.team_id,
                occurred_at=occurred_at,
                category=category,
                description=description,
                content_hash=digest,
            )
            audit_record(
                action="incident.create",
                actor=audit_actor(member, request),
                mission=mission,
                target=incident,
                changes={
                    "station": [None, content["station"]],
                    "visit": [None, content["visit"]],
                    "occurred_at": [None, content["occurred_at"]],
                    "category": [None, category],
                    "content_hash": [None, digest],
                },
                request=request,
            )
    except IntegrityError:
        existing = Incident.objects.filter(uuid=incident_uuid).first()
        if existing is None:
            raise
        if (
            existing.mission_id == mission.pk
            and existing.observer_id == member.pk
            and existing.content_hash == digest
        ):
            return existing, False
        raise VisitConflict(
            _("Another incident with different content was already saved under this identifier.")
        ) from None
    return incident, True
