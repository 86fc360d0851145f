"""The results dashboard: who sees what, figures on the page, constant queries, the visits behind a figure."""

import re
from datetime import timedelta
from unittest import mock

import pytest
from django.core.cache import cache
from django.urls import reverse

from missions.models import Role
from reports.results.selectors import refresh_results
from tests.conftest import client_for
from tests.helpers.factories import make_member
from tests.helpers.results import at, build_small, file_visit


@pytest.fixture
def small(mission):
    cache.clear()
    data = build_small(mission)
    refresh_results(mission.pk)
    return data


def url(name, mission, **kw):
    return reverse(f"reports:{name}", kwargs={"code": mission.code, **kw})


@pytest.fixture(autouse=True)
def no_worker():
    """The dashboard asks the worker for fresh counts; here the tests refresh them themselves."""
    with mock.patch("reports.results.tasks.refresh_mission_results.delay") as delay:
        yield delay


def test_head_of_mission_sees_the_mission_figures(client, small, head_of_mission):
    response = client_for(client, head_of_mission).get(url("results", small.mission))
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-visits="5"' in html
    assert "4 of 5 planned stations visited" in html
    assert "serious irregularities: 2 of 4 stations visited" in html
    assert "assessed negatively in 40%" in html
    assert "minimum 10 · median 22.5 · maximum 30" in html


def test_secretariat_may_look_at_one_team(client, small, secretariat):
    response = client_for(client, secretariat).get(
        url("results", small.mission), {"team": str(small.t2.uuid)}
    )
    assert 'data-visits="1"' in response.content.decode()


def test_team_leader_sees_only_their_team_whatever_they_ask(client, small):
    leader = make_member(small.mission, Role.TEAM_LEADER, team=small.t2)
    c = client_for(client, leader)
    html = c.get(url("results", small.mission), {"team": str(small.t1.uuid)}).content.decode()
    assert 'data-visits="1"' in html
    assert "Coverage by team" not in html
    assert 'data-visits="1"' in c.get(url("results_panel", small.mission)).content.decode()
    visits = c.get(url("figure_visits", small.mission), {"team": str(small.t1.uuid)})
    assert [v.pk for v in visits.context["page"]] == [small.v[4].pk]


def test_team_leader_without_a_team_gets_403(client, small):
    leader = make_member(small.mission, Role.TEAM_LEADER)
    assert client_for(client, leader).get(url("results", small.mission)).status_code == 403


def test_observer_gets_403(client, small, observer):
    c = client_for(client, observer)
    for name in ("results", "results_panel", "figure_visits", "exports"):
        assert c.get(url(name, small.mission)).status_code == 403


def test_outsider_gets_404(client, small, outsider):
    c = client_for(client, outsider)
    for name in ("results", "results_panel", "figure_visits", "exports"):
        assert c.get(url(name, small.mission)).status_code == 404


def test_anonymous_is_sent_to_log_in(client, small):
    response = client.get(url("results", small.mission))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_breakdown_by_area_level_and_by_team(client, small, head_of_mission):
    c = client_for(client, head_of_mission)
    html = c.get(
        url("results", small.mission), {"by": "1", "checklist": "opening", "question": "Q5"}
    ).content.decode()
    assert "Q5. Question Q5? — by Region" in html
    rows = re.findall(r"<tr>\s*<td>(North|South)</td>\s*<td class=\"text-end\">(\d+)</td>", html)
    assert rows == [("North", "4"), ("South", "1")]
    html = c.get(
        url("results", small.mission), {"by": "team", "checklist": "opening", "question": "Q1"}
    ).content.decode()
    assert re.findall(r"<tr>\s*<td>(Team \d)</td>\s*<td class=\"text-end\">(\d+)</td>", html) == [
        ("Team 1", "4"),
        ("Team 2", "1"),
    ]


def test_panel_keeps_the_filters_in_its_refresh_address(client, small, head_of_mission):
    c = client_for(client, head_of_mission)
    html = c.get(url("results_panel", small.mission), {"area": "North", "by": "2"}).content.decode()
    refresh = re.search(r'hx-get="([^"]+)" hx-trigger="every \d+s"', html).group(1)
    assert "area=North" in refresh and "by=2" in refresh
    assert 'data-visits="4"' in html


