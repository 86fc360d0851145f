"""Writing a mission out as a bundle.

The export is deterministic so that exporting, importing into an empty database and exporting again
gives the same bytes: lists are sorted by their natural key (email, team name, station code, checklist
code, meeting date, UUID) in Python, by code point, so the database's collation cannot reorder them;
every object always has every key (optional ones too, with their default),
datetimes are UTC with a `Z`, and decimals are JSON numbers in their shortest exact form (40.3777, 7).
"""

import datetime
import json
from collections import defaultdict
from decimal import Decimal

from django.db.models import Prefetch

from missions.models import Meeting, Member, Mission, Team
from polling.checklists.definition import question_to_json
from polling.models import (
    Answer,
    Checklist,
    ChecklistVersion,
    Incident,
    Option,
    PollingStation,
    Question,
    Visit,
)

from .errors import FORMAT


def bundle_dumps(bundle: dict) -> str:
    """The bundle as the file holds it: UTF-8 text, two-space indent, keys in the order written, a final newline."""
    return json.dumps(bundle, ensure_ascii=False, indent=2) + "\n"


def json_number(value: Decimal | None) -> int | float | None:
    """7.00 -> 7, 40.377700 -> 40.3777. A float prints as the shortest text that reads back to it, and a
    decimal of at most 15 significant digits (ours have 12) is that text, so nothing is lost."""
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def moment(value: datetime.datetime | None) -> str | None:
    """UTC, ISO 8601, with a Z: the same text the filing service puts in a visit's content."""
    return value.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if value else None


def mission_export(mission: Mission) -> dict:
    """The whole mission as plain JSON types, ready for `bundle_dumps`."""
    visits, emails = _visits(mission)
    return {
        "format": FORMAT,
        "mission": _mission(mission),
        "members": _members(mission),
        "teams": _teams(mission),
        "stations": _stations(mission),
        "checklists": _checklists(mission),
        "meetings": _meetings(mission),
        "visits": visits,
        "incidents": _incidents(mission, emails),
    }


def _mission(mission: Mission) -> dict:
    return {
        "code": mission.code,
        "name": mission.name,
        "organization": mission.organization,
        "election": mission.election,
        "country": mission.country,
        "election_date": mission.election_date.isoformat(),
        "observation_start": mission.observation_start.isoformat(),
        "observation_end": mission.observation_end.isoformat(),
        "area_levels": list(mission.area_levels or []),
        "statement_level": mission.statement_level_name or None,
        "status": mission.status,
        "time_zone": mission.time_zone,
    }


def _members(mission: Mission) -> list[dict]:
    members = Member.objects.filter(mission=mission).select_related("user", "team")
    rows = [
        {
            "email": member.user.email,
            "name": member.user.name,
            "role": member.role,
            "country": member.country,
            "team": member.team.name if member.team else None,
            "active": member.is_active,
        }
        for member in members
    ]
    return sorted(rows, key=lambda row: row["email"])


def _teams(mission: Mission) -> list[dict]:
    teams = (
        Team.objects.filter(mission=mission)
        .select_related("leader__user")
        .prefetch_related(Prefetch("stations", queryset=PollingStation.objects.only("code")))
    )
    rows = [
        {
            "name": team.name,
            "leader": team.leader.user.email if team.leader else None,
            "stations": sorted(station.code for station in team.stations.all()),
        }
        for team in teams
    ]
    return sorted(rows, key=lambda row: row["name"])


def _stations(mission: Mission) -> list[dict]:
    stations = PollingStation.objects.filter(mission=mission).select_related("area")
    rows = [
        {
            "code": station.code,
            "name": station.name,
            "address": station.address,
            "area": station.area.names if station.area else [],
            "latitude": json_number(station.latitude),
            "longitude": json_number(station.longitude),
            "registered_voters": station.registered_voters,
        }
        for station in stations
    ]
    return sorted(rows, key=lambda row: row["code"])


def _questions(version: ChecklistVersion) -> list[dict]:
    return [question_to_json(question) for question in version.questions.all()]


def _checklists(mission: Mission) -> list[dict]:
    questions = (
        Question.objects.select_related("show_if_question")
        .prefetch_related(Prefetch("options", queryset=Option.objects.order_by("order", "pk")))
        .order_by("order", "pk")
    )
    checklists = Checklist.objects.filter(mission=mission).prefetch_related(
        Prefetch(
            "versions",
            queryset=ChecklistVersion.objects.order_by("number").prefetch_related(
                Prefetch("questions", queryset=questions)
            ),
        )
    )
    exported = []
    for checklist in sorted(checklists, key=lambda checklist: checklist.code):
        versions = list(checklist.versions.all())
        current = next((v for v in versions if v.pk == checklist.current_version_id), None)
        exported.append(
            {
                "code": checklist.code,
                "name": checklist.name,
                "description": checklist.description,
                "order": checklist.order,
                "active": checklist.is_active,
                "version": current.number if current else None,
                "questions": _questions(current) if current else [],
                "versions": [
                    {"number": version.number, "questions": _questions(version)}
                    for version in versions
                    if version is not current
                ],
            }
        )
    return exported


