"""The station importer: reading CSV and XLSX, mapping real commission layouts, checking, upserting, uploads."""

import io
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from polling.models import Area, PollingStation, StationUpload
from polling.stations import importing as importer
from polling.stations.importing import service
from polling.stations.importing.errors import RowError
from tests.helpers.factories import make_mission, make_station, make_team
from tests.helpers.paths import FIXTURES

pytestmark = pytest.mark.django_db

FIXTURES = FIXTURES / "stations"
CANONICAL = "code,name,address,area,latitude,longitude,registered_voters\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture(params=["postgresql", "generic"])
def writer(request, monkeypatch):
    """Run a test through the COPY writer (PostgreSQL) and through bulk_create (every other database)."""
    if request.param == "generic":
        monkeypatch.setattr(service, "on_postgresql", lambda: False)
    return request.param


def table_of(content: str | bytes, name: str = "stations.csv") -> importer.Table:
    data = content.encode() if isinstance(content, str) else content
    return importer.open_table(io.BytesIO(data), name)


def fixture_table(name: str) -> importer.Table:
    return table_of((FIXTURES / name).read_bytes(), name)


def run_import(mission, content, name="stations.csv", mapping=None):
    table = table_of(content, name) if not isinstance(content, importer.Table) else content
    mapping = mapping or importer.canonical_mapping(table.headers)
    return importer.stations_import(mission=mission, table=table, mapping=mapping)


def errors_of(mission, content, name="stations.csv", mapping=None) -> list[RowError]:
    with pytest.raises(importer.StationFileInvalid) as caught:
        run_import(mission, content, name, mapping)
    return caught.value.errors


def snapshot(mission) -> tuple:
    """Everything an import may touch, to prove a rejected file changed nothing."""
    mission.refresh_from_db()
    stations = list(
        PollingStation.objects.filter(mission=mission)
        .order_by("code")
        .values_list(
            "code",
            "name",
            "address",
            "area__path",
            "latitude",
            "longitude",
            "registered_voters",
            "updated_at",
        )
    )
    areas = list(
        Area.objects.filter(mission=mission).order_by("path").values_list("path", "depth", "parent__path")
    )
    return stations, areas, mission.area_levels


def by_position(headers, **columns):
    """A Mapping from header names: code="delimitation", area=["state_name", ...]."""

    def pos(header):
        return headers.index(header)

    values = {}
    for field, header in columns.items():
        if field in ("code", "area"):
            values[field] = tuple(pos(h) for h in ([header] if isinstance(header, str) else header))
        else:
            values[field] = pos(header)
    return importer.Mapping(**values)


# --- the canonical layout -------------------------------------------------------------------------------


def test_canonical_csv_creates_stations_with_their_area_chain(mission, writer):
    result = run_import(mission, fixture_table("canonical.csv"))

    assert (result.created, result.updated, result.unchanged, result.areas_created) == (4, 0, 0, 5)
    station = PollingStation.objects.get(mission=mission, code="125-001")
    assert station.name == "School No. 6"
    assert station.address == "12 Rasul Rza St."
    assert station.latitude == Decimal("40.377700")
    assert station.longitude == Decimal("49.852000")
    assert station.registered_voters == 1250
    assert station.area.path == "Baku > Nasimi"
    assert (station.area.depth, station.area.name, station.area.parent.path) == (2, "Nasimi", "Baku")
    assert station.area.parent.parent is None
    no_voters = PollingStation.objects.get(mission=mission, code="201-001")
    assert no_voters.registered_voters is None
    no_place = PollingStation.objects.get(mission=mission, code="126-001")
    assert (no_place.latitude, no_place.longitude, no_place.address) == (None, None, "")
    assert sorted(Area.objects.filter(mission=mission).values_list("path", flat=True)) == [
        "Baku",
        "Baku > Nasimi",
        "Baku > Yasamal",
        "Ganja",
        "Ganja > Kapaz",
    ]


def test_bom_semicolons_comma_decimals_and_header_case_are_accepted(mission):
    content = "\ufeffCode;NAME;Area;Latitude;Longitude\nA-1;School;Baku > Nasimi;40,5;49,25\n"
    run_import(mission, content)

    station = PollingStation.objects.get(mission=mission)
    assert (station.code, station.name, station.latitude, station.longitude) == (
        "A-1",
        "School",
        Decimal("40.5"),
        Decimal("49.25"),
    )


def test_quoted_values_with_newlines_keep_line_numbers_right(mission):
    content = CANONICAL + 'A-1,"School\nNo. 6",,,,,\nA-2,Lyceum,,,,,\nA-3,Club,,,abc,1,\n'
    errors = errors_of(mission, content)

    assert errors == [RowError(5, "latitude", "The latitude “abc” is not a number.")]


