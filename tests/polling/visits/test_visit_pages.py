"""The visit list and the visit page: who sees which visits, answers in checklist order, the history."""

import pytest
from django.test import Client
from django.urls import reverse

from missions.models import Role
from polling import visits
from polling.models import Visit
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station, make_team
from tests.helpers.visits import make_checklist, payload


@pytest.fixture
def version(mission):
    return make_checklist(mission)


@pytest.fixture
def other_team(mission):
    return make_team(mission, "Group 2")


@pytest.fixture
def other_observer(mission, other_team):
    return make_member(mission, Role.OBSERVER, team=other_team)


def file_visit(mission, member, version, station, **changes):
    visit, _created = visits.visit_submit(
        mission=mission, member=member, payload=payload(version, station, **changes), channel="web"
    )
    return visit


@pytest.fixture
def ours(mission, observer, version):
    return file_visit(mission, observer, version, make_station(mission, "0001", name="Ours School"))


@pytest.fixture
def theirs(mission, other_observer, version):
    return file_visit(mission, other_observer, version, make_station(mission, "0002", name="Their School"))


def list_url(mission, **query):
    return reverse("polling:visit_list", kwargs={"code": mission.code})


def detail_url(mission, visit):
    return reverse("polling:visit_detail", kwargs={"code": mission.code, "visit": visit.uuid})


def listed(response) -> set[str]:
    return {visit.station.code for visit in response.context["page"].object_list}


# The list


def test_observer_sees_only_their_teams_visits(client, mission, observer, team, version, ours, theirs):
    teammate = make_member(mission, Role.OBSERVER, team=team)
    mate_visit = file_visit(mission, teammate, version, make_station(mission, "0003"))
    response = client_for(client, observer).get(list_url(mission))
    assert response.status_code == 200
    assert listed(response) == {"0001", "0003"}
    assert mate_visit.station.name.encode() in response.content
    assert b"Their School" not in response.content


def test_observer_without_a_team_sees_only_their_own(client, mission, version, ours):
    loner = make_member(mission, Role.OBSERVER)
    file_visit(mission, loner, version, make_station(mission, "0009"))
    assert listed(client_for(client, loner).get(list_url(mission))) == {"0009"}


def test_team_leader_sees_their_teams_visits(client, mission, team_leader, ours, theirs):
    assert listed(client_for(client, team_leader).get(list_url(mission))) == {"0001"}


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.HEAD_OF_MISSION])
def test_setup_roles_see_every_visit(client, mission, role, ours, theirs):
    member = make_member(mission, role)
    assert listed(client_for(client, member).get(list_url(mission))) == {"0001", "0002"}


def test_visit_list_filters(client, mission, head_of_mission, other_team, version, ours, theirs):
    Visit.objects.filter(pk=theirs.pk).update(review_status=Visit.Review.FOLLOW_UP)
    client_for(client, head_of_mission)
    url = list_url(mission)
    assert listed(client.get(url, {"team": other_team.uuid})) == {"0002"}
    assert listed(client.get(url, {"station": "0001"})) == {"0001"}
    assert listed(client.get(url, {"review": "follow_up"})) == {"0002"}
    assert listed(client.get(url, {"checklist": "opening"})) == {"0001", "0002"}
    assert listed(client.get(url, {"checklist": "closing"})) == {"0001", "0002"}  # not a choice: ignored


def test_observer_cannot_filter_by_another_team(client, mission, observer, other_team, ours, theirs):
    response = client_for(client, observer).get(list_url(mission), {"team": other_team.uuid})
    assert listed(response) == {"0001"}
    assert "team" not in response.context["form"].fields


def test_visit_list_is_paginated(client, mission, observer, version):
    station = make_station(mission, "0100")
    for _ in range(52):
        file_visit(mission, observer, version, station)
    response = client_for(client, observer).get(list_url(mission))
    assert len(response.context["page"].object_list) == 50
    assert len(client.get(list_url(mission), {"page": 2}).context["page"].object_list) == 2


def test_visit_list_counts_flagged_answers(client, mission, observer, version):
    file_visit(
        mission,
        observer,
        version,
        make_station(mission, "0200"),
        answers={"A1": "no", "A3": 5, "A5": "08:10", "A6": "partly"},
    )
    response = client_for(client, observer).get(list_url(mission))
    assert response.context["page"].object_list[0].flagged_count == 2
    assert b"2 flagged answers" in response.content


def test_visit_list_for_anonymous_and_outsider(client, mission, outsider):
    assert client.get(list_url(mission)).status_code == 302
    assert client_for(client, outsider).get(list_url(mission)).status_code == 404


# The visit page


