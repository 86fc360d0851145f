"""The dashboard's pre-aggregated counts must equal the exact live figures after every kind of change."""

import random
from datetime import timedelta

import pytest

from missions.models import Role
from polling.models import Visit
from reports.models import ResultCount, ResultState, ResultStationCount, ResultVisit
from reports.results.selectors import coverage, dashboard_data, findings, question_results, refresh_results
from reports.results.selectors import serious_irregularities as serious
from tests.helpers.factories import make_member, make_station, make_team
from tests.helpers.results import (
    add_version,
    at,
    build_small,
    edit_visit,
    file_visit,
    v1_questions,
    v2_questions,
)


@pytest.fixture
def small(mission):
    return build_small(mission)


def figures_of_findings(items):
    return [
        (
            f.question_code,
            f.severity,
            f.figure.count,
            f.figure.total,
            [(o.value, o.figure.count) for o in f.options],
        )
        for f in items
    ]


def assert_dashboard_matches_live(mission, *, team=None, area=None):
    d = dashboard_data(mission, team=team, area=area)
    checklist = d.checklists[0][0] if d.checklists else None
    assert d.results == question_results(mission, checklist=checklist, team=team, area=area)
    assert figures_of_findings(d.findings) == figures_of_findings(findings(mission, team=team, area=area))
    s = serious(mission, team=team, area=area)
    assert (d.serious.count, d.serious.total) == (s.count, s.total)
    live = coverage(mission, team=team, area=area)
    got = d.coverage
    assert (got.stations_planned, got.stations_visited, got.planned_visited, got.visits, got.teams) == (
        live.stations_planned,
        live.stations_visited,
        live.planned_visited,
        live.visits,
        live.teams,
    )
    assert got.visits_per_hour == live.visits_per_hour
    assert [r for r in got.by_area if r.visits] == [r for r in live.by_area if r.visits]
    if team is None and area is None:
        assert got.by_team == live.by_team
    for level in (1, 2):
        for question in ("Q1", "Q3", "Q4", "Q5"):
            b = dashboard_data(
                mission, team=team, area=area, checklist=checklist, question=question, area_level=level
            )
            want = question_results(
                mission, checklist=checklist, team=team, area=area, area_level=level, question=question
            )[0]
            assert b.breakdown == want
    if team is None:
        b = dashboard_data(mission, area=area, checklist=checklist, question="Q3", by_team=True)
        assert (
            b.breakdown
            == question_results(mission, checklist=checklist, area=area, by_team=True, question="Q3")[0]
        )


def all_slices(small):
    from polling.models import Area

    yield {}
    yield {"team": small.t1}
    yield {"team": small.t2}
    for area in Area.objects.filter(mission=small.mission):
        yield {"area": area}


def check_all(small):
    for kwargs in all_slices(small):
        assert_dashboard_matches_live(small.mission, **kwargs)


def test_first_refresh_counts_every_visit(small):
    report = refresh_results(small.mission.pk)
    assert report.locked and report.rebuilt and report.changed_visits == 5
    check_all(small)


def test_nothing_changed_nothing_done(small):
    refresh_results(small.mission.pk)
    version = ResultState.objects.get(mission=small.mission).version
    report = refresh_results(small.mission.pk)
    assert (report.rebuilt, report.changed_visits, report.version) == (False, 0, version)


def test_edits_moves_and_deletions_are_applied_incrementally(small):
    refresh_results(small.mission.pk)
    edit_visit(small.v[2], answers={"Q1": "yes", "Q2": "yes", "Q3": ["seals"], "Q4": 12, "Q5": "good"})
    edit_visit(small.v[3], team=small.t2)  # moved to another team
    small.v[5].delete()
    o3 = make_member(small.mission, Role.OBSERVER, team=small.t2)
    file_visit(
        small.checklist.current_version,
        small.s[5],
        o3,
        arrived="09:05",
        answers={"Q1": "no", "Q7": "yes", "Q2": "no", "Q3": ["ballots"], "Q4": 12, "Q5": "bad"},
    )
    report = refresh_results(small.mission.pk)
    assert (report.rebuilt, report.changed_visits) == (False, 4)
    check_all(small)
    # nothing left over: zero rows are removed, snapshots match the visits
    assert not ResultCount.objects.filter(visits=0, stations=0).exists()
    assert not ResultStationCount.objects.filter(visits=0).exists()
    assert (
        ResultVisit.objects.filter(mission=small.mission).count()
        == Visit.objects.filter(mission=small.mission).count()
    )


