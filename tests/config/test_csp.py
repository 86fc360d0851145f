"""The Content Security Policy: every page sends a strict one, and no page needs it loosened.

A page with an inline <script>, an on* attribute, a <style> block or a style attribute would break
under the policy (the browser refuses them), so the HTML of every main page type is checked here,
as the person who normally opens it. tests/browser/test_csp_browser.py checks the same pages in
Chromium for violations the HTML alone does not show (scripts injecting styles, say).
"""

from dataclasses import dataclass
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.urls import NoReverseMatch, get_resolver, reverse

from missions.models import Role
from reports.results.selectors import refresh_results
from reports.statements import services as statement_services
from tests.conftest import client_for
from tests.helpers.factories import make_meeting, make_member, make_station
from tests.helpers.results import make_incident
from tests.helpers.visits import make_checklist, payload


@dataclass
class Page:
    label: str
    url: str
    member: object | None  # None: the anonymous public
    named: bool = True  # a page listed by hand must open (200); the sweep also finds POST-only addresses


def build_pages(mission, team, secretariat, head_of_mission, observer) -> list[Page]:
    """Every main page type of the app, with the data each needs to show something, and who opens it."""
    from polling import visits

    version = make_checklist(mission)
    station = make_station(mission, "0001", area="Baku > Nasimi", latitude="40.39", longitude="49.86")
    other = make_station(mission, "0002", area="Baku > Nasimi", latitude="40.41", longitude="49.84")
    team.stations.add(station, other)  # with coordinates: the dashboard draws its map
    visit, _ = visits.visit_submit(mission=mission, member=observer, payload=payload(version, station))
    make_incident(visit)
    meeting = make_meeting(mission)
    statement_services.statement_start(mission=mission, user=secretariat.user)
    refresh_results(mission.pk)  # what the worker does: the dashboard then draws its charts
    question = version.questions.order_by("order").first()
    code = mission.code

    def r(name, **kwargs):
        return reverse(name, kwargs={"code": code, **kwargs})

    checklist = {"checklist": version.checklist.code}
    pages = [
        Page("mission list", reverse("missions:list"), secretariat),
        Page("team", r("missions:team_detail", team=team.uuid), secretariat),
        Page("team stations", r("polling:team_stations", team=team.uuid), secretariat),
        Page("team form", r("missions:team_edit", team=team.uuid), secretariat),
        Page("member form", r("missions:member_edit", member=observer.uuid), secretariat),
        Page("meeting form", r("missions:meeting_edit", meeting=meeting.uuid), secretariat),
        Page("station", r("polling:station_detail", station=station.code), secretariat),
        Page("checklist", r("polling:checklist_detail", **checklist), secretariat),
        Page("checklist preview", r("polling:checklist_preview", **checklist), secretariat),
        Page("new question", r("polling:question_create", **checklist), secretariat),
        Page("question", r("polling:question_edit", **checklist, question=question.code), secretariat),
        Page("visit", r("polling:visit_detail", visit=visit.uuid), secretariat),
        Page("filing: choose", r("polling:filing"), observer),
        Page("filing: checklist", r("polling:filing_checklist", **checklist), observer),
        Page("filing: incident", r("polling:filing_incident"), observer),
        Page("filing: correction", r("polling:visit_edit", visit=visit.uuid), observer),
        Page("results as head of mission", r("reports:results"), head_of_mission),
        Page("statement draft", r("reports:statement"), secretariat),
        Page("password change", reverse("account_change_password"), observer),
        Page("two-factor", reverse("mfa_index"), observer),
        Page("re-authentication", reverse("account_reauthenticate"), observer),
        Page("sessions", reverse("usersessions_list"), observer),
        Page("log in", reverse("account_login"), None),
        Page("password reset", reverse("account_reset_password"), None),
        Page("public verification", reverse("reports:verify"), None),
    ]
    # Every other page of the mission apps that needs only the mission's code, as the secretariat.
    listed = {page.url for page in pages}
    for url in mission_pages(code):
        if url not in listed:
            pages.append(Page(url, url, secretariat, named=False))
    return pages


