"""Second factor: heads of mission, the secretariat and staff must use an authenticator app.

Codes are made with allauth's own TOTP helpers from the secret the set-up page put in the session;
used codes are remembered in the shared Redis cache, so every test uses fresh users (the cache
outlives the test database).
"""

import time
import uuid

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.db import connection
from django.test import Client, TestCase
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from missions.accounts.security import SECOND_FACTOR_CHECKED_KEY, SECOND_FACTOR_SETUP_VIEWS
from missions.models import AuditEntry, Role
from tests.helpers.factories import PASSWORD, make_member, make_user

ACTIVATE = reverse("mfa_activate_totp")


@pytest.fixture(autouse=True)
def _second_factor_enforced(settings):
    settings.MFA_REQUIRED_FOR_SETUP_ROLES = True


def _fresh_email() -> str:
    return f"mfa-{uuid.uuid4().hex[:12]}@example.org"


def _code(secret: str, *, steps_ago: int = 0) -> str:
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30 - steps_ago))


def _code_after(secret: str, window: int) -> str:
    """The code of the first 30-second window after `window` (a code is accepted once only)."""
    while int(time.time()) // 30 <= window:
        time.sleep(0.5)
    return _code(secret)


def _login(client, email: str, password: str = PASSWORD):
    return client.post(reverse("account_login"), {"login": email, "password": password})


def _activate_totp(client) -> str:
    """Set up the authenticator app through the pages; returns the secret."""
    response = client.get(ACTIVATE)
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    response = client.post(ACTIVATE, {"code": _code(secret)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return secret


def _mission_pages(code: str):
    """Every page of the mission apps, with made-up identifiers (the redirect comes before any lookup)."""
    values = {"slug": code, "uuid": str(uuid.uuid4()), "str": "x", "int": "1", "path": "x"}

    def walk(patterns, namespace):
        for entry in patterns:
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, entry.namespace or namespace)
            elif isinstance(entry, URLPattern) and namespace in {"missions", "polling", "reports"}:
                name = f"{namespace}:{entry.name}"
                if entry.name and name not in SECOND_FACTOR_SETUP_VIEWS:
                    converters = entry.pattern.converters
                    kwargs = {
                        key: values.get(type(conv).__name__.replace("Converter", "").lower(), "x")
                        for key, conv in converters.items()
                    }
                    yield name, reverse(name, kwargs=kwargs)

    return dict(walk(get_resolver().url_patterns, None))


@pytest.fixture
def hom(mission):
    return make_member(mission, Role.HEAD_OF_MISSION, user=make_user(_fresh_email()))


def test_head_of_mission_without_authenticator_is_sent_to_set_it_up_from_every_mission_page(
    client, mission, hom
):
    client.force_login(hom.user)
    pages = _mission_pages(mission.code)
    assert len(pages) > 40 and "missions:detail" in pages and "reports:results" in pages
    for name, url in pages.items():
        response = client.get(url)
        assert response.status_code == 302 and response["Location"] == ACTIVATE, name
    # A form post is stopped too, before the view sees it.
    response = client.post(reverse("missions:edit", args=[mission.code]), {"name": "Changed"})
    assert response["Location"] == ACTIVATE
    mission.refresh_from_db()
    assert mission.name != "Changed"


def test_set_up_pages_logout_and_language_switch_stay_open(client, hom):
    _login(client, hom.user.email)
    assert client.get(ACTIVATE).status_code == 200
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get(reverse("polling:service_worker")).status_code == 200
    response = client.post(reverse("set_language"), {"language": "fr", "next": ACTIVATE})
    assert response["Location"] == ACTIVATE
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("role", [Role.SECRETARIAT, Role.HEAD_OF_MISSION])
def test_set_up_roles_must_have_a_second_factor_and_observers_need_not(client, mission, role):
    member = make_member(mission, role, user=make_user(_fresh_email()))
    observer = make_member(mission, Role.OBSERVER, user=make_user(_fresh_email()))
    client.force_login(member.user)
    assert client.get(mission.get_absolute_url())["Location"] == ACTIVATE
    client.force_login(observer.user)
    assert client.get(mission.get_absolute_url()).status_code == 200


def test_a_removed_head_of_mission_no_longer_has_to(client, mission, hom):
    hom.is_active = False
    hom.save(update_fields=["is_active"])
    client.force_login(hom.user)
    assert client.get(reverse("missions:list")).status_code == 200


def test_staff_must_have_a_second_factor_for_the_admin(client, db):
    staff = make_user(_fresh_email(), is_staff=True, is_superuser=True)
    _login(client, staff.email)
    assert client.get(reverse("admin:index"))["Location"] == ACTIVATE
    _activate_totp(client)
    assert client.get(reverse("admin:index")).status_code == 200


def test_after_activating_the_app_the_head_of_mission_gets_through_and_login_asks_for_the_code(
    client, mission, hom, django_capture_on_commit_callbacks
):
    # Logged in with the password only: straight to the set-up.
    response = _login(client, hom.user.email)
    assert response.status_code == 302
    assert client.get(mission.get_absolute_url())["Location"] == ACTIVATE

    with django_capture_on_commit_callbacks(execute=True):  # allauth reports the new app on commit
        secret = _activate_totp(client)
    activated_in = int(time.time()) // 30
    assert Authenticator.objects.filter(user=hom.user, type=Authenticator.Type.TOTP).exists()
    # allauth made recovery codes at the same time; the page shows them.
    response = client.get(reverse("mfa_view_recovery_codes"))
    assert response.status_code == 200
    codes = Authenticator.objects.get(user=hom.user, type=Authenticator.Type.RECOVERY_CODES).wrap()
    assert codes.get_unused_codes()[0] in response.content.decode()
    assert client.get(mission.get_absolute_url()).status_code == 200
    assert AuditEntry.objects.filter(action="auth.mfa_added", actor=hom.user).count() == 2

    # The next login stops at the code.
    client.post(reverse("account_logout"))
    response = _login(client, hom.user.email)
    assert response["Location"] == reverse("mfa_authenticate")
    assert client.get(mission.get_absolute_url()).status_code == 302  # not logged in yet
    response = client.post(
        reverse("mfa_authenticate"), {"code": "000000" if _code(secret) != "000000" else "1"}
    )
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="auth.mfa_failed", actor=hom.user).exists()
    response = client.post(reverse("mfa_authenticate"), {"code": _code_after(secret, activated_in)})
    assert response.status_code == 302
    assert client.get(mission.get_absolute_url()).status_code == 200


