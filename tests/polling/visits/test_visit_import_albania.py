"""The proof on real data: the Albanian domestic observers' (CDO) 524 opening observations of the
25 June 2017 parliamentary elections, imported against the CEC's list of 5,362 polling stations.

The counts are checked against the raw CSV, computed here with the csv module and nothing else.
"""

import csv
import datetime
from collections import Counter
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count, Sum

from missions.models import Role
from polling.models import Answer, PollingStation, Visit
from tests.helpers.factories import make_member, make_mission
from tests.helpers.visits import make_checklist

DATA = Path("/work/shared/data")
OBSERVATIONS = DATA / "observation_data/albania2017_cdo_opening_observations.csv"
STATIONS = DATA / "polling_stations/albania2017_polling_stations_results_cdo.csv"

pytestmark = pytest.mark.skipif(not OBSERVATIONS.exists(), reason="the shared Albania data is not here")

PO_JO = [("yes", "Yes", False), ("no", "No", True)]
QUESTIONS = [
    {"code": "votersList", "type": "number", "text": "Voters on the list", "min": 0},
    {"code": "ballotPapers", "type": "number", "text": "Ballot papers received", "min": 0},
    {
        "code": "pubPriv",
        "type": "single",
        "text": "Premises",
        "options": [("pub", "Public", False), ("priv", "Private", True)],
    },
    {
        "code": "openTime",
        "type": "single",
        "text": "When did the station open?",
        "options": [
            ("7_00", "At 7:00", False),
            ("7-730", "7:00-7:30", True),
            ("730-8", "7:30-8:00", True),
            ("8-830", "8:00-8:30", True),
        ],
    },
    {"code": "numKommish", "type": "number", "text": "Commission members present", "min": 0, "max": 13},
    {
        "code": "secrecyOpen",
        "type": "yes_no",
        "text": "Was the secrecy of the vote ensured?",
        "options": PO_JO,
    },
    {"code": "movementOpen", "type": "yes_no", "text": "Could observers move freely?", "options": PO_JO},
    *(
        {
            "code": code,
            "type": "single",
            "text": text,
            "options": [("yes", "Yes", False), ("no", "No", True), ("na", "Nothing to remove", False)],
        }
        for code, text in (
            ("removeMatInside", "Campaign material removed inside?"),
            ("removeMatOutside", "… and outside?"),
        )
    ),
    *(
        {"code": code, "type": "yes_no", "text": code, "options": PO_JO}
        for code in ("pvComplete", "boxChecked", "boxSealed", "recordBox", "centerMat", "blindTools")
    ),
    {
        "code": "disabledTools",
        "type": "single",
        "text": "Accessible for voters with disabilities?",
        "options": [("yes", "Yes", False), ("no", "No", True), ("partly", "Partly", True)],
    },
    {
        "code": "overallOpen",
        "type": "rating",
        "text": "Overall, the opening was",
        "options": [
            ("shummir", "Very good", False),
            ("mir", "Good", False),
            ("meprob", "With problems", True),
            ("shumprob", "With many problems", True),
        ],
    },
]


def expected_station(ps_id: str) -> str:
    """psID 0001-00 is qvKod 0001; 0002-01 is 00021 (the CEC's sub-station suffix, without leading zeros)."""
    number, suffix = ps_id.split("-")
    return number if suffix == "00" else number + suffix.lstrip("0")


@pytest.fixture
def albania(db):
    mission = make_mission(
        "al-2017",
        country="Albania",
        election="Parliamentary elections",
        election_date=datetime.date(2017, 6, 25),
        observation_start=datetime.date(2017, 6, 1),
        observation_end=datetime.date(2017, 6, 30),
    )
    with STATIONS.open(encoding="utf-8") as file:
        PollingStation.objects.bulk_create(
            PollingStation(
                mission=mission,
                code=row["qvKod"].strip('"'),
                name=row["vendndodhja"][:255],
                registered_voters=int(row["zgjedhes"]) if row["zgjedhes"].isdigit() else None,
            )
            for row in csv.DictReader(file)
        )
    version = make_checklist(mission, "opening", QUESTIONS)
    coordinator = make_member(mission, Role.OBSERVER)
    return mission, version, coordinator


