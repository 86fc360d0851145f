"""The mission bundle: export, import, and the round trip through an empty database."""

import copy
import datetime
import json
import uuid
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.db import connection

from demo.builder import load_demo
from missions.models import Member, Mission, Role, Team, User
from polling.checklists.definition import clean_definition
from polling.checklists.editing import version_fill
from polling.models import (
    Answer,
    Area,
    Channel,
    Checklist,
    ChecklistVersion,
    Incident,
    PollingStation,
    Visit,
    VisitRevision,
)
from polling.visits import (
    incident_report,
    visit_flag_follow_up,
    visit_mark_reviewed,
    visit_submit,
    visit_update,
)
from reports.bundle import TOP_KEYS, BundleInvalid, bundle_dumps, mission_export, mission_import
from tests.helpers.factories import make_user
from tests.helpers.paths import FIXTURES, REPO

SMALL = FIXTURES / "bundles" / "small.json"


def small_text() -> str:
    return SMALL.read_text(encoding="utf-8")


def small_bundle() -> dict:
    """The sample bundle, parsed as import_mission parses a file (decimals exact)."""
    return json.loads(small_text(), parse_float=Decimal)


def export_text(mission: Mission) -> str:
    return bundle_dumps(mission_export(mission))


def empty_the_database() -> None:
    """What an empty server is: every table truncated (inside the test's transaction, so undone after).
    PostgreSQL refuses to truncate a table with foreign-key checks still pending: run them first."""
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    call_command("flush", interactive=False, verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SET CONSTRAINTS ALL DEFERRED")
    assert not Mission.objects.exists() and not User.objects.exists()


# The demo mission with a checklist in three versions and visits filed through the filing service.


def _version(checklist: Checklist, number: int, questions: list[dict]) -> ChecklistVersion:
    clean, problems = clean_definition(
        {"code": checklist.code, "name": checklist.name, "questions": questions}
    )
    assert problems == []
    version = ChecklistVersion.objects.create(checklist=checklist, number=number)
    version_fill(version=version, questions=clean["questions"])
    return version


def _member(mission: Mission, email: str) -> Member:
    return Member.objects.get(mission=mission, user__email=email)


def _file(mission, member, **payload) -> Visit:
    payload = {"uuid": str(uuid.uuid4()), "notes": "", "assessment": "", "departed_at": None, **payload}
    visit, created = visit_submit(mission=mission, member=member, payload=payload)
    assert created
    return visit


def build_demo_with_election_day() -> Mission:
    """load_demo, plus what election day adds: a checklist changed after the first visits (v1 -> v2, with
    a draft v3), visits on both versions (one corrected, one reviewed, one flagged), incidents."""
    mission, _created = load_demo()
    sample = small_bundle()["checklists"][0]
    older, current = sample["versions"][0]["questions"], sample["questions"]
    checklist = Checklist.objects.create(mission=mission, code="opening", name="Opening", order=2)
    checklist.current_version = _version(checklist, 1, older)
    checklist.save(update_fields=["current_version"])
    observer = _member(mission, "observer@demo.observa.test")
    observer2 = _member(mission, "observer2@demo.observa.test")
    leader = _member(mission, "leader1@demo.observa.test")
    early = _file(
        mission,
        observer,
        checklist="opening",
        version=1,
        station="21-005",
        arrived_at="2024-02-07T07:40:00+04:00",
        answers={"A1": "yes", "A3": 9},
    )
    checklist.current_version = _version(checklist, 2, current)
    checklist.save(update_fields=["current_version"])
    _version(checklist, 3, current[:3])  # a draft, never published
    full = _file(
        mission,
        leader,
        checklist="opening",
        version=2,
        station="21-012",
        arrived_at="2024-02-07T07:50:30.125+04:00",
        departed_at="2024-02-07T08:35:00+04:00",
        answers={
            "A1": "no",
            "A2": "7:05",
            "A3": 12.5,
            "A4": ["seals", "ballots"],
            "A5": "other",
            "A6": "bad",
            "A7": "Əli Həsənov",
            "A8": "Two lines\nof text.",
        },
        notes="Crowded.",
        assessment="bad",
    )
    corrected = _file(
        mission,
        observer2,
        checklist="opening",
        version=2,
        station="22-003",
        arrived_at="2024-02-07T08:10:00Z",
        answers={"A1": "yes", "A3": 0, "A6": "good"},
    )
    visit_update(
        visit=corrected,
        member=observer2,
        payload={
            "uuid": str(corrected.uuid),
            "checklist": "opening",
            "version": 2,
            "station": "22-003",
            "arrived_at": "2024-02-07T08:10:00Z",
            "departed_at": "2024-02-07T08:50:00Z",
            "answers": {"A1": "yes", "A3": 3, "A4": ["ink"], "A6": "very_good"},
            "notes": "Corrected after the debriefing.",
            "assessment": "good",
        },
        base_revision=1,
    )
    visit_mark_reviewed(visit=full, by=leader)
    visit_flag_follow_up(visit=early, by=leader, comment="Which members were absent?")
    for payload in (
        {"station": "21-012", "visit": str(full.uuid), "category": "obstruction"},
        {"station": "22-017", "category": "campaigning"},
    ):
        incident_report(
            mission=mission,
            member=leader,
            payload={
                "uuid": str(uuid.uuid4()),
                "occurred_at": "2024-02-07T08:00:00+04:00",
                "description": "Observers were asked to wait outside.",
                **payload,
            },
            visible_visits=mission.visits.all(),
        )
    return mission


def test_demo_mission_round_trips_byte_identical_through_an_empty_database(db):
    mission = build_demo_with_election_day()
    first = export_text(mission)
    hashes = dict(Visit.objects.values_list("uuid", "content_hash"))
    incident_hashes = dict(Incident.objects.values_list("uuid", "content_hash"))
    latest = {
        visit.uuid: visit.revisions.get(number=visit.revision).content
        for visit in Visit.objects.prefetch_related("revisions")
    }

    empty_the_database()
    imported = mission_import(json.loads(first, parse_float=Decimal))

    assert export_text(imported) == first
    # The import hashes a visit's content as the filing service does: resending the same visit is a
    # duplicate, not a conflict, on the new server.
    assert dict(Visit.objects.values_list("uuid", "content_hash")) == hashes
    assert dict(Incident.objects.values_list("uuid", "content_hash")) == incident_hashes
    for revision in VisitRevision.objects.all():
        assert (revision.number, revision.channel, revision.user_id) == (1, Channel.BUNDLE, None)
        assert revision.content == latest[revision.visit.uuid]
    assert set(Visit.objects.values_list("revision", flat=True)) == {1}


def test_export_keeps_old_versions_drafts_and_the_version_of_each_visit(db):
    mission = build_demo_with_election_day()
    bundle = json.loads(export_text(mission))
    assert list(bundle) == list(TOP_KEYS)
    (checklist,) = bundle["checklists"]
    assert checklist["version"] == 2
    assert [version["number"] for version in checklist["versions"]] == [1, 3]
    assert [q["code"] for q in checklist["versions"][1]["questions"]] == ["A1", "A2", "A3"]
    assert checklist["versions"][0]["questions"][1]["max"] == 10  # v1's A3 differs from v2's (15)
    by_station = {visit["station"]: visit for visit in bundle["visits"]}
    assert by_station["21-005"]["version"] == 1
    assert by_station["21-005"]["review"]["status"] == "follow_up"
    full = by_station["21-012"]
    assert full["answers"] == {
        "A1": "no",
        "A2": "07:05",
        "A3": 12.5,
        "A4": ["ballots", "seals"],
        "A5": "other",
        "A6": "bad",
        "A7": "Əli Həsənov",
        "A8": "Two lines\nof text.",
    }
    assert full["arrived_at"] == "2024-02-07T03:50:30.125000Z"
    assert full["review"]["by"] == "leader1@demo.observa.test"
    assert by_station["22-003"]["answers"] == {"A1": "yes", "A3": 3, "A4": ["ink"], "A6": "very_good"}
    assert [visit["uuid"] for visit in bundle["visits"]] == sorted(
        visit["uuid"] for visit in bundle["visits"]
    )
    station = next(s for s in bundle["stations"] if s["code"] == "21-005")
    assert (station["latitude"], station["longitude"], station["area"]) == (
        40.3777,
        49.8468,
        ["Baku", "Nasimi"],
    )
    assert [m["email"] for m in bundle["members"]] == sorted(m["email"] for m in bundle["members"])
    assert bundle["mission"]["statement_level"] == "City"
    text = export_text(mission)
    assert "Yılmaz" in text and text.endswith("}\n")  # UTF-8, not \u escapes


def test_the_sample_bundle_is_in_the_exports_own_form(db):
    """Importing the sample and exporting it gives the file back, byte for byte."""
    mission = mission_import(small_bundle())
    assert export_text(mission) == small_text()


def test_a_bundle_without_a_time_zone_takes_the_deployments(db, settings):
    settings.TIME_ZONE = "Europe/Tirane"
    bundle = small_bundle()
    del bundle["mission"]["time_zone"]
    assert mission_import(bundle).time_zone == "Europe/Tirane"


def test_import_writes_every_part_of_the_sample(db):
    mission = mission_import(small_bundle())
    assert mission.statement_level == 1 and mission.status == Mission.Status.ACTIVE
    assert mission.time_zone == "Europe/Madrid"
    assert mission.observation_start == datetime.date(2025, 3, 5)
    north = Team.objects.get(mission=mission, name="Team North")
    assert north.leader.user.email == "ana.lopez@example.org"
    assert sorted(north.stations.values_list("code", flat=True)) == ["001-01", "001-02"]
    assert set(Area.objects.filter(mission=mission).values_list("path", "depth")) == {
        ("North", 1),
        ("North > Riverside", 2),
        ("North > Hillview", 2),
        ("South", 1),
    }
    riverside = Area.objects.get(mission=mission, path="North > Riverside")
    assert riverside.parent.path == "North"
    station = PollingStation.objects.get(mission=mission, code="001-01")
    assert (station.latitude, station.area) == (Decimal("41.327546"), riverside)
    checklist = Checklist.objects.get(mission=mission, code="opening")
    assert checklist.current_version.number == 2
    old = Visit.objects.get(uuid="0b6a4a8e-3c1d-4f5e-9a7b-1c2d3e4f5a6b")
    assert old.checklist_version.number == 1
    full = Visit.objects.get(uuid="5e2f8c1a-7b3d-4e6f-8a9b-0c1d2e3f4a5b")
    assert full.review_status == Visit.Review.REVIEWED and full.reviewed_by.email == "ana.lopez@example.org"
    rows = Answer.objects.filter(visit=full)
    assert rows.count() == 9  # eight questions, A4 with two options
    assert sorted(rows.filter(question__code="A4").values_list("option__value", flat=True)) == [
        "ink",
        "seals",
    ]
    assert rows.get(question__code="A3").number == Decimal("5.5")
    assert rows.get(question__code="A2").text == "07:40"
    incident = Incident.objects.get(mission=mission)
    assert incident.visit == full and incident.team == north


def test_import_creates_missing_users_without_a_password_and_reuses_existing_ones(db):
    existing = make_user("OLGA.Ivanova@example.org", name="Olga I.")
    mission = mission_import(small_bundle())
    olga = Member.objects.get(mission=mission, user__email__iexact="olga.ivanova@example.org")
    assert olga.user == existing
    assert olga.user.name == "Olga I."  # an existing account is not changed by an import
    assert User.objects.filter(email__iexact="olga.ivanova@example.org").count() == 1
    created = User.objects.get(email="hom@example.org")
    assert created.name == "Jean Dupont" and not created.has_usable_password()
    assert mission.members.get(user=created).role == Role.HEAD_OF_MISSION


def test_optional_keys_take_their_defaults(db):
    data = small_bundle()
    del data["mission"]["status"]
    for member in data["members"]:
        del member["active"]
    del data["stations"][0]["latitude"], data["stations"][0]["registered_voters"]
    checklist = data["checklists"][0]
    del checklist["description"], checklist["order"], checklist["active"], checklist["version"]
    checklist["questions"] = checklist.pop("versions")[0]["questions"]  # only one version: v1
    data["visits"] = [data["visits"][0]]
    del data["visits"][0]["version"], data["visits"][0]["assessment"], data["visits"][0]["review"]
    data["incidents"][0]["visit"] = None
    del data["incidents"][0]["team"]
    mission = mission_import(data)
    assert mission.status == Mission.Status.SETUP
    assert all(member.is_active for member in mission.members.all())
    station = mission.stations.get(code="001-01")
    assert (station.latitude, station.registered_voters) == (None, None)
    checklist = mission.checklists.get()
    assert (checklist.order, checklist.is_active, checklist.current_version.number) == (0, True, 1)
    assert mission.visits.get().checklist_version == checklist.current_version
    # An incident without a team is the observer's team's, as when it is reported on the filing page.
    assert mission.incidents.get().team.name == "Team North"


def test_an_import_that_fails_after_the_check_writes_nothing(db, monkeypatch):
    """The write is one transaction: a failure half-way (here: the answers) leaves no mission behind."""
    import reports.bundle.importing as importing

    def broken(rows):
        raise RuntimeError("disk full")

    monkeypatch.setattr(importing, "_answers_insert", broken)
    users = User.objects.count()
    with pytest.raises(RuntimeError):
        mission_import(small_bundle())
    assert not Mission.objects.exists() and not Visit.objects.exists()
    assert User.objects.count() == users


def test_a_bundle_is_not_changed_by_importing_it(db):
    data = small_bundle()
    before = copy.deepcopy(data)
    mission_import(data)
    assert data == before


def test_second_import_of_the_same_mission_is_refused(db):
    mission_import(small_bundle())
    with pytest.raises(BundleInvalid) as refused:
        mission_import(small_bundle())
    paths = [path for path, _message in refused.value.errors]
    assert paths[0] == "$.mission.code"
    assert "already exists" in refused.value.errors[0][1]
    # The visits' and the incident's UUIDs are taken too, and each is named.
    assert "$.visits[0].uuid" in paths and "$.incidents[0].uuid" in paths
    assert Mission.objects.count() == 1


def test_the_documented_example_imports_and_exports_unchanged(db):
    doc = (REPO / "docs" / "mission-bundle.md").read_text(encoding="utf-8")
    example = doc.split("## Example", 1)[1].split("```json\n", 1)[1].split("```", 1)[0]
    mission = mission_import(json.loads(example, parse_float=Decimal))
    assert export_text(mission) == example
