"""Bulk entry of visits from a CSV or XLSX file: paper forms typed into a spreadsheet, other tools' exports.

A mapping says which column holds the polling station's code, the observer's e-mail, the arrival and
departure, and the answer to each question (by default the column named like the question's code).
Values can be translated (Albanian “po” -> “yes”), station codes rewritten (“0002-01” -> “00021”), and a
file without times or observers can be given one arrival time or one observer for every row.

The import is all or nothing: every row is validated with the same rules as the filing API, every error
is listed by line and column, and only a file without errors is written, in bulk, in one transaction.
Each row's visit UUID comes from a UUID column or is derived from the row's content, so importing the
same file twice stores it once.
"""

import codecs
import csv
import datetime
import hashlib
import io
import re
import uuid
import zoneinfo
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import BinaryIO

import re2
from django.conf import settings
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.db.models.functions import Lower
from django.template.defaultfilters import filesizeformat
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from python_calamine import CalamineError, CalamineWorkbook

from config.problems import RowError
from missions.audit_trail import audit_record
from missions.models import Member, Mission
from polling import visits as visit_service
from polling.models import Answer, Channel, ChecklistVersion, Question, Visit, VisitRevision
from polling.stations.importing.tables import xlsx_too_big
from polling.stations.importing.uploads import STALE_AFTER

MAX_ROWS = 100_000
SUFFIXES = (".csv", ".xlsx")
MULTIPLE_SEPARATORS = re.compile(r"[;|,]")
ALL_QUESTIONS = "*"
GROUP_REFERENCE = re.compile(r"\\(?:g<)?(\d+)")
FIELD_TARGETS = ("station", "observer", "arrived", "departed", "notes", "assessment", "uuid")
# Derived visit UUIDs: uuid5 of the mission, checklist and the row's cells under this namespace.
IMPORT_NAMESPACE = uuid.UUID("5b0e7f7c-3d2a-4a57-9a53-0b7c1d3c9e21")
DATETIME_FORMATS = ("%d.%m.%Y %H:%M", "%d/%m/%Y %H:%M", "%d.%m.%Y %H:%M:%S", "%d/%m/%Y %H:%M:%S")


class VisitImportInvalid(visit_service.FilingError):
    """The file or the mapping has errors; nothing was written. `errors` lists every one."""

    def __init__(self, errors: list["RowError"]):
        super().__init__(
            _("Nothing was imported: the file has %(count)s errors.") % {"count": len(errors)}, errors
        )
        self.errors = errors


# ---------------------------------------------------------------------------
# Reading the file.
# ---------------------------------------------------------------------------


@dataclass
class Table:
    headers: list[str]
    rows: list[tuple[int, list[str]]]  # (line, cells), blank rows left out
    file_name: str = ""  # for the audit trail
    sha256: str = ""

    def column(self, cells: list[str], name: str | None) -> str:
        if not name:
            return ""
        index = self.headers.index(name)
        return cells[index] if index < len(cells) else ""


def _header_names(cells: list[str]) -> list[str]:
    while cells and not cells[-1].strip():
        cells = cells[:-1]
    names, seen = [], {}
    for position, cell in enumerate(cells, start=1):
        name = cell.strip() or _("Column %(number)s") % {"number": position}
        seen[name.lower()] = seen.get(name.lower(), 0) + 1
        names.append(name if seen[name.lower()] == 1 else f"{name} ({seen[name.lower()]})")
    return names


def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.isoformat(sep=" ", timespec="minutes")
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def _table(records: Iterable[list[str]]) -> Table:
    headers, rows, with_nul = None, [], []
    for line, cells in enumerate(records, start=1):
        if any("\x00" in cell for cell in cells):  # PostgreSQL text cannot store it
            with_nul.append(RowError(line, "", _("Remove the NUL character (\\u0000): text cannot hold it.")))
        if headers is None:
            if any(cell.strip() for cell in cells):
                headers = _header_names(cells)
            continue
        if any(cell.strip() for cell in cells):
            rows.append((line, [cell.strip() for cell in cells]))
        if len(rows) > MAX_ROWS:
            raise VisitImportInvalid(
                [RowError(line, "", _("Import at most %(max)s rows at a time.") % {"max": MAX_ROWS})]
            )
    if headers is None:
        raise VisitImportInvalid([RowError(1, "", _("The file is empty."))])
    if with_nul:
        raise VisitImportInvalid(with_nul)
    return Table(headers, rows)