def mission_pages(code: str) -> list[str]:
    urls = []
    resolver = get_resolver()
    for namespace in ("missions", "polling", "reports"):
        ns_resolver = resolver.namespace_dict[namespace][1]
        for name in ns_resolver.reverse_dict:
            if not isinstance(name, str):
                continue
            try:
                urls.append(reverse(f"{namespace}:{name}", kwargs={"code": code}))
            except NoReverseMatch:  # needs more than the mission's code
                continue
    return sorted(set(urls))


class PageScan(HTMLParser):
    """What a strict policy would refuse: inline scripts, event handler attributes, inline styles."""

    def __init__(self):
        super().__init__()
        self.problems: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and not attributes.get("src") and attributes.get("type") != "application/json":
            self.problems.append(f"inline <script> {attributes}")
        if tag == "style":
            self.problems.append("<style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.problems.append(f"<{tag} {name}=...>")
            if name == "style":
                self.problems.append(f"<{tag} style={value!r}>")
            if name in ("href", "src", "action", "formaction") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.problems.append(f"<{tag} {name}=javascript:...>")


def policy_of(response) -> dict[str, list[str]]:
    header = response.headers.get("Content-Security-Policy")
    assert header, "no Content-Security-Policy header"
    directives = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def assert_strict(directives: dict[str, list[str]]) -> None:
    assert directives["default-src"] == ["'self'"]
    assert directives["script-src"] == ["'self'"]
    assert directives["style-src"] == ["'self'"]
    assert directives["img-src"] == ["'self'", "data:"]
    assert directives["connect-src"] == ["'self'"]
    assert directives["frame-ancestors"] == ["'none'"]
    assert directives["form-action"] == ["'self'"]
    assert directives["base-uri"] == ["'none'"]
    for values in directives.values():
        assert not {"'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*"} & set(values)


@pytest.fixture
def pages(mission, team, secretariat, head_of_mission, observer):
    return build_pages(mission, team, secretariat, head_of_mission, observer)


def open_page(page: Page):
    client = client_for(Client(), page.member) if page.member else Client()
    return client.get(page.url)


def test_every_main_page_sends_a_strict_policy_and_needs_nothing_inline(pages):
    checked = 0
    for page in pages:
        response = open_page(page)
        expected = (200,) if page.named else (200, 302, 403, 405)
        assert response.status_code in expected, (page.label, response.status_code)
        assert_strict(policy_of(response))
        if response.status_code != 200 or "text/html" not in response.headers["Content-Type"]:
            continue
        scan = PageScan()
        scan.feed(response.content.decode())
        assert scan.problems == [], (page.label, scan.problems)
        checked += 1
    # The sweep found the pages it should (a broken URL lookup would silently check nothing).
    assert checked >= 30


def test_the_filing_pages_keep_their_data_in_json_blocks_the_policy_allows(pages):
    page = next(p for p in pages if p.label == "filing: checklist")
    html = open_page(page).content.decode()
    assert '<script id="filing-config" type="application/json">' in html
    assert "/static/js/outbox.js" in html and "/static/js/filing.js" in html


def test_the_service_worker_script_is_served_under_the_policy(client, observer):
    response = client_for(client, observer).get(reverse("polling:service_worker"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/javascript") or "javascript" in response["Content-Type"]
    assert_strict(policy_of(response))


def test_a_member_of_another_role_sees_the_same_policy_on_a_refused_page(mission, observer):
    # An observer may not edit the mission: the 403 page is covered too.
    leader = make_member(mission, Role.OBSERVER)
    response = client_for(Client(), leader).get(reverse("missions:edit", kwargs={"code": mission.code}))
    assert response.status_code in (403, 404)
    assert_strict(policy_of(response))
