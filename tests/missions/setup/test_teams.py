"""Teams: list, create, page, edit (name, members, leader), delete, and planning their polling stations."""

import pytest
from django.urls import reverse

from missions import services
from missions.models import AuditEntry, Role, Team
from polling.teams.forms import StationFilterForm
from tests.conftest import client_for
from tests.helpers.factories import make_area, make_member, make_station, make_team

pytestmark = pytest.mark.django_db


def url(name, team, **query):
    namespace = (
        "polling" if name == "team_stations" else "missions"
    )  # a team's plan is polling's (polling/teams/)
    path = reverse(f"{namespace}:{name}", args=[team.mission.code, team.uuid])
    return path + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


@pytest.fixture
def stations(mission):
    """Two regions with cities; 'Baku' must not match 'Bakuvia'."""
    return {
        "nasimi-1": make_station(mission, "001/01", name="School 1 Nasimi", area="Baku > Nasimi"),
        "nasimi-2": make_station(mission, "001/02", name="Lyceum Nasimi", area="Baku > Nasimi"),
        "yasamal": make_station(mission, "002/01", name="School 7", area="Baku > Yasamal"),
        "ganja": make_station(mission, "100/01", name="School 1 Ganja", area="Ganja > Kapaz"),
        "bakuvia": make_station(mission, "900/01", name="Village hall", area="Bakuvia > Centre"),
    }


# List and page


def test_team_list_shows_every_team_but_observers_open_only_their_own(client, mission, team, observer):
    other = make_team(mission, "Group 2")
    response = client_for(client, observer).get(reverse("missions:team_list", args=[mission.code]))
    assert response.status_code == 200
    assert {t.name for t in response.context["teams"]} == {"Group 1", "Group 2"}
    assert team.get_absolute_url() in response.text
    assert other.get_absolute_url() not in response.text
    assert reverse("missions:team_create", args=[mission.code]) not in response.text


def test_team_list_counts_members_and_stations(
    client, mission, team, secretariat, observer, team_leader, stations
):
    team.stations.add(stations["ganja"], stations["yasamal"], stations["bakuvia"])
    response = client_for(client, secretariat).get(reverse("missions:team_list", args=[mission.code]))
    [listed] = response.context["teams"]
    assert (listed.member_count, listed.station_count) == (2, 3)


def test_team_list_is_404_for_outsiders(client, mission, outsider):
    assert (
        client_for(client, outsider).get(reverse("missions:team_list", args=[mission.code])).status_code
        == 404
    )


def test_observer_opens_their_team_but_not_another(client, mission, team, observer, team_leader, stations):
    team.stations.add(stations["ganja"])
    other = make_team(mission, "Group 2")
    client_for(client, observer)
    response = client.get(team.get_absolute_url())
    assert response.status_code == 200
    assert {m.pk for m in response.context["members"]} == {observer.pk, team_leader.pk}
    assert "100/01" in response.text
    assert url("team_edit", team) not in response.text
    assert client.get(other.get_absolute_url()).status_code == 403


def test_team_page_is_404_for_outsiders_and_for_teams_of_other_missions(
    client, mission, team, secretariat, outsider
):
    assert client_for(client, outsider).get(team.get_absolute_url()).status_code == 404
    foreign = make_team(outsider.mission, "Foreign")
    foreign_in_our_mission = reverse("missions:team_detail", args=[mission.code, foreign.uuid])
    assert client_for(client, secretariat).get(foreign_in_our_mission).status_code == 404


def test_team_page_paginates_planned_stations(client, mission, team, secretariat):
    for i in range(60):
        team.stations.add(make_station(mission, f"S{i:03}"))
    response = client_for(client, secretariat).get(team.get_absolute_url())
    assert response.context["stations"].paginator.count == 60
    assert len(response.context["stations"].object_list) == 50
    assert "S059" in client.get(team.get_absolute_url() + "?page=2").text


# Create, edit, delete


def test_secretariat_creates_a_team_with_members_and_a_leader(
    client, mission, secretariat, team, team_leader
):
    newcomer = make_member(mission, Role.OBSERVER)
    response = client_for(client, secretariat).post(
        reverse("missions:team_create", args=[mission.code]),
        {"name": "Group 5", "members": [str(newcomer.uuid)], "leader": str(team_leader.uuid)},
    )
    created = Team.objects.get(mission=mission, name="Group 5")
    assert response.status_code == 302
    assert response["Location"] == created.get_absolute_url()
    newcomer.refresh_from_db()
    team_leader.refresh_from_db()
    team.refresh_from_db()
    # The leader is moved into the new team and stops leading the old one.
    assert (newcomer.team, team_leader.team, created.leader) == (created, created, team_leader)
    assert team.leader is None


