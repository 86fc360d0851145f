"""A head of mission sets up the authenticator app when first logging in, then logs in with a code.

Screenshots of the set-up, the code step, the recovery codes and the sessions page, on a phone and a
desktop, go to artifacts/screenshots/.
"""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from allauth.usersessions.models import UserSession
from django.test import Client

from missions.models import Role
from tests.browser.conftest import PHONE, screenshot
from tests.helpers.factories import PASSWORD, make_member, make_mission

pytestmark = pytest.mark.browser

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_5 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


@pytest.fixture(autouse=True)
def _second_factor_enforced(settings):
    settings.MFA_REQUIRED_FOR_SETUP_ROLES = True


@pytest.fixture(params=[PHONE, {"width": 1280, "height": 900}], ids=["phone", "desktop"])
def viewport(request):
    return request.param


def _code(secret: str) -> str:
    """The app's current code, taken early enough in its 30-second period to reach the server inside it
    (the server accepts the current period only): near the end of one, wait for the next."""
    if 30 - time.time() % 30 < 6:
        time.sleep(30 - time.time() % 30 + 0.2)
    return format_hotp_value(hotp_value(secret, int(time.time()) // 30))


def _log_in(page, email: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("main form button[type=submit]")


def test_head_of_mission_sets_up_the_app_then_logs_in_with_a_code(page, viewport, transactional_db):
    mission = make_mission()
    hom = make_member(mission, Role.HEAD_OF_MISSION)
    width = viewport["width"]

    _log_in(page, hom.user.email)
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    assert page.get_by_role("img", name="QR code for your authenticator app").is_visible()
    assert page.evaluate("document.querySelector('img[src^=\"data:image/svg\"]').naturalWidth") > 0
    page.click("main summary")
    secret = page.inner_text("#authenticator_secret").strip()
    screenshot(page, f"accounts-totp-setup-{width}")

    page.fill("input[name=code]", _code(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    activated_in = int(time.time()) // 30
    assert page.url.endswith("/accounts/2fa/recovery-codes/")
    assert page.locator("#recovery_codes li").count() == 10
    screenshot(page, f"accounts-recovery-codes-{width}")
    with page.expect_navigation():
        page.get_by_role("link", name="Continue to my missions").click()
    page.goto(mission.get_absolute_url())
    assert page.url.endswith(mission.get_absolute_url())

    # The same person is logged in on their phone too.
    phone = Client()
    phone.force_login(hom.user)
    UserSession.objects.create(
        user=hom.user, session_key=phone.session.session_key, ip="203.0.113.7", user_agent=IPHONE
    )
    page.goto("/accounts/sessions/")
    assert page.locator("#sessions li").count() == 2
    screenshot(page, f"accounts-sessions-{width}")

    page.goto("/accounts/2fa/")
    screenshot(page, f"accounts-mfa-index-{width}")

    page.context.clear_cookies()
    _log_in(page, hom.user.email)
    assert page.url.endswith("/accounts/2fa/authenticate/")
    screenshot(page, f"accounts-totp-login-{width}")
    while int(time.time()) // 30 <= activated_in:  # the set-up's code is spent: wait for the next one
        time.sleep(0.5)
    page.fill("input[name=code]", _code(secret))
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    page.goto(mission.get_absolute_url())
    assert page.url.endswith(mission.get_absolute_url())


@pytest.mark.parametrize("viewport", [{"width": 1280, "height": 900}], ids=["desktop"])
def test_head_of_mission_uses_a_security_key_instead(page, context, viewport, transactional_db):
    """Chromium's virtual authenticator (DevTools protocol) stands in for a USB key."""
    cdp = context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    options = {"protocol": "ctap2", "transport": "usb", "hasResidentKey": True, "hasUserVerification": True}
    cdp.send("WebAuthn.addVirtualAuthenticator", {"options": {**options, "isUserVerified": True}})
    mission = make_mission()
    hom = make_member(mission, Role.HEAD_OF_MISSION)

    _log_in(page, hom.user.email)
    assert page.url.endswith("/accounts/2fa/totp/activate/")
    with page.expect_navigation():
        page.click("#use-security-key")
    page.fill("input[name=name]", "Blue key")
    screenshot(page, "accounts-security-key-add-1280")
    with page.expect_navigation():
        page.click("#mfa_webauthn_add")
    assert page.url.endswith("/accounts/2fa/recovery-codes/")
    assert Authenticator.objects.filter(user=hom.user, type=Authenticator.Type.WEBAUTHN).count() == 1
    page.goto(mission.get_absolute_url())
    assert page.url.endswith(mission.get_absolute_url())

    page.context.clear_cookies()
    _log_in(page, hom.user.email)
    assert page.url.endswith("/accounts/2fa/authenticate/")
    with page.expect_navigation():
        page.click("#mfa_webauthn_authenticate")
    page.goto(mission.get_absolute_url())
    assert page.url.endswith(mission.get_absolute_url())
