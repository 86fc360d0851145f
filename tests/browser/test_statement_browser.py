"""The head of mission drafts, edits, submits, re-authenticates, approves, downloads and verifies the statement."""

import re

import pytest

from demo.builder import DEMO_CODE, DEMO_PASSWORD, load_demo
from tests.browser.conftest import login, screenshot
from tests.helpers.statements import add_demo_visits, fast_passwords  # noqa: F401 - autouse fixture
from tests.reports.statements.test_statement_worker import _start_worker, _stop, broker, media  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

HOM = "hom@demo.observa.test"


@pytest.fixture
def viewport():
    return {"width": 1280, "height": 900}


@pytest.fixture
def worker(broker, media, tmp_path):  # noqa: F811 - fixtures imported above
    process = _start_worker(broker, media, tmp_path, "browser")
    yield process
    _stop(process)


def test_head_of_mission_takes_the_statement_from_draft_to_verified_pdf(page, live_server, worker, tmp_path):
    mission, _created = load_demo()
    add_demo_visits(mission)
    statement_url = f"/m/{DEMO_CODE}/statement/"
    login(page, live_server, HOM, DEMO_PASSWORD, next_url=statement_url)

    # On a slow network the text areas are there before htmx is: hold htmx back until the text is typed,
    # so the preview must follow text that htmx never heard being typed (this once made the test flaky).
    held = []
    page.route("**/htmx.min.js", lambda route: held.append(route))
    page.get_by_role("button", name="Draft the statement").click()
    conclusion = page.locator("textarea[name='section__conclusion']")
    conclusion.fill(
        "The Mission visited [[stations_visited]] polling stations and thanks the <b>authorities</b>."
    )
    assert held and page.evaluate("typeof window.htmx") == "undefined"
    for route in held:
        route.continue_()
    page.unroute("**/htmx.min.js")
    preview = page.locator(".editor-section[data-key='conclusion'] .statement-preview")
    preview.get_by_text("22").wait_for()  # the live preview resolved the figure
    assert "<b>authorities</b>" in preview.inner_text()  # typed markup stays text
    screenshot(page, "statement-editor-1280")
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot(page, "statement-editor-390")
    page.set_viewport_size({"width": 1280, "height": 900})

    page.locator("#save-statement").click()
    page.get_by_text("Saved. The figures stay bound to the data.").wait_for()
    page.locator("#submit-statement").click()
    page.locator("#statement-status", has_text="Submitted for approval").wait_for()

    page.locator("#approve-statement").click()
    page.wait_for_url(re.compile(r"/accounts/reauthenticate/"))
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.locator("form button[type=submit]").last.click()
    page.wait_for_url(re.compile(re.escape(statement_url) + r"$"))
    page.locator("#statement-status", has_text="Approved").wait_for()
    page.locator("#download-pdf").wait_for(timeout=90_000)  # htmx polls until the worker is done
    screenshot(page, "statement-approved-1280")
    sha256 = page.locator("#pdf-sha256").inner_text().strip()

    with page.expect_download() as download:
        page.locator("#download-pdf").click()
    pdf_path = tmp_path / "statement.pdf"
    download.value.save_as(pdf_path)
    assert pdf_path.read_bytes()[:5] == b"%PDF-"

    page.goto(f"{live_server.url}/verify/")
    page.set_input_files("input[name=pdf]", str(pdf_path))
    page.locator("#verify-submit").click()
    result = page.locator("#verify-result")
    result.wait_for()
    assert result.get_attribute("data-ok") == "true"
    assert "Kubanychbek Omuraliev" in result.inner_text()
    assert sha256 in result.inner_text()
    screenshot(page, "statement-verified-1280")