def test_panel_uses_a_constant_number_of_queries(
    client, small, head_of_mission, django_assert_max_num_queries
):
    c = client_for(client, head_of_mission)
    c.get(url("results", small.mission))  # session, language... warmed up

    def cold_refresh():
        cache.clear()
        return c.get(
            url("results_panel", small.mission), {"by": "1", "checklist": "opening", "question": "Q3"}
        )

    with django_assert_max_num_queries(40) as small_run:
        cold_refresh()
    for n in range(120):
        observer = small.idle if n % 2 else make_member(small.mission, Role.OBSERVER, team=small.t1)
        file_visit(
            small.checklist.current_version,
            small.s[1 + n % 5],
            observer,
            arrived=at("09:00") + timedelta(minutes=n),
            answers={"Q1": "no", "Q7": "yes", "Q3": ["seals"], "Q4": n, "Q5": "bad"},
        )
    refresh_results(small.mission.pk)
    with django_assert_max_num_queries(len(small_run.captured_queries)):
        response = cold_refresh()
    assert 'data-visits="125"' in response.content.decode()


def test_warm_panel_is_served_from_the_cache_until_the_counts_change(client, small, head_of_mission):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    c = client_for(client, head_of_mission)
    c.get(url("results_panel", small.mission))
    with CaptureQueriesContext(connection) as warm:
        c.get(url("results_panel", small.mission))
    read = " ".join(q["sql"] for q in warm.captured_queries)
    assert "reports_resultstate" in read and "reports_resultcount" not in read and "polling_" not in read
    file_visit(
        small.checklist.current_version, small.s[5], small.idle, arrived="09:30", answers={"Q1": "yes"}
    )
    assert 'data-visits="5"' in c.get(url("results_panel", small.mission)).content.decode()
    refresh_results(small.mission.pk)
    assert 'data-visits="6"' in c.get(url("results_panel", small.mission)).content.decode()


def test_stale_counts_ask_the_worker_once(client, small, head_of_mission, no_worker):
    from reports.models import ResultState

    ResultState.objects.filter(mission=small.mission).update(as_of=at("00:00"))
    c = client_for(client, head_of_mission)
    c.get(url("results_panel", small.mission))
    c.get(url("results_panel", small.mission))
    no_worker.assert_called_once_with(small.mission.pk)


def test_figure_visits_lists_the_visits_behind_each_figure(client, small, head_of_mission):
    c = client_for(client, head_of_mission)

    def pks(**params):
        response = c.get(url("figure_visits", small.mission), params)
        assert response.status_code == 200
        return sorted(v.pk for v in response.context["page"])

    v = {k: x.pk for k, x in small.v.items()}
    assert pks(checklist="opening", question="Q3", option="seals") == sorted([v[2], v[5]])
    assert pks(checklist="opening", question="Q3", flag="flagged") == sorted([v[2], v[3], v[5]])
    assert pks(flag="serious") == sorted([v[2], v[5]])
    assert pks(checklist="opening", question="Q7") == sorted([v[2], v[4]])  # answered it
    assert pks(area="South") == [v[4]]
    assert pks(team=str(small.t1.uuid), question="Q1", option="no") == [v[2]]
    assert pks(hour="2024-02-07T07") == sorted([v[2], v[3]])


def test_every_figure_on_the_dashboard_links_to_its_visits(client, small, head_of_mission):
    html = client_for(client, head_of_mission).get(url("results", small.mission)).content.decode()
    links = set(re.findall(r'href="(/m/[^"]+/results/visits/[^"]*)"', html))
    assert any("option=seals" in link for link in links)
    assert any("flag=serious" in link for link in links)
    assert any("hour=2024-02-07T06" in link for link in links)
    for link in links:
        assert client.get(link.replace("&amp;", "&")).status_code == 200


def test_map_bins_planned_stations_and_marks_the_visited_ones(client, small, head_of_mission):
    from reports.results.selectors.dashboard import station_map

    coords = {1: (41.0, 19.5), 2: (41.0, 19.5), 3: (42.0, 20.0), 4: (40.0, 21.0), 5: (40.0, 21.0)}
    for n, (lat, lon) in coords.items():
        small.s[n].latitude, small.s[n].longitude = lat, lon
        small.s[n].save()
    refresh_results(small.mission.pk)
    m = station_map(small.mission)
    cells = {(round(c.x, 1), round(c.y, 1)): (c.stations, c.visited) for c in m.cells}
    # S1 and S2 share a cell (both visited), S3 alone in the north, S4 visited and S5 not in the south-east
    assert cells == {(0.0, 0.5): (2, 2), (0.3, 0.0): (1, 1), (1.0, 1.0): (2, 1)}
    assert (m.stations, m.visited) == (5, 4)
    t2 = station_map(small.mission, team=small.t2)
    assert (t2.stations, t2.visited) == (2, 1)
    cache.clear()
    html = client_for(client, head_of_mission).get(url("results", small.mission)).content.decode()
    assert html.count('<circle class="') == 3 and '<circle class="partly"' in html