def test_visit_page_shows_answers_in_checklist_order_with_flags(client, mission, observer, version):
    visit = file_visit(
        mission,
        observer,
        version,
        make_station(mission, "0300"),
        answers={"A8": "3", "A6": "no", "A7": "Seal cut", "A3": 4, "A1": "no", "A5": "8:15", "A2": ["seals"]},
    )
    response = client_for(client, observer).get(detail_url(mission, visit))
    assert response.status_code == 200
    lines = response.context["lines"]
    assert [line.question.code for line in lines] == ["A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8"]
    by_code = {line.question.code: line for line in lines}
    assert by_code["A1"].display == "No" and by_code["A1"].flagged
    assert by_code["A2"].display == "Seals" and not by_code["A2"].flagged
    assert (by_code["A3"].display, by_code["A5"].display, by_code["A7"].display) == ("4", "08:15", "Seal cut")
    assert not by_code["A4"].answered
    assert by_code["A6"].flagged and by_code["A6"].severity == "serious"
    html = response.content.decode()
    assert html.count("list-group-item-danger") == 3  # A1, A6, A8
    assert "Ballot box" in html and "Did the station open on time?" in html


def test_visit_page_leaves_out_questions_hidden_by_their_rule(client, mission, observer, ours):
    response = client_for(client, observer).get(detail_url(mission, ours))
    codes = [line.question.code for line in response.context["lines"]]
    assert "A5" not in codes and "A7" not in codes


def test_visit_page_shows_the_history(client, mission, observer, team_leader, ours):
    body = payload(ours.checklist_version, ours.station, uuid=str(ours.uuid), revision=1)
    body["answers"] = {**body["answers"], "A6": "no", "A7": "Seal cut"}
    body["notes"] = "Queue outside"
    client_for(Client(), observer).put(
        reverse("polling:api_visit_update", kwargs={"code": mission.code, "visit": ours.uuid}),
        data=__import__("json").dumps(body),
        content_type="application/json",
        headers={"X-Observa-Channel": "offline"},
    )
    visits.visit_flag_follow_up(visit=ours, by=team_leader, comment="Which seal?")
    response = client_for(client, observer).get(detail_url(mission, ours))
    history = response.context["history"]
    assert [(h.number, h.user, h.channel) for h in history] == [
        (1, observer.user, "Web form"),
        (2, observer.user, "Sent after being offline"),
        (3, team_leader.user, "Web form"),
    ]
    changes = {(c.label, c.before, c.after) for c in history[1].changes}
    assert changes == {
        ("Notes", "—", "Queue outside"),
        ("A6. Was the ballot box sealed?", "Yes", "No"),
        ("A7. Describe", "—", "Seal cut"),
    }
    assert {(c.label, c.after) for c in history[2].changes} == {
        ("Review", "Flagged for follow-up"),
        ("Review comment", "Which seal?"),
    }
    html = response.content.decode()
    assert "Queue outside" in html and "<del>Yes</del> → <ins>No</ins>" in html and "Which seal?" in html


def test_visit_page_roles(
    client, mission, observer, team_leader, head_of_mission, secretariat, other_observer, outsider, ours
):
    url = detail_url(mission, ours)
    for member in (observer, team_leader, head_of_mission, secretariat):
        assert client_for(Client(), member).get(url).status_code == 200
    assert client_for(Client(), other_observer).get(url).status_code == 404
    assert client_for(Client(), outsider).get(url).status_code == 404
    assert client.get(url).status_code == 302


def test_review_actions_show_only_to_those_who_review(
    client, mission, observer, team_leader, head_of_mission, ours
):
    assert not client_for(Client(), observer).get(detail_url(mission, ours)).context["can_review"]
    assert client_for(Client(), team_leader).get(detail_url(mission, ours)).context["can_review"]
    response = client_for(Client(), head_of_mission).get(detail_url(mission, ours))
    assert response.context["can_review"] and b"Mark reviewed" in response.content


def test_visit_page_links_to_the_correction_form_while_the_visit_may_change(
    client, mission, observer, head_of_mission, ours
):
    edit_url = reverse("polling:visit_edit", kwargs={"code": mission.code, "visit": ours.uuid})
    assert client_for(client, observer).get(detail_url(mission, ours)).context["edit_url"] == edit_url
    assert edit_url.encode() in client.get(detail_url(mission, ours)).content
    # The head of mission reviews but does not rewrite an observer's visit: no link.
    assert client_for(Client(), head_of_mission).get(detail_url(mission, ours)).context["edit_url"] == ""
    Visit.objects.filter(pk=ours.pk).update(review_status=Visit.Review.REVIEWED)
    response = client.get(detail_url(mission, ours))
    assert response.context["edit_url"] == "" and b"marked this visit as reviewed" in response.content


def test_visit_list_and_page_queries_do_not_grow_with_the_visits(client, mission, observer, version):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    station = make_station(mission, "0400")
    client_for(client, observer)

    def queries(path):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(path).status_code == 200
        return len(captured)

    visit = file_visit(mission, observer, version, station)
    client.get(list_url(mission))  # allauth records the new session on its first request
    few = queries(list_url(mission)), queries(detail_url(mission, visit))
    for _ in range(8):
        file_visit(mission, observer, version, station)
    assert (queries(list_url(mission)), queries(detail_url(mission, visit))) == few
