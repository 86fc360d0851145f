"""The secretariat sets a mission up in the browser and an invited observer joins it."""

import re
from pathlib import Path

import pytest
from django.core import mail

from missions.models import Member, Mission, Role
from polling.models import PollingStation
from tests.browser.conftest import login, screenshot
from tests.helpers.factories import PASSWORD, make_member, make_mission

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

FCT = Path(__file__).resolve().parent.parent / "fixtures" / "stations" / "nigeria_fct_excerpt.csv"


@pytest.fixture
def viewport() -> dict:
    return {"width": 1280, "height": 900}


def test_secretariat_sets_up_a_mission_and_the_invited_observer_joins(page, live_server, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    secretariat = make_member(make_mission("earlier-mission"), Role.SECRETARIAT)
    login(page, live_server, secretariat.user.email, PASSWORD)

    # 1. A new mission.
    page.goto(f"{live_server.url}/missions/new/")
    page.fill("#id_code", "ng-fct-2023")
    page.fill("#id_name", "EU Election Observation Mission Nigeria")
    page.fill("#id_organization", "European Union")
    page.fill("#id_election", "General Elections")
    page.fill("#id_country", "Nigeria")
    page.select_option("#id_time_zone", "Africa/Lagos")
    page.fill("#id_election_date", "2023-02-25")
    page.fill("#id_observation_start", "2023-02-20")
    page.fill("#id_observation_end", "2023-02-28")
    page.fill("#id_area_levels", "State > LGA > Ward")
    page.fill("#id_statement_level_name", "LGA")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    mission = Mission.objects.get(code="ng-fct-2023")
    assert mission.area_levels == ["State", "LGA", "Ward"] and mission.statement_level == 2
    assert mission.time_zone == "Africa/Lagos"
    assert page.url.endswith("/m/ng-fct-2023/")

    # 2. Import the Nigerian list through the mapping step.
    page.goto(f"{live_server.url}/m/ng-fct-2023/stations/import/")
    page.set_input_files("input[type=file]", str(FCT))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/stations/import/" in page.url
    headers = FCT.read_text().splitlines()[0].split(",")
    for field, header in {
        "code": "delimitation",
        "name": "pu_name",
        "area_0": "state_name",
        "area_1": "lga_name",
        "area_2": "ward_name",
    }.items():
        page.select_option(f"select[name={field}]", str(headers.index(header)))
    screenshot(page, "setup-flow-mapping-desktop")
    with page.expect_navigation():
        page.click("main form button[type=submit]:not([name=discard])")
    assert PollingStation.objects.filter(mission=mission).count() == 24
    station = PollingStation.objects.get(mission=mission, code="37/01/01/001")
    assert station.area.path == "FEDERAL CAPITAL TERRITORY > ABAJI > ABAJI CENTRAL"

    # 3. A team that plans every station in one ward.
    page.goto(f"{live_server.url}/m/ng-fct-2023/teams/new/")
    page.fill("#id_name", "Group 1")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    team = mission.teams.get(name="Group 1")
    page.goto(f"{live_server.url}/m/ng-fct-2023/teams/{team.uuid}/stations/?q=37/01/01")
    expected = PollingStation.objects.filter(mission=mission, code__startswith="37/01/01").count()
    assert expected > 0
    page.once("dialog", lambda dialog: dialog.accept())  # "Add all N matching stations?"
    with page.expect_navigation():
        page.click("button[name=action][value=add_matching]")
    assert team.stations.count() == expected

    # 4. Invite an observer to that team.
    page.goto(f"{live_server.url}/m/ng-fct-2023/members/invite/")
    page.fill("#id_email", "new.observer@example.org")
    page.fill("#id_name", "Amina Bello")
    page.select_option("#id_role", Role.OBSERVER)
    page.fill("#id_country", "Ghana")
    page.select_option("#id_team", str(team.uuid))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert len(mail.outbox) == 1
    link = re.search(r"https?://\S+/invitations/\S+/", mail.outbox[0].body).group(0)

    # 5. The observer follows the link in a fresh session, sets a password and is in.
    page.context.clear_cookies()
    page.goto(link)
    page.fill("#id_name", "Amina Bello")
    page.fill("#id_password1", "observer-password-2023")
    page.fill("#id_password2", "observer-password-2023")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    member = Member.objects.get(mission=mission, user__email="new.observer@example.org")
    assert (member.role, member.team_id, member.country) == (Role.OBSERVER, team.pk, "Ghana")
    assert "/m/ng-fct-2023/" in page.url

    # ... and can log in again with that password.
    page.context.clear_cookies()
    login(page, live_server, "new.observer@example.org", "observer-password-2023")
    assert "EU Election Observation Mission Nigeria" in page.content()
