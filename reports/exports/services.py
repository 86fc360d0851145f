"""CSV and XLSX exports of a mission's visits and per-question results.

Requested from the exports page, written by the worker (reports/exports/tasks.py), downloaded
through an access-checked view. The export is streamed: visits come from a
server-side cursor in chunks, each with its answers already folded into one JSON
object by PostgreSQL, and rows go straight to a temporary file that is moved into
place when complete. Memory stays flat whatever the number of visits.

Spreadsheet safety: a text cell starting with = + - @ tab or carriage return is
prefixed with an apostrophe, so Excel or LibreOffice shows it instead of running it.
"""

from __future__ import annotations

import csv
import datetime
import json
import logging
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path

from django.db import transaction
from django.db.models import Q
from django.db.models.expressions import RawSQL
from django.utils import timezone
from django.utils.translation import gettext as _

from config.celery import enqueue_on_commit
from config.db import on_postgresql
from config.problems import UserError
from config.spreadsheets import escape_cell
from missions.audit_trail import audit_record
from missions.models import AREA_LEVEL_SEPARATOR, Mission, Team
from polling.models import Checklist
from reports.models import Export
from reports.results.selectors import question_results, visits_for
from reports.results.selectors.meta import question_meta

log = logging.getLogger(__name__)

CHUNK = 2000


RUN_EXPORT = "reports.exports.tasks.run_export"  # the task that writes an export


class ExportError(UserError):
    """The export cannot be made (e.g. its checklist is gone); shown to the person who asked."""


# --- Requesting ------------------------------------------------------------------------------


def export_request(
    *,
    mission: Mission,
    user,
    kind: str,
    fmt: str,
    checklist: Checklist | None = None,
    team: Team | None = None,
    breakdown: int | None = None,
    request=None,
) -> Export:
    """Record the export and queue it once the row is committed."""
    if kind == Export.Kind.VISITS and checklist is None:
        raise ExportError(_("Choose the checklist whose visits to export."))
    with transaction.atomic():
        export = Export.objects.create(
            mission=mission,
            requested_by=user,
            kind=kind,
            format=fmt,
            checklist=checklist,
            team=team,
            breakdown=breakdown,
        )
        audit_record(
            action="export.request",
            actor=user,
            mission=mission,
            target=export,
            changes={
                "kind": [None, kind],
                "format": [None, fmt],
                "checklist": [None, checklist.code if checklist else None],
                "team": [None, team.name if team else None],
                "breakdown": [None, breakdown],
            },
            request=request,
        )
        enqueue_on_commit(RUN_EXPORT, export.pk)
    return export


# --- Running ---------------------------------------------------------------------------------------


def export_run(export_id: int) -> bool:
    """Claim a pending export, write it, and mark it done or failed. Returns False if someone else has it.

    1. Claim: a conditional update from pending to running; 0 rows means another
       worker took it (or it is finished): nothing to do, safe to run twice.
    2. Write the rows to a temporary file in the export directory, updating progress
       and the heartbeat every chunk.
    3. Move the file into place (atomic rename) and record it with status done in one update.
    """
    now = timezone.now()
    claimed = Export.objects.filter(pk=export_id, status=Export.Status.PENDING).update(
        status=Export.Status.RUNNING, started_at=now, heartbeat_at=now, progress=0, error=""
    )
    if not claimed:
        return False
    export = Export.objects.select_related("mission", "checklist", "team").get(pk=export_id)
    Export.objects.filter(pk=export.pk).update(attempts=export.attempts + 1)
    storage = export.file.storage
    directory = Path(storage.path(f"{now:%Y/%m}"))
    directory.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=directory, prefix=".tmp-", suffix="." + export.format)
    os.close(fd)
    try:
        with export.mission.local_time():  # times in the file are the mission's local times
            header, rows, total = build_rows(export)
            written = write_file(tmp, export.format, header, rows, total, _progress(export.pk, total))
        name = f"{now:%Y/%m}/{export.uuid}.{export.format}"
        os.replace(tmp, storage.path(name))
    except ExportError as exc:
        _fail(export, str(exc), tmp)
        return True
    except Exception as exc:
        _fail(export, _("The export failed: %(error)s") % {"error": exc.__class__.__name__}, tmp)
        raise
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.DONE,
        file=name,
        rows=written,
        progress=100,
        finished_at=timezone.now(),
        heartbeat_at=timezone.now(),
    )
    return True


