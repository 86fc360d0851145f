"""An invalid bundle is refused with every error and its JSON path, and nothing is written."""

import uuid

import pytest

from missions.models import Member, Mission, Team, User
from polling.models import (
    Answer,
    Area,
    Checklist,
    ChecklistVersion,
    Incident,
    Option,
    PollingStation,
    Question,
    Visit,
    VisitRevision,
)
from reports.bundle import BundleInvalid, mission_import
from tests.helpers.factories import make_member, make_mission, make_station
from tests.reports.bundle.test_bundle import small_bundle


def row_counts() -> dict[str, int]:
    models = [
        Mission,
        User,
        Member,
        Team,
        Team.stations.through,
        Area,
        PollingStation,
        Checklist,
        ChecklistVersion,
        Question,
        Option,
        Visit,
        Answer,
        VisitRevision,
        Incident,
    ]
    return {model.__name__: model.objects.count() for model in models}


@pytest.fixture
def other_mission(db):
    """Something already in the database, so 'unchanged' means more than 'still empty'."""
    mission = make_mission("already-here")
    make_member(mission)
    make_station(mission, "X-1", area="Somewhere > Else")
    return mission


def refused(data) -> list[tuple[str, str]]:
    before = row_counts()
    with pytest.raises(BundleInvalid) as error:
        mission_import(data)
    assert row_counts() == before
    return error.value.errors


def _set(*steps):
    """A change to the sample: ('members', 1, 'role', 'chair') sets data['members'][1]['role']."""

    def change(data):
        *where, key, value = steps
        target = data
        for part in where:
            target = target[part]
        target[key] = value

    return change


def _delete(*where):
    def change(data):
        target = data
        for part in where[:-1]:
            target = target[part]
        del target[where[-1]]

    return change


def _visit_answer(index, code, value):
    return _set("visits", index, "answers", code, value)


