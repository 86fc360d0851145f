"""The language a person reads Observa in: their own choice, kept on their account, else the browser's.

Before login the browser's Accept-Language (or the language cookie set by the menu) decides, as Django's
LocaleMiddleware does. Once logged in, the language the person chose from the menu, kept on their
account, decides on every device: their pages, the phone's filing page and its offline messages, and
the e-mails sent to them.
"""

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.utils import translation
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600


def supported(language: str | None) -> str | None:
    """`language` if Observa speaks it, else None."""
    return language if language in dict(settings.LANGUAGES) else None


def chosen(request: HttpRequest) -> bool:
    """Whether this person picked a language themselves (on their account, or from the menu)."""
    user = getattr(request, "user", None)
    return bool(getattr(user, "language", "")) or settings.LANGUAGE_COOKIE_NAME in request.COOKIES


class UserLanguageMiddleware:
    """After LocaleMiddleware and authentication: a logged-in person's own language wins."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        language = (
            supported(getattr(user, "language", None)) if user is not None and user.is_authenticated else None
        )
        if language and language != request.LANGUAGE_CODE:
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)


@require_POST
def language_set(request: HttpRequest) -> HttpResponse:
    """The language menu: keep the choice on the account (when logged in) and in a cookie, then go back."""
    language = supported(request.POST.get("language"))
    if language is None:
        return HttpResponseBadRequest(_("Choose one of the languages in the menu."))
    target = request.POST.get("next") or "/"
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "/"
    if request.user.is_authenticated and request.user.language != language:
        request.user.language = language
        request.user.save(update_fields=["language"])
    response = redirect(target)
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=LANGUAGE_COOKIE_SECONDS,
        samesite="Lax",
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
    )
    return response