def _fail(export: Export, message: str, tmp: str) -> None:
    if os.path.exists(tmp):
        os.unlink(tmp)
    Export.objects.filter(pk=export.pk).update(
        status=Export.Status.FAILED, error=message, finished_at=timezone.now()
    )


def _progress(export_id: int, total: int) -> Callable[[int], None]:
    def report(done: int) -> None:
        percent = min(99, int(done * 100 / total)) if total else 99
        Export.objects.filter(pk=export_id).update(progress=percent, heartbeat_at=timezone.now())

    return report


def write_file(path: str, fmt: str, header: list, rows: Iterable[list], total: int, progress) -> int:
    """Write header and rows as CSV or XLSX; call progress(n) every CHUNK rows. Returns the row count."""
    n = 0
    if fmt == Export.Format.CSV:
        with open(path, "w", newline="", encoding="utf-8-sig") as f:
            writer = csv.writer(f)
            writer.writerow([escape_cell(c) for c in header])
            for row in rows:
                writer.writerow([escape_cell(c) for c in row])
                n += 1
                if n % CHUNK == 0:
                    progress(n)
        return n
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    ws.append([escape_cell(_xlsx_value(c)) for c in header])
    for row in rows:
        ws.append([escape_cell(_xlsx_value(c)) for c in row])
        n += 1
        if n % CHUNK == 0:
            progress(n)
    wb.save(path)
    return n


def _xlsx_value(value):
    if isinstance(value, datetime.datetime):
        return timezone.localtime(value).replace(tzinfo=None)  # Excel has no time zones
    if isinstance(value, str):
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        return ILLEGAL_CHARACTERS_RE.sub("", value)  # XLSX cannot hold most control characters
    return value


def build_rows(export: Export) -> tuple[list, Iterator[list], int]:
    if export.kind == Export.Kind.VISITS:
        if export.checklist is None:
            raise ExportError(_("The checklist of this export no longer exists."))
        return visit_rows(export.mission, export.checklist, team=export.team)
    return result_rows(export.mission, team=export.team, breakdown=export.breakdown)


# --- Visits: one row per visit, one column per question code -----------------------------------------

ANSWERS_JSON = """
SELECT json_object_agg(x.code, x.val) FROM (
  SELECT q.code, string_agg(COALESCE(o.value, trim_scale(a.number)::text, a.text), '; '
                            ORDER BY o."order", o.id) AS val
    FROM polling_answer a
    JOIN polling_question q ON q.id = a.question_id
    LEFT JOIN polling_option o ON o.id = a.option_id
   WHERE a.visit_id = polling_visit.id
   GROUP BY q.code
) x
"""


# SQLite (laptop demo): the same object; group_concat has no ORDER BY before 3.44, so the rows are sorted first.
ANSWERS_JSON_SQLITE = """
SELECT json_group_object(x.code, x.val) FROM (
  SELECT y.code, group_concat(y.val, '; ') AS val FROM (
    SELECT q.code, COALESCE(o.value, CAST(a.number AS TEXT), a.text) AS val
      FROM polling_answer a
      JOIN polling_question q ON q.id = a.question_id
      LEFT JOIN polling_option o ON o.id = a.option_id
     WHERE a.visit_id = polling_visit.id
     ORDER BY q.code, o."order", o.id
  ) y
  GROUP BY y.code
) x
"""


