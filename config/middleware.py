"""Response headers every page gets: no caching of observation data, and the Content Security Policy.

Pages and files of the mission apps show findings, incidents, results and people: a shared proxy,
the browser's back/forward cache or its disk cache on a borrowed laptop must not keep them. The rule
is keyed on the URL namespace, so a new page is covered the day it is added. Static files (served by
WhiteNoise before any view), the public verification form and the service worker script are left
cacheable: they hold no observation data.

The Content Security Policy is django-csp's, with the header of an ordinary response built once per
process instead of once per response (on election day the rebuild cost 2-3% of each filing request).
"""

import http.client
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

from csp.constants import HEADER, HEADER_REPORT_ONLY
from csp.middleware import CheckableLazyObject
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings
from django.core.signals import setting_changed
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
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


# allauth's pages of the person's own account: sessions, second factor (recovery codes), e-mail, password.
NO_STORE_VIEW_PREFIXES = ("usersessions_", "mfa_", "account_")


def needs_no_store(request: HttpRequest) -> bool:
    match = getattr(request, "resolver_match", None)
    if match is None or match.view_name in CACHEABLE_VIEWS:
        return False
    return bool(NO_STORE_NAMESPACES.intersection(match.namespaces)) or match.view_name.startswith(
        NO_STORE_VIEW_PREFIXES
    )


class NoStoreMiddleware:
    """Send `Cache-Control: no-store` (with Django's never-cache set) on every mission page and file."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if needs_no_store(request):
            add_never_cache_headers(response)
        return response


# Set on a response by django-csp's view decorators (csp, csp_update, csp_replace, csp_exempt).
CSP_RESPONSE_ATTRIBUTES = (
    "_csp_config",
    "_csp_update",
    "_csp_replace",
    "_csp_exempt",
    "_csp_config_ro",
    "_csp_update_ro",
    "_csp_replace_ro",
    "_csp_exempt_ro",
)

# Django's debug pages for these carry inline scripts and styles: django-csp leaves them alone when DEBUG is on.
DEBUG_PAGE_STATUSES = frozenset({http.client.NOT_FOUND, http.client.INTERNAL_SERVER_ERROR})


@dataclass(frozen=True)
class StaticPolicy:
    header: str
    value: str
    excluded_prefixes: tuple[str, ...]


@cache
def static_policies() -> tuple[StaticPolicy, ...]:
    """The policy headers of a response that no decorator changed and that used no nonce.

    They depend on the settings alone, so they are built here with django-csp's own build_policy, once,
    and forgotten when the settings change (below).
    """
    policies = []
    for header, setting, report_only in (
        (HEADER, "CONTENT_SECURITY_POLICY", False),
        (HEADER_REPORT_ONLY, "CONTENT_SECURITY_POLICY_REPORT_ONLY", True),
    ):
        value = build_policy(report_only=report_only)
        if value:
            prefixes = (getattr(settings, setting, None) or {}).get("EXCLUDE_URL_PREFIXES", None) or ()
            policies.append(StaticPolicy(header, value, tuple(prefixes)))
    return tuple(policies)


@receiver(setting_changed)
def forget_static_policies(*, setting: str, **kwargs) -> None:
    """override_settings in tests (the only way settings change in a running process) must change the header."""
    if setting in ("CONTENT_SECURITY_POLICY", "CONTENT_SECURITY_POLICY_REPORT_ONLY"):
        static_policies.cache_clear()


class CSPMiddleware(DjangoCSPMiddleware):
    """django-csp's middleware, serving the cached static_policies() when the policy cannot vary.

    It varies only with a decorator's attributes on the response or a nonce a template asked for
    (request._csp_nonce); those responses go through django-csp's own code. The others get the same
    headers under the same rules (debug pages, a header already set, excluded prefixes, the guard
    against a nonce asked for too late). get_policy_parts is not consulted for them.
    """

    def process_response(self, request: HttpRequest, response: HttpResponseBase) -> HttpResponseBase:
        if getattr(request, "_csp_nonce", None) is not None or any(
            hasattr(response, name) for name in CSP_RESPONSE_ATTRIBUTES
        ):
            return super().process_response(request, response)
        if response.status_code in DEBUG_PAGE_STATUSES and settings.DEBUG:
            return response
        for policy in static_policies():
            if policy.header not in response and not request.path_info.startswith(policy.excluded_prefixes):
                response[policy.header] = policy.value
        # A nonce asked for from now on could not be in the header: make that an error, as django-csp does.
        request.csp_nonce = CheckableLazyObject(self._csp_nonce_post_response)
        return response
