"""The filing pages on a small phone: one column that fits 360 px, every target at least 48 px high.

Leaves screenshots in artifacts/screenshots/ (the chooser, the checklist with a show-if question revealed
and a visit waiting to be sent, the incident form) for a person to look at.
"""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import login, screenshot
from tests.helpers.factories import PASSWORD
from tests.helpers.filing_browser import choose, file_visit, open_filing_page

pytestmark = pytest.mark.browser

TARGETS = "#filing-form .choice, .station-option, #filing-form .btn, #filing-form .form-control:not(textarea), .filing-choice"


def assert_fits_and_targets_are_big(page, width):
    assert page.evaluate("document.documentElement.scrollWidth") <= width, "the page scrolls sideways"
    small = page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
             .filter(node => node.offsetParent !== null)
             .map(node => [node.textContent.trim().slice(0, 40) || node.name, node.getBoundingClientRect().height])
             .filter(([, height]) => height < 47.5)""",
        TARGETS,
    )
    assert small == []


@pytest.mark.parametrize(
    "viewport", [{"width": 390, "height": 844}, {"width": 360, "height": 740}], ids=["390", "360"]
)
def test_filing_pages_fit_a_small_phone(page, context, live_server, mission, observer_day, viewport):
    width = viewport["width"]
    login(page, live_server, observer_day.user.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{mission.code}/file/")
    assert_fits_and_targets_are_big(page, width)
    screenshot(page, f"filing-chooser-{width}")

    open_filing_page(page, live_server, mission)
    context.set_offline(True)
    file_visit(page, "0002", members=5)
    page.click("text=File another visit")
    expect(page.locator("[data-outbox-count]")).to_have_text("Waiting to be sent: 1")
    page.click(".station-option[data-code='0001']")
    choose(page, "A1", "no")
    expect(page.locator("#q-A5")).to_be_visible()
    choose(page, "A2", "seals")
    assert_fits_and_targets_are_big(page, width)
    screenshot(page, f"filing-checklist-{width}-top", full_page=False)
    screenshot(page, f"filing-checklist-{width}")

    page.click("#filing-form button[type=submit]")
    expect(page.locator("[data-form-errors]")).to_be_visible()  # A3 is required
    page.locator("#q-A3").scroll_into_view_if_needed()
    screenshot(page, f"filing-checklist-{width}-errors", full_page=False)

    page.goto(f"{live_server.url}/m/{mission.code}/file/incident/")
    assert_fits_and_targets_are_big(page, width)
    screenshot(page, f"filing-incident-{width}")
