"""Team leaders review their team's visits: mark reviewed, or flag for follow-up with a comment."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from missions.models import Mission, Role
from polling import visits
from polling.models import Visit
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station, make_team
from tests.helpers.visits import make_checklist, payload


@pytest.fixture
def body(mission):
    return payload(make_checklist(mission), make_station(mission, "0001"))


@pytest.fixture
def visit(mission, observer, body):
    return visits.visit_submit(mission=mission, member=observer, payload=body, channel="web")[0]


def review(client, mission, visit, **data):
    return client.post(
        reverse("polling:visit_review", kwargs={"code": mission.code, "visit": visit.uuid}), data
    )


def correct(client, mission, body, revision, notes="corrected"):
    return client.put(
        reverse("polling:api_visit_update", kwargs={"code": mission.code, "visit": body["uuid"]}),
        data=json.dumps({**body, "notes": notes, "revision": revision}),
        content_type="application/json",
    )


def test_team_leader_marks_a_visit_reviewed(client, mission, team_leader, visit):
    response = review(client_for(client, team_leader), mission, visit, action="reviewed")
    assert response.status_code == 302
    assert response.url == reverse("polling:visit_detail", kwargs={"code": mission.code, "visit": visit.uuid})
    visit.refresh_from_db()
    assert (visit.review_status, visit.reviewed_by, visit.revision) == (
        Visit.Review.REVIEWED,
        team_leader.user,
        2,
    )
    assert visit.reviewed_at is not None
    revision = visit.revisions.get(number=2)
    assert revision.user == team_leader.user and revision.changes == {
        "review_status": ["pending", "reviewed"]
    }
    assert revision.content == visit.revisions.get(number=1).content  # the content itself did not change


def test_marking_reviewed_twice_records_it_once(client, mission, team_leader, visit):
    client_for(client, team_leader)
    review(client, mission, visit, action="reviewed")
    review(client, mission, visit, action="reviewed")
    assert Visit.objects.get().revisions.count() == 2


def test_team_leader_flags_a_visit_for_follow_up_with_a_comment(client, mission, team_leader, visit):
    response = review(
        client_for(client, team_leader), mission, visit, action="follow_up", comment="Which seal was broken?"
    )
    assert response.status_code == 302
    visit.refresh_from_db()
    assert (visit.review_status, visit.review_comment) == (Visit.Review.FOLLOW_UP, "Which seal was broken?")
    assert "Which seal was broken?" in client.get(response.url).content.decode()


def test_follow_up_needs_a_comment(client, mission, team_leader, visit):
    response = review(client_for(client, team_leader), mission, visit, action="follow_up", comment="  ")
    assert response.status_code == 400
    assert response.context["review_form"].errors["comment"]
    assert Visit.objects.get().review_status == Visit.Review.PENDING


def test_unknown_review_action_is_refused(client, mission, team_leader, visit):
    assert review(client_for(client, team_leader), mission, visit, action="approve").status_code == 400
    assert Visit.objects.get().review_status == Visit.Review.PENDING


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.HEAD_OF_MISSION])
def test_secretariat_and_head_of_mission_review_any_visit(client, mission, role, visit):
    assert (
        review(client_for(client, make_member(mission, role)), mission, visit, action="reviewed").status_code
        == 302
    )
    assert Visit.objects.get().review_status == Visit.Review.REVIEWED


def test_observer_may_not_review_even_their_own_visit(client, mission, observer, visit):
    assert review(client_for(client, observer), mission, visit, action="reviewed").status_code == 403
    assert Visit.objects.get().review_status == Visit.Review.PENDING


def test_leader_of_another_team_does_not_see_the_visit(client, mission, visit):
    other_leader = make_member(mission, Role.TEAM_LEADER, team=make_team(mission, "Group 2"))
    assert review(client_for(client, other_leader), mission, visit, action="reviewed").status_code == 404


def test_outsider_and_anonymous(client, mission, outsider, visit):
    assert review(client, mission, visit, action="reviewed").status_code == 302  # to the login page
    assert review(client_for(client, outsider), mission, visit, action="reviewed").status_code == 404
    assert Visit.objects.get().review_status == Visit.Review.PENDING


def test_review_is_post_only(client, mission, team_leader, visit):
    url = reverse("polling:visit_review", kwargs={"code": mission.code, "visit": visit.uuid})
    assert client_for(client, team_leader).get(url).status_code == 405


def test_closed_mission_refuses_review(client, mission, team_leader, visit):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    response = review(client_for(client, team_leader), mission, visit, action="reviewed")
    assert response.status_code == 302
    assert Visit.objects.get().review_status == Visit.Review.PENDING


def test_observer_corrects_until_reviewed_and_a_follow_up_reopens(
    client, mission, observer, team_leader, body, visit
):
    observer_client, leader_client = client_for(client, observer), client_for(Client(), team_leader)
    assert correct(observer_client, mission, body, 1, "first").status_code == 200
    review(leader_client, mission, visit, action="reviewed")
    assert correct(observer_client, mission, body, 3, "second").status_code == 409
    review(leader_client, mission, visit, action="follow_up", comment="Add the queue length")
    response = correct(observer_client, mission, body, 4, "queue of 40")
    assert response.status_code == 200 and response.json()["revision"] == 5
    visit.refresh_from_db()
    assert (visit.notes, visit.review_status) == ("queue of 40", Visit.Review.FOLLOW_UP)


def test_an_edit_begun_before_the_follow_up_flag_must_be_reloaded(
    client, mission, observer, team_leader, body, visit
):
    """The leader's flag is a revision: a correction based on the older revision is refused, so the
    observer sees the comment before saving."""
    visits.visit_flag_follow_up(visit=visit, by=team_leader, comment="Check A3")
    assert correct(client_for(client, observer), mission, body, 1).status_code == 409
