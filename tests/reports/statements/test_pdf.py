"""The PDF: fetches only our static files, prints user text as text, ships its fonts, A4 with page numbers."""

import http.server
import re
import subprocess
import threading

import pytest

from missions.models import Role
from reports.statements import drafting, figures, services
from reports.statements.document import build_document
from reports.statements.pdf import (
    INTERNAL_BASE_URL,
    render_document_pdf,
    render_statement_pdf,
    static_only_fetcher,
)
from tests.helpers.factories import make_meeting, make_member, make_user
from tests.helpers.statements import build_demo_like, fast_passwords  # noqa: F401 - fast_passwords is an autouse fixture


class _Hits(http.server.BaseHTTPRequestHandler):
    hits: list = []

    def do_GET(self):  # noqa: N802 - http.server's name
        _Hits.hits.append(self.path)
        self.send_response(200)
        self.send_header("Content-Type", "image/png")
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def trap():
    """A local HTTP server that records every request: nothing in a PDF may reach it."""
    _Hits.hits = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _Hits)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}"
    server.shutdown()


def _text(pdf: bytes, tmp_path) -> str:
    path = tmp_path / "out.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def test_fetcher_refuses_network_files_and_traversal(trap, tmp_path):
    from weasyprint import HTML

    fetcher = static_only_fetcher()
    html = f"""
      <link rel="stylesheet" href="{trap}/style.css">
      <link rel="stylesheet" href="file:///etc/passwd">
      <link rel="stylesheet" href="/static/../config/settings.py">
      <style>@import url("{trap}/imported.css"); p {{ background: url("file:///etc/hostname"); }}</style>
      <img src="{trap}/pixel.png"><img src="file:///etc/passwd"><img src="//example.org/x.png">
      <object data="{trap}/object"></object><embed src="{trap}/embed">
      <p>body</p>"""
    HTML(string=html, base_url=INTERNAL_BASE_URL, url_fetcher=fetcher).write_pdf()
    assert _Hits.hits == []
    assert fetcher.fetched == []
    refused = " ".join(fetcher.refused)
    assert "/etc/passwd" in refused and "pixel.png" in refused and "style.css" in refused


def test_fetcher_serves_our_static_files():
    fetcher = static_only_fetcher()
    response = fetcher.fetch(f"{INTERNAL_BASE_URL}static/fonts/NotoSerif-Regular.ttf")
    assert response.read()[:4] == b"\x00\x01\x00\x00"
    with pytest.raises(ValueError):
        fetcher.fetch(f"{INTERNAL_BASE_URL}static/../manage.py")
    with pytest.raises(ValueError):
        fetcher.fetch(f"{INTERNAL_BASE_URL}media/statements/x.pdf")


@pytest.fixture
def draft(mission, secretariat):
    make_member(
        mission, Role.HEAD_OF_MISSION, country="Kyrgyzstan", user=make_user(name="Kubanychbek Omuraliev")
    )
    make_meeting(mission)
    build_demo_like(mission, serious_at=1, campaign_at=2)
    return services.statement_start(mission=mission, user=secretariat.user)


def test_user_text_that_looks_like_html_is_printed_as_text(draft, secretariat, mission, trap, tmp_path):
    hostile = (
        f'<b>Bold?</b> <img src="{trap}/leak.png"> <link rel="stylesheet" href="file:///etc/passwd"> & done'
    )
    services.statement_edit(
        version=draft,
        user=secretariat.user,
        texts={drafting.CONCLUSION: hostile},
        known_figures=figures.collect(mission)["figures"],
    )
    draft.refresh_from_db()
    text = _text(render_statement_pdf(draft), tmp_path)
    assert "<b>Bold?</b>" in text
    assert "leak.png" in text and "& done" in text
    assert _Hits.hits == []


def test_languages_of_the_region_render_with_the_shipped_fonts(draft, secretariat, mission, tmp_path):
    sample = "Seçkilər ə ğ ı ş İ — Қазақстан әғқңөұүһі — Россия"
    services.statement_edit(
        version=draft,
        user=secretariat.user,
        texts={drafting.LEGAL_BASIS: sample},
        known_figures=figures.collect(mission)["figures"],
    )
    draft.refresh_from_db()
    fetcher = static_only_fetcher()
    pdf = render_document_pdf(build_document(draft, for_pdf=True), fetcher=fetcher)
    assert sample in " ".join(_text(pdf, tmp_path).split())
    assert any(url.endswith("/static/fonts/NotoSerif-Regular.ttf") for url in fetcher.fetched)
    assert fetcher.refused == []
    (tmp_path / "fonts.pdf").write_bytes(pdf)
    fonts = subprocess.run(["pdffonts", str(tmp_path / "fonts.pdf")], capture_output=True, text=True).stdout
    assert "Statement-Serif" in fonts and "Statement-Sans" in fonts
    assert all(line.split()[-5] == "yes" for line in fonts.splitlines()[2:])  # every font embedded


def test_pdf_is_a4_with_page_numbers_title_block_and_annex(draft, tmp_path):
    pdf = render_statement_pdf(draft)
    (tmp_path / "s.pdf").write_bytes(pdf)
    info = subprocess.run(["pdfinfo", str(tmp_path / "s.pdf")], capture_output=True, text=True).stdout
    assert "(A4)" in info
    pages = int(next(line.split()[-1] for line in info.splitlines() if line.startswith("Pages:")))
    text = _text(pdf, tmp_path)
    flat = " ".join(text.split())
    assert "INTERNATIONAL ELECTION OBSERVATION MISSION OF THE ORGANIZATION OF TURKIC STATES" in flat
    assert "S T A T E M E N T" in flat or "STATEMENT" in flat
    assert re.search(rf"\b1 ?/ ?{pages}\b", flat) and re.search(rf"\b{pages} ?/ ?{pages}\b", flat)
    assert "visited 22 polling stations in Baku, Shusha, Hankendi and Khojaly" in flat
    assert "ANNEX: AGGREGATED RESULTS" in flat and "Coverage by team" in flat
    assert "Draft, version 1: not approved" in flat