def too_large_message() -> str:
    limit = filesizeformat(settings.VISIT_IMPORT_MAX_BYTES)
    return _("The file is larger than %(limit)s: split it.") % {"limit": limit}


def read_table(file: BinaryIO, name: str) -> Table:
    """The first sheet of an .xlsx, or a UTF-8 .csv (comma, semicolon or tab separated)."""
    suffix = name.lower().rsplit(".", 1)[-1] if "." in name else ""
    file.seek(0)
    max_bytes = settings.VISIT_IMPORT_MAX_BYTES
    data = file.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise VisitImportInvalid([RowError(1, "", too_large_message())])
    if suffix == "xlsx":
        try:
            if xlsx_too_big(io.BytesIO(data), max_bytes):  # a small file may unpack to gigabytes
                raise ValueError(_("it unpacks to an unreasonable size"))
            workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
            sheet = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
        except (CalamineError, ValueError, OSError, IndexError) as error:
            raise VisitImportInvalid(
                [RowError(1, "", _("This is not a readable .xlsx workbook (%s).") % error)]
            ) from None
        return _with_source(_table([_cell_text(cell) for cell in row] for row in sheet), name, data)
    if suffix != "csv":
        raise VisitImportInvalid([RowError(1, "", _("Upload a .csv or .xlsx file."))])
    if data.startswith(codecs.BOM_UTF8):
        data = data[len(codecs.BOM_UTF8) :]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise VisitImportInvalid(
            [RowError(line, "", _("The file is not UTF-8 here. Save it as “CSV UTF-8” and upload it again."))]
        ) from None
    first_line = text.split("\n", 1)[0]
    delimiter = max(",;\t", key=first_line.count)
    try:
        return _with_source(
            _table(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)), name, data
        )
    except csv.Error as error:
        raise VisitImportInvalid([RowError(1, "", _("The file cannot be read as CSV: %s") % error)]) from None


def _with_source(table: Table, name: str, data: bytes) -> Table:
    table.file_name, table.sha256 = name, hashlib.sha256(data).hexdigest()
    return table


# ---------------------------------------------------------------------------
# The mapping.
# ---------------------------------------------------------------------------


@dataclass
class ImportMapping:
    """Where each part of a visit comes from. Column names are the file's header cells."""

    station: str
    station_rewrites: list[tuple["re2._Regexp", str]] = field(default_factory=list)
    observer: str | None = None  # a column of e-mail addresses ...
    observer_email: str | None = None  # ... or one observer for every row
    arrived: str | None = None  # a column (date and time, or HH:MM on `visit_date`) ...
    arrived_at: datetime.datetime | None = None  # ... or one arrival for every row
    departed: str | None = None
    notes: str | None = None
    assessment: str | None = None
    uuid: str | None = None
    questions: dict[str, str] = field(default_factory=dict)  # question code -> column
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # target -> raw (casefolded) -> value
    time_zone: datetime.tzinfo = datetime.UTC  # for times written without a UTC offset
    visit_date: datetime.date | None = None  # for times written without a date

    def columns(self) -> dict[str, str]:
        """target -> column, for every mapped column."""
        mapped = {name: getattr(self, name) for name in FIELD_TARGETS if getattr(self, name)}
        mapped.update(self.questions)
        return mapped

    def rewrite_station(self, code: str) -> str:
        for pattern, replacement in self.station_rewrites:
            match = pattern.fullmatch(code)
            if match:
                return match.expand(replacement)
        return code

    def translate(self, target: str, raw: str) -> str:
        for key in (target, ALL_QUESTIONS if target != "assessment" else None):
            table = self.values.get(key) if key else None
            if table is not None and raw.casefold() in table:
                return table[raw.casefold()]
        return raw


