"""The statement's PDF writes every script a mission may use with the fonts shipped in static/fonts, and
never with a font of the machine it happens to run on."""

import subprocess

import pytest

from reports.statements.pdf import INTERNAL_BASE_URL, static_only_fetcher

SAMPLES = {
    "latin": ("Seçki məntəqəsi, oʻzbek, gʻalaba, Türkçe ğ ı ş", "Statement-Serif"),
    "greek": ("Εκλογικό τμήμα", "Statement-Serif"),
    "cyrillic": ("Избирательный участок: ә ө ү ң қ ғ һ", "Statement-Serif"),
    "arabic": ("مكتب الاقتراع والمراقبون", "Statement-Serif-Arabic"),
    "armenian": ("Ընտրական տեղամաս", "Statement-Serif-Armenian"),
    "georgian": ("საარჩევნო უბანი", "Statement-Serif-Georgian"),
}
# WeasyPrint names an embedded font after its @font-face family; a font of the machine keeps its own name.
SHIPPED_PREFIX = "Statement-"


def pdf_fonts(pdf: bytes, tmp_path) -> list[str]:
    path = tmp_path / "sample.pdf"
    path.write_bytes(pdf)
    lines = subprocess.run(
        ["pdffonts", str(path)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    return [line.split()[0].split("+", 1)[-1] for line in lines[2:]]


def render(body: str) -> bytes:
    from weasyprint import HTML

    html = (
        '<html><head><link rel="stylesheet" href="static/css/statement_pdf.css"></head>'
        f"<body>{body}</body></html>"
    )
    return HTML(string=html, base_url=INTERNAL_BASE_URL, url_fetcher=static_only_fetcher()).write_pdf()


@pytest.mark.parametrize("script", SAMPLES)
def test_each_script_is_written_with_its_shipped_font(script, tmp_path):
    text, font = SAMPLES[script]
    fonts = pdf_fonts(render(f"<p>{text}</p><h2>{text}</h2><p class='verify-text'>{text}</p>"), tmp_path)
    assert font in fonts or f"{font}-Bold" in fonts, fonts
    assert [name for name in fonts if not name.startswith(SHIPPED_PREFIX)] == []


def test_a_script_without_a_shipped_font_would_be_caught(tmp_path):
    """Braille has no face in static/fonts: the machine's DejaVu (a Debian package here) draws it, and the
    check sees a font that is not ours."""
    fonts = pdf_fonts(render("<p>⠃⠁⠇⠇⠕⠞</p>"), tmp_path)
    assert [name for name in fonts if not name.startswith(SHIPPED_PREFIX)], fonts