def test_xlsx_first_sheet_is_imported_with_numbers_as_text(mission, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["code", "name", "area", "latitude", "longitude", "registered_voters"])
    sheet.append([1001, "School No. 6", "Baku > Nasimi", 40.3777, 49.852, 1250])
    sheet.append(["0002", "Lyceum", "Baku > Yasamal", None, None, None])
    workbook.create_sheet("Notes").append(["ignored"])
    path = tmp_path / "stations.xlsx"
    workbook.save(path)

    run_import(mission, table_of(path.read_bytes(), "stations.xlsx"))

    first, second = PollingStation.objects.filter(mission=mission).order_by("code")
    assert (second.code, second.registered_voters, second.latitude) == ("1001", 1250, Decimal("40.377700"))
    assert (first.code, first.area.path) == ("0002", "Baku > Yasamal")


def test_xlsx_errors_name_the_spreadsheet_row(mission, tmp_path):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append([])  # the header starts on row 2
    sheet.append(["code", "name", "latitude", "longitude"])
    sheet.append(["1", "A", 10, 10])
    sheet.append(["2", "B", 95, 10])
    path = tmp_path / "stations.xlsx"
    workbook.save(path)

    errors = errors_of(mission, table_of(path.read_bytes(), "stations.xlsx"))

    assert [(e.line, e.column) for e in errors] == [(4, "latitude")]
    assert "between -90 and 90" in errors[0].message


# --- re-importing ---------------------------------------------------------------------------------------


def test_reimport_updates_by_code_and_never_duplicates(mission, writer):
    run_import(mission, fixture_table("canonical.csv"))
    kept = PollingStation.objects.get(mission=mission, code="125-001")
    team = make_team(mission, "Group 7")
    team.stations.add(kept)
    changed = (FIXTURES / "canonical.csv").read_text().replace("School No. 19", "School No. 19 (annex)")
    changed += "301-001,New School,,Ganja > Kapaz,,,\n"

    result = run_import(mission, changed)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 3)
    assert PollingStation.objects.filter(mission=mission).count() == 5
    assert PollingStation.objects.get(mission=mission, code="125-002").name == "School No. 19 (annex)"
    assert PollingStation.objects.get(mission=mission, code="125-001").pk == kept.pk
    assert list(team.stations.all()) == [kept]
    assert Area.objects.filter(mission=mission).count() == 5


def test_reimport_of_the_same_file_changes_nothing(mission, writer):
    run_import(mission, fixture_table("canonical.csv"))
    before = snapshot(mission)

    result = run_import(mission, fixture_table("canonical.csv"))

    assert (result.created, result.updated, result.unchanged) == (0, 0, 4)
    assert snapshot(mission) == before


def test_reimport_can_move_a_station_to_another_area_and_clear_its_values(mission, writer):
    run_import(mission, fixture_table("canonical.csv"))

    run_import(mission, CANONICAL + "125-001,School No. 6,,Ganja > Kapaz,,,\n")

    station = PollingStation.objects.get(mission=mission, code="125-001")
    assert (station.area.path, station.latitude, station.registered_voters, station.address) == (
        "Ganja > Kapaz",
        None,
        None,
        "",
    )


def test_stations_of_another_mission_with_the_same_code_are_left_alone(mission):
    other = make_mission("other-az")
    make_station(other, "125-001", name="Elsewhere")

    run_import(mission, fixture_table("canonical.csv"))

    assert PollingStation.objects.get(mission=other, code="125-001").name == "Elsewhere"
    assert PollingStation.objects.filter(code="125-001").count() == 2


# --- the layouts commissions publish --------------------------------------------------------------------


def test_guess_recognises_the_nigeria_albania_and_poland_layouts():
    nigeria = fixture_table("nigeria_fct_excerpt.csv").headers
    assert importer.guess_mapping(nigeria) == by_position(
        nigeria,
        code="delimitation",
        name="pu_name",
        address="geocoded_address",
        latitude="latitude",
        longitude="longitude",
        area=["state_name", "lga_name", "ward_name"],
    )
    albania = fixture_table("albania_excerpt.csv").headers
    guess = importer.guess_mapping(albania)
    assert (guess.code, guess.name, guess.registered_voters) == (
        (albania.index("qvKod"),),
        albania.index("vendndodhja"),
        albania.index("zgjedhes"),
    )
    assert guess.area == tuple(albania.index(h) for h in ("qarku", "bashkia", "njesiaAdministrative"))
    poland = fixture_table("poland_excerpt.csv").headers
    assert importer.guess_mapping(poland) == by_position(
        poland, code="Number", name="Address", address="Address"
    )


