"""Exports: formula escaping, the visits and results files, claiming, sweeping, the pages and the download."""

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from config.spreadsheets import escape_cell
from missions.models import Role
from reports.exports.services import export_run, exports_sweep
from reports.models import Export
from tests.conftest import client_for
from tests.helpers.factories import make_member
from tests.helpers.results import build_small, file_visit


@pytest.fixture(autouse=True)
def private_root(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path


@pytest.fixture
def small(mission):
    return build_small(mission)


def make_export(small, **fields):
    defaults = {
        "mission": small.mission,
        "kind": Export.Kind.VISITS,
        "format": Export.Format.CSV,
        "checklist": small.checklist,
    }
    return Export.objects.create(**(defaults | fields))


def read_csv(export):
    export.refresh_from_db()
    with export.file.open("rb") as f:
        return list(csv.reader(io.StringIO(f.read().decode("utf-8-sig"))))


@pytest.mark.parametrize("value", ["=1+2", "+1", "-2+3", "@SUM(A1)", "\tx", "\rx", '=HYPERLINK("http://x")'])
def test_cells_that_a_spreadsheet_would_run_are_escaped(value):
    assert escape_cell(value) == "'" + value


@pytest.mark.parametrize("value", ["yes", "7:00", " =x", "", "a=b", 12, None])
def test_other_cells_are_left_alone(value):
    assert escape_cell(value) == value


def test_visits_csv_has_one_row_per_visit_and_one_column_per_question_code(small):
    small.v[1].answers.filter(question__code="Q6").update(text="=cmd|' /C calc'!A0")
    export = make_export(small)
    assert export_run(export.pk)
    rows = read_csv(export)
    header = rows[0]
    assert header[:6] == ["visit", "checklist_version", "station_code", "station_name", "Region", "City"]
    assert header[-8:] == ["Q1", "Q7", "Q2", "Q3", "Q4", "Q5", "Q8", "Q6"]
    assert len(rows) == 6
    by_uuid = {r[0]: dict(zip(header, r, strict=True)) for r in rows[1:]}
    v2 = by_uuid[str(small.v[2].uuid)]
    assert (v2["station_code"], v2["Region"], v2["City"], v2["team"]) == ("S1", "North", "A", "Team 1")
    assert (v2["Q1"], v2["Q7"], v2["Q3"], v2["Q4"], v2["Q5"]) == ("no", "yes", "ballots; seals", "20", "bad")
    assert by_uuid[str(small.v[4].uuid)]["Q2"] == ""  # unanswered
    assert by_uuid[str(small.v[1].uuid)]["Q6"] == "'=cmd|' /C calc'!A0"
    export.refresh_from_db()
    assert (export.status, export.progress, export.rows) == ("done", 100, 5)


def test_team_export_has_only_the_team_visits(small):
    export = make_export(small, team=small.t2)
    export_run(export.pk)
    assert [r[2] for r in read_csv(export)[1:]] == ["S4"]


def test_results_xlsx_has_the_per_question_table(small):
    export = make_export(
        small, kind=Export.Kind.RESULTS, format=Export.Format.XLSX, checklist=None, breakdown=1
    )
    export_run(export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as f:
        rows = list(load_workbook(f, read_only=True).active.iter_rows(values_only=True))
    header = rows[0]
    table = [dict(zip(header, [*r, *[None] * (len(header) - len(r))], strict=True)) for r in rows[1:]]
    q1_no = [r for r in table if r["question"] == "Q1" and r["answer"] == "no"]
    assert [(r["group"], r["answered"], r["visits"]) for r in q1_no] == [
        (None, 5, 2),
        ("North", 4, 1),
        ("South", 1, 1),
    ]
    q4 = [r for r in table if r["question"] == "Q4" and r["group"] is None][0]
    assert (q4["minimum"], q4["median"], q4["maximum"]) == (10, 22.5, 30)
    neg = [r for r in table if r["question"] == "Q5" and r["answer"] == "negative" and r["group"] is None][0]
    assert (neg["visits"], neg["percent"]) == (2, 40)


def test_an_export_is_claimed_once(small):
    export = make_export(small)
    assert export_run(export.pk) is True
    assert export_run(export.pk) is False  # done: nobody writes it again


def test_a_visits_export_without_checklist_fails_with_a_message(small):
    export = make_export(small, checklist=None)
    export_run(export.pk)
    export.refresh_from_db()
    assert export.status == "failed" and "checklist" in export.error and not export.file


def test_sweeper_requeues_exports_whose_worker_died(small):
    old = timezone.now() - timedelta(minutes=30)
    stuck = make_export(small, status="running", heartbeat_at=old, attempts=1)
    hopeless = make_export(small, status="running", heartbeat_at=old, attempts=3)
    alive = make_export(small, status="running", heartbeat_at=timezone.now(), attempts=1)
    forgotten = make_export(small)
    Export.objects.filter(pk=forgotten.pk).update(created_at=old)
    assert sorted(exports_sweep()) == sorted([stuck.pk, forgotten.pk])
    statuses = dict(Export.objects.values_list("pk", "status"))
    assert (statuses[stuck.pk], statuses[hopeless.pk], statuses[alive.pk]) == ("pending", "failed", "running")
    assert export_run(stuck.pk)  # and it can now be written


def url(name, mission, **kw):
    return reverse(f"reports:{name}", kwargs={"code": mission.code, **kw})


def test_head_of_mission_requests_then_downloads_an_export(
    client, small, head_of_mission, django_capture_on_commit_callbacks
):
    c = client_for(client, head_of_mission)
    with (
        mock.patch("reports.exports.tasks.run_export.delay") as delay,
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = c.post(
            url("exports", small.mission), {"kind": "visits", "format": "csv", "checklist": "opening"}
        )
    assert response.status_code == 302
    export = Export.objects.get()
    delay.assert_called_once_with(export.pk)
    assert (export.requested_by, export.team, export.status) == (head_of_mission.user, None, "pending")
    page = c.get(url("exports", small.mission)).content.decode()
    assert 'hx-trigger="every 2s"' in page  # the row polls its progress
    assert c.get(url("export_download", small.mission, export=export.uuid)).status_code == 404  # not ready
    export_run(export.pk)
    status = c.get(url("export_status", small.mission, export=export.uuid)).content.decode()
    assert "Download" in status and "every 2s" not in status
    download = c.get(url("export_download", small.mission, export=export.uuid))
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert b"".join(download.streaming_content).decode("utf-8-sig").count("\n") == 6


def test_visits_export_needs_a_checklist(client, small, head_of_mission):
    response = client_for(client, head_of_mission).post(
        url("exports", small.mission), {"kind": "visits", "format": "csv"}
    )
    assert response.status_code == 200 and not Export.objects.exists()


def test_team_leader_exports_their_team_and_cannot_see_other_exports(
    client, small, head_of_mission, django_capture_on_commit_callbacks
):
    other = make_export(small, requested_by=head_of_mission.user)
    export_run(other.pk)
    leader = make_member(small.mission, Role.TEAM_LEADER, team=small.t2)
    c = client_for(client, leader)
    with (
        mock.patch("reports.exports.tasks.run_export.delay"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        c.post(url("exports", small.mission), {"kind": "visits", "format": "csv", "checklist": "opening"})
    mine = Export.objects.exclude(pk=other.pk).get()
    assert mine.team == small.t2
    assert c.get(url("export_download", small.mission, export=other.uuid)).status_code == 404
    assert c.get(url("export_status", small.mission, export=other.uuid)).status_code == 404
    assert str(other.uuid) not in c.get(url("exports", small.mission)).content.decode()


def test_observer_and_outsider_cannot_download(client, small, observer, outsider):
    export = make_export(small)
    export_run(export.pk)
    assert (
        client_for(client, observer)
        .get(url("export_download", small.mission, export=export.uuid))
        .status_code
        == 403
    )
    assert (
        client_for(client, outsider)
        .get(url("export_download", small.mission, export=export.uuid))
        .status_code
        == 404
    )


def test_large_visits_export_streams_in_chunks(small, monkeypatch):
    """More visits than one chunk: progress is reported along the way, every visit is written once."""
    import reports.exports.services as exports

    monkeypatch.setattr(exports, "CHUNK", 7)
    for n in range(30):
        file_visit(
            small.checklist.current_version,
            small.s[5],
            small.idle,
            arrived="10:00",
            answers={"Q1": "yes", "Q4": n},
        )
    progress = []
    real = exports._progress
    monkeypatch.setattr(
        exports, "_progress", lambda pk, total: lambda done: (progress.append(done), real(pk, total)(done))
    )
    export = make_export(small)
    export_run(export.pk)
    rows = read_csv(export)
    assert len(rows) == 36 and len({r[0] for r in rows[1:]}) == 35
    assert progress == [7, 14, 21, 28, 35]