def _meetings(mission: Mission) -> list[dict]:
    rows = [
        {
            "date": meeting.date.isoformat(),
            "counterpart": meeting.counterpart,
            "title": meeting.title,
            "category": meeting.category,
            "notes": meeting.notes,
        }
        for meeting in Meeting.objects.filter(mission=mission)
    ]
    # Meetings have no code: every field takes part in the order, so two exports always agree.
    return sorted(rows, key=lambda row: tuple(row.values()))


def _answers(mission: Mission) -> dict[int, dict]:
    """visit pk -> {question code: value}, in the order of the checklist; multiple choices as a sorted list
    of option values (as the filing service keeps them in a visit's content)."""
    questions = {
        row[0]: row[1:]
        for row in Question.objects.filter(version__checklist__mission=mission)
        .order_by("version", "order", "pk")
        .values_list("pk", "code", "type")
    }
    position = {pk: index for index, pk in enumerate(questions)}
    options = dict(
        Option.objects.filter(question__version__checklist__mission=mission).values_list("pk", "value")
    )
    found: dict[int, dict[int, object]] = defaultdict(dict)
    for visit_id, question_id, option_id, number, text in Answer.objects.filter(
        visit__mission=mission
    ).values_list("visit_id", "question_id", "option_id", "number", "text"):
        code, kind = questions[question_id]
        if kind == Question.Type.MULTIPLE:
            found[visit_id].setdefault(question_id, []).append(options[option_id])
        elif option_id is not None:
            found[visit_id][question_id] = options[option_id]
        elif kind == Question.Type.NUMBER:
            found[visit_id][question_id] = json_number(number)
        else:
            found[visit_id][question_id] = text
    answers = {}
    for visit_id, values in found.items():
        answers[visit_id] = {
            questions[question_id][0]: sorted(value) if isinstance(value, list) else value
            for question_id, value in sorted(values.items(), key=lambda item: position[item[0]])
        }
    return answers


def _visits(mission: Mission) -> tuple[list[dict], dict[int, str]]:
    """The visits, and the e-mail address of every member (incidents name their observer the same way)."""
    emails = dict(Member.objects.filter(mission=mission).values_list("pk", "user__email"))
    member_of_user = dict(Member.objects.filter(mission=mission).values_list("user_id", "user__email"))
    answers = _answers(mission)
    visits = Visit.objects.filter(mission=mission).select_related(
        "checklist_version__checklist", "station", "team"
    )
    exported = []
    for visit in sorted(visits, key=lambda visit: str(visit.uuid)):
        version = visit.checklist_version
        review = None
        if visit.review_status != Visit.Review.PENDING or visit.review_comment or visit.reviewed_at:
            review = {
                "status": visit.review_status,
                "comment": visit.review_comment,
                # Reviewers are members; one who has left the mission is not named.
                "by": member_of_user.get(visit.reviewed_by_id),
                "at": moment(visit.reviewed_at),
            }
        exported.append(
            {
                "uuid": str(visit.uuid),
                "checklist": version.checklist.code,
                "version": version.number,
                "station": visit.station.code,
                "observer": emails[visit.observer_id],
                "team": visit.team.name if visit.team else None,
                "arrived_at": moment(visit.arrived_at),
                "departed_at": moment(visit.departed_at),
                "answers": answers.get(visit.pk, {}),
                "notes": visit.notes,
                "assessment": visit.assessment,
                "review": review,
            }
        )
    return exported, emails


def _incidents(mission: Mission, emails: dict[int, str]) -> list[dict]:
    incidents = Incident.objects.filter(mission=mission).select_related("station", "team", "visit")
    rows = [
        {
            "uuid": str(incident.uuid),
            "station": incident.station.code,
            "observer": emails[incident.observer_id],
            "time": moment(incident.occurred_at),
            "category": incident.category,
            "description": incident.description,
            "team": incident.team.name if incident.team else None,
            "visit": str(incident.visit.uuid) if incident.visit else None,
        }
        for incident in incidents
    ]
    return sorted(rows, key=lambda row: row["uuid"])
