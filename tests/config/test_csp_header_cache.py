"""The Content Security Policy header is built once per process, not once per response (config/middleware.py).

Every response must still get exactly the headers django-csp's own middleware gives it, so most tests here
run both middlewares on the same request and compare. The others show where the cached header must not be
used (a nonce a page asked for, a view decorator) and that it follows the settings.
"""

import json
from unittest import mock

import pytest
from csp.constants import HEADER, HEADER_REPORT_ONLY, NONCE, NONE, SELF
from csp.decorators import csp, csp_exempt, csp_replace, csp_update
from csp.exceptions import CSPNonceError
from csp.middleware import CSPMiddleware as DjangoCSPMiddleware
from csp.utils import build_policy
from django.conf import settings as live_settings
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.urls import reverse

from config.middleware import CSPMiddleware, static_policies
from tests.conftest import client_for
from tests.helpers.factories import make_station
from tests.helpers.visits import make_checklist, payload

DJANGO_CSP = "csp.middleware.CSPMiddleware"
CACHING = "config.middleware.CSPMiddleware"

# A report-only policy next to the project's, with a nonce sentinel: every rule of django-csp has work to do.
WITH_REPORT_ONLY = {
    "CONTENT_SECURITY_POLICY": {
        "DIRECTIVES": {"default-src": [SELF], "script-src": [SELF, NONCE], "img-src": [SELF, "data:"]},
        "EXCLUDE_URL_PREFIXES": ["/excluded/"],
    },
    "CONTENT_SECURITY_POLICY_REPORT_ONLY": {
        "DIRECTIVES": {"default-src": [NONE], "script-src": [SELF, NONCE], "report-uri": "/csp-reports/"},
        "EXCLUDE_URL_PREFIXES": ["/excluded-ro/"],
    },
}


def policy_headers(response) -> dict[str, str | None]:
    return {
        HEADER: response.headers.get(HEADER),
        HEADER_REPORT_ONLY: response.headers.get(HEADER_REPORT_ONLY),
    }


def directives(header: str) -> dict[str, list[str]]:
    """Directive order follows set iteration in django-csp, so compare a header's directives, not its text."""
    return {name: values for name, *values in (part.split() for part in header.split(";"))}


def use_middleware(settings, path: str) -> None:
    settings.MIDDLEWARE = [path if name in (DJANGO_CSP, CACHING) else name for name in settings.MIDDLEWARE]


def nonce_is_guarded(request) -> bool:
    try:
        str(request.csp_nonce)
    except CSPNonceError:
        return True
    return False


def run(middleware_class, view, path: str = "/m/ots-az-2024/file/"):
    request = RequestFactory().get(path)
    response = middleware_class(view)(request)
    return request, response


def plain_view(request):
    return HttpResponse("ok")


def test_the_project_sends_its_policy_through_the_caching_middleware():
    assert CACHING in live_settings.MIDDLEWARE
    assert DJANGO_CSP not in live_settings.MIDDLEWARE


@pytest.mark.parametrize("policies", [{}, WITH_REPORT_ONLY], ids=["project policy", "with report-only"])
def test_real_pages_get_the_headers_django_csp_gives_them(
    settings, policies, mission, team, secretariat, observer
):
    for name, value in policies.items():
        setattr(settings, name, value)
    version = make_checklist(mission)
    station = make_station(mission, "0001")
    team.stations.add(station)
    code = {"code": mission.code}
    pages = {
        "mission list as the secretariat": lambda: client_for(Client(), secretariat).get(
            reverse("missions:list")
        ),
        "filing page as an observer": lambda: client_for(Client(), observer).get(
            reverse("polling:filing", kwargs=code)
        ),
        "filing API": lambda: client_for(Client(), observer).post(
            reverse("polling:api_visit_submit", kwargs=code),
            data=json.dumps(payload(version, station)),
            content_type="application/json",
        ),
        "log in, anonymous": lambda: Client().get(reverse("account_login")),
        "unknown address, anonymous": lambda: Client().get("/no-such-page/"),
    }
    statuses = {}
    cached = {}
    for label, open_page in pages.items():
        response = open_page()
        statuses[label] = response.status_code
        cached[label] = policy_headers(response)
    assert statuses == {
        "mission list as the secretariat": 200,
        "filing page as an observer": 200,
        "filing API": 201,
        "log in, anonymous": 200,
        "unknown address, anonymous": 404,
    }

    use_middleware(settings, DJANGO_CSP)
    built_per_response = {label: policy_headers(open_page()) for label, open_page in pages.items()}

    assert cached == built_per_response
    for headers in cached.values():
        assert headers[HEADER] == build_policy()
        assert headers[HEADER_REPORT_ONLY] == (build_policy(report_only=True) or None)