def test_team_names_are_unique_in_a_mission_ignoring_case(client, mission, secretariat, team, outsider):
    make_team(outsider.mission, "Group 7")  # another mission's name does not clash
    client_for(client, secretariat)
    response = client.post(reverse("missions:team_create", args=[mission.code]), {"name": "group 1"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    assert (
        client.post(reverse("missions:team_create", args=[mission.code]), {"name": "Group 7"}).status_code
        == 302
    )
    assert Team.objects.filter(mission=mission).count() == 2


def test_observer_may_not_create_a_team_and_outsider_gets_404(client, mission, observer, outsider):
    create = reverse("missions:team_create", args=[mission.code])
    assert client_for(client, observer).post(create, {"name": "Mine"}).status_code == 403
    assert client_for(client, outsider).post(create, {"name": "Mine"}).status_code == 404
    assert not Team.objects.filter(name="Mine").exists()


def test_secretariat_renames_a_team_and_sets_its_members(
    client, mission, secretariat, team, observer, team_leader
):
    newcomer = make_member(mission, Role.OBSERVER)
    response = client_for(client, secretariat).post(
        url("team_edit", team),
        {
            "name": "Group One",
            "members": [str(observer.uuid), str(newcomer.uuid)],
            "leader": str(newcomer.uuid),
        },
    )
    assert response.status_code == 302
    team.refresh_from_db()
    team_leader.refresh_from_db()
    assert team.name == "Group One"
    assert set(team.members.all()) == {observer, newcomer}
    assert team.leader == newcomer
    assert team_leader.team is None
    changes = AuditEntry.objects.get(action="team.update").changes
    assert changes["name"] == ["Group 1", "Group One"]
    assert changes["leader"] == [team_leader.user.email, newcomer.user.email]


def test_renaming_to_another_teams_name_is_a_form_error(client, mission, secretariat, team):
    make_team(mission, "Group 2")
    response = client_for(client, secretariat).post(url("team_edit", team), {"name": "GROUP 2"})
    assert response.status_code == 200
    assert "name" in response.context["form"].errors
    team.refresh_from_db()
    assert team.name == "Group 1"


def test_keeping_the_same_name_is_not_a_clash(client, mission, secretariat, team):
    response = client_for(client, secretariat).post(url("team_edit", team), {"name": "Group 1"})
    assert response.status_code == 302


def test_team_leader_may_not_edit_their_team_and_outsider_gets_404(
    client, mission, team, team_leader, outsider
):
    assert client_for(client, team_leader).post(url("team_edit", team), {"name": "Ours"}).status_code == 403
    assert client_for(client, outsider).post(url("team_edit", team), {"name": "Ours"}).status_code == 404
    team.refresh_from_db()
    assert team.name == "Group 1"


def test_from_the_team_page_add_members_choose_a_leader_and_take_one_out(
    client, mission, secretariat, team, observer, team_leader
):
    other = make_team(mission, "Group 2")
    mover = make_member(mission, Role.OBSERVER, team=other)
    other.leader = mover
    other.save()
    client_for(client, secretariat)
    client.post(
        url("team_edit", team), {"action": "add", "members": [str(mover.uuid), str(secretariat.uuid)]}
    )
    mover.refresh_from_db()
    other.refresh_from_db()
    assert mover.team == team and other.leader is None
    client.post(url("team_edit", team), {"action": "leader", "members": str(observer.uuid)})
    team.refresh_from_db()
    assert team.leader == observer
    client.post(url("team_edit", team), {"action": "remove", "members": str(observer.uuid)})
    team.refresh_from_db()
    observer.refresh_from_db()
    assert observer.team is None and team.leader is None
    assert set(team.members.all()) == {team_leader, mover, secretariat}


def test_only_a_team_member_can_be_made_leader(client, mission, secretariat, team):
    stranger = make_member(mission, Role.OBSERVER)
    response = client_for(client, secretariat).post(
        url("team_edit", team), {"action": "leader", "members": str(stranger.uuid)}
    )
    assert response.status_code == 302
    team.refresh_from_db()
    assert team.leader is None
    assert "add" in client.get(response["Location"]).text.lower()


def test_members_of_another_mission_cannot_be_added(client, mission, secretariat, team, outsider):
    client_for(client, secretariat).post(
        url("team_edit", team), {"action": "add", "members": str(outsider.uuid)}
    )
    outsider.refresh_from_db()
    assert outsider.team is None


def test_observer_may_not_use_the_team_page_actions(client, mission, team, observer, secretariat):
    response = client_for(client, observer).post(
        url("team_edit", team), {"action": "add", "members": str(secretariat.uuid)}
    )
    assert response.status_code == 403
    secretariat.refresh_from_db()
    assert secretariat.team is None


def test_deleting_a_team_asks_first_then_frees_its_members(
    client, mission, secretariat, team, observer, stations
):
    team.stations.add(stations["ganja"])
    client_for(client, secretariat)
    confirm = client.get(url("team_delete", team))
    assert confirm.status_code == 200
    assert Team.objects.filter(pk=team.pk).exists()
    response = client.post(url("team_delete", team))
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:team_list", args=[mission.code])
    assert not Team.objects.filter(pk=team.pk).exists()
    observer.refresh_from_db()
    assert observer.team is None and observer.is_active
    assert stations["ganja"].pk  # the station itself stays
    assert mission.stations.filter(pk=stations["ganja"].pk).exists()


def test_observer_may_not_delete_a_team_and_outsider_gets_404(client, mission, team, observer, outsider):
    assert client_for(client, observer).post(url("team_delete", team)).status_code == 403
    assert client_for(client, outsider).post(url("team_delete", team)).status_code == 404
    assert Team.objects.filter(pk=team.pk).exists()


# Planning polling stations


def codes(response):
    return [s.code for s in response.context["page"].object_list]


def test_station_page_searches_by_code_or_name(client, mission, secretariat, team, stations):
    client_for(client, secretariat)
    assert codes(client.get(url("team_stations", team, q="lyceum"))) == ["001/02"]
    assert codes(client.get(url("team_stations", team, q="001/"))) == ["001/01", "001/02"]


def test_station_page_filters_by_an_area_at_any_level(client, mission, secretariat, team, stations):
    client_for(client, secretariat)
    assert codes(client.get(url("team_stations", team, area="Baku"))) == ["001/01", "001/02", "002/01"]
    assert codes(client.get(url("team_stations", team, area="Baku > Nasimi"))) == ["001/01", "001/02"]
    combined = client.get(url("team_stations", team, area="Baku", q="school"))
    assert codes(combined) == ["001/01", "002/01"]


def test_area_choices_open_the_chosen_branch_only(client, mission, secretariat, team, stations):
    response = client_for(client, secretariat).get(url("team_stations", team, area="Baku"))
    paths = [path for path, _label in response.context["filters"].area_choices()]
    assert paths == ["Baku", "Baku > Nasimi", "Baku > Yasamal", "Bakuvia", "Ganja"]


def test_unknown_area_is_reported_not_ignored(client, mission, secretariat, team, stations):
    response = client_for(client, secretariat).get(url("team_stations", team, area="Atlantis"))
    assert response.status_code == 200
    assert "area" in response.context["filters"].errors


def test_station_page_shows_which_stations_are_planned_and_by_whom(
    client, mission, secretariat, team, stations
):
    other = make_team(mission, "Group 2")
    team.stations.add(stations["ganja"])
    other.stations.add(stations["ganja"], stations["yasamal"])
    response = client_for(client, secretariat).get(url("team_stations", team))
    rows = {s.code: s for s in response.context["page"].object_list}
    assert rows["100/01"].is_planned and not rows["002/01"].is_planned
    assert [t.name for t in rows["002/01"].other_teams] == ["Group 2"]
    unplanned = client.get(url("team_stations", team, unplanned="on"))
    assert codes(unplanned) == ["001/01", "001/02", "900/01"]


def test_station_page_paginates(client, mission, secretariat, team):
    for i in range(120):
        make_station(mission, f"P{i:03}")
    response = client_for(client, secretariat).get(url("team_stations", team, page=3))
    assert response.context["page"].paginator.count == 120
    assert codes(response) == [f"P{i:03}" for i in range(100, 120)]


def test_secretariat_adds_ticked_stations(client, mission, secretariat, team, stations):
    response = client_for(client, secretariat).post(
        url("team_stations", team),
        {"action": "add_selected", "stations": [stations["ganja"].pk, stations["yasamal"].pk], "q": "school"},
    )
    assert response.status_code == 302
    assert response["Location"] == url("team_stations", team, q="school")
    assert set(team.stations.values_list("code", flat=True)) == {"100/01", "002/01"}


def test_adding_all_matching_stations_adds_exactly_the_filtered_ones(
    client, mission, secretariat, team, stations
):
    team.stations.add(stations["nasimi-1"])  # already planned: no duplicate, no error
    response = client_for(client, secretariat).post(
        url("team_stations", team), {"action": "add_matching", "area": "Baku"}
    )
    assert response.status_code == 302
    assert sorted(team.stations.values_list("code", flat=True)) == ["001/01", "001/02", "002/01"]
    assert Team.stations.through.objects.filter(team=team).count() == 3
    assert "2 polling station" in client.get(response["Location"]).text


def test_adding_many_matching_stations_goes_in_batches(mission, team, secretariat, monkeypatch):
    monkeypatch.setattr(services, "STATION_BATCH", 7)
    for i in range(30):
        make_station(mission, f"B{i:03}")
    added = services.team_stations_add(team=team, stations=mission.stations.all(), actor=secretariat.user)
    assert added == 30
    assert team.stations.count() == 30
    entry = AuditEntry.objects.get(action="team.stations_add")
    assert entry.changes == {"stations": [None, 30], "planned_now": [None, 30]}


def test_stations_of_another_mission_cannot_be_added(client, mission, secretariat, team, outsider):
    foreign = make_station(outsider.mission, "X-1")
    response = client_for(client, secretariat).post(
        url("team_stations", team), {"action": "add_selected", "stations": [foreign.pk]}
    )
    assert response.status_code == 302
    assert team.stations.count() == 0
    assert (
        services.team_stations_add(
            team=team, stations=outsider.mission.stations.all(), actor=secretariat.user
        )
        == 0
    )
    assert team.stations.count() == 0


def test_adding_with_nothing_ticked_explains_why(client, mission, secretariat, team, stations):
    response = client_for(client, secretariat).post(url("team_stations", team), {"action": "add_selected"})
    assert "Tick at least one" in client.get(response["Location"]).text
    assert team.stations.count() == 0


def test_secretariat_removes_ticked_and_all_matching_planned_stations(
    client, mission, secretariat, team, stations
):
    other = make_team(mission, "Group 2")
    team.stations.add(*stations.values())
    other.stations.add(stations["nasimi-1"])
    client_for(client, secretariat)
    client.post(
        url("team_stations", team),
        {"action": "remove_selected", "stations": [stations["ganja"].pk], "show": "planned"},
    )
    assert team.stations.count() == 4
    response = client.post(
        url("team_stations", team), {"action": "remove_matching", "area": "Baku", "show": "planned"}
    )
    assert response["Location"] == url("team_stations", team, area="Baku", show="planned")
    assert list(team.stations.values_list("code", flat=True)) == ["900/01"]
    assert list(other.stations.all()) == [stations["nasimi-1"]]  # another team's plan is untouched


def test_planned_tab_lists_only_this_teams_stations(client, mission, secretariat, team, stations):
    team.stations.add(stations["ganja"], stations["nasimi-2"])
    response = client_for(client, secretariat).get(url("team_stations", team, show="planned"))
    assert codes(response) == ["001/02", "100/01"]


def test_observers_and_team_leaders_cannot_plan_stations(
    client, mission, team, observer, team_leader, stations
):
    for member in (observer, team_leader):
        client_for(client, member)
        assert client.get(url("team_stations", team)).status_code == 403
        post = client.post(url("team_stations", team), {"action": "add_matching"})
        assert post.status_code == 403
    assert team.stations.count() == 0


def test_outsider_gets_404_on_station_planning(client, mission, team, outsider, stations):
    assert (
        client_for(client, outsider).post(url("team_stations", team), {"action": "add_matching"}).status_code
        == 404
    )
    assert team.stations.count() == 0


def test_anonymous_is_sent_to_login_from_team_pages(client, team):
    for name in ("team_detail", "team_edit", "team_delete", "team_stations"):
        response = client.get(url(name, team))
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))


def test_area_filter_escapes_like_wildcards(mission, team):
    """An area named with % or _ must not match unrelated areas through LIKE."""
    make_station(mission, "W-1", area=make_area(mission, "North_East > A"))
    make_station(mission, "W-2", area=make_area(mission, "NorthXEast > B"))
    form = StationFilterForm({"area": "North_East"}, mission=mission)
    assert [s.code for s in form.filter(mission.stations.all())] == ["W-1"]
