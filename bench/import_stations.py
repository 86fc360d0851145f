"""How fast is the station import? The full Nigerian list against a bare PostgreSQL COPY of the same rows.

    .venv/bin/python bench/import_stations.py [--server postgres://postgres@127.0.0.1:5432/postgres]

1. Create a throwaway database on the server and migrate it.
2. Baseline: COPY the 176,623 stations (same codes, names, areas, coordinates) straight into
   polling_pollingstation, the table with all its indexes, trigram ones included.
3. Empty the table, then run the real import (polling.stations.importing, as the web page and the command
   do: check every row, create 9,620 areas, upsert the stations) on the same file.
4. Re-import the same file (nothing changes), then import once more under tracemalloc for the
   Python allocation peak.
5. Print the figures and drop the database, whatever happened. SIGALRM bounds the whole run.

Targets: the import takes at most 3 times the COPY, and peak memory stays under 500 MB.
Exit status 1 when a target is missed.
"""

import argparse
import contextlib
import csv
import gzip
import io
import os
import resource
import signal
import sys
import tempfile
import time
import tracemalloc
import uuid
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg

ROOT = Path(__file__).resolve().parent.parent
DATA = Path("/work/shared/data/polling_stations/nigeria_inec_polling_units_full.csv.gz")
TARGET_RATIO = 3.0
TARGET_MEMORY_MB = 500


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--server",
        default=os.environ.get("BENCH_DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres"),
        help="a PostgreSQL URL whose user may create databases (default: %(default)s)",
    )
    parser.add_argument("--file", type=Path, default=DATA, help="the Nigerian list, .csv or .csv.gz")
    parser.add_argument("--timeout", type=int, default=900, help="give up after this many seconds")
    args = parser.parse_args()

    def out_of_time(signum, frame):
        raise TimeoutError(f"the benchmark took more than {args.timeout} s")

    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(args.timeout)
    name = f"observa_bench_{uuid.uuid4().hex[:10]}"
    admin = psycopg.connect(args.server, autocommit=True)
    admin.execute(f'CREATE DATABASE "{name}"')
    try:
        with tempfile.TemporaryDirectory(prefix="observa-bench-") as scratch:
            return run(_with_database(args.server, name), args.file, Path(scratch))
    finally:
        signal.alarm(0)
        _close_django()
        try:
            admin.execute("SET statement_timeout = '120s'")
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        except psycopg.Error as exc:
            print(f"Could not drop the database {name}: {exc}; drop it by hand.", file=sys.stderr)
        admin.close()


def _with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path="/" + name))


def _close_django() -> None:
    if "django.db" in sys.modules:
        from django.db import connections

        connections.close_all()


def run(database_url: str, source: Path, scratch: Path) -> int:
    os.environ["DATABASE_URL"] = database_url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '300s'")
        cursor.execute("SHOW server_version")
        server_version = cursor.fetchone()[0]

    csv_path = scratch / "nigeria.csv"
    opener = gzip.open if source.suffix == ".gz" else open
    with opener(source, "rb") as compressed, csv_path.open("wb") as plain:
        plain.write(compressed.read())
    size_mb = csv_path.stat().st_size / 1e6

    copy_seconds, rows = bench_copy(csv_path)
    truncate()
    first = bench_import(csv_path, "ng-a")
    again = bench_import(csv_path, "ng-a")
    truncate()
    python_peak_mb = bench_tracemalloc(csv_path, "ng-c")

    ratio = first["seconds"] / copy_seconds
    print()
    print(
        f"Nigeria: {rows:,} polling units, {size_mb:.1f} MB CSV; PostgreSQL {server_version}; Python {sys.version.split()[0]}"
    )
    print(f"{'':34}{'seconds':>9}{'rows/s':>10}")
    print(f"{'COPY into the table (baseline)':34}{copy_seconds:9.2f}{rows / copy_seconds:10,.0f}")
    print(
        f"{'import, empty table':34}{first['seconds']:9.2f}{rows / first['seconds']:10,.0f}   {ratio:.2f}x COPY"
    )
    print(f"{'re-import, nothing changed':34}{again['seconds']:9.2f}{rows / again['seconds']:10,.0f}")
    print(f"  first import: {first['result']}")
    print(f"  re-import:    {again['result']}")
    print(
        f"peak memory of the import: {first['peak_rss_mb']:.0f} MB resident (VmHWM, reset before the import); "
        f"process ru_maxrss {first['ru_maxrss_mb']:.0f} MB; Python allocations (tracemalloc) {python_peak_mb:.0f} MB"
    )
    memory = max(first["peak_rss_mb"], again["peak_rss_mb"])
    ok_speed, ok_memory = ratio <= TARGET_RATIO, memory < TARGET_MEMORY_MB
    print(f"target import <= {TARGET_RATIO:.0f}x COPY: {'met' if ok_speed else 'MISSED'} ({ratio:.2f}x)")
    print(f"target peak memory < {TARGET_MEMORY_MB} MB: {'met' if ok_memory else 'MISSED'} ({memory:.0f} MB)")
    return 0 if ok_speed and ok_memory else 1