# A response of each kind django-csp treats apart, and the settings it needs.
CASES = {
    "plain": (plain_view, "/m/ots-az-2024/file/", {}),
    "header set by the view": (
        lambda request: HttpResponse(headers={HEADER: "default-src 'none'", HEADER_REPORT_ONLY: "img-src *"}),
        "/",
        {},
    ),
    "excluded prefix": (plain_view, "/excluded/page/", {}),
    "excluded from report-only": (plain_view, "/excluded-ro/page/", {}),
    "404 without DEBUG": (lambda request: HttpResponse(status=404), "/", {}),
    "404 with DEBUG": (lambda request: HttpResponse(status=404), "/", {"DEBUG": True}),
    "500 with DEBUG": (lambda request: HttpResponse(status=500), "/", {"DEBUG": True}),
    "403 with DEBUG": (lambda request: HttpResponse(status=403), "/", {"DEBUG": True}),
    "csp_update": (csp_update({"img-src": "https://tiles.example.org"})(plain_view), "/", {}),
    "csp_update, report-only": (
        csp_update({"img-src": "https://tiles.example.org"}, REPORT_ONLY=True)(plain_view),
        "/",
        {},
    ),
    "csp_replace": (
        csp_replace({"script-src": None, "img-src": "https://tiles.example.org"})(plain_view),
        "/",
        {},
    ),
    "csp": (csp({"default-src": "https://other.example.org"})(plain_view), "/", {}),
    "csp_exempt": (csp_exempt()(plain_view), "/", {}),
    "csp_exempt, report-only": (csp_exempt(REPORT_ONLY=True)(plain_view), "/", {}),
}


@pytest.mark.parametrize("case", list(CASES))
def test_every_kind_of_response_gets_the_headers_django_csp_gives_it(settings, case):
    view, path, overrides = CASES[case]
    for name, value in {**WITH_REPORT_ONLY, **overrides}.items():
        setattr(settings, name, value)

    for _ in range(2):  # the second time from the cache
        request, response = run(CSPMiddleware, view, path)
        expected_request, expected = run(DjangoCSPMiddleware, view, path)
        assert policy_headers(response) == policy_headers(expected)
        assert nonce_is_guarded(request) == nonce_is_guarded(expected_request)


def test_the_cases_above_cover_every_rule():
    """The comparison above proves nothing for a rule none of its cases reaches."""
    with override_settings(**WITH_REPORT_ONLY):
        results = {}
        for case, (view, path, overrides) in CASES.items():
            with override_settings(**overrides):
                results[case] = policy_headers(run(DjangoCSPMiddleware, view, path)[1])
    plain = results["plain"]
    assert plain[HEADER] and plain[HEADER_REPORT_ONLY]
    assert results["header set by the view"] == {
        HEADER: "default-src 'none'",
        HEADER_REPORT_ONLY: "img-src *",
    }
    assert results["excluded prefix"] == {HEADER: None, HEADER_REPORT_ONLY: plain[HEADER_REPORT_ONLY]}
    assert results["excluded from report-only"] == {HEADER: plain[HEADER], HEADER_REPORT_ONLY: None}
    assert results["404 without DEBUG"] == plain
    assert results["404 with DEBUG"] == results["500 with DEBUG"] == {HEADER: None, HEADER_REPORT_ONLY: None}
    assert results["403 with DEBUG"] == plain
    assert "https://tiles.example.org" in results["csp_update"][HEADER]
    assert "https://tiles.example.org" in results["csp_update, report-only"][HEADER_REPORT_ONLY]
    assert "script-src" not in directives(results["csp_replace"][HEADER])
    assert directives(results["csp"][HEADER]) == {"default-src": ["https://other.example.org"]}
    assert results["csp_exempt"] == {HEADER: None, HEADER_REPORT_ONLY: plain[HEADER_REPORT_ONLY]}
    assert results["csp_exempt, report-only"] == {HEADER: plain[HEADER], HEADER_REPORT_ONLY: None}


