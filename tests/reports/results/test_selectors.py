"""The live aggregation selectors against a small mission computed by hand.

Two checklist versions (Q1 reworded, Q6 dropped, Q8 added), a show-if question
(Q7, only when Q1 = no), unanswered questions (V4 skips Q2 and Q4), multiple
choice (Q3), a number (Q4), a rating (Q5) and a text (Q6).

    visit team station area        ver  Q1  Q7  Q2  Q3               Q4  Q5         arrived
    V1    T1   S1      North > A   1    yes -   yes none             10  very_good  06:50
    V2    T1   S1      North > A   1    no  yes no  ballots,seals    20  bad        07:20
    V3    T1   S2      North > A   2    yes -   yes ballots          30  good       07:40
    V4    T2   S4      South > C   2    no  no  -   none             -   very_bad   08:10
    V5    T1   S3      North > B   2    yes -   yes seals            25  good       08:30

Flags: Q1=no minor, Q2=no serious, Q3 ballots minor, Q3 seals serious. S5 (South > C) is planned, not visited.
"""

from datetime import datetime
from decimal import Decimal
from fractions import Fraction

import pytest

from polling.models import Incident
from reports.results.selectors import (
    Share,
    coverage,
    findings,
    incidents_by_category,
    question_results,
    serious_irregularities,
)
from tests.helpers.results import at, build_small, make_incident


@pytest.fixture
def small(mission):
    return build_small(mission)


def by_code(results):
    return {r.code: r for r in results}


def shares(result):
    return {o.value: (o.share.count, o.share.total) for o in result.options}


def test_share_rounds_half_up_and_keeps_the_exact_fraction():
    assert Share(1, 8).percent == 13  # 12.5 -> 13, not banker's 12
    assert Share(1, 3).percent == 33 and Share(2, 3).percent == 67
    assert Share(1, 3).fraction == Fraction(1, 3)
    assert Share(1, 40).percent_1 == Decimal("2.5") and Share(1, 80).percent_1 == Decimal("1.3")
    assert Share(0, 0).percent == 0


def test_option_shares_count_only_visits_that_answered(small):
    r = by_code(question_results(small.mission))
    assert (r["Q1"].answered, shares(r["Q1"])) == (5, {"yes": (3, 5), "no": (2, 5)})
    assert r["Q1"].options[1].share.percent == 40


def test_question_hidden_by_show_if_is_not_in_the_denominator(small):
    q7 = by_code(question_results(small.mission))["Q7"]
    assert q7.answered == 2
    assert shares(q7) == {"yes": (1, 2), "no": (1, 2)}


def test_unanswered_question_is_not_in_the_denominator(small):
    r = by_code(question_results(small.mission))
    assert shares(r["Q2"]) == {"yes": (3, 4), "no": (1, 4)}
    assert r["Q2"].options[1].share.percent == 25


def test_multiple_choice_counts_each_visit_once_per_option(small):
    q3 = by_code(question_results(small.mission))["Q3"]
    assert q3.answered == 5
    assert shares(q3) == {"ballots": (2, 5), "seals": (2, 5), "none": (2, 5)}


def test_numbers_have_min_median_max(small):
    q4 = by_code(question_results(small.mission))["Q4"]
    assert q4.answered == 4
    assert (q4.numbers.count, q4.numbers.minimum, q4.numbers.median, q4.numbers.maximum) == (
        4,
        Decimal("10"),
        Decimal("22.5"),
        Decimal("30"),
    )


def test_rating_negative_share(small):
    q5 = by_code(question_results(small.mission))["Q5"]
    assert (q5.negative.count, q5.negative.total, q5.negative.percent) == (2, 5, 40)
    assert by_code(question_results(small.mission))["Q1"].negative is None


def test_questions_merge_across_versions_with_the_newest_wording(small):
    r = question_results(small.mission)
    assert [q.code for q in r] == ["Q1", "Q7", "Q2", "Q3", "Q4", "Q5", "Q8", "Q6"]
    q = by_code(r)
    assert q["Q1"].text == "Did the station open at 7:00?"
    assert [o.label for o in q["Q2"].options] == ["Ballot box sealed", "Ballot box not sealed"]
    assert q["Q6"].answered == 1 and q["Q8"].answered == 1  # only in v1 / only in v2


def test_breakdown_by_team(small):
    q1 = by_code(question_results(small.mission, by_team=True))["Q1"]
    rows = {g.label: (g.answered, shares_of(g)) for g in q1.breakdown}
    assert rows == {"Team 1": (4, {"yes": 3, "no": 1}), "Team 2": (1, {"yes": 0, "no": 1})}
    assert q1.answered == 5  # the overall figure is still there


def shares_of(group):
    return {o.value: o.share.count for o in group.options}


def test_breakdown_by_area_at_any_level(small):
    q5 = by_code(question_results(small.mission, area_level=1))["Q5"]
    assert [(g.key, g.answered, g.negative.count) for g in q5.breakdown] == [("North", 4, 1), ("South", 1, 1)]
    q4 = by_code(question_results(small.mission, area_level=2))["Q4"]
    assert [(g.label, g.numbers.median) for g in q4.breakdown] == [
        ("A", Decimal("20")),
        ("B", Decimal("25")),
        ("C", None),
    ]


def test_team_filter_restricts_everything_to_the_team(small):
    r = by_code(question_results(small.mission, team=small.t2))
    assert (r["Q1"].answered, shares(r["Q1"])) == (1, {"yes": (0, 1), "no": (1, 1)})
    assert r["Q4"].answered == 0 and r["Q4"].numbers.count == 0


