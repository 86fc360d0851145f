"""Checking a whole station file, then importing it in one transaction.

1. Check: read every row, collect every error (line, column, message). Codes are
   remembered to catch duplicates, area paths to create the hierarchy later.
2. If there is any error, raise StationFileInvalid: nothing has been written.
3. Otherwise, in one transaction: lock the mission (one import at a time), create
   the missing areas level by level, read the file a second time and upsert the
   stations by code. Re-importing updates stations in place (their primary keys, and
   so team plans and visits, survive) and never duplicates them.

On PostgreSQL the stations go through COPY into a temporary table and one
INSERT ... ON CONFLICT: bulk_create spends most of its time building model objects,
and this path stays within 3x of a bare COPY for the 176,623 Nigerian polling units
(see bench/import_stations.py). Other databases use bulk_create(update_conflicts=True).
"""

import hashlib
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from config.db import on_postgresql
from missions.audit_trail import audit_record, diff
from missions.models import AREA_LEVEL_SEPARATOR, Mission
from polling.models import Area, PollingStation
from polling.stations.importing.errors import RowError, StationFileInvalid
from polling.stations.importing.mapping import FIELD_LABELS, REQUIRED_FIELDS, Mapping
from polling.stations.importing.rows import RowCleaner, Station
from polling.stations.importing.tables import Table

MAX_ERRORS = 10_000  # kept for display; every error is still counted
PROGRESS_EVERY = 2_000
GENERIC_BATCH = 500
VALUE_FIELDS = ("name", "address", "area_id", "latitude", "longitude", "registered_voters")

# progress(stage, done, total): stage "check" counts table units (bytes or rows), "write" counts stations.
Progress = Callable[[str, int, int], None]
AreaIds = dict[tuple[str, ...], int]


@dataclass
class CheckResult:
    row_count: int = 0
    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0
    area_paths: set[tuple[str, ...]] = field(default_factory=set)
    max_depth: int = 0


@dataclass(frozen=True)
class ImportResult:
    created: int
    updated: int
    unchanged: int
    areas_created: int

    @property
    def total(self) -> int:
        return self.created + self.updated + self.unchanged


def mapping_errors(
    mapping: Mapping, headers: list[str], *, level_names: list[str], line: int = 1
) -> list[RowError]:
    """Problems with the mapping itself, reported on the header line."""
    errors = []
    for name in REQUIRED_FIELDS:
        if not mapping.columns(name):
            errors.append(
                RowError(
                    line,
                    name,
                    _("The file has no column for the %(field)s. Name a column “%(name)s” or map one to it.")
                    % {"field": str(FIELD_LABELS[name]).lower(), "name": name},
                )
            )
    area_headers = ", ".join(headers[position] for position in mapping.area)
    if len(set(mapping.area)) != len(mapping.area):
        errors.append(RowError(line, area_headers, _("The same column is chosen twice for the area.")))
    if level_names and len(mapping.area) > len(level_names):
        errors.append(
            RowError(
                line,
                area_headers,
                _("%(count)s area columns are chosen but the mission has %(levels)s area levels (%(names)s).")
                % {
                    "count": len(mapping.area),
                    "levels": len(level_names),
                    "names": AREA_LEVEL_SEPARATOR.join(level_names),
                },
            )
        )
    return errors


def stations_check(
    *, mission: Mission, table: Table, mapping: Mapping, progress: Progress | None = None
) -> CheckResult:
    """Read the whole file and collect every error; writes nothing."""
    level_names = list(mission.area_levels or [])
    result = CheckResult()
    errors = mapping_errors(mapping, table.headers, level_names=level_names, line=table.header_line)
    cleaner = RowCleaner(mapping, table.headers, level_names=level_names)
    code_header = table.headers[mapping.code[-1]] if mapping.code else ""
    first_line: dict[str, int] = {}
    dropped = 0
    for line, cells in table.rows(errors):
        result.row_count += 1
        station = cleaner.clean(line, cells, errors)
        if station.code:
            first = first_line.setdefault(station.code, line)
            if first != line:
                errors.append(
                    RowError(
                        line,
                        code_header,
                        _("The code “%(code)s” is already on line %(first)s.")
                        % {"code": station.code, "first": first},
                    )
                )
        if station.area:
            result.area_paths.add(station.area)
        if len(errors) > MAX_ERRORS:
            dropped += len(errors) - MAX_ERRORS
            del errors[MAX_ERRORS:]
        if progress and result.row_count % PROGRESS_EVERY == 0:
            progress("check", table.position, table.size)
    if progress:
        progress("check", table.size, table.size)
    if result.row_count == 0:
        errors.append(RowError(table.header_line, "", _("There are no polling stations below the header.")))
    errors.sort(key=lambda error: error.line)
    result.errors = errors
    result.error_count = len(errors) + dropped
    result.max_depth = max((len(path) for path in result.area_paths), default=0)
    return result


