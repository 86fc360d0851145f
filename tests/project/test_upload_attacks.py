"""Hostile uploads are refused with a message naming the problem, and leave nothing behind.

Each upload (station list, visit file, checklist import, statement logo, signing key) gets files that are
too big, of another type behind the right suffix, zip bombs, scripts in images, and names that try to
climb out of the upload folder. After a refusal the upload tables, MEDIA_ROOT and the temporary upload
folder are as they were before.
"""

from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import Image

from polling.models import Checklist, PollingStation, Question, StationUpload, Visit
from reports.models import Statement
from tests.conftest import client_for
from tests.helpers.visits import make_checklist

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
HTML = b"<!DOCTYPE html><html><body><script>alert(1)</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(2)</script></svg>'
CSV = b"code,name\nPS-1,School\n"


def png(width: int = 4, height: int = 4) -> bytes:
    out = io.BytesIO()
    Image.new("1", (width, height)).save(out, "PNG", optimize=True)
    return out.getvalue()


def zip_bomb(size: int) -> bytes:
    """A real workbook whose first sheet is padded with `size` bytes of white space: a few hundred KB zipped.

    The tests keep the default upload limits: 100 MB from 100 KB is refused by its ratio alone.
    """
    book = openpyxl.Workbook()
    book.active.append(["type", "name", "label"])
    plain = io.BytesIO()
    book.save(plain)
    out = io.BytesIO()
    with zipfile.ZipFile(plain) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for info in source.infolist():
            data = source.read(info)
            if info.filename != "xl/worksheets/sheet1.xml":
                archive.writestr(info.filename, data)
                continue
            head, tail = data.split(b"<sheetData>", 1)
            with archive.open(info.filename, "w", force_zip64=True) as member:
                member.write(head + b"<sheetData>")
                chunk = b" " * (1 << 20)
                for _ in range(size // len(chunk)):
                    member.write(chunk)
                member.write(tail)
    return out.getvalue()


@pytest.fixture
def place(settings, tmp_path, monkeypatch, mission, secretariat):
    """MEDIA_ROOT and the temporary folders in tmp_path, so what an upload leaves behind can be listed."""
    import tempfile

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.FILE_UPLOAD_TEMP_DIR = str(tmp_path / "upload-tmp")
    settings.FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024  # the larger files below go through a temporary file
    (tmp_path / "upload-tmp").mkdir()
    (tmp_path / "tmp").mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    make_checklist(mission)  # the visit import needs a checklist
    return tmp_path


def leftovers(place: Path) -> dict:
    """Rows and files an upload may create."""
    return {
        "files": sorted(str(p.relative_to(place)) for p in place.rglob("*") if p.is_file()),
        "station uploads": StationUpload.objects.count(),
        "stations": PollingStation.objects.count(),
        "checklists": Checklist.objects.count(),
        "questions": Question.objects.count(),
        "visits": Visit.objects.count(),
        "logos": Statement.objects.exclude(logo="").count(),
    }


def _errors(response) -> str:
    """Every error the page shows: form errors, the checklist importer's problems."""
    assert response.status_code == 200, response.status_code
    context = response.context
    texts = []
    for key in ("form", "logo_form", "key_form"):
        form = context.get(key)
        if form is not None:
            texts += [str(e) for errors in form.errors.values() for e in errors]
    texts += [str(p.message) for p in context.get("problems") or []]
    return " ".join(texts)


def _post_file(client, url: str, field: str, name: str, content: bytes, **data):
    return client.post(url, {field: SimpleUploadedFile(name, content), **data})


STATION_CASES = [
    ("png named xlsx", "stations.xlsx", PNG, "not a real .xlsx"),
    ("html with nul named csv", "stations.csv", HTML.replace(b"<", b"\x00<"), "not a CSV text file"),
    ("zip bomb", "stations.xlsx", None, "unreasonable size"),
    ("text named xlsx", "stations.xlsx", CSV, "not a real .xlsx"),
    ("no suffix", "stations", CSV, ".csv or .xlsx"),
    ("oversize", "stations.csv", None, "largest file accepted"),
]


@pytest.mark.parametrize(
    ("case", "name", "content", "message"), STATION_CASES, ids=[c[0] for c in STATION_CASES]
)
def test_station_list_upload_refuses_and_leaves_nothing(
    client, place, secretariat, settings, case, name, content, message
):
    if case == "zip bomb":
        content = zip_bomb(100 * 1024 * 1024)
    if case == "oversize":
        settings.STATION_IMPORT_MAX_BYTES = 2 * 1024 * 1024
        content = CSV + b"PS-2,School\n" * 300_000  # ~3.6 MB
    before = leftovers(place)
    url = reverse("polling:station_import", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "file", name, content)
    assert message in _errors(response)
    assert leftovers(place) == before


@pytest.mark.parametrize(
    "name", ["../../etc/passwd.csv", "..\\..\\evil.csv", "a/b/c.csv", "nul\x00.csv.csv", ".csv"]
)
def test_station_list_upload_under_a_path_like_name_is_stored_in_its_folder(client, place, secretariat, name):
    url = reverse("polling:station_import", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "file", name, CSV)
    assert response.status_code in (200, 302)
    files = [p for p in (place / "media").rglob("*") if p.is_file()]
    assert all(p.resolve().is_relative_to((place / "media" / "station-uploads").resolve()) for p in files)
    for upload in StationUpload.objects.all():
        assert "/" not in upload.original_name and "\\" not in upload.original_name
        assert "\x00" not in upload.original_name and ".." not in upload.original_name.split("/")


VISIT_CASES = [
    ("png named xlsx", "visits.xlsx", PNG, "not a readable .xlsx"),
    ("zip bomb", "visits.xlsx", None, "unreasonable size"),
    ("binary named csv", "visits.csv", bytes(range(256)) * 4, "not UTF-8"),
    ("html named png", "visits.png", HTML, ".csv or .xlsx"),
    ("oversize", "visits.csv", None, "larger than"),
]


@pytest.mark.parametrize(("case", "name", "content", "message"), VISIT_CASES, ids=[c[0] for c in VISIT_CASES])
def test_visit_file_upload_refuses_and_leaves_nothing(
    client, place, secretariat, settings, case, name, content, message
):
    if case == "zip bomb":
        content = zip_bomb(100 * 1024 * 1024)
    if case == "oversize":
        settings.VISIT_IMPORT_MAX_BYTES = 2 * 1024 * 1024
        content = b"station,observer\n" + b"PS-2,a@example.org\n" * 150_000
    before = leftovers(place)
    url = reverse("polling:visit_import", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "file", name, content, checklist="opening")
    assert message in _errors(response)
    assert leftovers(place) == before


def checklist_json(**question) -> bytes:
    base = {"code": "Q1", "text": "Was it calm?", "type": "yes_no"}
    return json.dumps(
        {
            "format": "observa.checklist/1",
            "code": "hostile",
            "name": "Hostile",
            "questions": [{**base, **question}],
        }
    ).encode()


CHECKLIST_CASES = [
    ("png named xlsx", "form.xlsx", PNG, "xlsx"),
    ("zip bomb xlsform", "form.xlsx", None, "unreasonable size"),
    ("html named json", "form.json", HTML, "JSON"),
    ("nul in question text", "form.json", checklist_json(text="a\x00b"), "NUL"),
    ("nul in the code", "form.json", checklist_json(code="Q\x001"), ""),
    ("oversize", "form.json", None, "larger than"),
]


@pytest.mark.parametrize(
    ("case", "name", "content", "message"), CHECKLIST_CASES, ids=[c[0] for c in CHECKLIST_CASES]
)
def test_checklist_import_refuses_and_leaves_nothing(
    client, place, secretariat, settings, case, name, content, message
):
    if case == "zip bomb xlsform":
        content = zip_bomb(100 * 1024 * 1024)
    if case == "oversize":
        settings.CHECKLIST_IMPORT_MAX_BYTES = 1024 * 1024
        content = checklist_json(help_text="x" * 2 * 1024 * 1024)
    before = leftovers(place)
    url = reverse("polling:checklist_import", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "file", name, content)
    errors = _errors(response)
    assert errors and message in errors
    assert leftovers(place) == before


LOGO_CASES = [
    ("svg with script", "logo.png", SVG, "not a PNG or JPEG"),
    ("html named png", "logo.png", HTML, "not a PNG or JPEG"),
    ("truncated png", "logo.png", png()[:40], "not a PNG or JPEG"),
    ("gif", "logo.png", None, "not a PNG or JPEG"),
    ("decompression bomb", "logo.png", None, "pixels"),
    ("oversize", "logo.png", None, "at most 1 MB"),
]


@pytest.fixture
def statement(mission, secretariat):
    from reports.statements import services

    return services.statement_start(mission=mission, user=secretariat.user).statement


@pytest.mark.parametrize(("case", "name", "content", "message"), LOGO_CASES, ids=[c[0] for c in LOGO_CASES])
def test_statement_logo_upload_refuses_and_leaves_nothing(
    client, place, secretariat, statement, case, name, content, message
):
    if case == "gif":
        out = io.BytesIO()
        Image.new("RGB", (4, 4)).save(out, "GIF")
        content = out.getvalue()
    if case == "decompression bomb":
        content = png(20_000, 20_000)  # 400 million pixels in a few kilobytes
    if case == "oversize":
        content = png() + b"\x00" * (1024 * 1024 + 1)
    before = leftovers(place)
    url = reverse("reports:statement_settings", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "logo-logo", name, content)
    assert message in _errors(response)
    assert leftovers(place) == before


def test_a_good_logo_is_stored_under_our_own_name(client, place, secretariat, statement):
    url = reverse("reports:statement_settings", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "logo-logo", "../../etc/x.png", png())
    assert response.status_code == 302
    statement.refresh_from_db()
    assert statement.logo.name == f"statements/logos/{statement.uuid}.png"
    assert Path(statement.logo.path).resolve().is_relative_to((place / "media").resolve())


KEY_CASES = [
    ("text named p12", b"-----BEGIN PRIVATE KEY-----\nnot really\n", "not a PKCS#12"),
    ("png named p12", PNG, "not a PKCS#12"),
    ("der garbage", b"\x30\x82\x01\x00" + b"\x00" * 256, "not a PKCS#12"),
    ("oversize", b"\x30" + b"\x00" * (64 * 1024 + 1), "too large"),
]


@pytest.mark.parametrize(("case", "content", "message"), KEY_CASES, ids=[c[0] for c in KEY_CASES])
def test_signing_key_upload_refuses_and_leaves_nothing(
    client, place, secretariat, statement, case, content, message
):
    from reports.models import MissionSigningKey

    before = leftovers(place), MissionSigningKey.objects.count()
    url = reverse("reports:statement_settings", args=[secretariat.mission.code])
    data = {"key-pkcs12": SimpleUploadedFile("key.p12", content), "key-passphrase": "x"}
    response = client_for(client, secretariat).post(url, data)
    assert message in _errors(response)
    assert (leftovers(place), MissionSigningKey.objects.count()) == before


def test_observers_cannot_upload_anything(client, place, mission, observer):
    client = client_for(client, observer)
    before = leftovers(place)
    for name, field in [
        ("polling:station_import", "file"),
        ("polling:visit_import", "file"),
        ("polling:checklist_import", "file"),
        ("reports:statement_settings", "logo-logo"),
    ]:
        response = _post_file(client, reverse(name, args=[mission.code]), field, "x.csv", CSV)
        assert response.status_code in (403, 404), name
    assert leftovers(place) == before


def test_an_uploaded_station_list_with_a_good_file_still_works(client, place, secretariat):
    """The refusals above are not refusing everything."""
    url = reverse("polling:station_import", args=[secretariat.mission.code])
    response = _post_file(client_for(client, secretariat), url, "file", "stations.csv", CSV)
    assert response.status_code == 302
    assert StationUpload.objects.count() == 1


VERIFY_CASES = [
    ("html named pdf", HTML),
    ("png named pdf", png()),
    ("pdf header then garbage", b"%PDF-1.7\n" + bytes(range(256)) * 64),
]


@pytest.mark.parametrize(("case", "content"), VERIFY_CASES, ids=[c[0] for c in VERIFY_CASES])
def test_verify_page_says_a_hostile_file_is_no_statement(client, place, case, content):
    before = leftovers(place)
    response = _post_file(client, reverse("reports:verify"), "pdf", "statement.pdf", content)
    assert response.status_code == 200
    assert response.context["result"]["ok"] is False
    assert leftovers(place) == before


def test_verify_page_refuses_an_oversize_file(client, place, monkeypatch):
    from reports.statements import forms as statement_forms

    monkeypatch.setattr(statement_forms, "MAX_VERIFY_PDF_BYTES", 1000)
    response = _post_file(client, reverse("reports:verify"), "pdf", "s.pdf", b"%PDF-" + b"0" * 2000)
    assert "at most 30 MB" in _errors(response)


def test_a_nul_deep_in_a_station_list_is_refused_not_a_server_error(client, place, secretariat):
    """The binary sniffing reads the head of the file; a NUL further down must still not reach PostgreSQL."""
    rows = "".join(f"PS-{n},School number {n}\n" for n in range(5000))  # past the sniffed head
    content = (f"code,name\n{rows}PS-X,Bad\x00name\n").encode()
    client = client_for(client, secretariat)
    upload = _post_file(
        client, reverse("polling:station_import", args=[secretariat.mission.code]), "file", "s.csv", content
    )
    if upload.status_code == 200:
        assert "not a CSV text file" in _errors(upload)
    else:
        response = client.post(upload.url, {"code": "0", "name": "1"})
        assert response.status_code == 200 and "NUL" in response.content.decode()
    assert PollingStation.objects.count() == 0


def test_a_nul_in_a_visit_file_is_refused_not_a_server_error(client, place, secretariat, observer, mission):
    from tests.helpers.factories import make_station

    make_station(mission, "0001")
    content = f"station,email,arrival,A1,A3,A4\n0001,{observer.user.email},07:55,yes,7,calm\x00ish\n".encode()
    client = client_for(client, secretariat)
    url = reverse("polling:visit_import", args=[mission.code])
    upload = _post_file(client, url, "file", "visits.csv", content, checklist="opening")
    if upload.status_code == 200:
        assert "NUL" in _errors(upload)
    else:
        data = {"station": "station", "observer": "email", "arrived": "arrival", "time_zone": "Asia/Baku"}
        data.update({"visit_date": "2024-02-07", "q:A1": "A1", "q:A3": "A3", "q:A4": "A4"})
        response = client.post(upload.url, data)
        assert response.status_code == 400 and "NUL" in response.content.decode(), response.context["errors"]
    assert Visit.objects.count() == 0