def visit_rows(mission: Mission, checklist: Checklist, *, team: Team | None = None):
    codes = [m.code for m in question_meta(mission, checklist=checklist)]
    levels = list(mission.area_levels or []) or [_("Area")]
    header = [
        "visit",
        "checklist_version",
        "station_code",
        "station_name",
        *levels,
        "team",
        "observer",
        "observer_country",
        "arrived_at",
        "departed_at",
        "assessment",
        "review_status",
        *codes,
    ]
    postgres = on_postgresql()
    visits = (
        visits_for(mission, team=team)
        .filter(checklist_version__checklist=checklist)
        .select_related("checklist_version", "station__area", "team", "observer__user")
        .annotate(answers_json=RawSQL(ANSWERS_JSON if postgres else ANSWERS_JSON_SQLITE, []))  # noqa: S611
        .order_by("arrived_at", "pk")
    )
    total = visits.count()

    def rows():
        for v in visits.iterator(chunk_size=CHUNK):
            answers = (v.answers_json if postgres else json.loads(v.answers_json or "null")) or {}
            area = v.station.area.path.split(AREA_LEVEL_SEPARATOR) if v.station.area_id else []
            yield [
                str(v.uuid),
                v.checklist_version.number,
                v.station.code,
                v.station.name,
                *[area[i] if i < len(area) else "" for i in range(len(levels))],
                v.team.name if v.team_id else "",
                str(v.observer.user),
                v.observer.country,
                _iso(v.arrived_at),
                _iso(v.departed_at),
                v.assessment,
                v.review_status,
                *[answers.get(code, "") for code in codes],
            ]

    return header, rows(), total


def _iso(value: datetime.datetime | None) -> str:
    return timezone.localtime(value).isoformat(timespec="minutes") if value else ""


# --- Results: one row per option (or number summary) per question, optionally per group ----------------


def result_rows(mission: Mission, *, team: Team | None = None, breakdown: int | None = None):
    by_team = breakdown == 0 and team is None
    level = breakdown if breakdown and breakdown > 0 else None
    results = question_results(mission, team=team, area_level=level, by_team=by_team)
    header = [
        "checklist",
        "question",
        "question_text",
        "type",
        "group",
        "answered",
        "answer",
        "answer_label",
        "visits",
        "percent",
        "minimum",
        "median",
        "maximum",
    ]
    rows = []
    for r in results:
        groups = [("", r.answered, r.options, r.numbers, r.negative)]
        groups += [(g.label, g.answered, g.options, g.numbers, g.negative) for g in r.breakdown]
        for label, answered, options, numbers, negative in groups:
            base = [r.checklist_code, r.code, r.text, r.type, label, answered]
            for o in options:
                rows.append([*base, o.value, o.label, o.share.count, o.share.percent_1, "", "", ""])
            if negative is not None:
                rows.append(
                    [
                        *base,
                        "negative",
                        _("Negative assessment"),
                        negative.count,
                        negative.percent_1,
                        "",
                        "",
                        "",
                    ]
                )
            if numbers is not None:
                rows.append(
                    [*base, "", "", numbers.count, "", numbers.minimum, numbers.median, numbers.maximum]
                )
            if not options and numbers is None:
                rows.append([*base, "", "", answered, "", "", "", ""])
    return header, iter(rows), len(rows)


# --- Sweeping ------------------------------------------------------------------------------------------------


def exports_sweep(
    *, stuck_after: datetime.timedelta = datetime.timedelta(minutes=10), max_attempts: int = 3
) -> list[int]:
    """Put back exports whose worker died (old heartbeat) or that were never picked up; returns their ids."""
    now = timezone.now()
    stuck = Export.objects.filter(status=Export.Status.RUNNING, heartbeat_at__lt=now - stuck_after)
    Export.objects.filter(pk__in=stuck.filter(attempts__gte=max_attempts).values("pk")).update(
        status=Export.Status.FAILED, error=_("The export was interrupted too many times."), finished_at=now
    )
    requeue = list(stuck.filter(attempts__lt=max_attempts).values_list("pk", flat=True))
    Export.objects.filter(pk__in=requeue, status=Export.Status.RUNNING).update(status=Export.Status.PENDING)
    forgotten = Export.objects.filter(status=Export.Status.PENDING, created_at__lt=now - stuck_after)
    requeue += list(forgotten.exclude(pk__in=requeue).values_list("pk", flat=True))
    return requeue


def visible_exports(mission: Mission, *, team: Team | None = None):
    exports = Export.objects.filter(mission=mission).select_related("checklist", "team", "requested_by")
    if team is not None:
        exports = exports.filter(Q(team=team))
    return exports
