"""import_mission and export_mission: exit codes, what goes to stderr, and the files they read and write."""

import io
import json
import os
import subprocess
import sys

import pytest
from django.core.management import CommandError, call_command

from missions.models import Mission
from polling.models import Visit
from reports.bundle import bundle_dumps, mission_export
from tests.helpers.paths import REPO
from tests.reports.bundle.test_bundle import SMALL, small_bundle, small_text


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command(*args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_import_mission_prints_what_it_created(db):
    out, err = run("import_mission", str(SMALL))
    assert err == ""
    assert "Imported mission ieom-xy-2025" in out
    assert "4 members, 2 teams, 3 stations, 1 checklists, 1 meetings, 3 visits, 1 incidents" in out
    assert Mission.objects.get(code="ieom-xy-2025").visits.count() == 3


def test_import_mission_lists_every_error_on_stderr_and_writes_nothing(db, tmp_path):
    data = small_bundle()
    data["members"][1]["role"] = "chair"
    data["visits"][2]["answers"]["A3"] = 16
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps(data, default=float), encoding="utf-8")
    err = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_mission", str(bad), stdout=io.StringIO(), stderr=err)
    assert failed.value.returncode == 1
    assert "2 error(s)" in str(failed.value) and "nothing was written" in str(failed.value)
    lines = err.getvalue().splitlines()
    assert lines[0].startswith("$.members[1].role: “chair” is not one of secretariat, head_of_mission")
    assert lines[1] == "$.visits[2].answers.A3: The largest allowed value is 15."
    assert not Mission.objects.exists() and not Visit.objects.exists()


def test_import_mission_refuses_a_file_that_is_not_json(db, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"format": "observa.mission/1",\n  "mission": }', encoding="utf-8")
    with pytest.raises(CommandError, match=r"not valid JSON: Expecting value at line 2, column 14"):
        run("import_mission", str(bad))
    with pytest.raises(CommandError, match="Cannot read"):
        run("import_mission", str(tmp_path / "missing.json"))


def test_export_mission_writes_the_bundle_and_import_reads_it_back(db, tmp_path):
    run("import_mission", str(SMALL))
    target = tmp_path / "out.json"
    out, _err = run("export_mission", "ieom-xy-2025", str(target))
    assert "Exported mission ieom-xy-2025" in out and "3 visits" in out
    assert target.read_text(encoding="utf-8") == small_text()
    assert target.read_text(encoding="utf-8") == bundle_dumps(mission_export(Mission.objects.get()))
    assert os.listdir(tmp_path) == ["out.json"]  # no temporary file left behind


def test_export_mission_of_an_unknown_code_fails(db, tmp_path):
    with pytest.raises(CommandError, match="no mission with the code nope"):
        run("export_mission", "nope", str(tmp_path / "x.json"))
    assert not (tmp_path / "x.json").exists()


def test_the_commands_exit_non_zero_from_the_shell(tmp_path):
    """The process's exit status, as a script sees it (an unparsable file fails before any query)."""
    bad = tmp_path / "bad.json"
    bad.write_text("[", encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "manage.py", "import_mission", str(bad)],
        capture_output=True,
        text=True,
        cwd=str(REPO),
        timeout=120,
    )
    assert result.returncode == 1
    assert "not valid JSON" in result.stderr and result.stdout == ""
