"""Members and invitations: the list, inviting by e-mail, accepting, changing roles, removing."""

import re
import smtplib
import threading
from datetime import timedelta

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from missions import services
from missions.models import AuditEntry, Invitation, Member, Role, User
from tests.conftest import client_for
from tests.helpers.factories import PASSWORD, make_member, make_mission, make_team, make_user

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "plum-orchard-sunrise-17"


def invite(client, mission, **data):
    payload = {
        "email": "aida@example.org",
        "name": "Aida Karimova",
        "role": Role.OBSERVER,
        "country": "Uzbekistan",
    }
    payload.update(data)
    return client.post(reverse("missions:member_invite", args=[mission.code]), payload)


def link_in(message) -> str:
    return re.search(r"https?://\S+/invitations/\S+/", message.body).group(0)


def path_of(link: str) -> str:
    return link.split("testserver", 1)[1]


def pending_invitation(mission, email="aida@example.org", **fields) -> tuple[Invitation, str]:
    fields = {"name": "Aida Karimova", "role": Role.OBSERVER, **fields}
    invitation = Invitation(mission=mission, email=email, **fields)
    token = invitation.issue_token()
    invitation.save()
    return invitation, reverse("missions:invitation_accept", args=[token])


def signup(client, url, **data):
    payload = {"name": "Aida K.", "password1": NEW_PASSWORD, "password2": NEW_PASSWORD}
    payload.update(data)
    return client.post(url, payload)


# The member list


def test_member_list_groups_members_by_role_and_shows_invitations_to_the_secretariat(
    client, mission, secretariat, observer, team_leader
):
    pending_invitation(mission, email="waiting@example.org")
    response = client_for(client, secretariat).get(reverse("missions:member_list", args=[mission.code]))
    assert response.status_code == 200
    assert [m.role for m in response.context["members"]] == [
        Role.SECRETARIAT,
        Role.TEAM_LEADER,
        Role.OBSERVER,
    ]
    assert "waiting@example.org" in response.text
    assert observer.user.email in response.text


def test_observer_sees_the_members_but_not_their_addresses_or_invitations(
    client, mission, secretariat, observer
):
    pending_invitation(mission, email="waiting@example.org")
    response = client_for(client, observer).get(reverse("missions:member_list", args=[mission.code]))
    assert response.status_code == 200
    assert secretariat.user.name in response.text
    assert secretariat.user.email not in response.text
    assert "waiting@example.org" not in response.text
    assert reverse("missions:member_invite", args=[mission.code]) not in response.text


def test_outsider_and_anonymous_cannot_see_the_member_list(client, mission, outsider):
    url = reverse("missions:member_list", args=[mission.code])
    assert client.get(url).status_code == 302
    assert client_for(client, outsider).get(url).status_code == 404


def test_removed_members_are_not_listed(client, mission, secretariat):
    gone = make_member(mission, Role.OBSERVER, is_active=False)
    response = client_for(client, secretariat).get(reverse("missions:member_list", args=[mission.code]))
    assert gone not in response.context["members"]


# Inviting


def test_secretariat_invites_by_email_with_a_working_link(client, mission, secretariat, team):
    response = invite(client_for(client, secretariat), mission, team=str(team.uuid))
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:member_list", args=[mission.code])
    invitation = Invitation.objects.get(mission=mission)
    assert (invitation.email, invitation.role, invitation.team, invitation.country) == (
        "aida@example.org",
        Role.OBSERVER,
        team,
        "Uzbekistan",
    )
    assert invitation.invited_by == secretariat.user
    [message] = mail.outbox
    assert message.to == ["aida@example.org"]
    assert mission.name in message.subject
    assert "Observer" in message.body and team.name in message.body
    assert invitation.expires_at.strftime("%Y") in message.body
    link = link_in(message)
    assert link.startswith("http://testserver/invitations/")
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert invitation.token_hash == Invitation.hash_token(token) != token
    entry = AuditEntry.objects.get(action="invitation.send")
    assert (entry.actor, entry.mission, entry.target_id) == (secretariat.user, mission, str(invitation.uuid))
    assert entry.changes["email"] == [None, "aida@example.org"]
    assert token not in str(entry.changes)
    client.logout()
    assert client.get(path_of(link)).status_code == 200