def test_a_nonce_a_page_used_is_in_its_own_header_only(settings):
    settings.CONTENT_SECURITY_POLICY = WITH_REPORT_ONLY["CONTENT_SECURITY_POLICY"]

    def page_with_nonce(request):
        return HttpResponse(f'<script nonce="{request.csp_nonce}" src="/static/js/filing.js"></script>')

    _, before = run(CSPMiddleware, plain_view)  # fills the cache
    first_request, first = run(CSPMiddleware, page_with_nonce)
    second_request, second = run(CSPMiddleware, page_with_nonce)
    _, after = run(CSPMiddleware, plain_view)

    assert first_request._csp_nonce != second_request._csp_nonce
    assert directives(first[HEADER])["script-src"] == ["'self'", f"'nonce-{first_request._csp_nonce}'"]
    assert directives(second[HEADER])["script-src"] == ["'self'", f"'nonce-{second_request._csp_nonce}'"]
    assert directives(before[HEADER])["script-src"] == directives(after[HEADER])["script-src"] == ["'self'"]


def test_a_nonce_asked_for_after_the_header_is_written_is_refused():
    request, response = run(CSPMiddleware, plain_view)
    assert response[HEADER] == build_policy()
    with pytest.raises(CSPNonceError):
        str(request.csp_nonce)


def test_a_changed_policy_changes_the_header_and_the_old_one_comes_back():
    _, response = run(CSPMiddleware, plain_view)
    project_policy = response[HEADER]

    with override_settings(CONTENT_SECURITY_POLICY={"DIRECTIVES": {"default-src": [NONE]}}):
        _, response = run(CSPMiddleware, plain_view)
        assert response[HEADER] == "default-src 'none'"
        with override_settings(CONTENT_SECURITY_POLICY=None):
            _, response = run(CSPMiddleware, plain_view)
            assert HEADER not in response

    _, response = run(CSPMiddleware, plain_view)
    assert response[HEADER] == project_policy == build_policy()


def test_the_report_only_header_appears_when_a_report_only_policy_is_set(settings, client, db):
    assert HEADER_REPORT_ONLY not in client.get(reverse("account_login"))
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = {
        "DIRECTIVES": {"default-src": [SELF], "report-uri": "/csp-reports/"}
    }
    response = client.get(reverse("account_login"))
    assert directives(response[HEADER_REPORT_ONLY]) == {
        "default-src": ["'self'"],
        "report-uri": ["/csp-reports/"],
    }
    assert response[HEADER] == build_policy()  # the enforced policy is unchanged


def test_the_policy_is_built_once_for_many_responses(settings, db):
    settings.CONTENT_SECURITY_POLICY_REPORT_ONLY = WITH_REPORT_ONLY["CONTENT_SECURITY_POLICY_REPORT_ONLY"]
    static_policies.cache_clear()
    with (
        mock.patch("config.middleware.build_policy", wraps=build_policy) as built_once,
        mock.patch("csp.middleware.build_policy", wraps=build_policy) as built_per_response,
    ):
        responses = [Client().get(reverse("account_login")) for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 200]
    assert all(r[HEADER] and r[HEADER_REPORT_ONLY] for r in responses)
    assert built_once.call_count == 2  # the policy and the report-only policy
    assert built_per_response.call_count == 0