def parse_value_map(lines: Iterable[str]) -> dict[str, dict[str, str]]:
    """Lines “target: raw = value”; target is a question code, “assessment” or * (every question).
    An empty value means “not answered”. Raises ValueError naming the first malformed line."""
    values: dict[str, dict[str, str]] = {}
    for line in lines:
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        target, colon, rest = line.partition(":")
        raw, equals, value = rest.partition("=")
        if not colon or not equals or not target.strip() or not raw.strip():
            raise ValueError(
                _("“%(line)s” is not of the form “target: raw = value”.") % {"line": line.strip()}
            )
        values.setdefault(target.strip(), {})[raw.strip().casefold()] = value.strip()
    return values


REWRITE_PATTERN_MAX = 200


def parse_rewrites(lines: Iterable[str]) -> list[tuple["re2._Regexp", str]]:
    """Lines “pattern => replacement” (a regular expression matching the whole code; \\1 for groups)."""
    rules = []
    for line in lines:
        if not line.strip():
            continue
        pattern, arrow, replacement = line.partition("=>")
        if not arrow or not pattern.strip():
            raise ValueError(
                _("“%(line)s” is not of the form “pattern => replacement”.") % {"line": line.strip()}
            )
        if len(pattern.strip()) > REWRITE_PATTERN_MAX:
            raise ValueError(
                _("A pattern has at most %(limit)s characters.") % {"limit": REWRITE_PATTERN_MAX}
            )
        try:
            # RE2 matches in time linear in the code's length, whatever the pattern: a pattern typed on
            # the import page, such as (a+)+$, cannot hold a web worker (Python's re backtracks for ever).
            compiled = re2.compile(pattern.strip())
        except re2.error as error:
            raise ValueError(
                _("“%(pattern)s” is not a valid pattern: %(error)s")
                % {"pattern": pattern.strip(), "error": error}
            ) from None
        groups = [int(number) for number in GROUP_REFERENCE.findall(replacement)]
        if any(number > compiled.groups for number in groups):
            raise ValueError(
                _("“%(line)s” refers to a group the pattern does not have.") % {"line": line.strip()}
            )
        rules.append((compiled, replacement.strip()))
    return rules


def parse_moment(
    text: str, *, time_zone: datetime.tzinfo, visit_date: datetime.date | None
) -> datetime.datetime | None:
    """A cell's date and time: ISO 8601 (with or without offset), 25.06.2017 07:30, or 07:30 on `visit_date`.
    Times without an offset are in `time_zone`. None when it cannot be read."""
    text = text.strip()
    if not text:
        return None
    only_time = visit_service.clean_time(text)
    if only_time is not None:
        if visit_date is None:
            return None
        hours, minutes = map(int, only_time.split(":"))
        return datetime.datetime.combine(visit_date, datetime.time(hours, minutes), tzinfo=time_zone)
    try:
        moment = parse_datetime(text)
    except ValueError:
        moment = None
    if moment is None:
        for pattern in DATETIME_FORMATS:
            try:
                moment = datetime.datetime.strptime(text, pattern)  # noqa: DTZ007 (made aware below)
                break
            except ValueError:
                continue
    if moment is None:
        return None
    return timezone.make_aware(moment, time_zone) if timezone.is_naive(moment) else moment


def get_time_zone(name: str) -> datetime.tzinfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise ValueError(_("“%(name)s” is not a time zone, e.g. Europe/Tirane.") % {"name": name}) from None


# ---------------------------------------------------------------------------
# The import.
# ---------------------------------------------------------------------------


@dataclass
class ImportResult:
    rows: int
    created: int
    duplicates: int
    dry_run: bool = False


@dataclass
class _Row:
    line: int
    uuid: uuid.UUID
    member: Member
    station_id: int
    clean_fields: dict
    answers: dict
    content: dict
    digest: str