def stations_import(
    *,
    mission: Mission,
    table: Table,
    mapping: Mapping,
    progress: Progress | None = None,
    user=None,
    file_name: str = "",
    request=None,
) -> ImportResult:
    """Import the stations of `table` into `mission`, all or nothing.

    Raises StationFileInvalid (with every error) when the file has any; the database is then untouched.
    The audit trail gets one entry for the whole file (its name, SHA-256 and counts), never one per row.
    """
    check = stations_check(mission=mission, table=table, mapping=mapping, progress=progress)
    if check.error_count:
        raise StationFileInvalid(check.errors, check.error_count, check.row_count)
    with transaction.atomic():
        locked = Mission.objects.select_for_update().get(pk=mission.pk)
        _adopt_area_levels(locked, mapping, table.headers, check.max_depth)
        mission.area_levels, mission.statement_level = locked.area_levels, locked.statement_level
        area_ids, areas_created = ensure_areas(mission, check.area_paths)
        cleaner = RowCleaner(mapping, table.headers, level_names=list(mission.area_levels))
        before = mission.stations.count()
        write = _write_postgresql if on_postgresql() else _write_generic
        changed = write(mission, _clean_again(table, cleaner), area_ids, check.row_count, progress)
        created = mission.stations.count() - before
        result = ImportResult(
            created=created,
            updated=changed - created,
            unchanged=check.row_count - changed,
            areas_created=areas_created,
        )
        audit_record(
            action="stations.import",
            actor=user,
            mission=mission,
            changes={
                "file_name": [None, file_name],
                "sha256": [None, _table_sha256(table)],
                "rows": [None, check.row_count],
                "created": [None, result.created],
                "updated": [None, result.updated],
                "unchanged": [None, result.unchanged],
                "areas_created": [None, areas_created],
            },
            request=request,
        )
    return result


# One station edited by hand (the admin): each save and delete is one audit entry with before and after.

STATION_FIELDS = ("code", "name", "address", "latitude", "longitude", "registered_voters")


def _station_state(station: PollingStation) -> dict:
    return {
        **{name: getattr(station, name) for name in STATION_FIELDS},
        "area": station.area.path if station.area_id else None,
    }


@transaction.atomic
def station_save(*, station: PollingStation, user=None, request=None) -> PollingStation:
    """Save a station changed in place (a form may already have changed `station`: before is read again)."""
    stored = (
        PollingStation.objects.select_related("area").filter(pk=station.pk).first() if station.pk else None
    )
    before = _station_state(stored) if stored else {}
    station.save()
    audit_record(
        action="stations.update" if stored else "stations.create",
        actor=user,
        mission=station.mission,
        target=station,
        changes=diff(before, _station_state(station)),
        request=request,
    )
    return station


@transaction.atomic
def station_delete(*, station: PollingStation, user=None, request=None) -> None:
    audit_record(
        action="stations.delete",
        actor=user,
        mission=station.mission,
        target=station,
        changes=diff(_station_state(station), {}),
        request=request,
    )
    station.delete()


def _table_sha256(table: Table) -> str:
    """The SHA-256 of the file behind `table`, read in blocks; the file's position is put back."""
    file = getattr(table, "_file", None)
    if file is None:
        return ""
    position = file.tell()
    file.seek(0)
    digest = hashlib.sha256()
    for block in iter(lambda: file.read(1 << 20), b""):
        digest.update(block)
    file.seek(position)
    return digest.hexdigest()


def _clean_again(table: Table, cleaner: RowCleaner) -> Iterator[Station]:
    """The second reading: the file was checked, so any error now means it changed underneath us."""
    errors: list[RowError] = []
    for line, cells in table.rows(errors):
        station = cleaner.clean(line, cells, errors)
        if errors:
            raise RuntimeError(f"The station file changed during the import: {errors[0]}")
        yield station


def _adopt_area_levels(mission: Mission, mapping: Mapping, headers: list[str], depth: int) -> None:
    """A mission without area levels takes them from the file: the area columns' headers, or Level 1..N."""
    if mission.area_levels or not depth:
        return
    names = [headers[position] for position in mapping.area] if len(mapping.area) > 1 else []
    names += [_("Level %(number)s") % {"number": number} for number in range(len(names) + 1, depth + 1)]
    mission.area_levels = names[:depth]
    mission.statement_level = min(mission.statement_level or 1, depth)
    mission.save(update_fields=["area_levels", "statement_level", "updated_at"])


