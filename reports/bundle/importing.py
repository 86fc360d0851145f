"""Importing a bundle: check everything, then write everything in one transaction.

1. `bundle_check` reads the whole document and collects every error (BundleInvalid); nothing is
   written before it has passed.
2. In one transaction: the mission (its unique code settles a race: a second import of the same code
   waits for the first to commit, then fails), the users that do not exist yet (by e-mail, without a
   usable password: they get in through a password reset or an invitation), teams, members, areas
   level by level, stations, checklist versions through the builder's own `version_fill`, meetings,
   visits with their answers and first revision, incidents.
3. Every table is written with multi-row inserts; on PostgreSQL the answers (40 per visit is common,
   so 400,000 for a large mission) go through COPY, several times faster than bulk_create.
"""

from collections.abc import Iterator

from django.contrib.auth.hashers import make_password
from django.db import IntegrityError, connection, transaction
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from config.db import on_postgresql
from missions.audit_trail import audit_record
from missions.models import AREA_LEVEL_SEPARATOR, Meeting, Member, Mission, Team, User
from polling.checklists.editing import version_fill
from polling.models import (
    Answer,
    Area,
    Channel,
    Checklist,
    ChecklistVersion,
    Incident,
    Option,
    PollingStation,
    Question,
    Visit,
    VisitRevision,
)
from polling.visits import content_hash
from polling.visits.validation import moment_str

from .checking import ChecklistPlan, Plan, VisitPlan, bundle_check
from .errors import BundleInvalid

BATCH = 2_000


def mission_import(data, *, file_name: str = "") -> Mission:
    """Create the mission described by `data` (a parsed bundle); BundleInvalid lists every error."""
    return bundle_write(bundle_check(data), file_name=file_name)


@transaction.atomic
def bundle_write(plan: Plan, *, file_name: str = "") -> Mission:
    """Write a checked bundle. Only the mission's code can still collide (an import running alongside)."""
    try:
        with transaction.atomic():
            mission = Mission.objects.create(**plan.mission)
    except IntegrityError:
        raise BundleInvalid(
            [
                (
                    "$.mission.code",
                    _("A mission with the code %(code)s already exists.") % {"code": plan.mission["code"]},
                )
            ]
        ) from None
    users = _users(plan.members)
    teams = {
        team.name: team
        for team in Team.objects.bulk_create(Team(mission=mission, name=team["name"]) for team in plan.teams)
    }
    rows = Member.objects.bulk_create(
        Member(
            mission=mission,
            user_id=users[member["email"]],
            role=member["role"],
            country=member["country"],
            team=teams[member["team"]] if member["team"] else None,
            is_active=member["active"],
        )
        for member in plan.members
    )
    members = {member["email"]: row for member, row in zip(plan.members, rows, strict=True)}
    led = []
    for team in plan.teams:
        if team["leader"]:
            teams[team["name"]].leader = members[team["leader"]]
            led.append(teams[team["name"]])
    Team.objects.bulk_update(led, ["leader"])

    areas = _areas(mission, {station["area"] for station in plan.stations if station["area"]})
    stations = {
        station.code: station
        for station in PollingStation.objects.bulk_create(
            (
                PollingStation(
                    mission=mission,
                    code=station["code"],
                    name=station["name"],
                    address=station["address"],
                    area_id=areas[station["area"]] if station["area"] else None,
                    latitude=station["latitude"],
                    longitude=station["longitude"],
                    registered_voters=station["registered_voters"],
                )
                for station in plan.stations
            ),
            batch_size=BATCH,
        )
    }
    Planned = Team.stations.through
    Planned.objects.bulk_create(
        (
            Planned(team=teams[team["name"]], pollingstation=stations[code])
            for team in plan.teams
            for code in team["stations"]
        ),
        batch_size=BATCH,
    )
    versions = {
        (checklist.code, number): version
        for checklist in plan.checklists
        for number, version in _checklist(mission, checklist).items()
    }
    Meeting.objects.bulk_create(Meeting(mission=mission, **meeting) for meeting in plan.meetings)
    visits = _visits(mission, plan.visits, versions=versions, stations=stations, members=members, teams=teams)
    Incident.objects.bulk_create(
        (
            Incident(
                mission=mission,
                uuid=incident["uuid"],
                station=stations[incident["station"]],
                visit=visits[incident["visit"]] if incident["visit"] else None,
                observer=members[incident["observer"]],
                team=teams[incident["team"]] if incident["team"] else None,
                occurred_at=incident["occurred_at"],
                category=incident["category"],
                description=incident["description"],
                content_hash=content_hash(_incident_content(incident)),
            )
            for incident in plan.incidents
        ),
        batch_size=BATCH,
    )
    audit_record(
        action="mission.import",
        mission=mission,
        target=mission,
        changes={
            "file_name": [None, file_name],
            "code": [None, mission.code],
            **{
                part: [None, len(getattr(plan, part))]
                for part in ("members", "teams", "stations", "checklists", "meetings", "visits", "incidents")
            },
        },
    )
    return mission


def _users(members: list[dict]) -> dict[str, int]:
    """Lower-cased e-mail -> user pk; missing accounts are created, existing ones are left as they are."""
    emails = [member["email"] for member in members]
    found = _existing_users(emails)
    missing = [
        User(email=member["email"], name=member["name"], password=make_password(None))
        for member in members
        if member["email"] not in found
    ]
    User.objects.bulk_create(missing, ignore_conflicts=True)  # an account made meanwhile is reused
    return _existing_users(emails)


