"""Approval: who may, re-authentication (in the view and in the service), freezing, new versions."""

import re

import pytest
from django.test import RequestFactory
from django.urls import reverse

from missions.models import Role
from reports.models import StatementEvent, StatementRender, StatementVersion
from reports.statements import drafting, figures, services
from tests.conftest import client_for
from tests.helpers.factories import PASSWORD, make_member, make_station
from tests.helpers.statements import build_demo_like, fast_passwords, make_visit  # noqa: F401 - fast_passwords is an autouse fixture


@pytest.fixture
def data(mission):
    return build_demo_like(mission, serious_at=1)


@pytest.fixture
def submitted(mission, data, secretariat, head_of_mission):
    version = services.statement_start(mission=mission, user=secretariat.user)
    services.statement_submit(version=version, user=secretariat.user)
    version.refresh_from_db()
    return version


def _reauthenticate(client):
    response = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert response.status_code == 302, response.content[:500]


def _reviewed(client, mission) -> str:
    """The review digest the statement page puts in its approve form, as the browser would send it."""
    page = client.get(reverse("reports:statement", args=[mission.code])).content.decode()
    return re.search(r'name="reviewed" value="([0-9a-f]{64})"', page).group(1)


def _approve_through_the_view(client, mission, head_of_mission, django_capture_on_commit_callbacks):
    client = client_for(client, head_of_mission)
    _reauthenticate(client)
    reviewed = _reviewed(client, mission)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(
            reverse("reports:statement_approve", args=[mission.code]), {"reviewed": reviewed}
        )
    return response, callbacks


def test_head_of_mission_approves_after_reauthenticating(
    client, mission, submitted, head_of_mission, django_capture_on_commit_callbacks
):
    response, callbacks = _approve_through_the_view(
        client, mission, head_of_mission, django_capture_on_commit_callbacks
    )
    assert response.status_code == 302
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.APPROVED
    assert submitted.approved_by == head_of_mission.user
    assert submitted.snapshot_sha256 == figures.sha256(submitted.snapshot)
    assert submitted.verify_url.endswith(f"/verify/{submitted.uuid}/")
    assert StatementRender.objects.get(version=submitted).status == StatementRender.Status.QUEUED
    assert len(callbacks) == 1  # the render is enqueued only once the transaction commits
    assert StatementEvent.objects.filter(
        version=submitted, action="approved", user=head_of_mission.user
    ).exists()


def test_the_pdf_links_to_the_public_address_not_the_host_the_approval_came_in_on(
    client, settings, mission, submitted, head_of_mission, django_capture_on_commit_callbacks
):
    settings.OBSERVA_PUBLIC_URL = "https://observe.example.org"
    _approve_through_the_view(client, mission, head_of_mission, django_capture_on_commit_callbacks)
    submitted.refresh_from_db()
    assert submitted.verify_url == f"https://observe.example.org/verify/{submitted.uuid}/"
    page = client.get(reverse("reports:statement", args=[mission.code])).content.decode()
    assert submitted.verify_url in page


def test_approval_without_recent_reauthentication_goes_to_the_password_page(
    client, mission, submitted, head_of_mission
):
    response = client_for(client, head_of_mission).post(
        reverse("reports:statement_approve", args=[mission.code])
    )
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.SUBMITTED


def test_reauthentication_resumes_the_approval(client, mission, submitted, head_of_mission):
    client = client_for(client, head_of_mission)
    reviewed = _reviewed(client, mission)
    response = client.post(reverse("reports:statement_approve", args=[mission.code]), {"reviewed": reviewed})
    response = client.post(response["Location"], {"password": PASSWORD})
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.APPROVED


def test_wrong_password_does_not_approve(client, mission, submitted, head_of_mission):
    client = client_for(client, head_of_mission)
    client.post(reverse("account_reauthenticate"), {"password": "not-the-password"})
    client.post(reverse("reports:statement_approve", args=[mission.code]))
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.SUBMITTED


def test_the_service_itself_refuses_without_reauthentication(submitted, head_of_mission):
    request = RequestFactory().post("/")
    request.user = head_of_mission.user
    from django.contrib.sessions.backends.db import SessionStore

    request.session = SessionStore()
    with pytest.raises(services.StatementError, match="password"):
        services.statement_approve(
            version=submitted, user=head_of_mission.user, request=request, verify_url="https://x/"
        )
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.SUBMITTED


def test_the_service_refuses_a_request_of_another_user(client, submitted, head_of_mission, mission):
    other_head = make_member(mission, Role.HEAD_OF_MISSION)
    client = client_for(client, other_head)
    _reauthenticate(client)
    request = RequestFactory().post("/")
    request.user = other_head.user
    request.session = client.session
    with pytest.raises(services.StatementError):
        services.statement_approve(
            version=submitted, user=head_of_mission.user, request=request, verify_url="https://x/"
        )


@pytest.mark.parametrize("role", ["secretariat", "team_leader", "observer"])
def test_only_the_head_of_mission_approves(client, request, mission, submitted, role):
    member = request.getfixturevalue(role)
    client = client_for(client, member)
    _reauthenticate(client)
    response = client.post(reverse("reports:statement_approve", args=[mission.code]))
    assert response.status_code == 403
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.SUBMITTED


def test_outsider_gets_404_on_approve(client, mission, submitted, outsider):
    client = client_for(client, outsider)
    _reauthenticate(client)
    assert client.post(reverse("reports:statement_approve", args=[mission.code])).status_code == 404


