"""Serious incidents: reported through the API or a plain form, seen at once by the head of mission."""

import datetime
import json
import uuid

import pytest
from django.urls import reverse

from missions.models import Mission, Role
from polling import visits
from polling.models import Incident
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station, make_team
from tests.helpers.visits import make_checklist, payload


@pytest.fixture
def station(mission):
    return make_station(mission, "0001", name="School 1")


@pytest.fixture
def visit(mission, observer, station):
    return visits.visit_submit(
        mission=mission, member=observer, payload=payload(make_checklist(mission), station)
    )[0]


def incident(station, **changes):
    body = {
        "uuid": str(uuid.uuid4()),
        "station": station.code,
        "occurred_at": "2024-02-07T09:12:00+04:00",
        "category": "ballot_stuffing",
        "description": "Two ballots put in the box by one voter.",
    }
    body.update(changes)
    return body


def api(client, mission, body):
    url = reverse("polling:api_incident_report", kwargs={"code": mission.code})
    return client.post(url, data=json.dumps(body), content_type="application/json")


def list_url(mission):
    return reverse("polling:incident_list", kwargs={"code": mission.code})


def form_url(mission):
    return reverse("polling:incident_report", kwargs={"code": mission.code})


# API


def test_observer_reports_an_incident(client, mission, observer, station):
    body = incident(station)
    response = api(client_for(client, observer), mission, body)
    assert response.status_code == 201 and response.json()["status"] == "created"
    stored = Incident.objects.get()
    assert (stored.mission, stored.observer, stored.team, stored.station) == (
        mission,
        observer,
        observer.team,
        station,
    )
    assert stored.occurred_at == datetime.datetime(2024, 2, 7, 5, 12, tzinfo=datetime.UTC)
    assert response.json()["url"].endswith(f"#incident-{stored.uuid}")


def test_incident_sent_twice_is_stored_once_and_other_content_conflicts(client, mission, observer, station):
    client_for(client, observer)
    body = incident(station)
    api(client, mission, body)
    again = api(client, mission, {**body, "occurred_at": "2024-02-07T05:12:00Z"})
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    conflict = api(client, mission, {**body, "description": "Something else"})
    assert conflict.status_code == 409
    assert Incident.objects.get().description == body["description"]


def test_incident_from_a_visit(client, mission, observer, station, visit):
    response = api(client_for(client, observer), mission, incident(station, visit=str(visit.uuid)))
    assert response.status_code == 201
    assert Incident.objects.get().visit == visit


def test_incident_cannot_name_a_visit_at_another_station_or_of_another_team(
    client, mission, observer, station, visit
):
    client_for(client, observer)
    other_station = make_station(mission, "0002")
    response = api(client, mission, incident(other_station, visit=str(visit.uuid)))
    assert response.status_code == 400 and "station" in response.json()["errors"]
    stranger = make_member(mission, Role.OBSERVER, team=make_team(mission, "Group 2"))
    response = api(client_for(client, stranger), mission, incident(station, visit=str(visit.uuid)))
    assert response.status_code == 400 and "visit" in response.json()["errors"]
    assert Incident.objects.count() == 0


def test_invalid_incident_lists_every_error(client, mission, observer):
    body = {"uuid": "nope", "station": "none", "occurred_at": "09:12", "category": "riot", "description": " "}
    response = api(client_for(client, observer), mission, body)
    assert response.status_code == 400
    assert set(response.json()["errors"]) == {"uuid", "station", "occurred_at", "category", "description"}


def test_incident_api_for_anonymous_outsider_and_closed_mission(client, mission, outsider, observer, station):
    assert api(client, mission, incident(station)).status_code == 401
    assert api(client_for(client, outsider), mission, incident(station)).status_code == 404
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    response = api(client_for(client, observer), mission, incident(station))
    assert response.status_code == 403 and "closed" in response.json()["message"]
    assert Incident.objects.count() == 0


# The list


