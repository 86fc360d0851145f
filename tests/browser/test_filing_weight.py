"""The filing page's weight on a slow link: the 37-question Poland 2023 counting form stays under 150 KB,
in every language Observa speaks (Arabic loads Bootstrap's right-to-left build instead).

Measured from the real responses of a page load in Chromium: for each response, its headers plus its body
compressed as production sends it (static files gzipped by WhiteNoise; the page itself either gzipped by
the proxy or, counted here the hard way, not compressed at all). The service worker is blocked during the
load so the count is the page's own; what the worker fetches once for offline use is added after.
"""

import gzip
import os
from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Error as PlaywrightError

from polling import checklists
from tests.browser.conftest import login, screenshot
from tests.helpers.factories import PASSWORD, make_station

pytestmark = pytest.mark.browser

BUDGET = 150 * 1024
FORMS = Path(os.environ.get("OBSERVA_FORMS_DIR", "/work/shared/data/forms"))
COMPRESSIBLE = ("text/", "application/javascript", "application/json", "image/svg")
REPORT = Path(__file__).resolve().parents[2] / "artifacts" / "filing-page-weight-{language}.txt"
LANGUAGES = [code for code, _name in settings.LANGUAGES]


def counting_form(mission):
    path = FORMS / "code4ro_poland2023_EN-C.json"
    if not path.exists():
        pytest.skip(f"{path} is not here (set OBSERVA_FORMS_DIR)")
    checklist = checklists.checklist_import(mission=mission, content=path.read_bytes(), filename=path.name)
    assert checklist.current_version.questions.count() == 37
    return checklist


def transferred(headers_size: int, content_type: str, body: bytes, *, compress: bool = True) -> int:
    if compress and content_type.startswith(COMPRESSIBLE):
        body = gzip.compress(body, compresslevel=6)
    return max(headers_size, 0) + len(body)


@pytest.fixture
def counting_day(mission, team, observer):
    team.stations.add(
        *(make_station(mission, f"1465{n:02d}-{n}", name=f"Szkoła Podstawowa nr {n}") for n in range(20))
    )
    return observer, counting_form(mission)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_counting_form_page_stays_under_150_kb(browser, live_server, mission, counting_day, language):
    observer, checklist = counting_day
    observer.user.language = language
    observer.user.save(update_fields=["language"])
    context = browser.new_context(
        viewport={"width": 390, "height": 844}, base_url=live_server.url, service_workers="block"
    )
    try:
        page = context.new_page()
        login(page, live_server, observer.user.email, PASSWORD)
        responses = []
        page.on("requestfinished", lambda request: responses.append(request))
        address = f"/m/{mission.code}/file/{checklist.code}/"
        page.goto(address, wait_until="networkidle")
        assert page.locator("#filing-form .q").count() == 37
        assert page.locator("html").get_attribute("lang") == language
        screenshot(page, f"filing-counting-form-390-{language}", full_page=False)

        lines, gzipped, uncompressed_page = [], 0, 0
        for request in responses:
            response = request.response()
            try:
                body = response.body()
            except PlaywrightError:  # Chromium keeps no body for some requests (the favicon): fetch it
                body = context.request.get(request.url).body()
            kind = response.headers.get("content-type", "")
            headers = request.sizes()["responseHeadersSize"]
            size = transferred(headers, kind, body)
            gzipped += size
            is_page = request.resource_type == "document"
            uncompressed_page += transferred(headers, kind, body, compress=not is_page)
            lines.append(
                f"{size:>8} {len(body):>8} {response.status} {request.url.removeprefix(live_server.url)}"
            )
        assert any(line.endswith(address) for line in lines)
        assert any(
            "bootstrap.rtl.min.css" in line if language == "ar" else "bootstrap.min.css" in line
            for line in lines
        )

        # Fetched once in the background for offline use: the worker, the chooser and the incident form.
        extras = 0
        for extra in ("/sw.js", f"/m/{mission.code}/file/", f"/m/{mission.code}/file/incident/"):
            response = page.request.get(extra)
            extras += transferred(500, response.headers.get("content-type", ""), response.body())
    finally:
        context.close()

    report = Path(str(REPORT).format(language=language))
    report.parent.mkdir(parents=True, exist_ok=True)
    report.write_text(
        "gzipped  raw  status  url\n"
        + "\n".join(lines)
        + f"\n\npage load, gzipped: {gzipped} bytes\npage load, the page itself not compressed: "
        f"{uncompressed_page} bytes\nonce, for offline use: {extras} bytes\n"
    )
    assert gzipped < BUDGET, report.read_text()
    assert uncompressed_page < BUDGET, REPORT.read_text()
    assert gzipped + extras < BUDGET, REPORT.read_text()
