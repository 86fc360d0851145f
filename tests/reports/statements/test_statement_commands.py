"""draft_statement prints the statement as text; render_statement renders through the worker's code."""

import pytest
from django.core.management import CommandError, call_command

from reports.models import Statement
from reports.statements import rendering, services
from tests.helpers.statements import approve, build_demo_like, fast_passwords  # noqa: F401 - autouse fixture


def test_draft_statement_prints_a_fresh_draft_without_saving_it(mission, capsys):
    build_demo_like(mission, serious_at=1)
    call_command("draft_statement", mission.code)
    out = capsys.readouterr().out
    assert "STATEMENT" in out
    assert "visited 22 polling stations in Baku, Shusha, Hankendi and Khojaly." in out
    assert "Serious irregularities were reported in one of the 22 polling stations visited (5%)." in out
    assert not Statement.objects.filter(mission=mission).exists()


def test_draft_statement_prints_the_saved_version_with_its_edits(mission, secretariat, capsys):
    build_demo_like(mission)
    version = services.statement_start(mission=mission, user=secretariat.user)
    from reports.statements import figures

    services.statement_edit(
        version=version,
        user=secretariat.user,
        texts={"conclusion": "Edited: [[stations_visited]] stations."},
        known_figures=figures.collect(mission)["figures"],
    )
    call_command("draft_statement", mission.code)
    assert "Edited: 22 stations." in capsys.readouterr().out


def test_render_statement_renders_a_draft(mission, secretariat, tmp_path, capsys):
    build_demo_like(mission)
    services.statement_start(mission=mission, user=secretariat.user)
    out = tmp_path / "draft.pdf"
    call_command("render_statement", mission.code, "--out", str(out))
    assert out.read_bytes()[:5] == b"%PDF-"
    assert "unsigned draft" in capsys.readouterr().out


def test_render_statement_hands_out_the_approved_file_unchanged(
    mission, secretariat, head_of_mission, tmp_path, settings
):
    settings.MEDIA_ROOT = tmp_path / "media"
    build_demo_like(mission)
    render = approve(mission, editor=secretariat, head=head_of_mission)
    with pytest.raises(CommandError, match="not ready"):
        call_command("render_statement", mission.code, "--out", str(tmp_path / "x.pdf"))
    rendering.render_run(render.pk)
    render.refresh_from_db()
    call_command("render_statement", mission.code, "--out", str(tmp_path / "approved.pdf"))
    assert (tmp_path / "approved.pdf").read_bytes() == rendering.file_for(render).read_bytes()


def test_commands_refuse_an_unknown_mission(db, tmp_path):
    with pytest.raises(CommandError):
        call_command("draft_statement", "nope")
    with pytest.raises(CommandError):
        call_command("render_statement", "nope", "--out", str(tmp_path / "x.pdf"))


@pytest.mark.parametrize(
    "language, expected",
    [
        ("ru", "22 избирательных участка"),
        ("fr", "22 bureaux de vote"),
        ("ar", "مكاتب الاقتراع"),
    ],
)
def test_draft_statement_drafts_in_any_language_observa_speaks(
    mission, secretariat, capsys, language, expected
):
    """Even when a version is saved (in English), --language drafts afresh from the same figures."""
    build_demo_like(mission, serious_at=1)
    services.statement_start(mission=mission, user=secretariat.user)
    call_command("draft_statement", mission.code, "--language", language)
    out = capsys.readouterr().out
    assert expected in out
    assert (
        "On election day, the Mission visited" not in out and "February" not in out
    )  # findings are the checklist's


def test_render_statement_renders_a_draft_in_another_language(mission, tmp_path, capsys):
    import subprocess

    build_demo_like(mission)
    out = tmp_path / "ar.pdf"
    call_command("render_statement", mission.code, "--out", str(out), "--language", "ar")
    assert "unsigned ar draft" in capsys.readouterr().out
    text = subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True, check=True).stdout
    assert "الاقتراع" in text
    assert not Statement.objects.filter(mission=mission).exists()