def _check_mapping(table: Table, mapping: ImportMapping, spec: visit_service.VersionSpec) -> list[RowError]:
    errors = []
    for target, column in mapping.columns().items():
        if column not in table.headers:
            errors.append(RowError(1, column, _("The file has no column “%(column)s”.") % {"column": column}))
        if target not in FIELD_TARGETS and target not in spec.by_code:
            errors.append(
                RowError(1, column, _("The checklist has no question %(code)s.") % {"code": target})
            )
    if not mapping.observer and not mapping.observer_email:
        errors.append(RowError(1, "", _("Choose the observer's column, or one observer for the whole file.")))
    if not mapping.arrived and not mapping.arrived_at:
        errors.append(
            RowError(1, "", _("Choose the arrival time's column, or one arrival time for the whole file."))
        )
    unknown = set(mapping.values) - set(spec.by_code) - {ALL_QUESTIONS, "assessment"}
    errors += [
        RowError(1, "", _("The value map names no question %(code)s.") % {"code": code})
        for code in sorted(unknown)
    ]
    return errors


def _choice_value(question: visit_service.QuestionSpec, value: str) -> str:
    """An option's value, also when the cell holds its label or another capitalisation."""
    if value in question.options or not value:
        return value
    folded = value.casefold()
    for option in question.options.values():
        if folded in (option.value.casefold(), option.label.casefold()):
            return option.value
    return value


def _answers_of(
    table: Table, cells: list[str], mapping: ImportMapping, spec: visit_service.VersionSpec
) -> dict:
    answers = {}
    for code, column in mapping.questions.items():
        question = spec.by_code.get(code)
        if question is None:
            continue
        raw = table.column(cells, column)
        if question.type == Question.Type.MULTIPLE:
            items = [
                mapping.translate(code, item.strip())
                for item in MULTIPLE_SEPARATORS.split(raw)
                if item.strip()
            ]
            answers[code] = [_choice_value(question, item) for item in items if item]
        else:
            value = mapping.translate(code, raw)
            answers[code] = _choice_value(question, value) if question.has_options else value
    return answers


def _moment_cell(table, cells, mapping, column, fixed, line, errors) -> str | None:
    if not column:
        return fixed.isoformat() if fixed else None
    text = table.column(cells, column)
    moment = parse_moment(text, time_zone=mapping.time_zone, visit_date=mapping.visit_date)
    if text and moment is None:
        errors.append(RowError(line, column, _("“%(value)s” is not a date and time.") % {"value": text[:40]}))
    return moment.isoformat() if moment else None


def _derived_uuid(mission: Mission, version: ChecklistVersion, cells: list[str]) -> uuid.UUID:
    return uuid.uuid5(IMPORT_NAMESPACE, "\x1f".join([str(mission.pk), version.checklist.code, *cells]))