def test_nigeria_fct_with_three_area_columns_gives_the_mission_its_levels(writer):
    mission = make_mission("ng-2023", area_levels=[], statement_level=1)
    table = fixture_table("nigeria_fct_excerpt.csv")
    mapping = by_position(
        table.headers, code="delimitation", name="pu_name", area=["state_name", "lga_name", "ward_name"]
    )

    result = run_import(mission, table, mapping=mapping)

    mission.refresh_from_db()
    assert result.created == 24
    assert mission.area_levels == ["state_name", "lga_name", "ward_name"]
    station = PollingStation.objects.get(mission=mission, code="37/01/01/001")
    assert station.name == "UNG. MAIKANO/KOFAR MAI UNGUWAN"
    assert station.area.path == "FEDERAL CAPITAL TERRITORY > ABAJI > ABAJI CENTRAL"
    areas = Area.objects.filter(mission=mission)
    assert areas.filter(depth=1).count() == 1
    assert areas.filter(depth=2).count() == 6
    assert set(areas.filter(depth=3).values_list("parent__depth", flat=True)) == {2}


def test_nigeria_coordinates_are_rounded_to_six_places(mission):
    mission.area_levels = ["State", "LGA", "Ward"]
    mission.save()
    table = fixture_table("nigeria_abia_excerpt.csv")
    mapping = importer.guess_mapping(table.headers)

    run_import(mission, table, mapping=mapping)

    station = PollingStation.objects.get(mission=mission, code="01/01/01/005")
    assert (station.latitude, station.longitude) == (Decimal("5.135444"), Decimal("7.353603"))
    assert station.address == "119 Aba-Owerri Rd, Abayi 450102, Aba, Nigeria"


def test_poland_numbers_repeat_per_municipality_so_the_code_needs_a_prefix(mission):
    table = fixture_table("poland_excerpt.csv")
    numbers_only = by_position(table.headers, code="Number", name="Address", area="CommunityCode")

    errors = errors_of(mission, table, mapping=numbers_only)
    assert len(errors) == 16
    assert errors[0] == RowError(26, "Number", "The code “1” is already on line 2.")
    assert PollingStation.objects.filter(mission=mission).count() == 0

    prefixed = by_position(
        table.headers, code=["CommunityCode", "Number"], name="Address", area="CommunityCode"
    )
    run_import(mission, table, mapping=prefixed)

    assert PollingStation.objects.filter(mission=mission).count() == 40
    station = PollingStation.objects.get(mission=mission, code="020102/3")
    assert station.name == "Dom Ludowy, Otok 44C, 59-700 Bolesławiec"
    assert station.area.path == "020102"


def test_albania_layout_with_registered_voters_from_zgjedhes(writer):
    mission = make_mission("al-2017", area_levels=["Qark", "Municipality", "Unit"])
    table = fixture_table("albania_excerpt.csv")
    mapping = by_position(
        table.headers,
        code="qvKod",
        name="vendndodhja",
        registered_voters="zgjedhes",
        area=["qarku", "bashkia", "njesiaAdministrative"],
    )

    result = run_import(mission, table, mapping=mapping)

    assert result.created == 12
    station = PollingStation.objects.get(mission=mission, code="0001")  # the file says """0001"""
    assert (station.name, station.registered_voters) == ("Boric I Madh, Shkolla Vrake", 702)
    assert station.area.path == "Shkoder > Malesi e Madhe > Gruemire"
    assert (
        Area.objects.get(mission=mission, path="Shkoder > Malesi e Madhe > Gruemire").level_name() == "Unit"
    )


def test_empty_area_cells_are_skipped_not_made_into_levels(writer):
    mission = make_mission("ro-2024", area_levels=[])
    content = (
        "Level1,Level2,Level3,Number,Address\nRomânia,Alba,,1,Loc. Alba Iulia\nRomânia,,Cluj,2,Loc. Cluj\n"
    )
    table = table_of(content)

    run_import(mission, table, mapping=importer.guess_mapping(table.headers))

    mission.refresh_from_db()
    assert PollingStation.objects.get(mission=mission, code="1").area.path == "România > Alba"
    assert PollingStation.objects.get(mission=mission, code="2").area.path == "România > Cluj"
    assert mission.area_levels == ["Level1", "Level2"]


