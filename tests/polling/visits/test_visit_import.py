"""Bulk entry of visits from CSV/XLSX: column mapping, value translation, every error by line, all or nothing."""

import datetime
import io
import os

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook

from missions.models import Mission, Role
from polling.models import Answer, Visit, VisitRevision
from polling.visits import importing as visit_import
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station
from tests.helpers.visits import make_checklist

HEADER = "station,email,arrival,A1,A2,A3,A4,A5,A6,A7,A8\n"


@pytest.fixture
def version(mission):
    return make_checklist(mission)


@pytest.fixture
def stations(mission):
    return [make_station(mission, code) for code in ("0001", "0002", "00021")]


def table(text: str) -> visit_import.Table:
    return visit_import.read_table(io.BytesIO(text.encode()), "visits.csv")


def mapping(**changes) -> visit_import.ImportMapping:
    fields = {
        "station": "station",
        "observer": "email",
        "arrived": "arrival",
        "questions": {code: code for code in ("A1", "A2", "A3", "A4", "A5", "A6", "A7", "A8")},
        "time_zone": visit_import.get_time_zone("Asia/Baku"),
        "visit_date": datetime.date(2024, 2, 7),
    }
    fields.update(changes)
    return visit_import.ImportMapping(**fields)


def run(mission, version, text, **changes):
    return visit_import.visit_import(
        mission=mission, version=version, table=table(text), mapping=mapping(**changes)
    )


def test_rows_become_visits_with_their_answers(mission, version, observer, stations):
    text = HEADER + (
        f"0001,{observer.user.email.upper()},2024-02-07 07:55,yes,ballots; seals,7,,,yes,,2\n"
        f"0002,{observer.user.email},08:30,no,,5,late,08:10,no,Seal cut,4\n"
    )
    result = run(mission, version, text)
    assert (result.rows, result.created, result.duplicates) == (2, 2, 0)
    first, second = Visit.objects.order_by("arrived_at")
    assert first.arrived_at == datetime.datetime(2024, 2, 7, 3, 55, tzinfo=datetime.UTC)
    assert second.arrived_at == datetime.datetime(
        2024, 2, 7, 4, 30, tzinfo=datetime.UTC
    )  # time on the visit date
    assert (first.observer, first.team, first.station.code) == (observer, observer.team, "0001")
    assert sorted(first.answers.filter(question__code="A2").values_list("option__value", flat=True)) == [
        "ballots",
        "seals",
    ]
    assert second.answers.get(question__code="A7").text == "Seal cut"
    assert VisitRevision.objects.filter(channel="import").count() == 2


def test_every_error_is_listed_by_line_and_column_and_nothing_is_stored(mission, version, observer, stations):
    email = observer.user.email
    text = HEADER + (
        f"0001,{email},07:55,yes,,7,,,yes,,2\n"  # line 2: fine
        f"9999,{email},07:55,yes,,7,,,,,\n"  # line 3: no such station
        f"0001,nobody@example.org,07:55,yes,,7,,,,,\n"  # line 4: not a member
        f"0001,{email},soon,yes,,99,,,,,\n"  # line 5: unreadable time, number out of range
        f"0001,{email},07:55,maybe,,7,,,,,\n"  # line 6: not an option
        f"0001,{email},07:55,yes,,7,,07:30,,,\n"  # line 7: hidden question answered
        f"0001,{email},07:55,no,,7,,,no,,\n"  # line 8: two required questions shown and unanswered
        f"0001,{email},07:55,yes,pens,,,,,,\n"  # line 9: unknown option, required number missing
    )
    with pytest.raises(visit_import.VisitImportInvalid) as raised:
        run(mission, version, text)
    found = {(error.line, error.column) for error in raised.value.errors}
    assert found == {
        (3, "station"),
        (4, "email"),
        (5, "arrival"),
        (5, "A3"),
        (6, "A1"),
        (7, "A5"),
        (8, "A5"),
        (8, "A7"),
        (9, "A2"),
        (9, "A3"),
    }
    assert "No polling station 9999" in str(raised.value.errors[0])
    assert Visit.objects.count() == 0 and Answer.objects.count() == 0


def test_mapping_problems_are_reported_before_the_rows(mission, version, stations):
    with pytest.raises(visit_import.VisitImportInvalid) as raised:
        run(mission, version, HEADER, station="code", observer=None, arrived=None, values={"Z9": {"a": "b"}})
    messages = [error.message for error in raised.value.errors]
    assert any("no column “code”" in m for m in messages)
    assert any("observer" in m for m in messages) and any("arrival" in m for m in messages)
    assert any("Z9" in m for m in messages)