def ensure_areas(mission: Mission, paths: set[tuple[str, ...]]) -> tuple[AreaIds, int]:
    """Create every missing area (and its ancestors), level by level; returns path -> id and the count created."""
    ids: AreaIds = {
        tuple(path.split(AREA_LEVEL_SEPARATOR)): pk for path, pk in mission.areas.values_list("path", "id")
    }
    wanted: dict[int, set[tuple[str, ...]]] = defaultdict(set)
    for path in paths:
        for depth in range(1, len(path) + 1):
            wanted[depth].add(path[:depth])
    created = 0
    for depth in sorted(wanted):
        new = [
            Area(
                mission=mission,
                parent_id=ids[path[:-1]] if depth > 1 else None,
                name=path[-1],
                depth=depth,
                path=AREA_LEVEL_SEPARATOR.join(path),
            )
            for path in sorted(wanted[depth])
            if path not in ids
        ]
        if not new:
            continue
        Area.objects.bulk_create(new, batch_size=1000)
        created += len(new)
        if any(area.pk is None for area in new):  # databases that cannot return ids from a bulk insert
            new = mission.areas.filter(depth=depth)
        ids.update({tuple(area.path.split(AREA_LEVEL_SEPARATOR)): area.pk for area in new})
    return ids, created


def _row_values(station: Station, area_ids: AreaIds) -> tuple:
    area_id = area_ids[station.area] if station.area else None
    return (
        station.name,
        station.address,
        area_id,
        station.latitude,
        station.longitude,
        station.registered_voters,
    )


def _write_postgresql(mission, stations: Iterable[Station], area_ids: AreaIds, total: int, progress) -> int:
    """COPY into a temporary table, then one upsert that skips unchanged rows; returns rows inserted or changed."""
    meta = PollingStation._meta
    quote = connection.ops.quote_name
    column = {
        name: quote(meta.get_field(name).column) for name in ("mission", "code", "created_at", "updated_at")
    }
    column.update({name: quote(meta.get_field(name.removesuffix("_id")).column) for name in VALUE_FIELDS})
    values = [column[name] for name in VALUE_FIELDS]
    assignments = ", ".join(f"{name} = EXCLUDED.{name}" for name in values)
    current = ", ".join(f"s.{name}" for name in values)
    incoming = ", ".join(f"EXCLUDED.{name}" for name in values)
    # Names and placeholders only: every name comes from the model (quoted), every value is a parameter.
    upsert = (
        f"INSERT INTO {quote(meta.db_table)} AS s ({column['mission']}, {column['code']}, {', '.join(values)}, "  # noqa: S608
        f"{column['created_at']}, {column['updated_at']}) "
        f"SELECT %s, code, {', '.join(VALUE_FIELDS)}, %s, %s FROM station_import_rows "
        f"ON CONFLICT ({column['mission']}, {column['code']}) DO UPDATE SET {assignments}, "
        f"{column['updated_at']} = EXCLUDED.{column['updated_at']} "
        f"WHERE ({current}) IS DISTINCT FROM ({incoming})"
    )
    now = timezone.now()
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE station_import_rows (code text, name text, address text, area_id bigint, "
            "latitude numeric(9, 6), longitude numeric(9, 6), registered_voters integer) ON COMMIT DROP"
        )
        with cursor.copy("COPY station_import_rows FROM STDIN") as copy:
            for done, station in enumerate(stations, start=1):
                copy.write_row((station.code, *_row_values(station, area_ids)))
                if progress and done % PROGRESS_EVERY == 0:
                    progress("write", done, total)
        cursor.execute(upsert, [mission.pk, now, now])
        changed = cursor.rowcount
        cursor.execute("DROP TABLE station_import_rows")
    if progress:
        progress("write", total, total)
    return changed


def _write_generic(mission, stations: Iterable[Station], area_ids: AreaIds, total: int, progress) -> int:
    """bulk_create(update_conflicts=True) in batches, skipping rows that have not changed."""
    changed = done = 0
    for batch in _batches(stations, GENERIC_BATCH):
        existing = {
            row[0]: row[1:]
            for row in mission.stations.filter(code__in=[station.code for station in batch]).values_list(
                "code", *VALUE_FIELDS
            )
        }
        objects = []
        for station in batch:
            values = _row_values(station, area_ids)
            if existing.get(station.code) != values:
                objects.append(
                    PollingStation(
                        mission=mission, code=station.code, **dict(zip(VALUE_FIELDS, values, strict=True))
                    )
                )
        PollingStation.objects.bulk_create(
            objects,
            update_conflicts=True,
            unique_fields=["mission", "code"],
            update_fields=[*(name.removesuffix("_id") for name in VALUE_FIELDS), "updated_at"],
        )
        changed += len(objects)
        done += len(batch)
        if progress:
            progress("write", done, total)
    return changed


def _batches(items: Iterable, size: int) -> Iterator[list]:
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