def test_team_set_null_without_touching_updated_at_is_noticed(small):
    refresh_results(small.mission.pk)
    Visit.objects.filter(team=small.t2).update(team=None)  # what deleting a team does
    refresh_results(small.mission.pk)
    check_all(small)


def test_changed_flags_or_station_area_rebuild_the_counts(small):
    refresh_results(small.mission.pk)
    from polling.models import Option

    Option.objects.filter(question__code="Q1", value="no").update(flagged=False)
    assert refresh_results(small.mission.pk).rebuilt
    check_all(small)
    from tests.helpers.factories import make_area

    small.s[3].area = make_area(small.mission, "South > D")
    small.s[3].save()
    assert refresh_results(small.mission.pk).rebuilt
    check_all(small)


def test_a_new_checklist_version_rebuilds_and_merges_by_code(small):
    refresh_results(small.mission.pk)
    v3 = add_version(small.checklist, v2_questions())
    file_visit(
        v3,
        small.s[2],
        small.idle,
        arrived="10:00",
        answers={"Q1": "no", "Q7": "no", "Q3": ["seals"], "Q5": "good"},
    )
    assert refresh_results(small.mission.pk).rebuilt
    check_all(small)


def test_planned_coverage_follows_the_plan(small):
    refresh_results(small.mission.pk)
    small.t2.stations.remove(small.s[5])
    report = refresh_results(small.mission.pk)
    assert (
        report.changed_visits == 0
        and report.version == ResultState.objects.get(mission=small.mission).version
    )
    d = dashboard_data(small.mission)
    assert (d.coverage.stations_planned, d.coverage.planned_visited) == (4, 4)


def test_small_batches_give_the_same_counts(small):
    refresh_results(small.mission.pk, batch=2)
    check_all(small)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_random_missions_and_random_changes(mission, seed):
    """Many visits, random answers (some skipped), random edits, moves and deletions, in several rounds."""
    rng = random.Random(seed)
    from tests.helpers.factories import make_area
    from tests.helpers.results import make_checklist

    teams = [make_team(mission, f"Team {i}") for i in range(3)]
    areas = [make_area(mission, p) for p in ("N > A", "N > B", "S > C", "S > D > E")]
    stations = [make_station(mission, f"P{i}", area=rng.choice(areas + [None])) for i in range(12)]
    for t in teams:
        t.stations.set(rng.sample(stations, 5))
    observers = [make_member(mission, Role.OBSERVER, team=rng.choice(teams + [None])) for _ in range(5)]
    checklist = make_checklist(mission, "opening", questions=v1_questions())
    versions = [checklist.current_version, add_version(checklist, v2_questions())]

    def random_answers():
        a = {}
        if rng.random() < 0.9:
            a["Q1"] = rng.choice(["yes", "no"])
            if a["Q1"] == "no" and rng.random() < 0.8:
                a["Q7"] = rng.choice(["yes", "no"])
        if rng.random() < 0.7:
            a["Q2"] = rng.choice(["yes", "no"])
        if rng.random() < 0.9:
            a["Q3"] = rng.sample(["ballots", "seals", "none"], rng.randint(1, 2))
        if rng.random() < 0.7:
            a["Q4"] = rng.choice([0, 5, 7.5, 10, 12.25, 30])
        if rng.random() < 0.9:
            a["Q5"] = rng.choice(["very_good", "good", "bad", "very_bad"])
        return a

    def new_visit():
        o = rng.choice(observers)
        return file_visit(
            rng.choice(versions),
            rng.choice(stations),
            o,
            arrived=at("06:00") + timedelta(minutes=rng.randint(0, 600)),
            answers=random_answers(),
        )

    visits = [new_visit() for _ in range(30)]
    refresh_results(mission.pk)
    for _round in range(3):
        for v in rng.sample(visits, 6):
            if not Visit.objects.filter(pk=v.pk).exists():
                continue
            action = rng.choice(["edit", "move", "delete", "team"])
            if action == "edit":
                edit_visit(v, answers=random_answers())
            elif action == "move":
                edit_visit(v, station=rng.choice(stations))
            elif action == "team":
                edit_visit(v, team=rng.choice(teams + [None]))
            else:
                v.delete()
        visits += [new_visit() for _ in range(5)]
        refresh_results(mission.pk, batch=7)
        for kwargs in [{}, *({"team": t} for t in teams), *({"area": a} for a in areas)]:
            assert_dashboard_matches_live(mission, **kwargs)
