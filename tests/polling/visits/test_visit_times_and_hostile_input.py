"""What one observer sends cannot break the mission's pages: times outside the observation period,
times Python cannot hold, deeply nested JSON and numbers PostgreSQL cannot store are refused by field
(400), through every channel, and nothing is stored."""

import json

import pytest
from django.urls import reverse

from polling.models import Incident, Visit
from polling.visits import Window
from tests.conftest import client_for
from tests.helpers.factories import make_station
from tests.helpers.visits import make_checklist, payload

pytestmark = pytest.mark.django_db


@pytest.fixture
def filing(client, mission, observer):
    version = make_checklist(mission, questions=[{"code": "N1", "type": "number", "text": "How many?"}])
    station = make_station(mission, "001")
    client_for(client, observer)

    def post(**overrides):
        body = payload(version, station, answers={"N1": 3}) | overrides
        url = reverse("polling:api_visit_submit", args=[mission.code])
        return client.post(url, json.dumps(body), content_type="application/json")

    return post


@pytest.mark.parametrize(
    "field, value",
    [
        ("arrived_at", "9999-12-31T23:00:00Z"),
        ("arrived_at", "0001-01-01T00:00:00Z"),
        ("arrived_at", "0001-01-01T00:00:00+14:00"),
        ("arrived_at", "2023-02-07T07:55:00+04:00"),  # a year early: a typing slip
        ("departed_at", "2024-03-01T08:00:00+04:00"),
    ],
)
def test_a_time_outside_the_observation_period_is_refused_by_field(filing, field, value):
    response = filing(**{field: value})
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert not Visit.objects.exists()


def test_times_two_days_either_side_of_the_period_are_accepted(filing, mission):
    # The period is 4-7 February 2024 in the mission's zone; the evening count runs past midnight.
    assert (
        filing(arrived_at="2024-02-09T23:30:00+04:00", departed_at="2024-02-09T23:50:00+04:00").status_code
        == 201
    )
    window = Window.for_mission(mission)
    assert (window.start.date().isoformat(), window.end.date().isoformat()) == ("2024-02-02", "2024-02-10")


def test_the_pages_stand_after_the_refusals(client, filing, mission):
    filing(arrived_at="9999-12-31T23:00:00Z")
    for name in ("polling:visit_list", "reports:results"):
        assert client.get(reverse(name, args=[mission.code])).status_code in (200, 403)


@pytest.mark.parametrize(
    "value", ["1e-999999999", "1e999999999", "NaN", "Infinity", "-0.00000000000000000001"]
)
def test_a_number_postgresql_cannot_store_is_refused_by_field(filing, value):
    response = filing(answers={"N1": value})
    assert response.status_code == 400, response.content
    assert "N1" in response.json()["errors"]
    assert not Visit.objects.exists()


def test_deeply_nested_json_is_a_400_not_a_500(client, mission, observer):
    client_for(client, observer)
    body = '{"uuid": ' + "[" * 100_000 + "]" * 100_000 + "}"
    response = client.post(
        reverse("polling:api_visit_submit", args=[mission.code]), body, content_type="application/json"
    )
    assert response.status_code == 400
    assert "__all__" in response.json()["errors"]


def test_an_incident_outside_the_period_is_refused(client, mission, observer):
    make_station(mission, "001")
    client_for(client, observer)
    body = {
        "uuid": "6f1c2d4e-8b1a-4c1e-9d7a-0a1b2c3d4e5f",
        "station": "001",
        "occurred_at": "9999-12-31T23:00:00Z",
        "category": "other",
        "description": "x",
    }
    response = client.post(
        reverse("polling:api_incident_report", args=[mission.code]),
        json.dumps(body),
        content_type="application/json",
    )
    assert response.status_code == 400 and "occurred_at" in response.json()["errors"]
    assert not Incident.objects.exists()