def test_a_code_used_once_is_refused_the_second_time(client, mission, hom):
    _login(client, hom.user.email)
    secret = _activate_totp(client)
    code = _code_after(secret, int(time.time()) // 30)

    client.post(reverse("account_logout"))
    _login(client, hom.user.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    client.post(reverse("account_logout"))

    # Someone who saw the code type it again within its 30 seconds: refused.
    _login(client, hom.user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "Incorrect code" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_a_recovery_code_works_once(client, mission, hom):
    _login(client, hom.user.email)
    _activate_totp(client)
    recovery = Authenticator.objects.get(user=hom.user, type=Authenticator.Type.RECOVERY_CODES)
    code = recovery.wrap().get_unused_codes()[0]
    client.post(reverse("account_logout"))

    _login(client, hom.user.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert client.get(mission.get_absolute_url()).status_code == 200
    assert AuditEntry.objects.filter(action="auth.mfa_recovery_code_used", actor=hom.user).exists()
    client.post(reverse("account_logout"))

    _login(client, hom.user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    recovery.refresh_from_db()
    assert code not in recovery.wrap().get_unused_codes()


def test_a_head_of_mission_cannot_switch_the_app_off_but_an_observer_can(client, mission, hom):
    _login(client, hom.user.email)
    _activate_totp(client)
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=hom.user, type=Authenticator.Type.TOTP).exists()

    observer = make_member(mission, Role.OBSERVER, user=make_user(_fresh_email()))
    client.post(reverse("account_logout"))
    _login(client, observer.user.email)
    _activate_totp(client)
    response = client.post(reverse("mfa_deactivate_totp"))
    assert response.status_code == 302
    assert not Authenticator.objects.filter(user=observer.user).exists()
    assert AuditEntry.objects.filter(action="auth.mfa_removed", actor=observer.user).count() == 2


def test_long_after_logging_in_the_set_up_asks_for_the_password_again(client, hom, settings):
    _login(client, hom.user.email)
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # the login is now "long ago"
    response = client.get(ACTIVATE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"])
    assert page.status_code == 200 and "type your password again" in page.content.decode()
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    response = client.post(response["Location"], {"password": PASSWORD})
    assert response.status_code == 302
    assert client.get(ACTIVATE).status_code == 200


def test_an_address_never_verified_does_not_keep_a_head_of_mission_from_the_set_up(client, hom):
    EmailAddress.objects.create(user=hom.user, email=hom.user.email, primary=True, verified=False)
    _login(client, hom.user.email)
    _activate_totp(client)
    assert Authenticator.objects.filter(user=hom.user, type=Authenticator.Type.TOTP).exists()


def test_the_code_typed_at_set_up_does_not_log_in_again(client, hom):
    while time.time() % 30 > 15:  # leave the code at least 15 seconds to live
        time.sleep(0.5)
    _login(client, hom.user.email)
    response = client.get(ACTIVATE)
    secret = client.session[SECRET_SESSION_KEY]
    code = _code(secret)
    assert client.post(ACTIVATE, {"code": code}).status_code == 302
    client.post(reverse("account_logout"))

    _login(client, hom.user.email)
    response = client.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200 and "Incorrect code" in response.content.decode()
    assert "_auth_user_id" not in client.session


def _end_check_window(client) -> None:
    """What a minute's wait does: the session's record of the last second-factor check runs out."""
    session = client.session
    user_pk, _until = session[SECOND_FACTOR_CHECKED_KEY]
    session[SECOND_FACTOR_CHECKED_KEY] = [user_pk, time.time() - 1]
    session.save()


def _second_factor_queries(client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    return [q["sql"] for q in queries if "missions_member" in q["sql"] or "mfa_authenticator" in q["sql"]]


def test_an_observer_made_head_of_mission_is_sent_to_the_set_up_when_the_check_window_ends(client, mission):
    observer = make_member(mission, Role.OBSERVER, user=make_user(_fresh_email()))
    _login(client, observer.user.email)
    url = reverse("missions:list")
    assert client.get(url).status_code == 200
    # Within the window the check costs no query (the page itself may still ask about members).
    queries_checked = _second_factor_queries(client, url)
    _end_check_window(client)
    queries_rechecked = _second_factor_queries(client, url)
    assert len(queries_rechecked) == len(queries_checked) + 1

    observer.role = Role.HEAD_OF_MISSION
    observer.save(update_fields=["role"])
    assert client.get(url).status_code == 200  # at most a minute late...
    _end_check_window(client)
    assert client.get(url)["Location"] == ACTIVATE  # ...then to the set-up, on every page until done
    assert client.get(url)["Location"] == ACTIVATE


def test_a_head_of_mission_whose_authenticator_is_removed_is_sent_back_when_the_check_window_ends(
    client, mission, hom
):
    _login(client, hom.user.email)
    _activate_totp(client)
    url = reverse("missions:detail", args=[mission.code])
    assert client.get(url).status_code == 200
    Authenticator.objects.filter(user=hom.user).delete()  # e.g. by an administrator
    _end_check_window(client)
    assert client.get(url)["Location"] == ACTIVATE


def test_the_remembered_check_is_only_for_the_user_it_was_made_for(client, mission, hom):
    observer = make_member(mission, Role.OBSERVER, user=make_user(_fresh_email()))
    client.force_login(observer.user)
    assert client.get(reverse("missions:list")).status_code == 200
    session = client.session
    checked = session[SECOND_FACTOR_CHECKED_KEY]
    client.force_login(hom.user)
    session = client.session
    session[SECOND_FACTOR_CHECKED_KEY] = checked  # even if the record survived the change of user
    session.save()
    assert client.get(reverse("missions:list"))["Location"] == ACTIVATE


def test_within_the_check_window_the_middleware_does_not_resolve_the_url(client, mission, monkeypatch):
    """The set-up page test resolves the URL, which cost about 4% of a filing's CPU: it comes after the
    session's record of a recent check, so a request inside the window skips it."""
    import missions.accounts.security

    observer = make_member(mission, Role.OBSERVER, user=make_user(_fresh_email()))
    _login(client, observer.user.email)
    url = reverse("missions:list")
    assert client.get(url).status_code == 200
    resolved = []
    real_resolve = missions.accounts.security.resolve
    monkeypatch.setattr(
        missions.accounts.security, "resolve", lambda path: resolved.append(path) or real_resolve(path)
    )
    assert client.get(url).status_code == 200
    assert resolved == []
    _end_check_window(client)
    assert client.get(url).status_code == 200
    assert resolved == [url]


def test_setting_up_an_authenticator_ends_the_users_other_sessions(client, mission, hom):
    """Reproduced: a session opened with the password alone kept the head of mission's rights, and showed
    all ten recovery codes without re-authenticating, after the same person set up the app in another
    session. Adding (or removing) an authenticator now ends the user's other sessions."""
    earlier = Client()
    _login(earlier, hom.user.email)  # session S1: the password only, before any authenticator
    _login(client, hom.user.email)  # session S2 sets up the app, and keeps going
    with TestCase.captureOnCommitCallbacks(execute=True):  # allauth reports the new app on commit
        _activate_totp(client)
    assert client.get(reverse("mfa_view_recovery_codes")).status_code == 200
    assert client.get(reverse("missions:detail", args=[mission.code])).status_code == 200

    for url in (reverse("missions:detail", args=[mission.code]), reverse("mfa_view_recovery_codes")):
        response = earlier.get(url)
        assert response.status_code == 302 and response["Location"].startswith(reverse("account_login")), url


def test_removing_an_authenticator_ends_the_users_other_sessions(client, mission, db):
    observer = make_member(mission, Role.OBSERVER, user=make_user(_fresh_email()))
    _login(client, observer.user.email)
    _activate_totp(client)  # (its commit callbacks not run: no other session to end yet)
    other = Client()
    other.force_login(observer.user)
    assert other.get(reverse("missions:detail", args=[mission.code])).status_code == 200
    totp = Authenticator.objects.get(user=observer.user, type=Authenticator.Type.TOTP)
    with TestCase.captureOnCommitCallbacks(execute=True):
        client.post(reverse("mfa_deactivate_totp"), {})
    assert not Authenticator.objects.filter(pk=totp.pk).exists()
    assert other.get(reverse("missions:detail", args=[mission.code])).status_code == 302