def test_values_are_translated_and_labels_accepted(mission, version, observer, stations):
    text = "station,arrival,A1,A3,A6,A8,overall\n0001,07:55,po,n/a,Partly,i mirë,shummir\n"
    values = visit_import.parse_value_map(
        ["*: po = yes", "*: n/a =", "A8: i mirë = 2", "assessment: shummir = very_good"]
    )
    with pytest.raises(visit_import.VisitImportInvalid) as raised:  # A3 is required: n/a means not answered
        run(
            mission,
            version,
            text,
            observer=None,
            observer_email=observer.user.email,
            values=values,
            assessment="overall",
            questions={"A1": "A1", "A3": "A3", "A6": "A6", "A8": "A8"},
        )
    assert [(e.line, e.column) for e in raised.value.errors] == [(2, "A3")]
    text = text.replace("n/a", "4")
    run(
        mission,
        version,
        text,
        observer=None,
        observer_email=observer.user.email,
        values=values,
        assessment="overall",
        questions={"A1": "A1", "A3": "A3", "A6": "A6", "A8": "A8"},
    )
    visit = Visit.objects.get()
    assert visit.assessment == "very_good"
    answers = dict(visit.answers.filter(option__isnull=False).values_list("question__code", "option__value"))
    assert answers == {"A1": "yes", "A6": "partly", "A8": "2"}


def test_station_codes_can_be_rewritten(mission, version, observer, stations):
    rules = visit_import.parse_rewrites([r"(\d{4})-00 => \1", r"(\d{4})-0*(\d+) => \1\2"])
    text = "station,A1,A3\n0001-00,yes,1\n0002-01,yes,2\n"
    run(
        mission,
        version,
        text,
        station_rewrites=rules,
        observer=None,
        observer_email=observer.user.email,
        arrived=None,
        arrived_at=datetime.datetime(2024, 2, 7, 7, tzinfo=datetime.UTC),
        questions={"A1": "A1", "A3": "A3"},
    )
    assert sorted(Visit.objects.values_list("station__code", flat=True)) == ["0001", "00021"]


def test_bad_rewrite_rules_and_value_maps_are_refused():
    with pytest.raises(ValueError, match="group"):
        visit_import.parse_rewrites([r"(\d{4}) => \2"])
    with pytest.raises(ValueError, match="not a valid pattern"):
        visit_import.parse_rewrites([r"(\d{4} => \1"])
    with pytest.raises(ValueError, match="target: raw = value"):
        visit_import.parse_value_map(["po = yes"])


def test_importing_the_same_file_twice_stores_it_once(mission, version, observer, stations):
    text = (
        HEADER
        + f"0001,{observer.user.email},07:55,yes,,7,,,,,\n0002,{observer.user.email},09:00,yes,,3,,,,,\n"
    )
    run(mission, version, text)
    result = run(mission, version, text)
    assert (result.created, result.duplicates) == (0, 2)
    assert Visit.objects.count() == 2


def test_a_uuid_column_reused_with_other_content_is_an_error(mission, version, observer, stations):
    row = "6f1c2d4e-8b1a-4c1e-9d7a-0a1b2c3d4e5f,0001,{},07:55,yes,,{},,,,,\n"
    header = "uuid," + HEADER
    run(mission, version, header + row.format(observer.user.email, 7), uuid="uuid")
    with pytest.raises(visit_import.VisitImportInvalid) as raised:
        run(mission, version, header + row.format(observer.user.email, 8), uuid="uuid")
    assert "other content" in raised.value.errors[0].message
    assert Visit.objects.get().answers.get(question__code="A3").number == 7


def test_repeated_rows_in_one_file_are_an_error(mission, version, observer, stations):
    row = f"0001,{observer.user.email},07:55,yes,,7,,,,,\n"
    with pytest.raises(visit_import.VisitImportInvalid) as raised:
        run(mission, version, HEADER + row + row)
    assert [(e.line, e.message) for e in raised.value.errors] == [(3, "This row repeats line 2.")]


