"""The observer's filing pages: who may open them, what they carry for the scripts, and the service worker."""

import json
import re

import pytest
from django.test import Client
from django.urls import reverse

from missions.models import Mission, Role
from polling import visits
from polling.models import Checklist, Visit
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station, make_team
from tests.helpers.visits import make_checklist, payload


@pytest.fixture
def version(mission):
    return make_checklist(mission)


@pytest.fixture
def planned(mission, team):
    stations = [make_station(mission, code, name=f"School {code}") for code in ("0002", "0001")]
    team.stations.add(*stations)
    return stations


@pytest.fixture
def other_observer(mission):
    return make_member(mission, Role.OBSERVER, team=make_team(mission, "Group 2"))


def file_visit(member, version, station, **changes) -> Visit:
    visit, _created = visits.visit_submit(
        mission=member.mission, member=member, payload=payload(version, station, **changes)
    )
    return visit


def url(name: str, mission, **kwargs) -> str:
    return reverse(f"polling:{name}", kwargs={"code": mission.code, **kwargs})


def script_data(response, name: str):
    match = re.search(
        rf'<script id="{name}" type="application/json">(.*?)</script>', response.content.decode(), re.S
    )
    assert match, f"no #{name} in the page"
    return json.loads(match.group(1))


# Who may open the pages


@pytest.mark.parametrize("name", ["filing", "filing_incident"])
def test_filing_pages_for_a_member_an_outsider_and_the_anonymous(
    client, mission, observer, outsider, version, name
):
    address = url(name, mission)
    anonymous = Client().get(address)
    assert anonymous.status_code == 302 and anonymous.url.startswith(reverse("account_login"))
    assert client_for(Client(), outsider).get(address).status_code == 404
    assert client_for(client, observer).get(address).status_code == 200


def test_checklist_page_for_a_member_an_outsider_and_the_anonymous(
    client, mission, observer, outsider, version
):
    address = url("filing_checklist", mission, checklist="opening")
    assert Client().get(address).status_code == 302
    assert client_for(Client(), outsider).get(address).status_code == 404
    assert client_for(client, observer).get(address).status_code == 200


def test_chooser_lists_only_checklists_open_for_filing(client, mission, observer, version):
    make_checklist(mission, "closing", name="Closing")
    Checklist.objects.filter(code="closing").update(is_active=False)
    make_checklist(mission, "counting", name="Counting", publish=False)
    page = client_for(client, observer).get(url("filing", mission))
    assert [c.code for c in page.context["checklists"]] == ["opening"]
    assert url("filing_checklist", mission, checklist="opening") in page.content.decode()
    # Every checklist page and the incident form are kept for offline use from here.
    assert script_data(page, "filing-config")["cacheUrls"] == [
        url("filing", mission),
        url("filing_incident", mission),
        url("filing_checklist", mission, checklist="opening"),
    ]
    # From a checklist, the incident form (and the way back) are kept too.
    checklist_page = client.get(url("filing_checklist", mission, checklist="opening"))
    assert script_data(checklist_page, "filing-config")["cacheUrls"] == [
        url("filing_checklist", mission, checklist="opening"),
        url("filing", mission),
        url("filing_incident", mission),
    ]


def test_a_closed_or_unpublished_checklist_cannot_be_filed(client, mission, observer, version):
    version.checklist.is_active = False
    version.checklist.save(update_fields=["is_active"])
    make_checklist(mission, "counting", publish=False)
    client_for(client, observer)
    assert client.get(url("filing_checklist", mission, checklist="opening")).status_code == 404
    assert client.get(url("filing_checklist", mission, checklist="counting")).status_code == 404


def test_nothing_can_be_filed_in_a_closed_mission(client, mission, observer, version):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    client_for(client, observer)
    assert client.get(url("filing_checklist", mission, checklist="opening")).status_code == 403
    assert client.get(url("filing_incident", mission)).status_code == 403


# What the filing page carries


def test_filing_page_embeds_the_definition_the_api_and_the_messages(client, mission, observer, version):
    page = client_for(client, observer).get(url("filing_checklist", mission, checklist="opening"))
    assert script_data(page, "checklist-definition") == version.definition()
    form = script_data(page, "filing-form-config")
    assert form == {
        "uuid": "",
        "revision": None,
        "method": "POST",
        "url": url("api_visit_submit", mission),
        "checklist": "opening",
        "version": 1,
        "label": "Opening",
    }
    config = script_data(page, "filing-config")
    assert config["stationsUrl"] == url("api_stations", mission)
    assert config["swUrl"] == "/sw.js" and config["user"] == observer.user.pk
    assert config["csrfCookie"] == "csrftoken" and "csrftoken" in page.cookies
    messages = script_data(page, "filing-messages")
    assert "%(count)s" in messages["waiting"] and "%(count)s" in messages["logout_warning"]


def test_filing_page_renders_every_question_with_show_if_questions_hidden(client, mission, observer, version):
    page = client_for(client, observer).get(url("filing_checklist", mission, checklist="opening"))
    html = page.content.decode()
    for code in ("A1", "A2", "A3", "A4", "A6", "A8"):
        assert f'<div class="q" id="q-{code}" data-q="{code}">' in html
    # A5 is asked when A1 is "no", A7 when A6 is "no": hidden until then.
    assert '<div class="q" id="q-A5" data-q="A5" hidden>' in html
    assert '<div class="q" id="q-A7" data-q="A7" hidden>' in html
    assert 'name="q-A3" type="number" inputmode="decimal"' in html
    assert (
        'type="radio" name="q-A1" value="no"' in html and 'type="checkbox" name="q-A2" value="seals"' in html
    )
    assert 'name="q-A5" type="time"' in html


