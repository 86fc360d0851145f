"""People see and end their other sessions; a member taken out of a mission is logged out at once.

Sessions are logged in through the real form (allauth records each one) and ended through the
session engine the settings choose (cached_db on Redis here).
"""

import pytest
from django.test import Client
from django.urls import reverse

from missions.models import AuditEntry, Role
from tests.helpers.factories import PASSWORD, make_member


def _browser(user, user_agent: str) -> Client:
    client = Client(HTTP_USER_AGENT=user_agent)
    response = client.post(reverse("account_login"), {"login": user.email, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" in client.session
    return client


def _logged_in(client) -> bool:
    return client.get(reverse("missions:list")).status_code == 200


@pytest.mark.django_db
def test_a_person_sees_their_sessions_and_ends_the_others(observer):
    laptop = _browser(observer.user, "Laptop Firefox")
    phone = _browser(observer.user, "Phone Chrome")

    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Laptop Firefox" in page and "Phone Chrome" in page

    response = laptop.post(reverse("usersessions_list"))
    assert response.status_code == 302
    assert not _logged_in(phone)
    assert _logged_in(laptop)
    page = laptop.get(reverse("usersessions_list")).content.decode()
    assert "Laptop Firefox" in page and "Phone Chrome" not in page
    entry = AuditEntry.objects.get(action="auth.sessions_ended")
    assert entry.actor == observer.user and entry.changes == {"sessions": [1, 0]}


@pytest.mark.django_db
def test_removing_a_member_logs_them_out_at_once(client, mission, secretariat, observer):
    phone = _browser(observer.user, "Phone Chrome")
    laptop = _browser(observer.user, "Laptop Firefox")
    assert phone.get(mission.get_absolute_url()).status_code == 200

    client.force_login(secretariat.user)
    url = reverse("missions:member_remove", args=[mission.code, observer.uuid])
    assert client.post(url).status_code == 302

    for browser in (phone, laptop):
        response = browser.get(mission.get_absolute_url())
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
        assert "_auth_user_id" not in browser.session
    assert _logged_in(client), "the secretariat member who removed them stays logged in"
    entry = AuditEntry.objects.get(action="auth.sessions_ended")
    assert entry.actor == secretariat.user and entry.target_id == str(observer.user.pk)
    assert entry.changes == {"sessions": [2, 0]}


@pytest.mark.django_db
def test_a_member_who_leaves_keeps_the_session_they_left_from(mission, secretariat):
    other = make_member(mission, Role.SECRETARIAT)
    here = _browser(other.user, "Laptop Firefox")
    elsewhere = _browser(other.user, "Phone Chrome")
    url = reverse("missions:member_remove", args=[mission.code, other.uuid])
    assert here.post(url)["Location"] == reverse("missions:list")
    assert _logged_in(here)
    assert not _logged_in(elsewhere)