def test_xlsx_files_are_read(mission, version, observer, stations):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["station", "email", "arrival", "A1", "A3"])
    sheet.append(["0001", observer.user.email, datetime.datetime(2024, 2, 7, 7, 55), "yes", 7])
    sheet.append([2, observer.user.email, datetime.time(9, 5), "yes", 3.0])
    buffer = io.BytesIO()
    workbook.save(buffer)
    loaded = visit_import.read_table(buffer, "visits.xlsx")
    assert loaded.headers == ["station", "email", "arrival", "A1", "A3"]
    assert loaded.rows[1] == (3, ["2", observer.user.email, "09:05", "yes", "3"])
    make_station(mission, "2")
    result = visit_import.visit_import(
        mission=mission, version=version, table=loaded, mapping=mapping(questions={"A1": "A1", "A3": "A3"})
    )
    assert result.created == 2


def test_unreadable_files_are_refused():
    with pytest.raises(visit_import.VisitImportInvalid, match="nothing|Nothing"):
        visit_import.read_table(io.BytesIO(b"\xff\xfe\x00a"), "visits.csv")
    with pytest.raises(visit_import.VisitImportInvalid):
        visit_import.read_table(io.BytesIO(b"not a zip"), "visits.xlsx")
    with pytest.raises(visit_import.VisitImportInvalid):
        visit_import.read_table(io.BytesIO(b"a,b"), "visits.pdf")


def test_closed_mission_refuses_imports(mission, version, observer, stations):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    mission.refresh_from_db()
    with pytest.raises(visit_import.visit_service.VisitForbidden):
        run(mission, version, HEADER + f"0001,{observer.user.email},07:55,yes,,7,,,,,\n")


# The pages


def upload(client, mission, text, checklist="opening", name="visits.csv"):
    url = reverse("polling:visit_import", kwargs={"code": mission.code})
    return client.post(url, {"checklist": checklist, "file": SimpleUploadedFile(name, text.encode())})


def mapping_post(**changes):
    data = {
        "station": "station",
        "observer": "email",
        "arrived": "arrival",
        "time_zone": "Asia/Baku",
        "visit_date": "2024-02-07",
        **{f"q:A{i}": f"A{i}" for i in range(1, 9)},
    }
    data.update(changes)
    return data


def test_secretariat_imports_a_file_through_the_pages(
    client, mission, secretariat, observer, version, stations
):
    client_for(client, secretariat)
    response = upload(client, mission, HEADER + f"0001,{observer.user.email},07:55,yes,,7,,,,,\n")
    assert response.status_code == 302
    page = client.get(response.url)
    assert page.status_code == 200
    form = page.context["form"]
    assert form["q:A3"].initial == "A3"  # questions pre-mapped to the column named like their code
    done = client.post(response.url, mapping_post())
    assert done.status_code == 302 and done.url == reverse(
        "polling:visit_list", kwargs={"code": mission.code}
    )
    assert Visit.objects.get().observer == observer
    assert client.get(response.url).status_code == 404  # the upload is gone once imported


def test_import_page_lists_every_error_and_stores_nothing(
    client, mission, secretariat, observer, version, stations
):
    client_for(client, secretariat)
    text = (
        HEADER
        + f"0001,{observer.user.email},07:55,yes,,7,,,,,\n9999,{observer.user.email},07:55,maybe,,7,,,,,\n"
    )
    url = upload(client, mission, text).url
    response = client.post(url, mapping_post())
    assert response.status_code == 400
    assert {(e.line, e.column) for e in response.context["errors"]} == {(3, "station"), (3, "A1")}
    assert b"Nothing was imported" in response.content
    assert Visit.objects.count() == 0


def test_import_mapping_form_checks_its_fields(client, mission, secretariat, observer, version, stations):
    client_for(client, secretariat)
    url = upload(client, mission, HEADER).url
    response = client.post(
        url, mapping_post(observer="", arrived="", time_zone="Mars/Olympus", value_map="oops")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"observer", "arrived", "time_zone", "value_map"}


def test_import_with_one_observer_and_arrival_for_the_whole_file(
    client, mission, secretariat, observer, version, stations
):
    client_for(client, secretariat)
    url = upload(client, mission, "station,A1,A3\n0001,yes,7\n").url
    data = {
        "station": "station",
        "observer_fixed": observer.uuid,
        "arrived_fixed": "2024-02-07 07:00",
        "time_zone": "Asia/Baku",
        "q:A1": "A1",
        "q:A3": "A3",
    }
    assert client.post(url, data).status_code == 302
    visit = Visit.objects.get()
    assert (visit.observer, visit.arrived_at.hour) == (observer, 3)


