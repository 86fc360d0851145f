"""Browser tests: Debian's Chromium driven by Playwright against pytest-django's live server.

Fixtures for every browser test: `browser` (one Chromium for the session), `viewport` (override it in a
test module or with parametrize), `context` and `page` (fresh storage, cookies and service workers for
each test) and the `login` helper. Mark the tests with `@pytest.mark.browser`.
"""

import os
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; the ORM calls of the tests are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("OBSERVA_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "artifacts" / "screenshots"
PHONE = {"width": 390, "height": 844}


@pytest.fixture(scope="session")
def playwright_driver():
    sync_api = pytest.importorskip("playwright.sync_api")
    if not Path(CHROMIUM).exists():
        pytest.skip(f"no Chromium at {CHROMIUM}")
    with sync_api.sync_playwright() as driver:
        yield driver


@pytest.fixture(scope="session")
def browser(playwright_driver):
    browser = playwright_driver.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def viewport() -> dict:
    return PHONE


@pytest.fixture
def context(browser, viewport, live_server):
    context = browser.new_context(viewport=viewport, base_url=live_server.url, locale="en-GB")
    context.set_default_timeout(10_000)
    yield context
    context.close()


@pytest.fixture
def page(context):
    return context.new_page()


def login(page, live_server, email: str, password: str, *, next_url: str = "") -> None:
    """Log in through the real form; lands on `next_url` (or the mission list)."""
    address = f"{live_server.url}/accounts/login/" + (f"?next={next_url}" if next_url else "")
    page.goto(address)
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", password)
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    assert "/accounts/login/" not in page.url, "the login failed"


def screenshot(page, name: str, *, full_page: bool = True) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    if full_page:
        page.evaluate("window.scrollTo(0, 0)")  # or a sticky bar is drawn where the page was scrolled
    page.screenshot(path=str(path), full_page=full_page)
    return path


# Election day


@pytest.fixture
def mission(db):
    """The filing page proposes the real clock's now as the arrival, and the services file the demo's
    February 2024 times: a visit must lie within the observation period, so this one runs from then
    until tomorrow."""
    import datetime

    from django.utils import timezone

    from tests.helpers.factories import make_mission

    return make_mission("ots-az-2024", observation_end=timezone.localdate() + datetime.timedelta(days=1))


@pytest.fixture
def observer_day(mission, team, observer):
    """The observer's team plans two stations; the opening checklist asks A5 only when A1 is "no"."""
    from tests.helpers.factories import make_station
    from tests.helpers.visits import make_checklist

    stations = [make_station(mission, code, name=f"School no. {code}") for code in ("0001", "0002")]
    team.stations.add(*stations)
    make_checklist(mission)
    return observer