def test_coverage_overall_by_area_by_team_and_per_hour(small):
    c = coverage(small.mission, area_level=1)
    assert (c.stations_planned, c.stations_visited, c.planned_visited, c.visits, c.teams) == (5, 4, 4, 5, 2)
    assert c.share.percent == 80
    assert [(r.label, r.planned, r.visited, r.visits) for r in c.by_area] == [
        ("North", 3, 3, 4),
        ("South", 2, 1, 1),
    ]
    assert [(r.label, r.planned, r.visited, r.visits) for r in c.by_team] == [
        ("Team 1", 3, 3, 4),
        ("Team 2", 2, 1, 1),
    ]
    assert [(h.hour.hour, h.visits) for h in c.visits_per_hour] == [(6, 1), (7, 2), (8, 2)]
    assert c.observers_without_visits == [small.idle]


def test_coverage_places_in_order_of_first_visit(small):
    # statement level 2 (City): A first (06:50), then C (08:10), then B (08:30)
    assert coverage(small.mission).places == ["A", "C", "B"]


def test_coverage_of_one_team(small):
    c = coverage(small.mission, team=small.t2, area_level=2)
    assert (c.stations_planned, c.stations_visited, c.visits, c.teams) == (2, 1, 1, 1)
    assert [(r.label, r.planned, r.visited) for r in c.by_area] == [("C", 2, 1)]
    assert c.by_team == [] and c.observers_without_visits == [small.idle]


def test_coverage_without_any_team_plan_counts_every_station_as_planned(small):
    small.t1.stations.clear()
    small.t2.stations.clear()
    c = coverage(small.mission)
    assert (c.stations_planned, c.planned_visited) == (5, 4)


def test_findings_count_distinct_stations_out_of_stations_that_answered(small):
    f = {x.question_code: x for x in findings(small.mission)}
    assert set(f) == {"Q1", "Q2", "Q3"}
    assert (f["Q1"].figure.count, f["Q1"].figure.total, f["Q1"].severity) == (2, 4, "minor")
    assert (f["Q2"].figure.count, f["Q2"].figure.total, f["Q2"].figure.percent) == (1, 3, 33)
    assert f["Q2"].severity == "serious"
    q3 = f["Q3"]
    assert (q3.figure.count, q3.figure.total, q3.figure.percent) == (3, 4, 75)
    assert {o.value: (o.figure.count, o.severity) for o in q3.options} == {
        "ballots": (2, "minor"),
        "seals": (2, "serious"),
    }
    assert set(q3.figure.visit_uuids) == {small.v[2].uuid, small.v[3].uuid, small.v[5].uuid}
    assert set(q3.options[1].figure.visit_uuids) == {small.v[2].uuid, small.v[5].uuid}


def test_finding_sentence_uses_the_question_wording(small):
    f = {x.question_code: x for x in findings(small.mission)}
    assert f["Q1"].sentence == "Late in 2 of 4 (50%)."
    assert {x.question_code: x for x in findings(small.mission, team=small.t1)}["Q1"].figure.count == 1
    f_none = {x.question_code: x for x in findings(small.mission, team=small.t1)}
    small.v[2].answers.filter(question__code="Q1").update(
        option=small.v[2].checklist_version.questions.get(code="Q1").options.get(value="yes")
    )
    f_none = {x.question_code: x for x in findings(small.mission, team=small.t1)}
    assert f_none["Q1"].sentence == "All stations opened on time."


def test_serious_irregularities(small):
    s = serious_irregularities(small.mission)
    assert (s.count, s.total, s.percent) == (2, 4, 50)
    assert set(s.visit_uuids) == {small.v[2].uuid, small.v[5].uuid}
    t2 = serious_irregularities(small.mission, team=small.t2)
    assert (t2.count, t2.total, t2.visit_uuids) == (0, 1, ())


def test_incidents_by_category(small):
    make_incident(small.v[2], Incident.Category.VIOLENCE)
    make_incident(small.v[1], Incident.Category.VIOLENCE)
    make_incident(small.v[4], Incident.Category.CAMPAIGNING)
    rows = incidents_by_category(small.mission)
    assert [(r.category, r.incidents, r.stations) for r in rows] == [
        ("violence", 2, 1),
        ("campaigning", 1, 1),
    ]
    assert rows[0].label == "Violence or intimidation"
    assert [r.category for r in incidents_by_category(small.mission, team=small.t2)] == ["campaigning"]


def test_selectors_use_a_constant_number_of_queries(small, django_assert_max_num_queries):
    from tests.helpers.results import file_visit as fv

    def run():
        coverage(small.mission, area_level=1)
        question_results(small.mission, area_level=2)
        findings(small.mission)
        serious_irregularities(small.mission)

    with django_assert_max_num_queries(30) as before:
        run()
    for n in range(20):
        fv(
            small.checklist.current_version,
            small.s[5],
            small.idle,
            arrived=at("09:00").replace(minute=n),
            answers={"Q1": "yes", "Q3": ["none"], "Q5": "good"},
        )
    with django_assert_max_num_queries(len(before.captured_queries)):
        run()


def test_hours_are_utc_aware(small):
    hour = coverage(small.mission).visits_per_hour[0].hour
    assert hour == datetime(2024, 2, 7, 6, tzinfo=hour.tzinfo) and hour.utcoffset().total_seconds() == 0
