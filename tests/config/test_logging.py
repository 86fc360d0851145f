"""Logs: one JSON object per line, and never a password, TOTP code, token, session id or cookie.

The lines are captured from the handler that settings.LOGGING installs (its stream is swapped for a
buffer), so they went through the real filter and formatter, as in production.
"""

import io
import json
import logging

import pytest
from django.http import HttpResponse
from django.test import Client
from django.urls import include, path, reverse

from config.logging import REDACTED, redact
from missions.models import Role
from tests.helpers.factories import PASSWORD, make_member, make_mission

SECRET_PASSWORD = "Correct-Horse-Battery-9"  # noqa: S105
WRONG_PASSWORD = "wrong-password-8c1f2e"  # noqa: S105
TOTP_CODE = "493021"
SESSION_ID = "sessionid0123456789abcdefghijklmnopq"


def crash(request):
    """A careless view: its error message carries the form and the cookies."""
    raise RuntimeError(f"could not handle {request.POST!r} with cookies {request.COOKIES!r}")


def note(request):
    """A careless log call: the whole form as a dict, then as text."""
    logging.getLogger("missions").warning("login data %s", request.POST.dict(), extra={"form": request.POST})
    logging.getLogger("polling").info("retry with password=%s code=%s", request.POST["password"], "x")
    return HttpResponse("ok")


urlpatterns = [
    path("crash/", crash),
    path("note/", note),
    path("", include("config.urls")),
]


@pytest.fixture
def log_lines():
    """Every line the configured console handler writes while the test runs."""
    handler = next(h for h in logging.getLogger().handlers if h.name == "console")
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    try:
        yield lambda: [line for line in buffer.getvalue().splitlines() if line]
    finally:
        handler.setStream(previous)


def assert_clean(lines: list[str]) -> None:
    assert lines, "nothing was logged"
    for line in lines:
        json.loads(line)  # one JSON object per line
        for secret in (SECRET_PASSWORD, WRONG_PASSWORD, TOTP_CODE, SESSION_ID, PASSWORD):
            assert secret not in line, line


def test_a_failed_login_leaves_no_password_or_session_id_in_the_logs(log_lines, db):
    member = make_member(make_mission("log-mission"), Role.OBSERVER)
    form = {"login": member.user.email, "password": WRONG_PASSWORD}
    # A wrong password: the form says so (200).
    client = Client()
    client.cookies["sessionid"] = SESSION_ID
    assert client.post(reverse("account_login"), form).status_code == 200
    # The same attempt without its CSRF token: refused, and django.security logs the refusal.
    strict = Client(enforce_csrf_checks=True)
    strict.cookies["sessionid"] = SESSION_ID
    assert strict.post(reverse("account_login"), form).status_code == 403
    lines = log_lines()
    assert_clean(lines)
    refused = json.loads(next(line for line in lines if "django.security.csrf" in line))
    assert refused["level"] == "WARNING" and refused["status_code"] == 403
    assert refused["path"] == reverse("account_login") and refused["method"] == "POST"


@pytest.mark.urls("tests.config.test_logging")
def test_a_500_is_one_json_line_with_the_traceback_and_no_secrets(log_lines, db):
    client = Client(raise_request_exception=False)
    client.cookies["sessionid"] = SESSION_ID
    client.cookies["csrftoken"] = "csrf0123456789"
    response = client.post(
        "/crash/", {"login": "a@example.org", "password": SECRET_PASSWORD, "code": TOTP_CODE}
    )
    assert response.status_code == 500
    lines = log_lines()
    assert_clean(lines)
    assert "csrf0123456789" not in "".join(lines)
    error = json.loads(next(line for line in lines if '"status_code": 500' in line))
    assert error["level"] == "ERROR" and error["logger"] == "django.request"
    assert error["path"] == "/crash/" and error["method"] == "POST"
    assert "RuntimeError: could not handle" in error["exception"]
    assert "'password': [[redacted]]" in error["exception"]
    assert "a@example.org" in error["exception"]  # only the secrets go


@pytest.mark.urls("tests.config.test_logging")
def test_careless_log_calls_in_our_apps_are_redacted(log_lines, db):
    response = Client().post("/note/", {"password": SECRET_PASSWORD, "code": TOTP_CODE, "team": "north"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in log_lines()]
    assert_clean([json.dumps(line) for line in lines])
    data = next(line for line in lines if line["logger"] == "missions")
    assert data["form"] == {"password": REDACTED, "code": REDACTED, "team": "north"}
    assert "north" in data["message"]
    retry = next(line for line in lines if line["logger"] == "polling")
    assert retry["message"] == f"retry with password={REDACTED} code=x"


def test_redaction_of_headers_tokens_and_urls():
    assert redact({"HTTP_COOKIE": "sessionid=abc; csrftoken=def", "HTTP_ACCEPT": "text/html"}) == {
        "HTTP_COOKIE": REDACTED,
        "HTTP_ACCEPT": "text/html",
    }
    assert redact("Cookie: sessionid=abc; csrftoken=def") == f"Cookie: {REDACTED}"
    assert redact("GET /invitations/Zm9vYmFy-token/ 200") == f"GET /invitations/{REDACTED}/ 200"
    assert redact("/accounts/password/reset/key/1-abc-def/") == f"/accounts/password/reset/key/{REDACTED}/"
    assert redact({"secret_key": "x", "nested": [{"token": "y"}]}) == {
        "secret_key": REDACTED,
        "nested": [{"token": REDACTED}],
    }
