"""Sessions end after SESSION_IDLE_TIMEOUT without a request, and are not written on every request."""

import json
import time

import pytest
from allauth.usersessions.models import UserSession
from django.contrib.auth import SESSION_KEY
from django.contrib.sessions.models import Session
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.middleware import LAST_ACTIVE_KEY
from missions.models import AuditEntry
from tests.helpers.factories import PASSWORD


@pytest.fixture
def logged_in(client, observer):
    response = client.post(reverse("account_login"), {"login": observer.user.email, "password": PASSWORD})
    assert response.status_code == 302
    return client


def _idle_for(client, seconds: int) -> None:
    """As if the last recorded activity was `seconds` ago."""
    session = client.session
    session[LAST_ACTIVE_KEY] = int(time.time()) - seconds
    session.save()


def test_login_records_the_session_and_starts_the_clock(logged_in, observer):
    session = logged_in.session
    assert abs(session[LAST_ACTIVE_KEY] - time.time()) < 5
    assert UserSession.objects.filter(user=observer.user, session_key=session.session_key).exists()


@pytest.mark.parametrize("timeout", [8 * 3600, 60])
def test_a_user_idle_past_the_limit_is_logged_out(logged_in, mission, observer, settings, timeout):
    settings.SESSION_IDLE_TIMEOUT = timeout
    _idle_for(logged_in, timeout + 5)
    response = logged_in.get(reverse("missions:list"))
    assert response.status_code == 302 and response.url.startswith(reverse("account_login"))
    assert SESSION_KEY not in logged_in.session
    assert AuditEntry.objects.filter(action="auth.logout", actor=observer.user).exists()
    # The filing API answers 401 (JSON), which the page's outbox turns into "log in again".
    api = reverse("polling:api_visit_submit", kwargs={"code": mission.code})
    response = logged_in.post(api, data=json.dumps({}), content_type="application/json")
    assert response.status_code == 401 and response.json()["status"] == "login_required"


def test_an_active_user_stays_logged_in_and_the_session_is_extended(logged_in, observer, settings):
    timeout = settings.SESSION_IDLE_TIMEOUT
    _idle_for(logged_in, timeout - 60)  # nearly expired, but not quite
    key = logged_in.session.session_key
    before = Session.objects.get(pk=key).expire_date
    seen_before = UserSession.objects.get(session_key=key).last_seen_at
    assert logged_in.get(reverse("missions:list")).status_code == 200
    session = logged_in.session
    assert session[SESSION_KEY] == str(observer.user.pk) and abs(session[LAST_ACTIVE_KEY] - time.time()) < 5
    assert Session.objects.get(pk=key).expire_date > before
    assert UserSession.objects.get(session_key=key).last_seen_at > seen_before
    # And again, well within the limit of the refreshed session.
    assert logged_in.get(reverse("missions:list")).status_code == 200


def test_a_request_soon_after_the_last_writes_no_session(logged_in, settings):
    """Within a tenth of the timeout nothing is written, and the session is read from Redis."""
    logged_in.get(reverse("missions:list"))
    _idle_for(logged_in, settings.SESSION_IDLE_TIMEOUT // 20)
    with CaptureQueriesContext(connection) as queries:
        response = logged_in.get(reverse("missions:list"))
    assert response.status_code == 200
    assert settings.SESSION_COOKIE_NAME not in response.cookies
    touched = [
        q["sql"]
        for q in queries.captured_queries
        if "django_session" in q["sql"] or "usersession" in q["sql"]
    ]
    assert touched == []
