"""The real Albania 2017 data: 5,362 stations and the 524 opening observations of the domestic observers (CDO).

Stations go through the station importer, observations through the visit bulk import,
exactly as a secretariat would load them. The figures are then computed a second
time, independently, from the raw CSV with plain Python, and the live selectors,
the dashboard (from its pre-aggregated counts) and the CSV export must all show them.
"""

import csv
import datetime
import io
from collections import Counter
from decimal import ROUND_HALF_UP, Decimal

import pytest
from django.core.cache import cache
from django.urls import reverse

from missions.models import Role
from polling.models import PollingStation, Visit
from polling.stations import importing as importer
from polling.visits import importing as visit_import
from reports.exports.services import export_run
from reports.models import Export
from reports.results.selectors import coverage, findings, question_results, refresh_results
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_mission
from tests.helpers.paths import SHARED_DATA
from tests.helpers.results import make_checklist

DATA = SHARED_DATA
STATIONS = DATA / "polling_stations" / "albania2017_polling_stations_results_cdo.csv"
OBSERVATIONS = DATA / "observation_data" / "albania2017_cdo_opening_observations.csv"

pytestmark = pytest.mark.skipif(not OBSERVATIONS.exists(), reason="shared/data is not beside the repository")

YES_NO = [("yes", "Yes"), ("no", "No", {"flagged": True, "severity": "serious"})]
YES_NO_NA = [("yes", "Yes"), ("no", "No", {"flagged": True, "severity": "minor"}), ("na", "Not applicable")]
QUESTIONS = [
    {
        "code": "openTime",
        "type": "single",
        "text": "When did the polling station open?",
        "options": [
            ("7_00", "7:00"),
            ("7-730", "7:00–7:30", {"flagged": True, "severity": "minor"}),
            ("730-8", "7:30–8:00", {"flagged": True, "severity": "minor"}),
            ("8-830", "8:00–8:30", {"flagged": True, "severity": "serious"}),
        ],
    },
    {"code": "numKommish", "type": "number", "text": "Commission members present"},
    {"code": "votersList", "type": "number", "text": "Voters on the list"},
    {"code": "ballotPapers", "type": "number", "text": "Ballot papers received"},
    {
        "code": "pubPriv",
        "type": "single",
        "text": "Premises",
        "options": [("pub", "Public"), ("priv", "Private")],
    },
    {
        "code": "secrecyOpen",
        "type": "yes_no",
        "text": "Was the secrecy of the vote ensured?",
        "options": YES_NO,
    },
    {"code": "movementOpen", "type": "yes_no", "text": "Could observers move freely?", "options": YES_NO},
    {
        "code": "removeMatInside",
        "type": "single",
        "text": "Campaign material removed inside?",
        "options": YES_NO_NA,
    },
    {
        "code": "removeMatOutside",
        "type": "single",
        "text": "Campaign material removed outside?",
        "options": YES_NO_NA,
    },
    {"code": "pvComplete", "type": "yes_no", "text": "Was the opening protocol complete?", "options": YES_NO},
    {"code": "boxChecked", "type": "yes_no", "text": "Was the ballot box shown empty?", "options": YES_NO},
    {"code": "boxSealed", "type": "yes_no", "text": "Was the ballot box sealed?", "options": YES_NO},
    {"code": "recordBox", "type": "yes_no", "text": "Were the seal numbers recorded?", "options": YES_NO},
    {"code": "centerMat", "type": "yes_no", "text": "Were all materials present?", "options": YES_NO},
    {
        "code": "blindTools",
        "type": "yes_no",
        "text": "Tools for blind voters?",
        "options": [("yes", "Yes"), ("no", "No")],
    },
    {
        "code": "disabledTools",
        "type": "single",
        "text": "Access for voters with disabilities?",
        "options": [("yes", "Yes"), ("pjeserisht", "Partly"), ("no", "No")],
    },
    {
        "code": "overallOpen",
        "type": "rating",
        "text": "Overall assessment of the opening",
        "options": [
            ("shummir", "Very good"),
            ("mir", "Good"),
            ("meprob", "With problems", {"negative": True}),
            ("shumprob", "With serious problems", {"negative": True}),
        ],
    },
]
# po = yes, jo = no, n/a = not answered; "na" (nothing to remove) stays an option.
VALUE_MAP = ["*: po = yes", "*: jo = no", "*: n/a = "]
REWRITES = [r"(\d{4})-00 => \1", r"(\d{4})-0(\d) => \1\2", r"(\d{4})-(\d\d) => \1\2"]


def percent(count: int, total: int) -> int:
    return int((Decimal(count) * 100 / Decimal(total)).quantize(Decimal(1), rounding=ROUND_HALF_UP))


@pytest.fixture(scope="module")
def raw():
    with open(OBSERVATIONS, newline="", encoding="utf-8") as f:
        return list(csv.DictReader(f))


