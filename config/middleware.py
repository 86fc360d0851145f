"""Keep observation data out of every cache between the server and the observer's screen.

Pages and files of the mission apps show findings, incidents, results and people: a shared proxy,
the browser's back/forward cache or its disk cache on a borrowed laptop must not keep them. The rule
is keyed on the URL namespace, so a new page is covered the day it is added. Static files (served by
WhiteNoise before any view), the public verification form and the service worker script are left
cacheable: they hold no observation data.
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import add_never_cache_headers

NO_STORE_NAMESPACES = frozenset({"missions", "polling", "reports", "admin"})

# Public or data-free views inside those namespaces.
CACHEABLE_VIEWS = frozenset(
    {
        "polling:service_worker",
        "reports:verify",
        "reports:verify_version",
        "reports:verify_certificate",
    }
)


def needs_no_store(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name in CACHEABLE_VIEWS:
        return False
    return bool(NO_STORE_NAMESPACES.intersection(match.namespaces))


class NoStoreMiddleware:
    """Send `Cache-Control: no-store` (with Django's never-cache set) on every mission page and file."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if needs_no_store(request):
            add_never_cache_headers(response)
        return response