def _parse_rows(
    *, mission: Mission, version: ChecklistVersion, table: Table, mapping: ImportMapping
) -> tuple[list[_Row], list[RowError]]:
    spec = visit_service.version_spec(version)
    errors = _check_mapping(table, mapping, spec)
    if errors:
        return [], errors
    codes = {mapping.rewrite_station(table.column(cells, mapping.station)) for _line, cells in table.rows}
    stations = dict(mission.stations.filter(code__in=codes).values_list("code", "pk"))
    window = visit_service.Window.for_mission(mission)
    members = (
        mission.members.filter(is_active=True).select_related("user").annotate(email=Lower("user__email"))
    )
    if mapping.observer:
        emails = {table.column(cells, mapping.observer).lower() for _line, cells in table.rows}
        members_by_email = {m.email: m for m in members.filter(email__in=emails)}
    else:
        fixed = members.filter(email=mapping.observer_email.lower()).first()
        if fixed is None:
            return [], [
                RowError(
                    1, "", _("%(email)s is not a member of this mission.") % {"email": mapping.observer_email}
                )
            ]
    column_of = dict(mapping.questions)
    field_column = {
        "arrived_at": mapping.arrived or _("arrival"),
        "departed_at": mapping.departed,
        "notes": mapping.notes,
        "assessment": mapping.assessment,
    }
    rows, seen = [], {}
    for line, cells in table.rows:
        row_errors: list[RowError] = []
        raw_code = table.column(cells, mapping.station)
        code = mapping.rewrite_station(raw_code)
        station_id = stations.get(code)
        if station_id is None:
            shown = code if code == raw_code else f"{raw_code} → {code}"
            row_errors.append(
                RowError(
                    line, mapping.station, _("No polling station %(code)s in this mission.") % {"code": shown}
                )
            )
        if mapping.observer:
            email = table.column(cells, mapping.observer).lower()
            member = members_by_email.get(email)
            if member is None:
                row_errors.append(
                    RowError(
                        line,
                        mapping.observer,
                        _("%(email)s is not a member of this mission.") % {"email": email or "—"},
                    )
                )
        else:
            member = fixed
        payload = {
            "arrived_at": _moment_cell(
                table, cells, mapping, mapping.arrived, mapping.arrived_at, line, row_errors
            ),
            "departed_at": _moment_cell(table, cells, mapping, mapping.departed, None, line, row_errors),
            "notes": table.column(cells, mapping.notes),
            "assessment": mapping.translate("assessment", table.column(cells, mapping.assessment)),
        }
        fields, field_errors = visit_service.clean_fields(payload, window=window)
        unreadable = {error.column for error in row_errors}
        for name, messages in field_errors.items():
            column = field_column.get(name) or name
            if column not in unreadable:  # an unreadable time is reported once, not again as “required”
                row_errors += [RowError(line, column, message) for message in messages]
        answers, answer_errors = visit_service.validate_answers(
            spec, _answers_of(table, cells, mapping, spec)
        )
        row_errors += [
            RowError(line, column_of.get(code, code), m) for code, ms in answer_errors.items() for m in ms
        ]
        row_uuid = (
            visit_service.parse_uuid(table.column(cells, mapping.uuid))
            if mapping.uuid
            else _derived_uuid(mission, version, cells)
        )
        if row_uuid is None:
            row_errors.append(RowError(line, mapping.uuid, _("This is not a UUID.")))
        elif row_uuid in seen:
            row_errors.append(
                RowError(
                    line, mapping.uuid or "", _("This row repeats line %(line)s.") % {"line": seen[row_uuid]}
                )
            )
        else:
            seen[row_uuid] = line
        if row_errors:
            errors += row_errors
            continue
        content = visit_service.build_content(spec, station=code, fields=fields, answers=answers)
        rows.append(
            _Row(
                line,
                row_uuid,
                member,
                station_id,
                fields,
                answers,
                content,
                visit_service.content_hash(content),
            )
        )
    return rows, errors


def _already_stored(mission: Mission, rows: list[_Row]) -> tuple[set[uuid.UUID], list[RowError]]:
    """UUIDs already stored with the same content (skipped), and rows whose UUID holds other content."""
    by_uuid = {row.uuid: row for row in rows}
    stored = Visit.objects.filter(uuid__in=list(by_uuid)).values_list(
        "pk", "uuid", "mission_id", "content_hash"
    )
    duplicates, errors = set(), []
    mismatched = {}
    for pk, visit_uuid, mission_id, digest in stored:
        row = by_uuid[visit_uuid]
        if mission_id == mission.pk and digest == row.digest:
            duplicates.add(visit_uuid)
        elif mission_id == mission.pk:
            mismatched[pk] = row
        else:
            errors.append(RowError(row.line, "", _("This visit's UUID is already used by another visit.")))
    for visit_id, content in VisitRevision.objects.filter(visit_id__in=list(mismatched)).values_list(
        "visit_id", "content"
    ):
        if visit_service.content_hash(content) == mismatched[visit_id].digest:
            duplicates.add(mismatched.pop(visit_id).uuid)
    errors += [
        RowError(
            row.line,
            "",
            _("This row was imported before with other content; the stored visit was not changed."),
        )
        for row in mismatched.values()
    ]
    return duplicates, errors