def test_head_of_mission_may_invite(client, mission, head_of_mission):
    assert invite(client_for(client, head_of_mission), mission).status_code == 302
    assert len(mail.outbox) == 1


def test_invitation_email_is_normalised_to_lower_case(client, mission, secretariat):
    invite(client_for(client, secretariat), mission, email="Aida@Example.ORG")
    assert Invitation.objects.get().email == "aida@example.org"


def test_observer_may_not_invite(client, mission, observer):
    assert (
        client_for(client, observer).get(reverse("missions:member_invite", args=[mission.code])).status_code
        == 403
    )
    assert invite(client, mission).status_code == 403
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_outsider_gets_404_when_inviting(client, mission, outsider):
    assert invite(client_for(client, outsider), mission).status_code == 404
    assert not Invitation.objects.exists()


def test_inviting_an_active_member_is_refused_with_a_message(client, mission, secretariat, observer):
    response = invite(client_for(client, secretariat), mission, email=observer.user.email.upper())
    assert response.status_code == 200
    assert "already a member" in response.text
    assert not Invitation.objects.exists()
    assert mail.outbox == []


def test_a_team_of_another_mission_cannot_be_chosen(client, mission, secretariat, outsider):
    foreign = make_team(outsider.mission, "Foreign team")
    response = invite(client_for(client, secretariat), mission, team=str(foreign.uuid))
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert not Invitation.objects.exists()


def test_reinviting_replaces_the_pending_invitation(client, mission, secretariat):
    client_for(client, secretariat)
    invite(client, mission)
    invite(client, mission, role=Role.TEAM_LEADER)
    old_link, new_link = (link_in(m) for m in mail.outbox)
    assert Invitation.objects.pending().get().role == Role.TEAM_LEADER
    client.logout()
    assert client.get(path_of(old_link)).status_code == 410
    assert signup(client, path_of(old_link)).status_code == 410
    assert not User.objects.filter(email="aida@example.org").exists()
    assert client.get(path_of(new_link)).status_code == 200


def test_failed_email_leaves_no_invitation(client, mission, secretariat, monkeypatch):
    def broken(**kwargs):
        raise smtplib.SMTPServerDisconnected("gone")

    monkeypatch.setattr(services.emails, "send_invitation", broken)
    response = invite(client_for(client, secretariat), mission)
    assert response.status_code == 200
    assert "could not be sent" in response.text
    assert not Invitation.objects.exists()


# Accepting


