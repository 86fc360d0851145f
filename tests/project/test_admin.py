"""The Django admin: every model's list and form load for a superuser, and the user admin works by e-mail."""

import pytest
from django.urls import reverse

from missions.models import AuditEntry, Invitation, Meeting, Member, Mission, Role, Team, User
from tests.helpers.factories import make_meeting, make_member, make_station, make_team, make_user

pytestmark = pytest.mark.django_db

MODELS = [User, Mission, Member, Team, Invitation, Meeting, AuditEntry]


@pytest.fixture
def admin_client(client, mission):
    """A superuser, and one row of every model so the change lists render real rows."""
    team = make_team(mission, "Group 1")
    member = make_member(mission, Role.TEAM_LEADER, team=team, country="Hungary")
    team.leader = member
    team.save()
    team.stations.add(make_station(mission, "001/01"))
    make_meeting(mission)
    invitation = Invitation(mission=mission, email="new@example.org", role=Role.OBSERVER)
    invitation.issue_token()
    invitation.save()
    client.force_login(
        User.objects.create_superuser("root@example.org", "admin-password-123")
    )  # audited login
    return client


def admin_url(model, view, *args):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_changelist_and_change_form_load(admin_client, model):
    assert admin_client.get(admin_url(model, "changelist")).status_code == 200
    assert admin_client.get(admin_url(model, "changelist") + "?q=example").status_code == 200
    obj = model.objects.first()
    assert admin_client.get(admin_url(model, "change", obj.pk)).status_code == 200


@pytest.mark.parametrize("model", [User, Mission, Member, Team, Meeting], ids=lambda m: m.__name__)
def test_add_form_loads(admin_client, model):
    assert admin_client.get(admin_url(model, "add")).status_code == 200


def test_invitations_are_not_added_in_the_admin_and_never_show_the_token_hash(admin_client):
    """An invitation made in the admin would have no token and send no e-mail: the app issues them."""
    assert admin_client.get(admin_url(Invitation, "add")).status_code == 403
    invitation = Invitation.objects.get()
    page = admin_client.get(admin_url(Invitation, "change", invitation.pk))
    assert invitation.token_hash not in page.text
    assert 'name="email"' not in page.text  # read-only


def test_admin_revokes_pending_invitations(admin_client):
    invitation = Invitation.objects.get()
    admin_client.post(
        admin_url(Invitation, "changelist"), {"action": "revoke", "_selected_action": [invitation.pk]}
    )
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None


def test_superuser_adds_a_user_by_email(admin_client):
    response = admin_client.post(
        admin_url(User, "add"),
        {
            "email": "Olga@Example.org",
            "name": "Olga",
            "usable_password": "true",
            "password1": "a-long-enough-pass-42",
            "password2": "a-long-enough-pass-42",
        },
    )
    assert response.status_code == 302
    user = User.objects.get(email__iexact="olga@example.org")
    assert user.name == "Olga" and user.check_password("a-long-enough-pass-42")


def test_superuser_edits_a_user(admin_client):
    user = make_user("edit-me@example.org")
    page = admin_client.get(admin_url(User, "change", user.pk))
    form = page.context["adminform"].form
    data = {
        k: v
        for k, v in form.initial.items()
        if v is not None and k not in ("groups", "user_permissions", "password")
    }
    data.update(
        {
            "name": "Edited",
            "last_login_0": "",
            "last_login_1": "",
            "date_joined_0": "2024-01-01",
            "date_joined_1": "10:00:00",
        }
    )
    data.update(
        {
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
        }
    )
    response = admin_client.post(admin_url(User, "change", user.pk), data)
    assert response.status_code == 302, response.context["adminform"].form.errors if response.context else ""
    user.refresh_from_db()
    assert user.name == "Edited"


def test_team_change_list_counts_planned_stations(admin_client):
    response = admin_client.get(admin_url(Team, "changelist"))
    assert response.context["cl"].result_list[0].n_stations == 1


def test_the_audit_trail_is_read_only_in_the_admin(admin_client):
    entry = AuditEntry.objects.get(action="auth.login")
    assert admin_client.get(admin_url(AuditEntry, "add")).status_code == 403
    assert admin_client.post(admin_url(AuditEntry, "delete", entry.pk), {"post": "yes"}).status_code == 403
    page = admin_client.get(admin_url(AuditEntry, "change", entry.pk))
    assert page.status_code == 200 and 'name="action"' not in page.text
    assert AuditEntry.objects.filter(pk=entry.pk).exists()