CASES = [
    ("missing top-level key", _delete("meetings"), [("$.meetings", "missing")]),
    ("extra top-level key", _set("statement", {}), [("$.statement", "Unknown key")]),
    ("wrong format", _set("format", "observa.mission/2"), [("$.format", "observa.mission/1")]),
    ("top-level section of the wrong type", _set("meetings", {}), [("$.meetings", "Must be a list")]),
    ("missing key in an object", _delete("visits", 0, "notes"), [("$.visits[0].notes", "missing")]),
    (
        "unknown key in an object",
        _set("stations", 0, "colour", "red"),
        [("$.stations[0].colour", "Unknown field")],
    ),
    ("bad role", _set("members", 1, "role", "chair"), [("$.members[1].role", "“chair” is not one of")]),
    (
        "visit time outside the observation period",
        _set("visits", 0, "arrived_at", "9999-12-31T23:00:00Z"),
        [("$.visits[0].arrived_at", "within the observation period")],
    ),
    (
        "visit time Python cannot hold",
        _set("visits", 0, "arrived_at", "0001-01-01T00:00:00+14:00"),
        [("$.visits[0].arrived_at", "ISO 8601")],
    ),
    ("bad meeting category", _set("meetings", 0, "category", "press"), [("$.meetings[0].category", "press")]),
    ("bad mission status", _set("mission", "status", "open"), [("$.mission.status", "open")]),
    (
        "bad time zone",
        _set("mission", "time_zone", "Europe/Atlantis"),
        [("$.mission.time_zone", "Europe/Atlantis")],
    ),
    ("bad mission code", _set("mission", "code", "IEOM XY"), [("$.mission.code", "lower-case")]),
    (
        "election outside the observation period",
        _set("mission", "election_date", "2025-03-11"),
        [("$.mission.election_date", "within the observation period")],
    ),
    (
        "date in another form",
        _set("mission", "observation_start", "05.03.2025"),
        [("$.mission.observation_start", "YYYY-MM-DD")],
    ),
    (
        "statement level that is not a level",
        _set("mission", "statement_level", "Province"),
        [("$.mission.statement_level", "Region, District")],
    ),
    (
        "member of an unknown team",
        _set("members", 0, "team", "Team West"),
        [("$.members[0].team", "no team")],
    ),
    (
        "duplicate member",
        _set("members", 1, "email", "ANA.LOPEZ@example.org"),
        [("$.members[1].email", "also at $.members[0].email")],
    ),
    ("not an e-mail address", _set("members", 1, "email", "hom"), [("$.members[1].email", "not an e-mail")]),
    (
        "leader who is not a member",
        _set("teams", 0, "leader", "x@example.org"),
        [("$.teams[0].leader", "not in members")],
    ),
    ("duplicate team name", _set("teams", 1, "name", "team north"), [("$.teams[1].name", "ignore case")]),
    (
        "planned station unknown",
        _set("teams", 0, "stations", ["001-01", "009-09"]),
        [("$.teams[0].stations[1]", "009-09")],
    ),
    (
        "duplicate station code (and what referred to the station it replaced)",
        _set("stations", 2, "code", "001-01"),
        [("$.stations[2].code", "also at $.stations[0].code"), ("$.visits[2].station", "“002-01”")],
    ),
    (
        "area deeper than the mission's levels",
        _set("stations", 0, "area", ["North", "Riverside", "Block 4"]),
        [("$.stations[0].area", "3 levels but the mission has 2")],
    ),
    (
        "latitude out of range",
        _set("stations", 0, "latitude", 91),
        [("$.stations[0].latitude", "between -90 and 90")],
    ),
    (
        "too many decimals",
        _set("stations", 0, "longitude", 19.1234567),
        [("$.stations[0].longitude", "six decimals")],
    ),
    (
        "negative voters",
        _set("stations", 0, "registered_voters", -1),
        [("$.stations[0].registered_voters", "between 0")],
    ),
    (
        "show-if on an unknown question",
        _set("checklists", 0, "questions", 1, "show_if", {"question": "Z9", "equals": "no"}),
        [("$.checklists[0].questions[1].show_if.question", "no question Z9")],
    ),
    (
        "show-if on a later question",
        _set("checklists", 0, "questions", 1, "show_if", {"question": "A4", "equals": "ink"}),
        [("$.checklists[0].questions[1].show_if.question", "earlier question")],
    ),
    (
        "show-if on a value that is not an option",
        _set("checklists", 0, "questions", 1, "show_if", {"question": "A1", "equals": "maybe"}),
        [("$.checklists[0].questions[1].show_if.equals", "“maybe” is not an option of A1")],
    ),
    (
        "bad question type in an older version",
        _set("checklists", 0, "versions", 0, "questions", 1, "type", "essay"),
        [("$.checklists[0].versions[0].questions[1].type", "essay")],
    ),
    (
        "unknown placeholder in a finding",
        _set("checklists", 0, "questions", 0, "finding", {"none": "", "some": "{n} late"}),
        [("$.checklists[0].questions[0].finding.some", "{n}")],
    ),
    (
        "duplicate question code",
        _set("checklists", 0, "questions", 2, "code", "A1"),
        [("$.checklists[0].questions[2].code", "A1")],
    ),
    (
        "version twice",
        _set("checklists", 0, "versions", 0, "number", 2),
        [("$.checklists[0].versions[0].number", "twice")],
    ),
    (
        "visit of an unknown checklist",
        _set("visits", 0, "checklist", "closing"),
        [("$.visits[0].checklist", "closing")],
    ),
    (
        "visit of an unknown version",
        _set("visits", 0, "version", 7),
        [("$.visits[0].version", "no version 7")],
    ),
    (
        "visit at an unknown station",
        _set("visits", 2, "station", "009-09"),
        [("$.visits[2].station", "009-09")],
    ),
    (
        "visit by a non-member",
        _set("visits", 2, "observer", "x@example.org"),
        [("$.visits[2].observer", "not in members")],
    ),
    (
        "visit reviewed by a non-member",
        _set("visits", 1, "review", "by", "x@example.org"),
        [("$.visits[1].review.by", "not in members")],
    ),
    ("visit of an unknown team", _set("visits", 2, "team", "Team West"), [("$.visits[2].team", "no team")]),
    (
        "duplicate visit uuid",
        _set("visits", 2, "uuid", "0b6a4a8e-3c1d-4f5e-9a7b-1c2d3e4f5a6b"),
        [("$.visits[2].uuid", "also at $.visits[0].uuid")],
    ),
    ("not a uuid", _set("visits", 2, "uuid", "visit-3"), [("$.visits[2].uuid", "UUID")]),
    (
        "arrival without offset",
        _set("visits", 2, "arrived_at", "2025-03-09T04:05:00"),
        [("$.visits[2].arrived_at", "UTC offset")],
    ),
    (
        "departure before arrival",
        _set("visits", 2, "departed_at", "2025-03-09T04:00:00Z"),
        [("$.visits[2].departed_at", "before the arrival")],
    ),
    ("bad assessment", _set("visits", 2, "assessment", "fine"), [("$.visits[2].assessment", "very_good")]),
    (
        "number above the maximum",
        _visit_answer(2, "A3", 16),
        [("$.visits[2].answers.A3", "largest allowed value is 15")],
    ),
    ("number as text", _visit_answer(2, "A3", "nine"), [("$.visits[2].answers.A3", "not a number")]),
    (
        "option that does not exist",
        _visit_answer(2, "A6", "excellent"),
        [("$.visits[2].answers.A6", "not an option")],
    ),
    ("multiple choice not as a list", _visit_answer(2, "A4", "ink"), [("$.visits[2].answers.A4", "list")]),
    ("time that is not a time", _visit_answer(1, "A2", "25:00"), [("$.visits[1].answers.A2", "HH:MM")]),
    (
        "answer to an unknown question",
        _visit_answer(2, "Z1", "yes"),
        [("$.visits[2].answers.Z1", "no question Z1")],
    ),
    (
        "hidden question answered",
        _visit_answer(2, "A2", "07:30"),
        [("$.visits[2].answers.A2", "only asked when A1")],
    ),
    (
        "required question left out",
        _delete("visits", 2, "answers", "A6"),
        [("$.visits[2].answers.A6", "must be answered")],
    ),
    (
        "answer valid only in the current version",
        _visit_answer(0, "A6", "good"),
        [("$.visits[0].answers.A6", "no question A6")],
    ),
    (
        "incident at another station than its visit",
        _set("incidents", 0, "station", "002-01"),
        [("$.incidents[0].station", "visit's polling station")],
    ),
    (
        "incident of an unknown visit",
        _set("incidents", 0, "visit", str(uuid.UUID(int=1))),
        [("$.incidents[0].visit", "no visit")],
    ),
    (
        "incident without a description",
        _set("incidents", 0, "description", " "),
        [("$.incidents[0].description", "empty")],
    ),
    (
        "bad incident category",
        _set("incidents", 0, "category", "fraud"),
        [("$.incidents[0].category", "fraud")],
    ),
]