def test_while_one_viewer_renders_a_new_version_the_others_get_the_previous_one(
    client, small, head_of_mission
):
    c = client_for(client, head_of_mission)
    assert 'data-visits="5"' in c.get(url("results_panel", small.mission)).content.decode()
    file_visit(
        small.checklist.current_version, small.s[5], small.idle, arrived="09:30", answers={"Q1": "yes"}
    )
    refresh_results(small.mission.pk)
    with mock.patch("reports.results.panels.cache.add", return_value=False):  # someone else holds the lock
        assert 'data-visits="5"' in c.get(url("results_panel", small.mission)).content.decode()
    assert 'data-visits="6"' in c.get(url("results_panel", small.mission)).content.decode()


def test_open_missions_are_refreshed_by_the_periodic_task(small):
    from missions.models import Mission
    from reports.models import ResultState
    from reports.results.tasks import refresh_open_missions_results

    file_visit(
        small.checklist.current_version, small.s[5], small.idle, arrived="09:30", answers={"Q1": "yes"}
    )
    Mission.objects.filter(pk=small.mission.pk).update(status=Mission.Status.CLOSED)
    refresh_open_missions_results()
    assert (
        ResultState.objects.get(mission=small.mission).last_changed_visits == 5
    )  # from the fixture's refresh
    Mission.objects.filter(pk=small.mission.pk).update(status=Mission.Status.ACTIVE)
    refresh_open_missions_results()
    assert ResultState.objects.get(mission=small.mission).last_changed_visits == 1


def test_the_worker_renders_the_watched_panels_after_a_refresh(client, small, head_of_mission):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from reports.results.panels import warm_panels

    c = client_for(client, head_of_mission)
    c.get(url("results_panel", small.mission), {"area": "North"})
    c.get(url("results_panel", small.mission))
    file_visit(
        small.checklist.current_version, small.s[1], small.idle, arrived="09:30", answers={"Q1": "yes"}
    )
    refresh_results(small.mission.pk)
    assert warm_panels(small.mission) == 2
    assert warm_panels(small.mission) == 0  # already current
    with CaptureQueriesContext(connection) as ctx:
        html = c.get(url("results_panel", small.mission), {"area": "North"}).content.decode()
    assert 'data-visits="5"' in html  # 4 in North + the new one
    assert "reports_resultcount" not in " ".join(q["sql"] for q in ctx.captured_queries)


def test_coverage_level_and_breakdown_level_are_chosen_separately(client, small, head_of_mission):
    c = client_for(client, head_of_mission)
    html = c.get(
        url("results_panel", small.mission),
        {"level": "1", "by": "2", "checklist": "opening", "question": "Q1"},
    ).content.decode()
    assert "Coverage by Region" in html and "— by City" in html
    coverage = html[html.index("Coverage by Region") : html.index("Coverage by team")]
    assert "North" in coverage and ">A<" not in coverage


def test_hours_chart_names_the_day_when_visits_span_several_days():
    from datetime import UTC, datetime

    from reports.results.charts import hour_bars
    from reports.results.selectors import HourCount

    one_day = hour_bars([HourCount(datetime(2024, 2, 7, h, tzinfo=UTC), 3) for h in (6, 7)])
    assert [(b.label, b.day) for b in one_day["bars"]] == [("06", ""), ("07", "")]
    two_days = hour_bars(
        [HourCount(datetime(2024, 2, d, h, tzinfo=UTC), n) for d, h, n in ((6, 22, 1), (6, 23, 4), (7, 0, 2))]
    )
    assert [(b.label, b.day) for b in two_days["bars"]] == [("22", "06.02"), ("23", ""), ("00", "07.02")]
    assert [b.height for b in two_days["bars"]] == [25.5, 102.0, 51.0]  # scaled to the busiest hour