def test_head_of_mission_sees_a_new_incident_at_once_newest_first(
    client, mission, observer, head_of_mission, station
):
    client_for(client, head_of_mission)
    assert list(client.get(list_url(mission)).context["page"].object_list) == []
    stranger = make_member(mission, Role.OBSERVER, team=make_team(mission, "Group 2"))
    visits.incident_report(
        mission=mission, member=stranger, payload=incident(station, description="First report")
    )
    visits.incident_report(
        mission=mission,
        member=observer,
        payload=incident(station, description="Second report", occurred_at="2024-02-07T07:00:00+04:00"),
    )
    response = client.get(list_url(mission))
    assert response.status_code == 200
    # Newest reported first, even though it happened earlier: the head of mission sees what is new.
    assert [i.description for i in response.context["page"].object_list] == ["Second report", "First report"]
    assert b"Ballot stuffing" in response.content and b'hx-trigger="every 30s"' in response.content


def test_incident_list_refresh_returns_only_the_rows(client, mission, head_of_mission, observer, station):
    visits.incident_report(mission=mission, member=observer, payload=incident(station))
    response = client_for(client, head_of_mission).get(list_url(mission), headers={"HX-Request": "true"})
    assert response.status_code == 200
    html = response.content.decode()
    assert "<html" not in html and "Two ballots" in html


def test_observers_and_team_leaders_see_their_teams_incidents(
    client, mission, observer, team_leader, station
):
    stranger = make_member(mission, Role.OBSERVER, team=make_team(mission, "Group 2"))
    visits.incident_report(mission=mission, member=observer, payload=incident(station, description="Ours"))
    visits.incident_report(mission=mission, member=stranger, payload=incident(station, description="Theirs"))
    for member in (observer, team_leader):
        shown = [
            i.description
            for i in client_for(client, member).get(list_url(mission)).context["page"].object_list
        ]
        assert shown == ["Ours"]


def test_incident_list_for_anonymous_and_outsider(client, mission, outsider):
    assert client.get(list_url(mission)).status_code == 302
    assert client_for(client, outsider).get(list_url(mission)).status_code == 404


# The form for observers without JavaScript


def test_incident_form_reports_once_even_if_sent_twice(client, mission, observer, station):
    client_for(client, observer)
    page = client.get(form_url(mission))
    assert page.status_code == 200
    form_uuid = page.context["form"]["uuid"].value()
    data = {
        "uuid": form_uuid,
        "station": station.code,
        "occurred_at": "2024-02-07T09:12",
        "category": "vote_buying",
        "description": "Money handed out at the door.",
    }
    first = client.post(form_url(mission), data)
    assert first.status_code == 302 and first.url == list_url(mission)
    assert client.post(form_url(mission), data).status_code == 302
    stored = Incident.objects.get()
    assert (str(stored.uuid), stored.category, stored.observer) == (form_uuid, "vote_buying", observer)


def test_incident_form_from_a_visit_fills_in_the_station(client, mission, observer, visit):
    page = client_for(client, observer).get(form_url(mission), {"visit": visit.uuid})
    assert page.context["form"]["station"].value() == visit.station.code
    assert str(page.context["form"]["visit"].value()) == str(visit.uuid)


def test_incident_form_shows_the_services_errors(client, mission, observer):
    data = {
        "uuid": uuid.uuid4(),
        "station": "nowhere",
        "occurred_at": "2024-02-07T09:12",
        "category": "other",
        "description": "x",
    }
    response = client_for(client, observer).post(form_url(mission), data)
    assert response.status_code == 200
    assert response.context["form"].errors["station"] and Incident.objects.count() == 0


def test_incident_form_for_outsider_anonymous_and_closed_mission(client, mission, outsider, observer):
    assert client.get(form_url(mission)).status_code == 302
    assert client_for(client, outsider).get(form_url(mission)).status_code == 404
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    assert client_for(client, observer).get(form_url(mission)).status_code == 403