@pytest.mark.parametrize(
    ("change", "expected"), [case[1:] for case in CASES], ids=[case[0] for case in CASES]
)
def test_each_kind_of_invalid_bundle_is_refused_with_its_path(other_mission, change, expected):
    data = small_bundle()
    change(data)
    errors = refused(data)
    assert [path for path, _message in errors] == [path for path, _text in expected], errors
    for (_path, message), (_p, text) in zip(errors, expected, strict=True):
        assert text in message


def test_every_error_of_a_bundle_is_listed_at_once(other_mission):
    data = small_bundle()
    del data["incidents"]
    data["extra"] = 1
    data["members"][1]["role"] = "chair"
    data["teams"][0]["leader"] = "nobody@example.org"
    data["stations"][2]["code"] = "001-01"
    data["visits"][2]["answers"]["A3"] = 99
    data["visits"][0]["station"] = "nowhere"
    errors = refused(data)
    assert [path for path, _message in errors] == [
        "$.incidents",
        "$.extra",
        "$.members[1].role",
        "$.stations[2].code",
        "$.teams[0].leader",
        "$.visits[0].station",
        "$.visits[2].station",  # 002-01 is gone: every consequence is listed too
        "$.visits[2].answers.A3",
    ]


def test_visits_are_not_checked_against_a_checklist_that_is_itself_wrong(other_mission):
    """One mistake in a checklist gives one error, not one more for every visit filed against it."""
    data = small_bundle()
    data["checklists"][0]["questions"][2]["type"] = "count"
    assert [path for path, _message in refused(data)] == ["$.checklists[0].questions[2].type"]


def test_a_bundle_that_is_not_an_object_is_refused(db):
    (error,) = refused([1, 2])
    assert error[0] == "$" and "JSON object with the keys format, mission" in error[1]


def test_a_code_already_used_by_a_mission_is_refused(other_mission):
    data = small_bundle()
    data["mission"]["code"] = "already-here"
    errors = refused(data)
    assert errors == [
        ("$.mission.code", "A mission with the code already-here already exists; nothing was imported.")
    ]


def test_uuids_already_in_the_database_are_refused(other_mission, observer):
    data = small_bundle()
    station = make_station(observer.mission, "Y-1")
    taken = Visit.objects.create(
        uuid=data["visits"][1]["uuid"],
        mission=observer.mission,
        checklist_version=ChecklistVersion.objects.create(
            checklist=Checklist.objects.create(mission=observer.mission, code="c", name="C"), number=1
        ),
        station=station,
        observer=observer,
        arrived_at="2024-02-07T08:00:00Z",
        content_hash="x",
    )
    Incident.objects.create(
        uuid=data["incidents"][0]["uuid"],
        mission=observer.mission,
        station=station,
        observer=observer,
        occurred_at="2024-02-07T08:00:00Z",
        category="other",
        description="x",
        content_hash="x",
    )
    errors = refused(data)
    assert [path for path, _message in errors] == ["$.visits[1].uuid", "$.incidents[0].uuid"]
    assert str(taken.uuid) in errors[0][1]


def test_paths_quote_keys_that_are_not_plain_words(other_mission):
    data = small_bundle()
    data["visits"][2]["answers"]["B.1"] = "x"
    assert refused(data)[0][0] == '$.visits[2].answers["B.1"]'
