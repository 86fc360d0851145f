"""Sessions end after SESSION_IDLE_TIMEOUT seconds without a request, without a write on every request.

Saving the session on every request (SESSION_SAVE_EVERY_REQUEST) and allauth's activity tracking cost
two writes per request, most of the work of an election-day filing. Instead the session keeps the
moment of the last recorded activity and:

1. a request more than SESSION_IDLE_TIMEOUT after it logs the user out (the request goes on
   anonymous: a page redirects to the login, the filing API answers 401);
2. a request more than a tenth of the timeout after it records the activity again: the session is
   saved (its expiry in the store and the cookie's move to now + the timeout) and allauth's record of
   the session (ip, browser, last seen) is brought up to date;
3. any other request writes nothing.

So a user is logged out between 0.9 and 1 times the timeout after their last request.
"""

import time

from django.conf import settings
from django.contrib.auth import SESSION_KEY, logout
from django.utils import timezone

LAST_ACTIVE_KEY = "_observa_last_active"  # seconds since the epoch
REFRESH_FRACTION = 0.1


class SessionIdleTimeoutMiddleware:
    """After AuthenticationMiddleware (it logs out); with USERSESSIONS_TRACK_ACTIVITY off (it tracks)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session:
            self._check(request, session)
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is not None and SESSION_KEY in session and LAST_ACTIVE_KEY not in session:
            session[LAST_ACTIVE_KEY] = int(time.time())  # logged in by this request: saved with the login
        return response

    def _check(self, request, session) -> None:
        now = int(time.time())
        timeout = settings.SESSION_IDLE_TIMEOUT
        last = session.get(LAST_ACTIVE_KEY)
        if isinstance(last, int) and now - last > timeout:
            logout(request)
        elif not isinstance(last, int) or now - last > timeout * REFRESH_FRACTION:
            session[LAST_ACTIVE_KEY] = now
            _track_activity(request)


def _track_activity(request) -> None:
    """What allauth's USERSESSIONS_TRACK_ACTIVITY does on every request, here only when the session is
    refreshed: the list of a user's sessions shows when each was last seen, to within a tenth of the
    idle timeout."""
    if "allauth.usersessions" not in settings.INSTALLED_APPS or not request.user.is_authenticated:
        return
    from allauth.usersessions.models import UserSession

    UserSession.objects.create_from_request(request)


class TimeZoneResetMiddleware:
    """Every request starts and ends in the deployment's TIME_ZONE: a thread would otherwise keep the zone
    a request activated (missions.access activates a mission's own once it grants access to it). Pages
    are rendered before the response comes back through here."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        timezone.deactivate()
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