def import_albania(mission, coordinator, capsys):
    call_command(
        "import_visits",
        mission.code,
        "opening",
        str(OBSERVATIONS),
        "--map=station=psID",
        "--map=assessment=overallOpen",
        r"--station-rewrite=(\d{4})-00 => \1",
        r"--station-rewrite=(\d{4})-0*(\d+) => \1\2",
        f"--observer={coordinator.user.email}",
        "--arrived-at=2017-06-25 07:00",
        "--time-zone=Europe/Tirane",
        "--value-map=*: n/a =",
        "--value-map=*: po = yes",
        "--value-map=*: jo = no",
        "--value-map=*: pjeserisht = partly",
        "--value-map=assessment: shummir = very_good",
        "--value-map=assessment: mir = good",
        "--value-map=assessment: meprob = bad",
        "--value-map=assessment: shumprob = very_bad",
        "--value-map=assessment: n/a =",
    )
    return capsys.readouterr().out


def option_counts(code: str) -> dict:
    rows = Answer.objects.filter(question__code=code).values("option__value").annotate(n=Count("id"))
    return {row["option__value"]: row["n"] for row in rows}


def test_the_524_albanian_opening_observations_import(albania, capsys):
    mission, version, coordinator = albania
    assert PollingStation.objects.filter(mission=mission).count() == 5362
    with OBSERVATIONS.open(encoding="utf-8") as file:
        raw = list(csv.DictReader(file))
    assert len(raw) == 524

    out = import_albania(mission, coordinator, capsys)
    assert "Imported 524 visits from 524 rows" in out

    visits = Visit.objects.filter(mission=mission)
    assert visits.count() == 524
    # Every observation landed on the station its psID names, found through the rewrite rules.
    assert Counter(visits.values_list("station__code", flat=True)) == Counter(
        expected_station(r["psID"]) for r in raw
    )
    sub_stations = sum(1 for r in raw if not r["psID"].endswith("-00"))
    assert visits.filter(station__code__regex=r"^\d{5,}$").count() == sub_stations == 141
    # One arrival for the whole file: 07:00 in Tirana is 05:00 UTC in summer.
    assert set(visits.values_list("arrived_at", flat=True)) == {
        datetime.datetime(2017, 6, 25, 5, 0, tzinfo=datetime.UTC)
    }

    # The counts, against the raw file.
    overall = Counter(r["overallOpen"] for r in raw)
    assert overall == {"shummir": 336, "mir": 166, "n/a": 14, "meprob": 7, "shumprob": 1}
    assert option_counts("overallOpen") == {k: v for k, v in overall.items() if k != "n/a"}
    assert visits.exclude(answers__question__code="overallOpen").count() == 14
    assessments = Counter(visits.values_list("assessment", flat=True))
    assert assessments == {"very_good": 336, "good": 166, "": 14, "bad": 7, "very_bad": 1}

    open_time = Counter(r["openTime"] for r in raw)
    assert open_time["7_00"] == 408
    assert option_counts("openTime") == {k: v for k, v in open_time.items() if k != "n/a"}

    translate = {"po": "yes", "jo": "no", "pjeserisht": "partly", "na": "na"}
    for code in ("secrecyOpen", "removeMatInside", "blindTools", "disabledTools"):
        expected = Counter(translate[r[code]] for r in raw if r[code] != "n/a")
        assert option_counts(code) == expected, code
    assert option_counts("disabledTools") == {"yes": 271, "partly": 151, "no": 87}

    voters = [int(r["votersList"]) for r in raw if r["votersList"].isdigit()]
    stored = Answer.objects.filter(question__code="votersList").aggregate(n=Count("id"), total=Sum("number"))
    assert (stored["n"], stored["total"]) == (len(voters), Decimal(sum(voters)))
    assert len(voters) == 518

    # Flagged irregularities are a GROUP BY away: e.g. stations that opened late.
    late = Answer.objects.filter(question__code="openTime", option__flagged=True).count()
    assert late == open_time["7-730"] + open_time["730-8"] + open_time["8-830"] == 113


def test_importing_the_albanian_file_again_adds_nothing(albania, capsys):
    mission, _version, coordinator = albania
    import_albania(mission, coordinator, capsys)
    answers = Answer.objects.count()
    out = import_albania(mission, coordinator, capsys)
    assert (
        "Imported 0 visits from 524 rows of albania2017_cdo_opening_observations.csv (524 already stored)"
        in out
    )
    assert Visit.objects.count() == 524 and Answer.objects.count() == answers