def test_import_pages_are_for_the_secretariat_and_head_of_mission(
    client, mission, observer, team_leader, outsider, head_of_mission, version
):
    url = reverse("polling:visit_import", kwargs={"code": mission.code})
    assert client_for(Client(), head_of_mission).get(url).status_code == 200
    for member in (observer, team_leader):
        assert client_for(Client(), member).get(url).status_code == 403
    assert client_for(Client(), outsider).get(url).status_code == 404
    assert Client().get(url).status_code == 302


def test_an_upload_belongs_to_the_session_that_made_it(client, mission, secretariat, version):
    map_url = upload(client_for(client, secretariat), mission, HEADER).url
    colleague = make_member(mission, Role.SECRETARIAT)
    assert client_for(Client(), colleague).get(map_url).status_code == 404


def test_files_left_at_the_mapping_step_for_a_day_are_deleted_by_the_next_upload(
    client, mission, secretariat, version, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    folder = tmp_path / "visit-uploads" / mission.code
    folder.mkdir(parents=True)
    abandoned, recent = folder / "abandoned.csv", folder / "recent.csv"
    for path in (abandoned, recent):
        path.write_text(HEADER)
    two_days_ago = (datetime.datetime.now() - datetime.timedelta(days=2)).timestamp()
    os.utime(abandoned, (two_days_ago, two_days_ago))

    upload(client_for(client, secretariat), mission, HEADER)

    assert not abandoned.exists() and recent.exists()
    assert len(list(folder.iterdir())) == 2  # the recent file and the new upload


def test_the_command_imports_and_reports_errors(mission, version, observer, stations, tmp_path, capsys):
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + f"0001,{observer.user.email},07:55,yes,,7,,,,,\n")
    args = [
        mission.code,
        "opening",
        str(path),
        "--map",
        "station=station",
        "--map",
        "observer=email",
        "--map",
        "arrived=arrival",
        "--time-zone",
        "Asia/Baku",
    ]
    call_command("import_visits", *args, "--dry-run")
    assert Visit.objects.count() == 0 and "Would import 1 visits" in capsys.readouterr().out
    call_command("import_visits", *args)
    assert Visit.objects.count() == 1
    path.write_text(HEADER + f"0001,{observer.user.email},07:55,maybe,,7,,,,,\n")
    with pytest.raises(CommandError, match="Nothing was imported"):
        call_command("import_visits", *args)
    assert "line 2, column “A1”" in capsys.readouterr().err


@pytest.mark.parametrize(
    ("mission_zone", "option", "utc_hour"),
    [("Asia/Baku", [], 3), ("UTC", [], 7), ("UTC", ["--time-zone", "Asia/Baku"], 3)],
)
def test_the_command_reads_times_in_the_missions_zone_unless_told(
    mission, version, observer, stations, tmp_path, mission_zone, option, utc_hour
):
    Mission.objects.filter(pk=mission.pk).update(time_zone=mission_zone)
    path = tmp_path / "visits.csv"
    path.write_text(HEADER + f"0001,{observer.user.email},07:55,yes,,7,,,,,\n")
    maps = ["--map", "station=station", "--map", "observer=email", "--map", "arrived=arrival"]
    call_command("import_visits", mission.code, "opening", str(path), *maps, *option)
    arrived = Visit.objects.get().arrived_at.astimezone(datetime.UTC)
    assert (arrived.hour, arrived.minute) == (utc_hour, 55)


def test_a_station_code_rewrite_cannot_hang_a_worker():
    """Reproduced: (a+)+$ compiled as typed held a web worker on a long code until gunicorn killed it.
    The patterns run on RE2, whose matching time grows with the code's length only."""
    import re2

    from polling.visits.importing import ImportMapping, parse_rewrites

    rules = parse_rewrites(["(a+)+$ => x"])
    assert isinstance(rules[0][0], re2._Regexp)
    mapping = ImportMapping(station="code", station_rewrites=rules)
    code = "a" * 28 + "b"  # Python's re takes 2**28 steps to fail this; RE2 a few dozen
    assert mapping.rewrite_station(code) == code
    with pytest.raises(ValueError, match="not a valid pattern"):
        parse_rewrites(["(?=look)ahead => x"])  # RE2 has no backtracking constructs: said, not crashed
    with pytest.raises(ValueError, match="at most 200 characters"):
        parse_rewrites(["a" * 201 + " => x"])