def visit_import(
    *,
    mission: Mission,
    version: ChecklistVersion,
    table: Table,
    mapping: ImportMapping,
    user=None,
    dry_run: bool = False,
    request=None,
) -> ImportResult:
    """Validate every row, then store all of them or none (VisitImportInvalid lists every error).

    1. Look up the stations and observers of all rows with one query each.
    2. Validate each row like the filing API (show-if rules, required questions, ranges, options).
    3. Rows whose UUID is already stored with the same content are skipped; other content is an error.
    4. Insert visits, answers and first revisions with multi-row INSERTs in one transaction.
    """
    if mission.is_closed:
        raise visit_service.VisitForbidden(_("The mission is closed: visits can no longer be imported."))
    rows, errors = _parse_rows(mission=mission, version=version, table=table, mapping=mapping)
    duplicates, stored_errors = _already_stored(mission, rows) if rows else (set(), [])
    errors += stored_errors
    if errors:
        raise VisitImportInvalid(sorted(errors, key=lambda error: error.line))
    new_rows = [row for row in rows if row.uuid not in duplicates]
    if dry_run:
        return ImportResult(len(table.rows), len(new_rows), len(duplicates), dry_run=True)
    spec = visit_service.version_spec(version)
    try:
        with transaction.atomic():
            visits = Visit.objects.bulk_create(
                [
                    Visit(
                        uuid=row.uuid,
                        mission=mission,
                        checklist_version=version,
                        station_id=row.station_id,
                        observer=row.member,
                        team_id=row.member.team_id,
                        content_hash=row.digest,
                        revision=1,
                        **row.clean_fields,
                    )
                    for row in new_rows
                ],
                batch_size=1000,
            )
            answers: list[Answer] = []
            for visit, row in zip(visits, new_rows, strict=True):
                answers += visit_service.answer_rows(spec, row.answers, visit.pk)
            Answer.objects.bulk_create(answers, batch_size=5000)
            VisitRevision.objects.bulk_create(
                [
                    VisitRevision(
                        visit=visit,
                        number=1,
                        user=user,
                        channel=Channel.IMPORT,
                        content=row.content,
                        changes={},
                    )
                    for visit, row in zip(visits, new_rows, strict=True)
                ],
                batch_size=1000,
            )
            audit_record(
                action="visits.import",
                actor=user,
                mission=mission,
                target=version,
                changes={
                    "file_name": [None, table.file_name],
                    "sha256": [None, table.sha256],
                    "rows": [None, len(table.rows)],
                    "created": [None, len(new_rows)],
                    "duplicates": [None, len(duplicates)],
                },
                request=request,
            )
    except IntegrityError:
        raise VisitImportInvalid(
            [
                RowError(
                    1,
                    "",
                    _("Some of these visits were stored meanwhile by another import: run the import again."),
                )
            ]
        ) from None
    return ImportResult(len(table.rows), len(new_rows), len(duplicates))


def default_question_columns(table: Table, spec: visit_service.VersionSpec) -> dict[str, str]:
    """Question code -> column, for columns named like a question's code (case does not matter)."""
    by_name = {header.casefold(): header for header in table.headers}
    return {q.code: by_name[q.code.casefold()] for q in spec.questions if q.code.casefold() in by_name}


def mapping_from_targets(
    targets: Mapping[str, str],
    *,
    table: Table,
    spec: visit_service.VersionSpec,
    **options,
) -> ImportMapping:
    """An ImportMapping from “target -> column” pairs (the command's --map), questions auto-mapped by name."""
    questions = default_question_columns(table, spec)
    fields = {}
    for target, column in targets.items():
        if target in FIELD_TARGETS:
            fields[target] = column
        else:
            questions[target] = column
    if "station" not in fields:
        raise ValueError(_("Say which column holds the polling station's code (station=COLUMN)."))
    return ImportMapping(questions=questions, **fields, **options)


def visit_upload_dir(mission: Mission) -> str:
    """Where a visit file waits (in the uploader's session) between its upload and the mapping step."""
    return f"visit-uploads/{mission.code}"


def visit_uploads_purge(*, mission: Mission) -> int:
    """Files nobody finished mapping within a day are deleted when the next one arrives (as station files
    are); returns how many."""
    folder = visit_upload_dir(mission)
    try:
        _dirs, names = default_storage.listdir(folder)
    except FileNotFoundError:
        return 0
    cutoff = timezone.now() - STALE_AFTER
    purged = 0
    for name in names:
        path = f"{folder}/{name}"
        if default_storage.get_modified_time(path) < cutoff:
            default_storage.delete(path)
            purged += 1
    return purged