def test_a_single_area_column_of_paths_names_levels_by_number(writer):
    mission = make_mission("az-x", area_levels=[])

    run_import(mission, CANONICAL + "1,School,,Baku > Nasimi > Block 4,,,\n")

    mission.refresh_from_db()
    assert len(mission.area_levels) == 3
    assert Area.objects.get(mission=mission, path="Baku > Nasimi > Block 4").depth == 3


# --- files that are rejected whole ----------------------------------------------------------------------


@pytest.fixture
def imported(mission):
    """The mission with stations already imported, so "unchanged" means more than "still empty"."""
    run_import(mission, fixture_table("canonical.csv"))
    return snapshot(mission)


def test_missing_required_column_is_an_error_on_the_header_line(mission, imported):
    errors = errors_of(mission, "code,address\n1,Somewhere\n")

    assert [(e.line, e.column) for e in errors] == [(1, "name")]
    assert "no column for the name" in errors[0].message
    assert snapshot(mission) == imported


def test_duplicate_code_names_both_lines_and_nothing_is_imported(mission, imported):
    content = CANONICAL + "9-1,New A,,,,,\n9-2,New B,,,,,\n9-1,New C,,,,,\n"

    errors = errors_of(mission, content)

    assert errors == [RowError(4, "code", "The code “9-1” is already on line 2.")]
    assert snapshot(mission) == imported


@pytest.mark.parametrize(
    ("row", "column", "message"),
    [
        ("1,A,,,abc,10,", "latitude", "The latitude “abc” is not a number."),
        ("1,A,,,91,10,", "latitude", "The latitude 91 is out of range: it must be between -90 and 90."),
        (
            "1,A,,,10,-180.5,",
            "longitude",
            "The longitude -180.5 is out of range: it must be between -180 and 180.",
        ),
        ("1,A,,,NaN,10,", "latitude", "The latitude “NaN” is not a number."),
        ("1,A,,,10,,", "longitude", "Give both latitude and longitude, or neither."),
        ("1,A,,,,,12a", "registered_voters", "“12a” is not a number of voters (a whole number, 0 or more)."),
        ("1,A,,,,,-5", "registered_voters", "“-5” is not a number of voters (a whole number, 0 or more)."),
        ("1,A,,,,,1.5", "registered_voters", "“1.5” is not a number of voters (a whole number, 0 or more)."),
        (",A,,,,,", "code", "The code is empty."),
        ("1,,,,,,", "name", "This value is required and is empty."),
        ("1," + "N" * 256 + ",,,,,", "name", "This is longer than 255 characters."),
    ],
)
def test_bad_values_are_rejected_with_line_and_column(mission, imported, row, column, message):
    errors = errors_of(mission, CANONICAL + "2-1,Fine,,,,,\n" + row + "\n")

    assert errors == [RowError(3, column, message)]
    assert snapshot(mission) == imported


def test_every_error_of_the_file_is_listed_in_line_order(mission, imported):
    content = CANONICAL + "1,A,,,abc,1,\n2,,,,,,x\n1,C,,,,,\n"

    errors = errors_of(mission, content)

    assert [(e.line, e.column) for e in errors] == [
        (2, "latitude"),
        (3, "name"),
        (3, "registered_voters"),
        (4, "code"),
    ]
    assert snapshot(mission) == imported


def test_a_file_that_is_not_utf8_names_the_line(mission, imported):
    content = (
        (CANONICAL + "1,School,,,,,\n").encode() + "2,Şkola Nº 5,,,,,\n".encode("cp1254") + b"3,Fine,,,,,\n"
    )

    errors = errors_of(mission, content)

    assert [(e.line, e.column) for e in errors] == [(3, "")]
    assert "not UTF-8" in errors[0].message
    assert snapshot(mission) == imported


def test_the_mapping_step_is_warned_about_an_encoding_problem_early():
    content = (CANONICAL + "1,School,,,,,\n").encode() + "2,Café,,,,,\n".encode("latin-1")

    assert table_of(content).first_encoding_error == 3
    assert table_of(CANONICAL + "1,Café,,,,,\n").first_encoding_error is None


def test_area_deeper_than_the_mission_levels_is_an_error(mission, imported):
    errors = errors_of(mission, CANONICAL + "1,School,,Baku > Nasimi > Block 4,,,\n")

    assert errors == [RowError(2, "area", "The area has 3 levels but the mission has 2 (Region > City).")]
    assert snapshot(mission) == imported


def test_more_area_columns_than_mission_levels_is_one_error_on_the_header(mission, imported):
    table = fixture_table("nigeria_fct_excerpt.csv")
    mapping = by_position(
        table.headers, code="delimitation", name="pu_name", area=["state_name", "lga_name", "ward_name"]
    )

    errors = errors_of(mission, table, mapping=mapping)

    assert errors[0].line == 1
    assert errors[0].column == "state_name, lga_name, ward_name"
    assert "the mission has 2 area levels" in errors[0].message
    assert snapshot(mission) == imported