def test_service_refuses_an_approver_who_is_not_head_of_mission(submitted, secretariat, rf):
    request = rf.post("/")
    request.user = secretariat.user
    with pytest.raises(services.StatementError, match="role"):
        services.statement_approve(
            version=submitted, user=secretariat.user, request=request, verify_url="https://x/"
        )


@pytest.fixture
def approved(client, mission, submitted, head_of_mission, django_capture_on_commit_callbacks):
    _approve_through_the_view(client, mission, head_of_mission, django_capture_on_commit_callbacks)
    submitted.refresh_from_db()
    return submitted


def test_an_approved_statement_is_frozen(approved, secretariat, mission):
    sections = approved.sections
    with pytest.raises(services.StatementError):
        services.statement_edit(
            version=approved, user=secretariat.user, texts={drafting.CONCLUSION: "changed"}, known_figures={}
        )
    with pytest.raises(services.StatementError):
        services.statement_redraft(version=approved, user=secretariat.user)
    with pytest.raises(services.StatementError):
        services.statement_submit(version=approved, user=secretariat.user)
    approved.refresh_from_db()
    assert approved.sections == sections


def test_changes_after_approval_make_a_new_version_and_leave_the_approved_one_alone(
    approved, secretariat, mission
):
    frozen = (approved.sections, approved.snapshot_sha256)
    new = services.statement_new_version(statement=approved.statement, user=secretariat.user)
    assert new.number == approved.number + 1 and new.status == StatementVersion.Status.DRAFT
    services.statement_edit(
        version=new,
        user=secretariat.user,
        texts={drafting.CONCLUSION: "A new conclusion."},
        known_figures=figures.collect(mission)["figures"],
    )
    approved.refresh_from_db()
    assert (approved.sections, approved.snapshot_sha256) == frozen
    with pytest.raises(services.StatementError):
        services.statement_new_version(statement=approved.statement, user=secretariat.user)


def test_page_lists_the_figures_that_new_visits_would_change(
    client, observer, approved, secretariat, mission, data
):
    page = client_for(client, secretariat).get(reverse("reports:statement", args=[mission.code]))
    assert b'id="data-unchanged"' in page.content
    make_visit(
        data["version"], make_station(mission, area="Baku > Sabail"), observer, answers={"secrecy": "no"}
    )
    page = client.get(reverse("reports:statement", args=[mission.code]))
    assert b'id="data-changed"' in page.content
    changes = {c["name"]: c for c in services.data_changes(approved)}
    assert changes["stations_visited"]["old"]["value"] == 22
    assert changes["stations_visited"]["new"]["value"] == 23
    assert changes["serious:count"]["new"]["value"] == 2
    assert "finding:ed:campaign:count" not in changes


def test_publish_waits_for_the_pdf(approved, secretariat):
    with pytest.raises(services.StatementError, match="PDF"):
        services.statement_publish(version=approved, user=secretariat.user)


def test_states_record_who_and_when(approved, secretariat, head_of_mission):
    assert approved.submitted_by == secretariat.user and approved.submitted_at
    assert approved.approved_by == head_of_mission.user and approved.approved_at
    assert approved.submitted_at <= approved.approved_at


def test_return_to_draft_and_edit_again(submitted, secretariat, mission):
    services.statement_return_to_draft(version=submitted, user=secretariat.user, reason="fix a typo")
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.DRAFT and submitted.submitted_by is None
    changed = services.statement_edit(
        version=submitted,
        user=secretariat.user,
        texts={drafting.CONCLUSION: "Fixed."},
        known_figures=figures.collect(mission)["figures"],
    )
    assert changed == [drafting.CONCLUSION]


def test_observer_may_not_start_or_edit(observer, mission, data):
    with pytest.raises(services.StatementError):
        services.statement_start(mission=mission, user=observer.user)


def test_the_head_of_mission_signs_only_the_text_and_figures_they_read(
    client, mission, data, submitted, secretariat, head_of_mission, django_capture_on_commit_callbacks
):
    """Reproduced: between the page load and the approval the text was returned to draft, changed and
    resubmitted, and the signed PDF carried the new text. The approve form names what was read."""
    head = client_for(client, head_of_mission)
    _reauthenticate(head)
    reviewed = _reviewed(head, mission)
    services.statement_return_to_draft(version=submitted, user=secretariat.user, reason="one more line")
    submitted.refresh_from_db()
    services.statement_edit(
        version=submitted,
        user=secretariat.user,
        texts={"conclusion": "A sentence the head of mission never saw."},
        known_figures=figures.collect(mission)["figures"],
    )
    services.statement_submit(version=submitted, user=secretariat.user)
    response = head.post(
        reverse("reports:statement_approve", args=[mission.code]), {"reviewed": reviewed}, follow=True
    )
    assert "changed since you opened it" in response.content.decode()
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.SUBMITTED and submitted.approved_at is None

    # A new visit moves a figure: the same holds for the figures shown.
    reviewed = _reviewed(head, mission)
    make_visit(data["version"], make_station(mission, "NEW-1", area="Baku"), data["observers"][0])
    head.post(reverse("reports:statement_approve", args=[mission.code]), {"reviewed": reviewed})
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.SUBMITTED

    # Read again, then approved.
    _approve_through_the_view(client, mission, head_of_mission, django_capture_on_commit_callbacks)
    submitted.refresh_from_db()
    assert submitted.status == StatementVersion.Status.APPROVED
    assert "A sentence the head of mission never saw." in [s["text"] for s in submitted.sections][-1]
