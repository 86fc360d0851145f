"""Mission list, creation, page and editing, through the client."""

import datetime

import pytest
from django.urls import reverse

from missions.models import AuditEntry, Member, Mission, Role, User
from tests.conftest import client_for
from tests.helpers.factories import PASSWORD, make_member, make_mission, make_station, make_team

pytestmark = pytest.mark.django_db


def mission_data(**overrides):
    data = {
        "code": "ots-kg-2025",
        "name": "OTS Observation Mission to Kyrgyzstan",
        "organization": "Organization of Turkic States",
        "election": "Parliamentary Elections",
        "country": "Kyrgyzstan",
        "time_zone": "Asia/Bishkek",
        "election_date": "2025-11-30",
        "observation_start": "2025-11-26",
        "observation_end": "2025-12-01",
        "status": "setup",
        "area_levels": "Region > District",
        "statement_level_name": "District",
    }
    data.update(overrides)
    return data


def test_anonymous_is_sent_to_login(client, mission):
    for url in (
        reverse("missions:list"),
        reverse("missions:create"),
        reverse("missions:detail", args=[mission.code]),
    ):
        response = client.get(url)
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("account_login"))


def test_mission_list_shows_only_the_users_active_missions(client, mission, secretariat, outsider):
    make_member(make_mission("left-mission", name="A mission I left"), user=secretariat.user, is_active=False)
    response = client_for(client, secretariat).get(reverse("missions:list"))
    assert response.status_code == 200
    assert [m.code for m in response.context["missions"]] == ["ots-az-2024"]
    assert "A mission I left" not in response.text
    assert outsider.mission.name not in response.text


def test_mission_list_counts_members_and_stations_without_multiplying_them(
    client, mission, secretariat, observer
):
    for _ in range(3):
        make_station(mission)
    response = client_for(client, secretariat).get(reverse("missions:list"))
    [listed] = response.context["missions"]
    assert (listed.member_count, listed.station_count) == (2, 3)


def test_secretariat_creates_a_mission_and_joins_it_as_secretariat(client, secretariat):
    response = client_for(client, secretariat).post(reverse("missions:create"), mission_data())
    mission = Mission.objects.get(code="ots-kg-2025")
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:detail", args=["ots-kg-2025"])
    assert mission.area_levels == ["Region", "District"]
    assert mission.statement_level == 2
    assert Member.objects.get(mission=mission).user == secretariat.user
    assert Member.objects.get(mission=mission).role == Role.SECRETARIAT
    entry = AuditEntry.objects.get(action="mission.create")
    assert (entry.actor, entry.mission_code) == (secretariat.user, "ots-kg-2025")


def test_mission_form_refuses_an_election_outside_the_observation_period(client, secretariat):
    response = client_for(client, secretariat).post(
        reverse("missions:create"), mission_data(election_date="2025-12-24")
    )
    assert response.status_code == 200
    assert "election_date" in response.context["form"].errors
    assert not Mission.objects.filter(code="ots-kg-2025").exists()


def test_observer_may_not_create_a_mission(client, observer):
    response = client_for(client, observer).post(reverse("missions:create"), mission_data())
    assert response.status_code == 403
    assert not Mission.objects.filter(code="ots-kg-2025").exists()


def test_member_sees_the_mission_page(client, mission, observer, team):
    response = client_for(client, observer).get(reverse("missions:detail", args=[mission.code]))
    assert response.status_code == 200
    assert response.context["access"].member == observer
    assert team.get_absolute_url() in response.text  # their own team opens


def test_mission_page_links_only_the_observers_own_team(client, mission, observer):
    other = make_team(mission, "Group 9")
    response = client_for(client, observer).get(reverse("missions:detail", args=[mission.code]))
    assert "Group 9" in response.text
    assert other.get_absolute_url() not in response.text


def test_outsider_gets_404_on_the_mission_page(client, mission, outsider):
    response = client_for(client, outsider).get(reverse("missions:detail", args=[mission.code]))
    assert response.status_code == 404


def test_removed_member_gets_404(client, mission):
    gone = make_member(mission, Role.SECRETARIAT, is_active=False)
    assert client_for(client, gone).get(reverse("missions:detail", args=[mission.code])).status_code == 404


def test_secretariat_edits_the_mission_but_not_its_code(client, mission, secretariat):
    old_name = mission.name
    url = reverse("missions:edit", args=[mission.code])
    response = client_for(client, secretariat).post(
        url,
        mission_data(
            code="changed",
            name="Renamed",
            election_date="2024-02-07",
            observation_start="2024-02-04",
            observation_end="2024-02-08",
            status="active",
        ),
    )
    assert response.status_code == 302
    mission.refresh_from_db()
    assert (mission.code, mission.name, mission.status) == ("ots-az-2024", "Renamed", "active")
    assert mission.observation_end == datetime.date(2024, 2, 8)
    changes = AuditEntry.objects.get(action="mission.update").changes
    assert changes["name"] == [old_name, "Renamed"]
    assert changes["status"] == ["setup", "active"]
    assert "code" not in changes


def test_observer_may_not_edit_the_mission(client, mission, observer):
    url = reverse("missions:edit", args=[mission.code])
    assert client_for(client, observer).get(url).status_code == 403
    response = client.post(url, mission_data(name="Hijacked"))
    assert response.status_code == 403
    mission.refresh_from_db()
    assert mission.name != "Hijacked"


def test_outsider_gets_404_on_mission_edit(client, mission, outsider):
    response = client_for(client, outsider).post(
        reverse("missions:edit", args=[mission.code]), mission_data(name="X")
    )
    assert response.status_code == 404
    mission.refresh_from_db()
    assert mission.name != "X"


def test_mission_page_shows_the_set_up_progress_to_set_up_roles_only(
    client, mission, secretariat, observer, team
):
    make_member(mission, Role.OBSERVER)  # not in a team yet
    planned = make_station(mission)
    make_station(mission)
    team.stations.add(planned)
    response = client_for(client, secretariat).get(reverse("missions:detail", args=[mission.code]))
    assert response.context["setup"] == {
        "pending_invitations": 0,
        "members_without_team": 1,  # the secretariat member needs no team
        "planned_stations": 1,
        "meeting_count": 0,
    }
    response = client_for(client, observer).get(reverse("missions:detail", args=[mission.code]))
    assert response.context["setup"] is None
    assert reverse("missions:member_invite", args=[mission.code]) not in response.text


def test_login_page_is_the_sites_and_has_no_sign_up(client):
    response = client.get(reverse("account_login"))
    assert response.status_code == 200
    assert "missions/_mission_nav.html" not in [t.name for t in response.templates]
    assert "base.html" in [t.name for t in response.templates]
    assert reverse("account_signup") not in response.text


def test_logging_in_by_email_lands_on_my_missions(client, secretariat):
    response = client.post(reverse("account_login"), {"login": secretariat.user.email, "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:list")


def test_nobody_can_sign_up_on_their_own(client):
    response = client.post(
        reverse("account_signup"),
        {
            "email": "walk-in@example.org",
            "password1": "plum-orchard-sunrise-17",
            "password2": "plum-orchard-sunrise-17",
        },
    )
    assert not Member.objects.filter(user__email="walk-in@example.org").exists()
    assert not User.objects.filter(email="walk-in@example.org").exists()
    assert response.status_code == 200  # allauth's "sign-up is closed" page
