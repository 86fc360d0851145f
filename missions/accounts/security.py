"""Accounts: the second factor that heads of mission and the secretariat must have, and ending sessions.

A head of mission or secretariat member can change who sees a mission and sign its statement, so a
stolen password alone must not be enough: until they have an authenticator app, every page sends
them to set one up (a security key does too). Other members may add one from their menu. The codes themselves are allauth's
(allauth.mfa): it refuses a TOTP code used once already, through the shared cache.
"""

import time
from collections.abc import Callable

from allauth.account.internal.flows.login import record_authentication
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm
from allauth.mfa.totp.internal.auth import TOTP
from allauth.usersessions.adapter import get_adapter as get_sessions_adapter
from allauth.usersessions.models import UserSession
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.urls import Resolver404, resolve
from django.utils.translation import gettext as _

from missions.models import SETUP_ROLES, Member

# What someone who still has to set up their second factor may open: the set-up itself (with the
# password check allauth asks for first when the login is not recent), logging out, the language
# switch and the service worker. Static files are served by WhiteNoise before any view.
SECOND_FACTOR_SETUP_VIEWS = frozenset(
    {
        "mfa_index",
        "mfa_activate_totp",
        "mfa_add_webauthn",
        "mfa_reauthenticate",
        "account_reauthenticate",
        "account_logout",
        "set_language",
        "missions:language_set",
        "polling:service_worker",
    }
)


def second_factor_required(user) -> bool:
    """Staff, and anyone who is secretariat or head of mission in some mission, must use a second factor."""
    if not user.is_authenticated:
        return False
    if user.is_staff or user.is_superuser:
        return True
    return Member.objects.filter(user=user, is_active=True, role__in=SETUP_ROLES).exists()


SECOND_FACTORS = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)


def has_second_factor(user) -> bool:
    """An authenticator app or a security key (recovery codes only back them up)."""
    return Authenticator.objects.filter(user=user, type__in=SECOND_FACTORS).exists()


def _is_setup_page(request: HttpRequest) -> bool:
    if request.path_info.startswith(settings.STATIC_URL):
        return True
    try:
        match = resolve(request.path_info)
    except Resolver404:
        return False
    return match.view_name in SECOND_FACTOR_SETUP_VIEWS


# How long a session remembers that its user passed the second-factor check (needs none, or has one):
# a member made head of mission, or one who removes their authenticator, is sent to the set-up at most
# this long after. Within it, a request costs no query for the check.
SECOND_FACTOR_CHECK_SECONDS = 60
SECOND_FACTOR_CHECKED_KEY = "second-factor-checked"


class SecondFactorRequiredMiddleware:
    """Send a user who must have a second factor and has none to the authenticator set-up page.

    The check costs two queries; a session that passed it remembers so (for SECOND_FACTOR_CHECK_SECONDS,
    and only for the user it was made for), so an observer filing visits pays them once a minute, not
    on every request. A user who must set one up is checked on every request until they have.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if (
            getattr(settings, "MFA_REQUIRED_FOR_SETUP_ROLES", True)
            and request.user.is_authenticated
            and not self._passed_recently(request)
            and not _is_setup_page(request)  # resolves the URL: after the cheap check
        ):
            if second_factor_required(request.user) and not has_second_factor(request.user):
                messages.warning(
                    request,
                    _(
                        "Your role in a mission needs a second factor. Set up an authenticator app on "
                        "your phone to continue."
                    ),
                )
                return redirect("mfa_activate_totp")
            request.session[SECOND_FACTOR_CHECKED_KEY] = [
                request.user.pk,
                time.time() + SECOND_FACTOR_CHECK_SECONDS,
            ]
        return self.get_response(request)

    @staticmethod
    def _passed_recently(request: HttpRequest) -> bool:
        checked = request.session.get(SECOND_FACTOR_CHECKED_KEY)
        if not checked:
            return False
        user_pk, until = checked
        return user_pk == request.user.pk and time.time() < until


class ActivateTOTPOnceForm(ActivateTOTPForm):
    """allauth checks the code typed at set-up without remembering it, so the same code would log in
    again within its 30 seconds; remember it in the shared cache, as every later code is."""

    def clean_code(self) -> str:
        code = super().clean_code()
        adapter = get_mfa_adapter()
        pending = Authenticator(
            user=self.user, type=Authenticator.Type.TOTP, data={"secret": adapter.encrypt(self.secret)}
        )
        if not TOTP(pending).validate_code(code):
            raise adapter.validation_error("incorrect_code")
        return code


def second_factor_changed(*, request, user, added=None) -> int:
    """An authenticator was added or removed: every other session of the user ends.

    Reproduced: a session opened with the password alone kept its rights, and showed the recovery
    codes, after the user set up an authenticator in another session; one opened with an authenticator
    would likewise outlive its removal. The session that made the change stays, and setting one up
    (which took a valid code) counts as passing it there. Returns how many sessions ended."""
    own = request is not None and getattr(request, "user", None) is not None and request.user.pk == user.pk
    if own and added is not None and added.type in SECOND_FACTORS:
        record_authentication(request, user, "mfa", id=added.pk, type=added.type, reauthenticated=True)
    return user_sessions_end(user=user, keep_session_key=request.session.session_key if own else None)


def user_sessions_end(*, user, keep_session_key: str | None = None) -> int:
    """Log `user` out everywhere (but in `keep_session_key`); returns how many sessions ended.

    Goes through allauth's session records and the configured session engine's store, so it works
    with whichever engine settings choose. The usersessions adapter records it in the audit trail.
    """
    sessions = [s for s in UserSession.objects.filter(user_id=user.pk) if s.session_key != keep_session_key]
    if sessions:
        get_sessions_adapter().end_sessions(sessions)
    return len(sessions)