def make_mission(code: str):
    import datetime

    from missions.models import Mission

    return Mission.objects.create(
        code=code,
        name=f"Benchmark {code}",
        organization="Benchmark",
        election="General Election",
        country="Nigeria",
        election_date=datetime.date(2023, 2, 25),
        observation_start=datetime.date(2023, 2, 20),
        observation_end=datetime.date(2023, 2, 28),
        area_levels=[],
    )


def nigeria_mapping(headers):
    from polling.stations.importing import Mapping

    return Mapping(
        code=(headers.index("delimitation"),),
        name=headers.index("pu_name"),
        latitude=headers.index("latitude"),
        longitude=headers.index("longitude"),
        area=tuple(headers.index(h) for h in ("state_name", "lga_name", "ward_name")),
    )


def bench_copy(csv_path: Path) -> tuple[float, int]:
    """Prepare the COPY input untimed (same rows, areas already created), then time the COPY alone."""
    from django.db import connection, transaction
    from django.utils import timezone

    from polling.stations.importing.service import ensure_areas

    mission = make_mission("ng-copy")
    now = timezone.now().isoformat()
    with csv_path.open(encoding="utf-8", newline="") as file:
        reader = csv.DictReader(file)
        records = [
            (
                r["delimitation"],
                r["pu_name"],
                (r["state_name"], r["lga_name"], r["ward_name"]),
                r["latitude"],
                r["longitude"],
            )
            for r in reader
        ]
    area_ids, _created = ensure_areas(mission, {record[2] for record in records})
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for code, name, area, latitude, longitude in records:
        writer.writerow(
            [mission.pk, code, name, "", area_ids[area], latitude or None, longitude or None, now, now]
        )
    data, rows = buffer.getvalue(), len(records)
    del records, buffer
    checkpoint()
    started = time.perf_counter()
    sql = (
        "COPY polling_pollingstation (mission_id, code, name, address, area_id, latitude, longitude, "
        "created_at, updated_at) FROM STDIN WITH (FORMAT csv, FORCE_NOT_NULL (code, name, address))"
    )
    with transaction.atomic(), connection.cursor() as cursor, cursor.copy(sql) as copy:
        copy.write(data)
    return time.perf_counter() - started, rows


def bench_import(csv_path: Path, code: str) -> dict:
    from missions.models import Mission
    from polling.stations.importing import open_table, stations_import

    mission = Mission.objects.filter(code=code).first() or make_mission(code)
    checkpoint()
    reset_peak_rss()
    started = time.perf_counter()
    with csv_path.open("rb") as file:
        table = open_table(file, csv_path.name)
        result = stations_import(mission=mission, table=table, mapping=nigeria_mapping(table.headers))
    seconds = time.perf_counter() - started
    return {
        "seconds": seconds,
        "result": f"{result.created:,} created, {result.updated:,} updated, {result.unchanged:,} unchanged, "
        f"{result.areas_created:,} areas created",
        "peak_rss_mb": peak_rss_mb(),
        "ru_maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def bench_tracemalloc(csv_path: Path, code: str) -> float:
    """The same import into an empty table under tracemalloc (slower, so untimed): Python's own peak."""
    from polling.stations.importing import open_table, stations_import

    mission = make_mission(code)
    tracemalloc.start()
    with csv_path.open("rb") as file:
        table = open_table(file, csv_path.name)
        stations_import(mission=mission, table=table, mapping=nigeria_mapping(table.headers))
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 1e6


def truncate() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE polling_pollingstation, polling_area CASCADE")


def checkpoint() -> None:
    """Start each timed phase with the previous one's writes flushed, so it does not pay for them."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("CHECKPOINT")


def reset_peak_rss() -> None:
    with contextlib.suppress(OSError):  # not Linux: the peak then covers the whole process
        Path("/proc/self/clear_refs").write_text("5")


def peak_rss_mb() -> float:
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


if __name__ == "__main__":
    sys.exit(main())
