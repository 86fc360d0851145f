"""Chromium opens the main pages under the real Content Security Policy: not one violation.

tests/config/test_csp.py checks the HTML; this checks what only a browser sees: a script that injects a
<style>, sets a style attribute through markup, evaluates a string, or loads something from elsewhere.
Violations are caught twice: the `securitypolicyviolation` events of each page (an init script
listens for them; Playwright's init scripts are not subject to the page's policy) and the console.
The scripts that moved out of the templates are exercised on the way.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.config.test_csp import build_pages, open_page
from tests.helpers.factories import PASSWORD

pytestmark = pytest.mark.browser

LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", function (e) {
  window.__csp.push(e.violatedDirective + " " + (e.blockedURI || "inline") + " " + e.sourceFile + ":" + e.lineNumber);
});
"""


@pytest.fixture
def viewport() -> dict:
    return {"width": 1280, "height": 900}


def watch(context) -> list[str]:
    """Console messages about the policy, from every page of `context`."""
    found: list[str] = []
    context.add_init_script(LISTEN)

    def on_console(message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            found.append(message.text)

    context.on("page", lambda page: page.on("console", on_console))
    return found


def violations(page) -> list[str]:
    return page.evaluate("window.__csp || []")


def test_the_main_pages_run_without_a_single_policy_violation(
    browser, live_server, mission, team, secretariat, head_of_mission, observer
):
    pages = build_pages(mission, team, secretariat, head_of_mission, observer)
    # Only the pages a person sees: not the POST-only addresses (405) or the JSON and file downloads.
    pages = [
        p
        for p in pages
        if (r := open_page(p)).status_code == 200 and "text/html" in r.headers["Content-Type"]
    ]
    by_member: dict = {}
    for item in pages:
        by_member.setdefault(item.member, []).append(item)
    report: list[str] = []
    opened = 0
    for member, items in by_member.items():
        context = browser.new_context(viewport={"width": 1280, "height": 900}, base_url=live_server.url)
        context.set_default_timeout(10_000)
        console = watch(context)
        page = context.new_page()
        if member is not None:
            login(page, live_server, member.user.email, PASSWORD)
        for item in items:
            response = page.goto(item.url)
            if response is None or response.status != 200 or "html" not in response.headers["content-type"]:
                continue
            page.wait_for_load_state("load")
            opened += 1
            report += [f"{item.label}: {v}" for v in violations(page)]
        report += console
        context.close()
    assert opened >= 30
    assert report == []


def test_the_moved_scripts_still_work(page, context, live_server, mission, team, secretariat, observer):
    from tests.helpers.factories import make_station
    from tests.helpers.visits import make_checklist

    console = watch(context)
    make_checklist(mission)
    for code in ("0001", "0002", "0003"):
        make_station(mission, code, area="Baku > Nasimi")
    make_station(mission, "0004", area="Shusha > Centre")
    page = context.new_page()
    login(page, live_server, secretariat.user.email, PASSWORD)

    # Team stations (team_stations.js): "select all" counts the page's stations and enables the button.
    page.goto(f"/m/{mission.code}/teams/{team.uuid}/stations/")
    page.check("#select-page")
    expect(page.locator("[data-selection-count]").first).to_have_text("4")
    # The area filter submits itself (observa.js, data-autosubmit).
    with page.expect_navigation():
        page.select_option("#id_area", index=1)
    assert "area=" in page.url

    # Checklist preview (checklist_preview.js): show-if reveals A5 when A1 is "no".
    page.goto(f"/m/{mission.code}/checklists/opening/preview/")
    a5 = page.locator(".preview-q[data-code=A5]")
    expect(a5).to_be_hidden()
    page.check("input[name=q-A1][value=no]")
    expect(a5).to_be_visible()

    # Question form (checklist_question.js): the type shows its fields; "add an answer" appends a row.
    page.goto(f"/m/{mission.code}/checklists/opening/questions/new/")
    expect(page.locator("#option-add")).to_be_hidden()
    page.select_option("[name=type]", "single")
    rows = page.locator("#option-rows .option-row")
    before = rows.count()
    page.click("#option-add")
    expect(rows).to_have_count(before + 1)
    screenshot(page, "csp-question-form")

    # Results (dashboard.css moved out of the page): the filters submit themselves.
    page.goto(f"/m/{mission.code}/results/")
    screenshot(page, "csp-dashboard")
    assert violations(page) == []
    assert console == []