def _existing_users(emails: list[str]) -> dict[str, int]:
    return dict(
        User.objects.annotate(address=Lower("email")).filter(address__in=emails).values_list("address", "pk")
    )


def _areas(mission: Mission, paths: set[tuple[str, ...]]) -> dict[tuple[str, ...], int]:
    """Area pk for every path and each of its ancestors, created one level at a time (parents first)."""
    wanted = {path[:depth] for path in paths for depth in range(1, len(path) + 1)}
    ids: dict[tuple[str, ...], int] = {}
    for depth in range(1, max((len(path) for path in wanted), default=0) + 1):
        level = sorted(path for path in wanted if len(path) == depth)
        rows = Area.objects.bulk_create(
            (
                Area(
                    mission=mission,
                    parent_id=ids[path[:-1]] if depth > 1 else None,
                    name=path[-1],
                    depth=depth,
                    path=AREA_LEVEL_SEPARATOR.join(path),
                )
                for path in level
            ),
            batch_size=BATCH,
        )
        ids.update((path, row.pk) for path, row in zip(level, rows, strict=True))
    return ids


def _checklist(mission: Mission, plan: ChecklistPlan) -> dict[int, ChecklistVersion]:
    checklist = Checklist.objects.create(
        mission=mission,
        code=plan.code,
        name=plan.name,
        description=plan.description,
        order=plan.order,
        is_active=plan.active,
    )
    versions = {}
    for number in sorted(plan.versions):
        versions[number] = ChecklistVersion.objects.create(checklist=checklist, number=number)
        version_fill(version=versions[number], questions=plan.versions[number])
    if plan.current is not None:
        checklist.current_version = versions[plan.current]
        checklist.save(update_fields=["current_version"])
    return versions


def _visits(mission, plans: list[VisitPlan], *, versions, stations, members, teams) -> dict:
    """Visits, answers and first revisions; returns visit by UUID (incidents point at them)."""
    rows = Visit.objects.bulk_create(
        (
            Visit(
                mission=mission,
                uuid=plan.uuid,
                checklist_version=versions[plan.checklist, plan.version],
                station=stations[plan.station],
                observer=members[plan.observer],
                team=teams[plan.team] if plan.team else None,
                content_hash=plan.digest,
                revision=1,
                **plan.fields,
                **_review_fields(plan.review, members),
            )
            for plan in plans
        ),
        batch_size=BATCH,
    )
    _answers_insert(_answer_rows(plans, rows, _answer_targets(versions)))
    VisitRevision.objects.bulk_create(
        (
            VisitRevision(
                visit=row, number=1, user=None, channel=Channel.BUNDLE, content=plan.content, changes={}
            )
            for plan, row in zip(plans, rows, strict=True)
        ),
        batch_size=BATCH,
    )
    return {row.uuid: row for row in rows}


def _review_fields(review: dict | None, members: dict) -> dict:
    if review is None:
        return {}
    return {
        "review_status": review["status"],
        "review_comment": review["comment"],
        "reviewed_by_id": members[review["by"]].user_id if review["by"] else None,
        "reviewed_at": review["at"],
    }


def _answer_targets(versions: dict) -> tuple[dict, dict]:
    """(version pk, code) -> (question pk, type) and (question pk, value) -> option pk, read before the
    COPY starts: the connection can run no other query while a COPY is open."""
    version_ids = [version.pk for version in versions.values()]
    questions = {
        (version_id, code): (pk, kind)
        for pk, version_id, code, kind in Question.objects.filter(version__in=version_ids).values_list(
            "pk", "version_id", "code", "type"
        )
    }
    options = {
        (question_id, value): pk
        for pk, question_id, value in Option.objects.filter(question__version__in=version_ids).values_list(
            "pk", "question_id", "value"
        )
    }
    return questions, options


def _answer_rows(plans: list[VisitPlan], rows: list[Visit], targets: tuple[dict, dict]) -> Iterator[tuple]:
    """(visit_id, question_id, option_id, number, text) for every answer; one row per chosen option."""
    questions, options = targets
    for plan, row in zip(plans, rows, strict=True):
        version_id = row.checklist_version_id
        for code, value in plan.answers.items():
            question_id, kind = questions[version_id, code]
            if kind == Question.Type.MULTIPLE:
                for item in value:
                    yield (row.pk, question_id, options[question_id, item], None, "")
            elif kind in Question.CHOICE_TYPES:
                yield (row.pk, question_id, options[question_id, value], None, "")
            elif kind == Question.Type.NUMBER:
                yield (row.pk, question_id, None, value, "")
            else:
                yield (row.pk, question_id, None, None, value)


def _answers_insert(rows: Iterator[tuple]) -> None:
    if not on_postgresql():
        fields = ("visit_id", "question_id", "option_id", "number", "text")
        Answer.objects.bulk_create(
            (Answer(**dict(zip(fields, row, strict=True))) for row in rows), batch_size=BATCH
        )
        return
    meta, quote = Answer._meta, connection.ops.quote_name
    columns = ", ".join(
        quote(meta.get_field(name).column) for name in ("visit", "question", "option", "number", "text")
    )
    with (
        connection.cursor() as cursor,
        cursor.copy(f"COPY {quote(meta.db_table)} ({columns}) FROM STDIN") as copy,
    ):
        for row in rows:
            copy.write_row(row)


def _incident_content(incident: dict) -> dict:
    """What the filing service hashes for an incident (polling.visits.incident_report)."""
    return {
        "station": incident["station"],
        "visit": str(incident["visit"]) if incident["visit"] else None,
        "occurred_at": moment_str(incident["occurred_at"]),
        "category": incident["category"],
        "description": incident["description"],
    }
