"""Login rate limits on the shared Redis cache: wrong passwords for one address are paused, then refused.

The limits live in Redis (settings.CACHES), which outlives the test database: every test uses its own
addresses and its own client address, so runs and tests do not count against each other.
"""

import re
import uuid

import pytest
from django.conf import settings
from django.core import mail
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from tests.helpers.factories import PASSWORD, make_user

WRONG = "The email address and/or password you specified are not correct."
WRONG_PASSWORD = "wrong-password-1"
REFUSED = "Too many failed login attempts. Try again later."

pytestmark = pytest.mark.skipif(not settings.REDIS_URL, reason="the limits are tested on the real Redis")


def _client() -> Client:
    return Client(
        REMOTE_ADDR=f"127.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}.{uuid.uuid4().int % 250}"
    )


def _email() -> str:
    return f"limits-{uuid.uuid4().hex[:12]}@example.org"


def _try(client, email, password=WRONG_PASSWORD, **extra):
    return client.post(reverse("account_login"), {"login": email, "password": password}, **extra)


def _page(response, email) -> str:
    """The login page as a person sees it: without the CSRF token and the address they typed."""
    html = response.content.decode()
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", html)
    return html.replace(email, "EMAIL")


def test_wrong_passwords_for_one_account_are_refused_after_five_even_with_the_right_one(db):
    user = make_user(_email())
    client = _client()
    for _ in range(5):
        response = _try(client, user.email)
        assert response.status_code == 200 and WRONG in response.content.decode()
    response = _try(client, user.email)
    assert REFUSED in response.content.decode() and "reset your password" in response.content.decode()
    # The right password does not get through either, nor from another browser: the count is in Redis.
    response = _try(_client(), user.email, PASSWORD)
    assert REFUSED in response.content.decode()
    assert "_auth_user_id" not in _client().session


def test_the_count_is_kept_in_the_shared_redis_cache(db):
    user = make_user(_email())
    _try(_client(), user.email)
    keys = cache._cache.get_client().keys(f"{cache.key_prefix}:*allauth:rl:allauth.account:login_failed:*")
    assert keys, "no rate-limit key in Redis"


def test_a_successful_login_does_not_count_as_a_failure(db):
    user = make_user(_email())
    client = _client()
    for _ in range(4):
        _try(client, user.email)
    for _ in range(3):
        assert _try(_client(), user.email, PASSWORD).status_code == 302
    assert _try(client, user.email, PASSWORD).status_code == 302


def test_an_unknown_address_gets_exactly_the_same_pages_as_a_wrong_password(db):
    user = make_user(_email())
    stranger = _email()
    known, unknown = _client(), _client()
    for attempt in range(7):
        a, b = _try(known, user.email), _try(unknown, stranger)
        assert a.status_code == b.status_code == 200
        assert _page(a, user.email) == _page(b, stranger), f"attempt {attempt + 1} tells them apart"
    assert REFUSED in b.content.decode()


def test_the_refusal_is_in_the_users_language(db):
    user = make_user(_email())
    client = _client()
    for _ in range(5):
        _try(client, user.email)
    response = _try(client, user.email, HTTP_ACCEPT_LANGUAGE="fr")
    assert "Trop de tentatives de connexion échouées" in response.content.decode()
    response = _try(client, user.email, HTTP_ACCEPT_LANGUAGE="ru")
    assert "Слишком много неудачных попыток входа" in response.content.decode()


def test_resetting_the_password_lifts_the_pause(db):
    user = make_user(_email())
    client = _client()
    for _ in range(6):
        _try(client, user.email)
    client.post(reverse("account_reset_password"), {"email": user.email})
    link = re.search(r"https?://[^/\s]+(/accounts/password/reset/key/\S+/)", mail.outbox[-1].body).group(1)
    response = client.get(link)
    new_password = "another-horse-battery-77"
    client.post(response["Location"], {"password1": new_password, "password2": new_password})
    response = _try(_client(), user.email, new_password)
    assert response.status_code == 302 and response["Location"] == reverse("missions:list")


def test_the_admin_login_form_is_allauths_and_cannot_be_used_to_guess(db):
    staff = make_user(_email(), is_staff=True, is_superuser=True)
    client = _client()
    response = client.get(reverse("admin:login"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login") + "?next=")
    # Posting a password to the admin's own form does nothing but send the browser to allauth's.
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": PASSWORD})
    assert response.status_code == 302 and "_auth_user_id" not in client.session
    # A logged-in member who is not staff is refused, not shown a second login form.
    observer = make_user(_email())
    client.force_login(observer)
    assert client.get(reverse("admin:login")).status_code == 403


def test_behind_the_proxy_each_client_address_has_its_own_count(db, settings):
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = 1
    proxy = _client()  # every request arrives from the proxy's address
    for n in range(10):  # ten different people each mistype once: 10 a minute from one address is the limit
        _try(proxy, _email(), HTTP_X_FORWARDED_FOR=f"198.51.100.{n + 1}")
    user = make_user(_email())
    response = _try(proxy, user.email, PASSWORD, HTTP_X_FORWARDED_FOR="198.51.100.200")
    assert response.status_code == 302, "one client's mistakes locked out everyone behind the proxy"
    proxy = _client()
    for _ in range(10):
        response = _try(proxy, _email(), HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert REFUSED in response.content.decode(), "the per-address limit no longer applies"