def test_filing_page_offers_the_teams_planned_stations_only(client, mission, observer, version, planned):
    make_station(mission, "0003", name="Not planned")
    page = client_for(client, observer).get(url("filing_checklist", mission, checklist="opening"))
    assert [s.code for s in page.context["planned"]] == ["0001", "0002"]
    assert 'data-code="0003"' not in page.content.decode()


def test_filing_pages_do_without_bootstraps_script(client, mission, observer, version):
    page = (
        client_for(client, observer)
        .get(url("filing_checklist", mission, checklist="opening"))
        .content.decode()
    )
    assert "bootstrap.bundle" not in page
    assert "js/outbox.js" in page and "js/filing.js" in page and 'id="logout-form"' in page
    other = client.get(reverse("polling:station_list", kwargs={"code": mission.code})).content.decode()
    assert "bootstrap.bundle" in other


# Correcting a visit


def test_edit_page_is_filled_from_the_stored_visit(client, mission, observer, version, planned):
    visit = file_visit(
        observer,
        version,
        planned[0],
        answers={"A1": "no", "A2": ["seals"], "A3": 4, "A5": "08:10", "A6": "yes"},
    )
    page = client_for(client, observer).get(url("visit_edit", mission, visit=visit.uuid))
    assert page.status_code == 200
    html = page.content.decode()
    assert 'type="radio" name="q-A1" value="no" checked' in html
    assert 'type="checkbox" name="q-A2" value="seals" checked' in html
    assert 'type="checkbox" name="q-A2" value="ballots">' in html
    assert 'name="q-A3" type="number" inputmode="decimal" step="any" value="4"' in html
    assert '<div class="q" id="q-A5" data-q="A5">' in html  # its rule holds: shown from the start
    assert 'name="q-A5" type="time" value="08:10"' in html
    assert 'data-iso="2024-02-07T03:55:00Z"' in html
    assert 'name="station" value="0002"' in html
    form = script_data(page, "filing-form-config")
    assert form["method"] == "PUT" and form["revision"] == 1 and form["uuid"] == str(visit.uuid)
    assert form["url"] == url("api_visit_update", mission, visit=visit.uuid)


def test_a_teammate_may_correct_the_visit(client, mission, team, observer, version, planned):
    visit = file_visit(observer, version, planned[0])
    teammate = make_member(mission, Role.OBSERVER, team=team)
    assert client_for(client, teammate).get(url("visit_edit", mission, visit=visit.uuid)).status_code == 200


def test_another_teams_observer_cannot_even_see_the_visit(
    client, mission, observer, other_observer, version, planned
):
    visit = file_visit(observer, version, planned[0])
    assert (
        client_for(client, other_observer).get(url("visit_edit", mission, visit=visit.uuid)).status_code
        == 404
    )


def test_secretariat_sees_the_visit_but_may_not_correct_it(
    client, mission, observer, secretariat, version, planned
):
    visit = file_visit(observer, version, planned[0])
    assert (
        client_for(client, secretariat).get(url("visit_edit", mission, visit=visit.uuid)).status_code == 403
    )


def test_a_reviewed_visit_cannot_be_corrected(client, mission, observer, team_leader, version, planned):
    visit = file_visit(observer, version, planned[0])
    visits.visit_mark_reviewed(visit=visit, by=team_leader)
    assert client_for(client, observer).get(url("visit_edit", mission, visit=visit.uuid)).status_code == 403


def test_no_visit_is_corrected_in_a_closed_mission(client, mission, observer, version, planned):
    visit = file_visit(observer, version, planned[0])
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    assert client_for(client, observer).get(url("visit_edit", mission, visit=visit.uuid)).status_code == 403


def test_edit_page_for_the_anonymous_and_an_outsider(client, mission, observer, outsider, version, planned):
    visit = file_visit(observer, version, planned[0])
    assert Client().get(url("visit_edit", mission, visit=visit.uuid)).status_code == 302
    assert client_for(client, outsider).get(url("visit_edit", mission, visit=visit.uuid)).status_code == 404


def test_visit_page_links_to_the_correction_form(client, mission, observer, version, planned):
    visit = file_visit(observer, version, planned[0])
    page = client_for(client, observer).get(url("visit_detail", mission, visit=visit.uuid))
    assert url("visit_edit", mission, visit=visit.uuid) in page.content.decode()


# The service worker


def test_service_worker_is_served_from_the_root_never_stale(client, settings):
    settings.DEBUG = True
    response = client.get(reverse("polling:service_worker"))
    assert reverse("polling:service_worker") == "/sw.js"
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert response["Cache-Control"] == "no-cache"
    source = response.content.decode()
    config = json.loads(re.match(r"const CONFIG = (\{.*?\});\n", source).group(1))
    assert config["precache"] == [
        "/static/vendor/bootstrap/bootstrap.min.css",
        "/static/css/observa.css",
        "/static/css/filing.css",
        "/static/js/outbox.js",
        "/static/js/filing.js",
    ]
    assert config["hashedStatic"] is False and re.fullmatch(r"[0-9a-f]{12}", config["version"])
    assert 'addEventListener("fetch"' in source


def test_service_worker_version_follows_the_assets(client, settings, monkeypatch):
    from polling.filing import views as filing_views

    settings.DEBUG = True
    first = client.get("/sw.js").content.decode()
    original = filing_views._read_static
    monkeypatch.setattr(
        filing_views,
        "_read_static",
        lambda name: original(name) + (b"/* changed */" if name == "js/filing.js" else b""),
    )
    second = client.get("/sw.js").content.decode()
    version = re.compile(r'"version": "(\w+)"')
    assert version.search(first).group(1) != version.search(second).group(1)