@pytest.fixture
def albania(db, raw):
    mission = make_mission(
        "al-2017",
        area_levels=["Qark", "Municipality", "Administrative unit"],
        statement_level=1,
        country="Albania",
        election_date=datetime.date(2017, 6, 25),
        observation_start=datetime.date(2017, 6, 1),
        observation_end=datetime.date(2017, 6, 30),
        time_zone="Europe/Tirane",
    )
    with open(STATIONS, "rb") as f:
        table = importer.open_table(f, STATIONS.name)
        h = table.headers.index
        mapping = importer.Mapping(
            code=(h("qvKod"),),
            name=h("vendndodhja"),
            registered_voters=h("zgjedhes"),
            area=(h("qarku"), h("bashkia"), h("njesiaAdministrative")),
        )
        importer.stations_import(mission=mission, table=table, mapping=mapping)
    observer = make_member(mission, Role.OBSERVER, user=None)
    checklist = make_checklist(mission, "opening", name="Opening", questions=QUESTIONS)
    with open(OBSERVATIONS, "rb") as f:
        table = visit_import.read_table(f, OBSERVATIONS.name)
    spec = visit_import.visit_service.version_spec(checklist.current_version)
    mapping = visit_import.ImportMapping(
        station="psID",
        station_rewrites=visit_import.parse_rewrites(REWRITES),
        observer_email=observer.user.email,
        arrived_at=visit_import.parse_moment(
            "2017-06-25 06:30", time_zone=visit_import.get_time_zone("Europe/Tirane"), visit_date=None
        ),
        questions=visit_import.default_question_columns(table, spec),
        values=visit_import.parse_value_map(VALUE_MAP),
    )
    visit_import.visit_import(
        mission=mission, version=checklist.current_version, table=table, mapping=mapping
    )
    return mission


def test_the_import_loads_every_station_and_observation(albania):
    assert PollingStation.objects.filter(mission=albania).count() == 5362
    assert Visit.objects.filter(mission=albania).count() == 524
    c = coverage(albania)
    assert (c.visits, c.stations_visited, c.stations_planned) == (
        524,
        524,
        5362,
    )  # no team plan: every station
    assert len(c.places) == 12  # all twelve qarks were observed


def test_live_results_equal_the_figures_computed_from_the_raw_file(albania, raw):
    results = {r.code: r for r in question_results(albania)}
    for code in ("openTime", "pubPriv", "boxSealed", "overallOpen", "disabledTools", "removeMatInside"):
        answered = [row[code] for row in raw if row[code] != "n/a"]
        counts = Counter(answered)
        got = results[code]
        assert got.answered == len(answered), code
        for option in got.options:
            raw_value = {"yes": "po", "no": "jo"}.get(option.value, option.value)
            assert (option.share.count, option.share.total) == (counts[raw_value], len(answered)), (
                code,
                option.value,
            )


def test_the_standard_sentences(albania, raw):
    overall = [row["overallOpen"] for row in raw if row["overallOpen"] != "n/a"]
    good = sum(1 for v in overall if v in ("shummir", "mir"))
    opened = [row["openTime"] for row in raw if row["openTime"] != "n/a"]
    at_seven = sum(1 for v in opened if v == "7_00")
    assert (good, len(overall), percent(good, len(overall))) == (502, 510, 98)
    assert (at_seven, len(opened), percent(at_seven, len(opened))) == (408, 521, 78)

    results = {r.code: r for r in question_results(albania)}
    negative = results["overallOpen"].negative
    assert (negative.count, negative.total) == (len(overall) - good, len(overall))
    assert 100 - negative.percent == percent(good, len(overall))
    seven = results["openTime"].options[0]
    assert (seven.share.count, seven.share.total, seven.share.percent) == (at_seven, len(opened), 78)

    sealed = {f.question_code: f for f in findings(albania)}["boxSealed"]
    not_sealed = sum(1 for row in raw if row["boxSealed"] == "jo")
    assert (sealed.figure.count, sealed.figure.total) == (
        not_sealed,
        sum(1 for row in raw if row["boxSealed"] != "n/a"),
    )


def test_dashboard_shows_the_same_figures(albania, raw, client, settings):
    cache.clear()
    refresh_results(albania.pk)
    hom = make_member(albania, Role.HEAD_OF_MISSION)
    html = (
        client_for(client, hom)
        .get(reverse("reports:results", kwargs={"code": albania.code}))
        .content.decode()
    )
    overall = [row["overallOpen"] for row in raw if row["overallOpen"] != "n/a"]
    negative = sum(1 for v in overall if v in ("meprob", "shumprob"))
    assert f"assessed negatively in {percent(negative, len(overall))}%" in html  # 2%: 98% good or very good
    opened = [row["openTime"] for row in raw if row["openTime"] != "n/a"]
    at_seven = sum(1 for v in opened if v == "7_00")
    assert f"<span>7:00</span><span>{at_seven} · {percent(at_seven, len(opened))}%</span>" in html
    very_good = sum(1 for v in overall if v == "shummir")
    assert f"<span>Very good</span><span>{very_good} · {percent(very_good, len(overall))}%</span>" in html
    assert 'data-visits="524"' in html
    assert "524 of 5,362 planned stations visited" in html


def test_export_shows_the_same_figures(albania, raw, settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    from polling.models import Checklist

    export = Export.objects.create(
        mission=albania, kind="visits", format="csv", checklist=Checklist.objects.get(mission=albania)
    )
    export_run(export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as f:
        rows = list(csv.DictReader(io.StringIO(f.read().decode("utf-8-sig"))))
    assert len(rows) == 524
    for code in ("openTime", "overallOpen", "numKommish"):
        exported = Counter(r[code] for r in rows)
        expected = Counter("" if row[code] == "n/a" else row[code] for row in raw)
        assert exported == expected, code
    assert Counter(r["Qark"] for r in rows) == Counter(row["qarku"] for row in raw)
