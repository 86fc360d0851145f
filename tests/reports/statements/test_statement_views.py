"""The statement pages through the client: who sees and does what, the editor, figures, downloads, settings."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from reports.models import Statement, StatementVersion
from reports.statements import drafting, rendering, services
from tests.conftest import client_for
from tests.helpers.statements import approve, build_demo_like, fast_passwords  # noqa: F401 - fast_passwords is an autouse fixture


@pytest.fixture
def data(mission):
    return build_demo_like(mission, serious_at=2)


@pytest.fixture
def draft(mission, data, secretariat):
    return services.statement_start(mission=mission, user=secretariat.user)


def _url(name, mission, *args):
    return reverse(f"reports:{name}", args=[mission.code, *args])


def test_editor_starts_the_draft(client, mission, data, secretariat):
    client = client_for(client, secretariat)
    assert b"Draft the statement" in client.get(_url("statement", mission)).content
    response = client.post(_url("statement_start", mission))
    assert response.status_code == 302
    assert Statement.objects.get(mission=mission).versions.count() == 1


@pytest.mark.parametrize(("role", "status"), [("team_leader", 403), ("observer", 403), ("outsider", 404)])
def test_others_cannot_start_or_see_a_draft(client, request, mission, draft, role, status):
    client = client_for(client, request.getfixturevalue(role))
    assert client.get(_url("statement", mission)).status_code == status
    assert client.post(_url("statement_start", mission)).status_code == status
    assert client.get(_url("statement_version", mission, 1)).status_code == status


def test_editor_page_shows_sections_figures_and_links_to_visits(client, mission, draft, secretariat):
    page = client_for(client, secretariat).get(_url("statement", mission)).content.decode()
    assert "[[stations_visited]]" in page  # the token in the editable text
    assert (
        'href="/m/ots-az-2024/statement/v1/figure/stations_visited/"' in page
    )  # the live value links to visits
    assert "Submit for approval" in page


def test_saving_marks_sections_edited_and_keeps_tokens(client, mission, draft, secretariat):
    client = client_for(client, secretariat)
    fields = {f"section__{s['key']}": s["text"] for s in draft.sections}
    fields[f"section__{drafting.CONCLUSION}"] = "We visited [[stations_visited]] stations."
    assert client.post(_url("statement_save", mission), fields).status_code == 302
    draft.refresh_from_db()
    assert draft.section(drafting.CONCLUSION) == {
        "key": drafting.CONCLUSION,
        "text": "We visited [[stations_visited]] stations.",
        "edited": True,
        "variant": "",
    }
    assert draft.section(drafting.INTRODUCTION)["edited"] is False


def test_saving_an_unknown_figure_is_refused_with_a_message(client, mission, draft, secretariat):
    client = client_for(client, secretariat)
    response = client.post(
        _url("statement_save", mission), {f"section__{drafting.CONCLUSION}": "[[nope]]"}, follow=True
    )
    assert "Unknown figures: nope" in response.content.decode()
    draft.refresh_from_db()
    assert "[[nope]]" not in draft.section(drafting.CONCLUSION)["text"]


def test_observer_cannot_save(client, mission, draft, observer):
    response = client_for(client, observer).post(
        _url("statement_save", mission), {"section__conclusion": "x"}
    )
    assert response.status_code == 403


def test_live_preview_resolves_figures_and_escapes_text(client, mission, draft, secretariat):
    response = client_for(client, secretariat).post(
        _url("statement_preview", mission), {"section__conclusion": "<script>x</script> [[stations_visited]]"}
    )
    content = response.content.decode()
    assert "&lt;script&gt;" in content and "<script>" not in content
    assert ">22</a>" in content


def test_live_preview_renders_the_textarea_that_changed(client, mission, draft, secretariat):
    response = client_for(client, secretariat).post(
        _url("statement_preview", mission),
        {"section__introduction": "First section.", "section__conclusion": "Visited [[stations_visited]]."},
        HTTP_HX_TRIGGER_NAME="section__conclusion",
    )
    assert "Visited" in response.content.decode() and "First section" not in response.content.decode()


def test_figure_page_lists_the_visits_behind_it(client, mission, draft, secretariat, data):
    client = client_for(client, secretariat)
    page = client.get(_url("statement_figure", mission, 1, "serious:count"))
    assert page.status_code == 200
    assert list(page.context["visits"]) == data["visits"][:2]
    assert client.get(_url("statement_figure", mission, 1, "no-such")).status_code == 404


def test_team_leader_sees_only_own_team_visits_behind_a_published_figure(
    client, mission, data, secretariat, head_of_mission, team_leader, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    render = approve(mission, editor=secretariat, head=head_of_mission)
    rendering.render_run(render.pk)
    services.statement_publish(version=render.version, user=secretariat.user)
    page = client_for(client, team_leader).get(_url("statement_figure", mission, 1, "stations_visited"))
    assert page.status_code == 200 and list(page.context["visits"]) == []


def test_published_statement_is_open_to_every_member_but_not_outsiders(
    client, mission, data, secretariat, head_of_mission, observer, outsider, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    render = approve(mission, editor=secretariat, head=head_of_mission)
    rendering.render_run(render.pk)
    observer_client = client_for(client, observer)
    assert observer_client.get(_url("statement", mission)).status_code == 403
    assert observer_client.get(_url("statement_pdf", mission, 1)).status_code == 403
    services.statement_publish(version=render.version, user=secretariat.user)
    page = observer_client.get(_url("statement", mission))
    assert page.status_code == 200 and b"Download the signed PDF" in page.content
    assert b"Start a new version" not in page.content
    pdf = observer_client.get(_url("statement_pdf", mission, 1))
    assert pdf.status_code == 200 and b"".join(pdf.streaming_content)[:5] == b"%PDF-"
    outsider_client = client_for(client, outsider)
    assert outsider_client.get(_url("statement", mission)).status_code == 404
    assert outsider_client.get(_url("statement_pdf", mission, 1)).status_code == 404


def test_workflow_buttons_move_the_statement(client, mission, draft, secretariat):
    client = client_for(client, secretariat)
    client.post(_url("statement_action", mission, "submit"))
    draft.refresh_from_db()
    assert draft.status == StatementVersion.Status.SUBMITTED
    client.post(_url("statement_action", mission, "return"))
    draft.refresh_from_db()
    assert draft.status == StatementVersion.Status.DRAFT
    assert client.post(_url("statement_action", mission, "nonsense")).status_code == 404


def test_observer_cannot_press_workflow_buttons(client, mission, draft, observer):
    assert client_for(client, observer).post(_url("statement_action", mission, "submit")).status_code == 403


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (40, 20), (18, 58, 90)).save(buffer, "PNG")
    return buffer.getvalue()


def test_logo_upload_accepts_png_and_refuses_other_files(
    client, mission, draft, secretariat, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    client = client_for(client, secretariat)
    bad = client.post(
        _url("statement_settings", mission),
        {"logo-logo": SimpleUploadedFile("x.png", b"<svg onload=alert(1)>")},
    )
    assert bad.status_code == 200 and b"not a PNG or JPEG" in bad.content
    good = client.post(
        _url("statement_settings", mission), {"logo-logo": SimpleUploadedFile("l.png", _png())}
    )
    assert good.status_code == 302
    statement = Statement.objects.get(mission=mission)
    assert statement.logo.name.endswith(".png")
    from reports.statements.document import build_document

    assert build_document(StatementVersion.objects.get(pk=draft.pk), for_pdf=True)["logo"].startswith(
        "data:image/png;base64,"
    )


def test_key_upload_explains_a_wrong_file(client, mission, draft, secretariat):
    response = client_for(client, secretariat).post(
        _url("statement_settings", mission),
        {"key-pkcs12": SimpleUploadedFile("k.p12", b"hello"), "key-passphrase": "x"},
    )
    assert response.status_code == 200 and b"not a PKCS#12" in response.content


def test_observer_cannot_open_settings(client, mission, draft, observer):
    assert client_for(client, observer).get(_url("statement_settings", mission)).status_code == 403
