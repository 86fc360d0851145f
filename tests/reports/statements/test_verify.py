"""The public verification page: an approved PDF (or its SHA-256) is recognised; a changed byte is not."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.statements import rendering
from tests.helpers.statements import approve, build_demo_like, fast_passwords  # noqa: F401 - fast_passwords is an autouse fixture


@pytest.fixture
def signed_pdf(mission, secretariat, head_of_mission, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    build_demo_like(mission)
    render = approve(mission, editor=secretariat, head=head_of_mission)
    assert rendering.render_run(render.pk) == "done"
    render.refresh_from_db()
    return render, rendering.file_for(render).read_bytes()


def _verify(client, **data):
    return client.post(reverse("reports:verify"), data)


def test_uploaded_approved_pdf_is_recognised_without_logging_in(client, signed_pdf, head_of_mission):
    render, pdf = signed_pdf
    page = _verify(client, pdf=SimpleUploadedFile("s.pdf", pdf, content_type="application/pdf"))
    content = page.content.decode()
    assert page.status_code == 200 and 'data-ok="true"' in content
    assert str(head_of_mission.user) in content and render.version.statement.mission.name in content
    assert "valid, made with the mission" in content


def test_pasted_sha256_is_recognised(client, signed_pdf):
    render, _pdf = signed_pdf
    page = _verify(client, sha256=render.sha256.upper())
    assert 'data-ok="true"' in page.content.decode()


def test_one_changed_byte_is_rejected(client, signed_pdf):
    _render, pdf = signed_pdf
    index = len(pdf) // 2
    flipped = pdf[:index] + bytes([pdf[index] ^ 0x01]) + pdf[index + 1 :]
    page = _verify(client, pdf=SimpleUploadedFile("s.pdf", flipped))
    assert 'data-ok="false"' in page.content.decode()
    assert hashlib.sha256(flipped).hexdigest() in page.content.decode()


def test_unknown_hash_and_bad_input(client, db):
    assert 'data-ok="false"' in _verify(client, sha256="0" * 64).content.decode()
    assert b"64 hexadecimal" in _verify(client, sha256="xyz").content
    assert b"Choose a PDF file" in _verify(client).content


def test_a_draft_is_never_verified(client, mission, secretariat):
    build_demo_like(mission)
    from reports.statements import services
    from reports.statements.pdf import render_statement_pdf

    version = services.statement_start(mission=mission, user=secretariat.user)
    draft_pdf = render_statement_pdf(version)
    assert 'data-ok="false"' in _verify(client, pdf=SimpleUploadedFile("d.pdf", draft_pdf)).content.decode()


def test_qr_target_page_and_certificate(client, signed_pdf):
    render, _pdf = signed_pdf
    page = client.get(reverse("reports:verify_version", args=[render.version.uuid]))
    assert page.status_code == 200 and render.sha256 in page.content.decode()
    cert = client.get(reverse("reports:verify_certificate", args=[render.version.uuid]))
    assert cert.content.startswith(b"-----BEGIN CERTIFICATE-----")


def test_qr_code_in_the_pdf_points_at_the_verify_page(signed_pdf):
    render, pdf = signed_pdf
    assert render.version.verify_url.endswith(f"/verify/{render.version.uuid}/")
    assert b"/Subtype /Image" in pdf or b"/Subtype/Image" in pdf or b"Form" in pdf


def test_the_approval_time_reads_the_same_on_the_verification_and_statement_pages(
    client, signed_pdf, head_of_mission
):
    """Both name the mission's clock: the public page is not inside the mission, and its reader may be anywhere."""
    from django.utils import timezone
    from django.utils.formats import date_format

    from tests.conftest import client_for

    render, _pdf = signed_pdf
    version = render.version
    mission = version.statement.mission
    mission.time_zone = "Asia/Kathmandu"  # UTC+05:45: no chance of agreeing with UTC by accident
    mission.save(update_fields=["time_zone"])
    local = timezone.localtime(version.approved_at, mission.tzinfo)
    expected = f"{date_format(local, 'DATETIME_FORMAT')} (Asia/Kathmandu, UTC+05:45)"
    public = client.get(reverse("reports:verify_version", args=[version.uuid])).content.decode()
    checked = _verify(client, sha256=render.sha256).content.decode()
    own = (
        client_for(client, head_of_mission)
        .get(reverse("reports:statement", args=[mission.code]))
        .content.decode()
    )
    assert expected in public and expected in checked and expected in own


def test_a_stored_pdf_that_no_longer_matches_its_record_is_not_given_out(client, signed_pdf, head_of_mission):
    from tests.conftest import client_for

    render, pdf = signed_pdf
    mission = render.version.statement.mission
    url = reverse("reports:statement_pdf", args=[mission.code, render.version.number])
    client_for(client, head_of_mission)
    assert client.get(url).status_code == 200
    rendering.file_for(render).write_bytes(pdf.replace(b"%%EOF", b"%%EOF\n% changed", 1))
    response = client.get(url)
    assert response.status_code == 409 and "does not match" in response.content.decode()