def test_new_person_accepts_creates_account_and_membership_and_is_logged_in(client, mission, team):
    invitation, url = pending_invitation(mission, team=team, country="Uzbekistan", role=Role.TEAM_LEADER)
    page = client.get(url)
    assert page.status_code == 200
    assert page.context["form"]["name"].value() == "Aida Karimova"
    response = signup(client, url)
    assert response.status_code == 302
    assert response["Location"] == mission.get_absolute_url()
    user = User.objects.get(email="aida@example.org")
    assert user.name == "Aida K." and user.check_password(NEW_PASSWORD)
    member = Member.objects.get(mission=mission, user=user)
    assert (member.role, member.team, member.country, member.is_active) == (
        Role.TEAM_LEADER,
        team,
        "Uzbekistan",
        True,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_at is not None and invitation.accepted_by == user
    assert EmailAddress.objects.get(user=user).verified
    assert int(client.session["_auth_user_id"]) == user.pk
    entry = AuditEntry.objects.get(action="invitation.accept")
    assert entry.actor == user and entry.changes["role"] == [None, Role.TEAM_LEADER]
    assert client.get(mission.get_absolute_url()).status_code == 200


def test_passwords_must_match_and_pass_django_validation(client, mission):
    invitation, url = pending_invitation(mission)
    mismatch = signup(client, url, password2="something-else-entirely")
    assert "password2" in mismatch.context["form"].errors
    weak = signup(client, url, password1="12345678", password2="12345678")
    assert "password2" in weak.context["form"].errors
    assert not User.objects.filter(email="aida@example.org").exists()
    invitation.refresh_from_db()
    assert invitation.accepted_at is None


def test_a_used_link_is_refused(client, mission):
    _invitation, url = pending_invitation(mission)
    signup(client, url)
    client.logout()
    assert client.get(url).status_code == 410
    response = signup(client, url, name="Someone else")
    assert response.status_code == 410
    assert User.objects.get(email="aida@example.org").name == "Aida K."
    assert Member.objects.filter(mission=mission).count() == 1


def test_an_expired_link_is_refused_and_changes_nothing(client, mission):
    invitation, url = pending_invitation(mission)
    Invitation.objects.filter(pk=invitation.pk).update(expires_at=timezone.now() - timedelta(minutes=1))
    response = client.get(url)
    assert response.status_code == 410
    assert "expired" in response.text
    assert signup(client, url).status_code == 410
    assert not User.objects.filter(email="aida@example.org").exists()


def test_a_revoked_link_is_refused(client, mission, secretariat):
    invitation, url = pending_invitation(mission)
    services.invitation_revoke(invitation=invitation, actor=secretariat.user)
    assert client.get(url).status_code == 410
    assert signup(client, url).status_code == 410
    assert not User.objects.filter(email="aida@example.org").exists()


def test_an_unknown_link_is_404(client, mission):
    pending_invitation(mission)
    response = client.get(reverse("missions:invitation_accept", args=["not-a-real-token"]))
    assert response.status_code == 404
    assert mission.name not in response.text


def test_the_same_invitation_cannot_be_accepted_twice_even_from_a_stale_copy(mission, team):
    """Two requests that both loaded the invitation while it was pending: only the first one wins.

    An existing account accepts, so nothing but the claim on `accepted_at` can refuse the second.
    """
    user = make_user("aida@example.org")
    invitation, _url = pending_invitation(mission)
    stale = Invitation.objects.get(pk=invitation.pk)
    services.invitation_accept(invitation=invitation, user=user)
    first_accept = Invitation.objects.get(pk=invitation.pk).accepted_at
    member = Member.objects.get(mission=mission, user=user)
    member.team = team  # changed after joining: a second accept must not undo it
    member.save()
    assert stale.is_usable  # the copy in memory still looks fine...
    with pytest.raises(services.SetupError):
        services.invitation_accept(invitation=stale, user=user)
    assert Invitation.objects.get(pk=invitation.pk).accepted_at == first_accept
    assert AuditEntry.objects.filter(action="invitation.accept").count() == 1


@pytest.mark.django_db(transaction=True)
def test_two_simultaneous_accepts_of_one_link_let_exactly_one_through():
    """Both requests have loaded the pending invitation before either writes; the database decides."""
    mission = make_mission("race-mission")
    user = make_user("racer@example.org")
    invitation, _url = pending_invitation(mission, email="racer@example.org")
    both_loaded = threading.Barrier(2)
    outcomes = []

    def accept():
        try:
            mine = Invitation.objects.get(pk=invitation.pk)
            both_loaded.wait(timeout=10)
            services.invitation_accept(invitation=mine, user=user)
            outcomes.append("joined")
        except services.SetupError:
            outcomes.append("refused")
        finally:
            connection.close()

    threads = [threading.Thread(target=accept) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["joined", "refused"]
    assert Member.objects.filter(mission=mission, user=user).count() == 1
    assert AuditEntry.objects.filter(action="invitation.accept").count() == 1


def test_existing_account_must_log_in_first(client, mission):
    user = make_user("aida@example.org")
    invitation, url = pending_invitation(mission)
    page = client.get(url)
    assert page.status_code == 200
    login_link = f"{reverse('account_login')}?next={url}"
    assert login_link in page.text
    client.post(url)  # an anonymous POST does nothing
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Member.objects.filter(user=user).exists()
    # Logging in through allauth comes back to the invitation.
    response = client.post(login_link, {"login": "aida@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == url
    assert "Accept the invitation" in client.get(url).text
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == mission.get_absolute_url()
    member = Member.objects.get(mission=mission, user=user)
    assert member.role == Role.OBSERVER
    assert User.objects.filter(email__iexact="aida@example.org").count() == 1


def test_logged_in_as_someone_else_cannot_accept_an_existing_accounts_invitation(client, mission, outsider):
    invited = make_user("aida@example.org")
    invitation, url = pending_invitation(mission)
    client_for(client, outsider)
    page = client.get(url)
    assert "Log out" in page.text and "aida@example.org" in page.text
    client.post(url)
    invitation.refresh_from_db()
    assert invitation.accepted_at is None
    assert not Member.objects.filter(mission=mission, user__in=[invited, outsider.user]).exists()
    # The page's button logs out and goes to the login page, which comes back here.
    response = client.post(reverse("account_logout"), {"next": f"{reverse('account_login')}?next={url}"})
    assert response.status_code == 302
    assert response["Location"] == f"{reverse('account_login')}?next={url}"


def test_a_removed_member_comes_back_through_a_new_invitation(client, mission, team):
    old = make_member(mission, Role.SECRETARIAT, user=make_user("aida@example.org"), is_active=False)
    _invitation, url = pending_invitation(mission, team=team)
    client.force_login(old.user)
    client.post(url)
    old.refresh_from_db()
    assert (old.is_active, old.role, old.team) == (True, Role.OBSERVER, team)


# Revoking


def test_secretariat_withdraws_an_invitation_after_confirming(client, mission, secretariat):
    invitation, url = pending_invitation(mission)
    revoke = reverse("missions:invitation_revoke", args=[mission.code, invitation.uuid])
    client_for(client, secretariat)
    confirm = client.get(revoke)
    assert confirm.status_code == 200 and "aida@example.org" in confirm.text
    invitation.refresh_from_db()
    assert invitation.revoked_at is None
    response = client.post(revoke)
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert client.get(url).status_code == 410


def test_observer_may_not_withdraw_and_outsider_gets_404(client, mission, observer, outsider):
    invitation, _url = pending_invitation(mission)
    revoke = reverse("missions:invitation_revoke", args=[mission.code, invitation.uuid])
    assert client_for(client, observer).post(revoke).status_code == 403
    assert client_for(client, outsider).post(revoke).status_code == 404
    invitation.refresh_from_db()
    assert invitation.revoked_at is None


def test_an_invitation_of_another_mission_cannot_be_withdrawn_here(client, mission, secretariat, outsider):
    foreign, _url = pending_invitation(outsider.mission)
    response = client_for(client, secretariat).post(
        reverse("missions:invitation_revoke", args=[mission.code, foreign.uuid])
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert foreign.revoked_at is None


# Changing a member


def test_secretariat_changes_a_members_role_team_and_country(client, mission, secretariat, observer):
    other_team = make_team(mission, "Group 2")
    url = reverse("missions:member_edit", args=[mission.code, observer.uuid])
    response = client_for(client, secretariat).post(
        url, {"role": Role.TEAM_LEADER, "team": str(other_team.uuid), "country": "Hungary"}
    )
    assert response.status_code == 302
    observer.refresh_from_db()
    assert (observer.role, observer.team, observer.country) == (Role.TEAM_LEADER, other_team, "Hungary")
    entry = AuditEntry.objects.get(action="member.update")
    assert entry.actor == secretariat.user
    assert entry.changes == {
        "country": ["Kazakhstan", "Hungary"],
        "role": [Role.OBSERVER, Role.TEAM_LEADER],
        "team": ["Group 1", "Group 2"],
    }


def test_moving_a_leader_to_another_team_stops_them_leading_the_old_one(
    client, mission, secretariat, team_leader, team
):
    other_team = make_team(mission, "Group 2")
    client_for(client, secretariat).post(
        reverse("missions:member_edit", args=[mission.code, team_leader.uuid]),
        {"role": Role.TEAM_LEADER, "team": str(other_team.uuid), "country": ""},
    )
    team.refresh_from_db()
    assert team.leader is None


def test_observer_may_not_change_members_and_outsider_gets_404(
    client, mission, observer, secretariat, outsider
):
    url = reverse("missions:member_edit", args=[mission.code, secretariat.uuid])
    data = {"role": Role.OBSERVER, "country": ""}
    assert client_for(client, observer).post(url, data).status_code == 403
    assert client_for(client, outsider).post(url, data).status_code == 404
    secretariat.refresh_from_db()
    assert secretariat.role == Role.SECRETARIAT


def test_a_member_of_another_mission_is_404(client, mission, secretariat, outsider):
    url = reverse("missions:member_edit", args=[mission.code, outsider.uuid])
    assert client_for(client, secretariat).get(url).status_code == 404


def test_the_last_secretariat_cannot_demote_themselves(client, mission, secretariat, head_of_mission):
    response = client_for(client, secretariat).post(
        reverse("missions:member_edit", args=[mission.code, secretariat.uuid]),
        {"role": Role.OBSERVER, "country": ""},
    )
    assert response.status_code == 200
    assert "only secretariat member" in response.text
    secretariat.refresh_from_db()
    assert secretariat.role == Role.SECRETARIAT
    assert not AuditEntry.objects.filter(action="member.update").exists()


def test_head_of_mission_cannot_demote_the_last_secretariat_either(
    client, mission, secretariat, head_of_mission
):
    client_for(client, head_of_mission).post(
        reverse("missions:member_edit", args=[mission.code, secretariat.uuid]),
        {"role": Role.OBSERVER, "country": ""},
    )
    secretariat.refresh_from_db()
    assert secretariat.role == Role.SECRETARIAT


def test_a_secretariat_member_may_step_down_when_another_remains(client, mission, secretariat):
    make_member(mission, Role.SECRETARIAT)
    response = client_for(client, secretariat).post(
        reverse("missions:member_edit", args=[mission.code, secretariat.uuid]),
        {"role": Role.OBSERVER, "country": ""},
    )
    assert response.status_code == 302
    secretariat.refresh_from_db()
    assert secretariat.role == Role.OBSERVER


# Removing a member


def test_secretariat_removes_a_member_after_confirming(client, mission, secretariat, team_leader, team):
    url = reverse("missions:member_remove", args=[mission.code, team_leader.uuid])
    client_for(client, secretariat)
    assert client.get(url).status_code == 200
    team_leader.refresh_from_db()
    assert team_leader.is_active
    response = client.post(url)
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:member_list", args=[mission.code])
    team_leader.refresh_from_db()
    team.refresh_from_db()
    assert (team_leader.is_active, team_leader.team, team.leader) == (False, None, None)
    assert AuditEntry.objects.get(action="member.remove").changes["is_active"] == [True, False]
    client.force_login(team_leader.user)
    assert client.get(mission.get_absolute_url()).status_code == 404


def test_the_last_secretariat_cannot_remove_themselves(client, mission, secretariat):
    response = client_for(client, secretariat).post(
        reverse("missions:member_remove", args=[mission.code, secretariat.uuid])
    )
    assert response.status_code == 302
    secretariat.refresh_from_db()
    assert secretariat.is_active
    assert "only secretariat member" in client.get(response["Location"]).text


def test_a_secretariat_member_who_leaves_goes_back_to_their_missions(client, mission, secretariat):
    make_member(mission, Role.SECRETARIAT)
    response = client_for(client, secretariat).post(
        reverse("missions:member_remove", args=[mission.code, secretariat.uuid])
    )
    assert response["Location"] == reverse("missions:list")
    secretariat.refresh_from_db()
    assert not secretariat.is_active


def test_observer_may_not_remove_and_outsider_gets_404(client, mission, observer, secretariat, outsider):
    url = reverse("missions:member_remove", args=[mission.code, secretariat.uuid])
    assert client_for(client, observer).post(url).status_code == 403
    assert client_for(client, outsider).post(url).status_code == 404
    secretariat.refresh_from_db()
    assert secretariat.is_active