def test_a_row_with_more_cells_than_the_header_is_an_error(mission, imported):
    errors = errors_of(mission, CANONICAL + "1,School, Baku,Main St.,,,,,12\n1-2,Fine,,,,,,,\n")

    assert [(e.line, e.column) for e in errors] == [(2, "")]
    assert "9 cells but the header has 7 columns" in errors[0].message
    assert snapshot(mission) == imported


def test_a_file_with_only_a_header_is_an_error(mission, imported):
    errors = errors_of(mission, CANONICAL)

    assert errors == [RowError(1, "", "There are no polling stations below the header.")]


def test_the_error_list_is_capped_but_every_error_is_counted(mission, monkeypatch):
    monkeypatch.setattr(service, "MAX_ERRORS", 5)
    content = CANONICAL + "".join(f"{n},A,,,x,1,\n" for n in range(8))

    with pytest.raises(importer.StationFileInvalid) as caught:
        run_import(mission, content)

    assert (len(caught.value.errors), caught.value.error_count, caught.value.row_count) == (5, 8, 8)
    assert [e.line for e in caught.value.errors] == [2, 3, 4, 5, 6]


def test_a_workbook_that_is_not_a_zip_is_refused():
    with pytest.raises(importer.UnreadableFile, match="not a real .xlsx"):
        table_of(CANONICAL + "1,A,,,,,\n", "stations.xlsx")


def test_a_zip_that_is_not_a_workbook_is_refused():
    buffer = io.BytesIO()
    import zipfile

    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(importer.UnreadableFile, match="not a real .xlsx"):
        table_of(buffer.getvalue(), "stations.xlsx")


def test_binary_junk_named_csv_is_refused():
    png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)) * 4
    with pytest.raises(importer.UnreadableFile, match="not a CSV text file"):
        table_of(png, "stations.csv")


def test_other_suffixes_are_refused():
    with pytest.raises(importer.UnreadableFile, match=".csv or .xlsx"):
        table_of(CANONICAL, "stations.ods")


# --- uploads --------------------------------------------------------------------------------------------


def stored_files(media_root) -> list[Path]:
    return [path for path in Path(media_root).rglob("*") if path.is_file()]


def test_upload_is_stored_under_a_generated_name_with_a_clean_original_name(mission, secretariat, media_root):
    uploaded = SimpleUploadedFile(
        "../../etc/Liste finale (v2);rm -rf.CSV", (FIXTURES / "canonical.csv").read_bytes()
    )

    upload = importer.station_upload_create(mission=mission, user=secretariat.user, uploaded=uploaded)

    assert upload.original_name == "Liste_finale_v2rm_-rf.csv"
    assert Path(upload.file.name).name == f"{upload.uuid}.csv"
    assert stored_files(media_root) == [Path(upload.file.path)]
    with importer.station_upload_table(upload) as table:
        assert table.headers[:2] == ["code", "name"]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("stations.xlsx", b"code,name\n1,A\n", "not a real .xlsx"),
        ("stations.csv", b"\x00\x01\x02\x03" * 500, "not a CSV text file"),
        ("stations.pdf", b"%PDF-1.7", ".csv or .xlsx"),
        ("stations.csv", b"", "empty"),
    ],
)
def test_refused_uploads_leave_nothing_behind(mission, secretariat, media_root, name, content, message):
    with pytest.raises(importer.UnreadableFile, match=message):
        importer.station_upload_create(
            mission=mission, user=secretariat.user, uploaded=SimpleUploadedFile(name, content)
        )

    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []


def test_an_upload_over_the_size_limit_is_refused(mission, secretariat, media_root, settings):
    settings.STATION_IMPORT_MAX_BYTES = 100
    content = (CANONICAL + "1,School,,,,,\n" * 10).encode()

    with pytest.raises(importer.UnreadableFile, match="largest file accepted is 100"):
        importer.station_upload_create(
            mission=mission, user=secretariat.user, uploaded=SimpleUploadedFile("s.csv", content)
        )

    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []


def test_discarding_an_upload_deletes_its_file(
    mission, secretariat, media_root, django_capture_on_commit_callbacks
):
    upload = importer.station_upload_create(
        mission=mission, user=secretariat.user, uploaded=SimpleUploadedFile("s.csv", CANONICAL.encode())
    )

    with django_capture_on_commit_callbacks(execute=True):
        importer.station_upload_discard(upload=upload)

    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []
