"""manage.py import_stations: the same importer as the web page, from the command line."""

import io

import pytest
from django.core.management import CommandError, call_command

from polling.models import Area, PollingStation
from tests.helpers.factories import make_mission
from tests.helpers.paths import FIXTURES

pytestmark = pytest.mark.django_db

FIXTURES = FIXTURES / "stations"


def run(*args) -> tuple[str, str]:
    stdout, stderr = io.StringIO(), io.StringIO()
    call_command("import_stations", *args, "--no-progress", stdout=stdout, stderr=stderr)
    return stdout.getvalue(), stderr.getvalue()


def test_canonical_file_needs_no_options(mission):
    out, _err = run(mission.code, str(FIXTURES / "canonical.csv"))

    assert "4 created, 0 updated, 0 unchanged (5 new areas)" in out
    assert PollingStation.objects.get(mission=mission, code="125-001").area.path == "Baku > Nasimi"


def test_running_it_twice_updates_instead_of_duplicating(mission, tmp_path):
    run(mission.code, str(FIXTURES / "canonical.csv"))
    changed = tmp_path / "changed.csv"
    changed.write_text((FIXTURES / "canonical.csv").read_text().replace("Culture House", "House of Culture"))

    out, _err = run(mission.code, str(changed))

    assert "0 created, 1 updated, 3 unchanged" in out
    assert PollingStation.objects.filter(mission=mission).count() == 4
    assert PollingStation.objects.get(mission=mission, code="201-001").name == "House of Culture"


def test_map_and_area_columns_read_the_nigerian_layout():
    mission = make_mission("ng-2023", area_levels=[])

    out, _err = run(
        mission.code,
        str(FIXTURES / "nigeria_fct_excerpt.csv"),
        "--map",
        "code=delimitation",
        "--map",
        "name=pu_name",
        "--area-columns",
        "state_name,lga_name,ward_name",
    )

    mission.refresh_from_db()
    assert "24 created" in out
    assert "state_name > lga_name > ward_name" in out  # the mapping used is printed
    assert mission.area_levels == ["state_name", "lga_name", "ward_name"]
    assert PollingStation.objects.get(mission=mission, code="37/02/01/001").area.path.startswith(
        "FEDERAL CAPITAL TERRITORY > BWARI > "
    )
    assert Area.objects.filter(mission=mission, depth=2).count() == 6


def test_code_columns_and_voters_for_other_layouts():
    poland = make_mission("pl-2023", area_levels=["Municipality"])
    run(poland.code, str(FIXTURES / "poland_excerpt.csv"), "--code-columns", "CommunityCode,Number",
        "--map", "name=Address", "--map", "area=CommunityCode")  # fmt: skip
    assert PollingStation.objects.filter(mission=poland).count() == 40
    assert PollingStation.objects.get(mission=poland, code="020102/16").area.path == "020102"

    albania = make_mission("al-2017", area_levels=[])
    run(albania.code, str(FIXTURES / "albania_excerpt.csv"), "--map", "code=qvKod", "--map", "name=vendndodhja",
        "--map", "registered_voters=zgjedhes", "--area-columns", "qarku,bashkia")  # fmt: skip
    assert PollingStation.objects.get(mission=albania, code="0002").registered_voters == 544


def test_errors_are_all_printed_and_nothing_is_imported(mission, tmp_path):
    run(mission.code, str(FIXTURES / "canonical.csv"))
    before = list(PollingStation.objects.order_by("code").values_list("code", "name", "updated_at"))
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "code,name,latitude,longitude,registered_voters\n"
        "125-001,Renamed,40,49,10\n"
        "X-1,New,91,49,\n"
        "X-2,New,,,many\n"
        "X-1,Again,,,\n"
    )
    stderr = io.StringIO()

    with pytest.raises(CommandError, match="3 errors in 4 rows; nothing was imported") as caught:
        call_command(
            "import_stations", mission.code, str(bad), "--no-progress", stdout=io.StringIO(), stderr=stderr
        )

    assert caught.value.returncode == 1  # manage.py exits with this status

    lines = stderr.getvalue().splitlines()
    assert lines[0].startswith("line 3, column “latitude”: The latitude 91 is out of range")
    assert lines[1].startswith("line 4, column “registered_voters”: “many” is not a number of voters")
    assert lines[2] == "line 5, column “code”: The code “X-1” is already on line 3."
    assert list(PollingStation.objects.order_by("code").values_list("code", "name", "updated_at")) == before


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--map", "code=nope"], "The file has no column “nope”"),
        (["--map", "colour=name"], "Write --map FIELD=HEADER"),
        (["--area-columns", "area,region"], "The file has no column “region”"),
    ],
)
def test_options_naming_unknown_columns_or_fields_are_refused(mission, args, message):
    with pytest.raises(CommandError, match=message):
        run(mission.code, str(FIXTURES / "canonical.csv"), *args)
    assert not PollingStation.objects.exists()


def test_unknown_mission_and_missing_file(mission, tmp_path):
    with pytest.raises(CommandError, match="No mission with the code"):
        run("nope", str(FIXTURES / "canonical.csv"))
    with pytest.raises(CommandError, match="No such file"):
        run(mission.code, str(tmp_path / "missing.csv"))


def test_a_progress_bar_is_shown_unless_switched_off(mission, capsys):
    call_command("import_stations", mission.code, str(FIXTURES / "canonical.csv"), stdout=io.StringIO())
    shown = capsys.readouterr().err
    run(mission.code, str(FIXTURES / "canonical.csv"))
    hidden = capsys.readouterr().err

    assert "Checking" in shown
    assert "Importing" in shown
    assert "Checking" not in hidden
