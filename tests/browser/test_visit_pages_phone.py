"""The visit, review and incident pages on a 390 px phone: nothing scrolls sideways except the history
table inside its own frame. Leaves screenshots in artifacts/screenshots/ for a person to look at."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from polling import visits
from tests.browser.conftest import login, screenshot
from tests.conftest import client_for
from tests.helpers.factories import PASSWORD, make_station
from tests.helpers.visits import make_checklist, payload

pytestmark = pytest.mark.browser

WIDTH = 390


def fits(tab) -> bool:
    return tab.evaluate("document.documentElement.scrollWidth") <= WIDTH


@pytest.fixture
def corrected_visit(mission, observer, team_leader):
    version = make_checklist(mission)
    station = make_station(mission, "0001-00", name="Secondary School No. 132 named after Heydar Aliyev")
    body = payload(version, station, notes="A long queue outside before opening; the chairperson was calm.")
    visit = visits.visit_submit(mission=mission, member=observer, payload=body)[0]
    body = {
        **body,
        "answers": {**body["answers"], "A6": "no", "A7": "The seal on the box was cut."},
        "revision": 1,
    }
    client_for(Client(), observer).put(
        reverse("polling:api_visit_update", kwargs={"code": mission.code, "visit": visit.uuid}),
        data=json.dumps(body),
        content_type="application/json",
    )
    visits.incident_report(
        mission=mission,
        member=observer,
        payload={
            "uuid": "6f1c2d4e-8b1a-4c1e-9d7a-0a1b2c3d4e5f",
            "station": station.code,
            "visit": str(visit.uuid),
            "occurred_at": "2024-02-07T08:05:00+04:00",
            "category": "ballot_stuffing",
            "description": "A voter put several ballots in the box.",
        },
    )
    return visit


def test_visit_pages_fit_a_phone(page, live_server, mission, team_leader, corrected_visit):
    login(page, live_server, team_leader.user.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{mission.code}/visits/")
    assert page.locator(".visit-list a").count() == 1 and fits(page)
    screenshot(page, "visits-list-390")

    page.click(".visit-list a")
    assert page.locator(".visit-answers .list-group-item-danger").count() == 1  # A6: the box was not sealed
    assert page.locator(".visit-history tbody tr").count() == 2
    assert fits(page)
    screenshot(page, "visit-detail-390")

    page.fill("#review-comment", "Which seal, and was it reported to the commission?")
    page.click("text=Flag for follow-up")
    assert page.locator(".alert-warning").inner_text().startswith("Follow up:")
    assert page.locator(".visit-history tbody tr").count() == 3 and fits(page)

    page.goto(f"{live_server.url}/m/{mission.code}/incidents/")
    assert page.locator("#incident-list li").count() == 1 and fits(page)
    screenshot(page, "incidents-390")
    page.goto(f"{live_server.url}/m/{mission.code}/incidents/new/")
    assert fits(page)
    screenshot(page, "incident-form-390")
