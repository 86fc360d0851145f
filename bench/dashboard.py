"""How fast is the results dashboard on a big mission, and how far behind the data is it?

    .venv/bin/python bench/dashboard.py [--visits 100000] [--seconds 60] [--viewers 16]

1. Empty the bench database (BENCH_DB, default observa_bench) and migrate it. Generate in SQL a mission with
   10,000 stations (with coordinates) in 12 regions > 300 districts, 500 teams planning 20 stations
   each, 1,000 observers, one checklist of 40 questions (yes/no, single, multiple choice, numbers,
   ratings), and --visits visits with about 40 answers each (4 million answers at 100,000 visits);
   plus a second mission of 1,000 visits for the constant-queries check.
2. Rebuild the pre-aggregated counts of both missions (timed: a full rebuild is what a new checklist
   version costs).
3. Queries per refresh: the panel requested in-process, cold (empty cache) and warm, at 1,000 and at
   --visits visits, for the mission, a team, and a breakdown by district.
4. Serve the app under gunicorn, start a Celery worker with its beat (the counts refresh every 5 s),
   then for --seconds: an inserter files visits (with their answers) at --rate per second, and
   --viewers viewers each fetch the dashboard panel in a loop (--think seconds between two requests;
   the page itself polls every 10 s, so this is several times the real load). Latency p50/p95/max.
   Staleness: a monitor reads the visit count the served panel shows every 0.5 s and measures how
   long ago the oldest visit not yet shown was committed.
5. Export: a visits CSV of every visit, in a separate process (wall time and peak RSS), and a tenth of
   them to show that memory does not grow with the number of rows.
6. Print the figures, stop every process started here, empty the database (whatever happened).

Targets: p95 under 150 ms, same queries at both sizes, staleness at most 15 s, export under 60 s.
Exit status 1 when a target is missed.
"""

import argparse
import contextlib
import json
import os
import re
import resource
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SERVER = os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432")
REDIS = os.environ.get("BENCH_REDIS", "redis://127.0.0.1:6379/11")
PORT = int(os.environ.get("BENCH_PORT", "8106"))
TARGET_P95_MS, TARGET_STALENESS_S, TARGET_EXPORT_S = 150, 15, 60
PRIVATE_ROOT = "/tmp/observa-bench-private"  # noqa: S108 (a throwaway bench directory)


def setup_django(db_name: str) -> None:
    os.environ["DATABASE_URL"] = f"{SERVER}/{db_name}"
    os.environ["REDIS_URL"] = REDIS
    os.environ["CELERY_BROKER_URL"] = REDIS
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()


# --- 1. Generating a mission -------------------------------------------------------------------------

QUESTION_MIX = ["yes_no"] * 25 + ["single"] * 5 + ["multiple"] * 4 + ["number"] * 3 + ["rating"] * 3


def generate(code: str, *, stations: int, visits: int, teams: int) -> int:
    from django.db import connection

    from missions.models import Member, Mission, Role, Team, User
    from polling.models import Area, Checklist, ChecklistVersion, Option, PollingStation, Question

    mission = Mission.objects.create(
        code=code,
        name=f"Bench {code}",
        organization="Bench",
        election="Bench election",
        country="Benchland",
        election_date="2024-02-07",
        observation_start="2024-02-05",
        observation_end="2024-02-08",
        area_levels=["Region", "District"],
        statement_level=1,
        status=Mission.Status.ACTIVE,
    )
    regions = [
        Area.objects.create(mission=mission, name=f"Region {r:02}", depth=1, path=f"Region {r:02}")
        for r in range(12)
    ]
    districts = Area.objects.bulk_create(
        Area(
            mission=mission,
            parent=regions[d % 12],
            name=f"District {d:03}",
            depth=2,
            path=f"Region {d % 12:02} > District {d:03}",
        )
        for d in range(300)
    )
    per_district = max(1, stations // 300)
    PollingStation.objects.bulk_create(
        (
            PollingStation(
                mission=mission,
                code=f"{i:05}",
                name=f"School {i}",
                area=districts[min(i // per_district, 299)],
                latitude=round(
                    39.7 + 2.9 * ((i // per_district) % 25) / 25 + 0.05 * ((i * 7919) % 100) / 100, 6
                ),
                longitude=round(
                    19.3 + 1.7 * ((i // per_district) // 25) / 12 + 0.05 * ((i * 104729) % 100) / 100, 6
                ),
            )
            for i in range(stations)
        ),
        batch_size=5000,
    )
    station_ids = list(
        PollingStation.objects.filter(mission=mission).order_by("code").values_list("pk", flat=True)
    )
    team_objs = Team.objects.bulk_create(Team(mission=mission, name=f"Team {t:03}") for t in range(teams))
    plan = stations // teams
    Team.stations.through.objects.bulk_create(
        (
            Team.stations.through(team_id=t.pk, pollingstation_id=station_ids[i * plan + j])
            for i, t in enumerate(team_objs)
            for j in range(plan)
        ),
        batch_size=10000,
    )
    users = User.objects.bulk_create(
        User(email=f"{code}-{n}@bench.invalid", password="!", name=f"Observer {n}") for n in range(teams * 2)
    )
    Member.objects.bulk_create(
        Member(mission=mission, user=u, role=Role.OBSERVER, team=team_objs[n // 2])
        for n, u in enumerate(users)
    )
    checklist = Checklist.objects.create(mission=mission, code="E-day", name="Election day")
    version = ChecklistVersion.objects.create(checklist=checklist, number=1)
    checklist.current_version = version
    checklist.save()
    for n, qtype in enumerate(QUESTION_MIX):
        q = Question.objects.create(
            version=version, code=f"Q{n + 1:02}", order=n, text=f"Question {n + 1} ({qtype})?", type=qtype
        )
        if qtype == "yes_no":
            opts = [
                ("yes", "Yes", {}),
                ("no", "No", {"flagged": n % 3 == 0, "severity": "serious" if n % 9 == 0 else "minor"}),
            ]
        elif qtype == "rating":
            opts = [
                ("very_good", "Very good", {}),
                ("good", "Good", {}),
                ("bad", "Bad", {"negative": True}),
                ("very_bad", "Very bad", {"negative": True}),
            ]
        elif qtype in ("single", "multiple"):
            opts = [
                (f"o{k}", f"Option {k}", {"flagged": k == 3, "severity": "minor" if k == 3 else ""})
                for k in range(5 if qtype == "multiple" else 4)
            ]
        else:
            opts = []
        Option.objects.bulk_create(
            Option(question=q, order=k, value=v, label=lab, **flags) for k, (v, lab, flags) in enumerate(opts)
        )
    with connection.cursor() as cur:
        cur.execute(QOPTS_SQL, [version.pk])
        cur.execute(
            INSERT_VISITS_SQL,
            {"m": mission.pk, "v": version.pk, "n": visits, "stations": stations, "teams": teams},
        )
        cur.execute(INSERT_ANSWERS_SQL, {"m": mission.pk, "since": 0})
        cur.execute("ANALYZE")
    return mission.pk


# Per question: the option ids to draw from (yes/no weighted 9:1, ratings 4:4:1:1), or none for numbers.
QOPTS_SQL = """
CREATE TEMP TABLE IF NOT EXISTS bench_qopts AS
SELECT q.id AS question_id, q.type,
       CASE q.type
         WHEN 'yes_no' THEN (SELECT array_agg(o.id ORDER BY o."order") || array_fill((SELECT min(o2.id) FROM polling_option o2 WHERE o2.question_id = q.id), ARRAY[7]) FROM polling_option o WHERE o.question_id = q.id)
         WHEN 'rating' THEN (SELECT array_agg(o.id ORDER BY o."order") || array_fill((SELECT min(o2.id) FROM polling_option o2 WHERE o2.question_id = q.id), ARRAY[3]) || array_fill((SELECT min(o2.id) + 1 FROM polling_option o2 WHERE o2.question_id = q.id), ARRAY[3]) FROM polling_option o WHERE o.question_id = q.id)
         ELSE (SELECT array_agg(o.id ORDER BY o."order") FROM polling_option o WHERE o.question_id = q.id)
       END AS opts
  FROM polling_question q WHERE q.version_id = %s
"""
INSERT_VISITS_SQL = """
WITH st AS (SELECT array_agg(id ORDER BY code) AS a FROM polling_pollingstation WHERE mission_id = %(m)s),
mb AS (
  SELECT array_agg(mb.id ORDER BY t.name, mb.id) AS ids, array_agg(mb.team_id ORDER BY t.name, mb.id) AS teams
    FROM missions_member mb JOIN missions_team t ON t.id = mb.team_id WHERE t.mission_id = %(m)s
)
INSERT INTO polling_visit (uuid, mission_id, checklist_version_id, station_id, observer_id, team_id, arrived_at, notes,
                           assessment, content_hash, revision, review_status, review_comment, created_at, updated_at)
SELECT gen_random_uuid(), %(m)s, %(v)s, st.a[1 + tt.t * (%(stations)s / %(teams)s) + (g / %(teams)s) %% (%(stations)s / %(teams)s)],
       mb.ids[1 + tt.t * 2 + g %% 2], mb.teams[1 + tt.t * 2 + g %% 2],
       timestamptz '2024-02-07 03:00+00' + (random() * interval '14 hours'), '', '', md5(g::text), 1, 'pending', '', now(), now()
  FROM generate_series(1, %(n)s) g, st, mb, LATERAL (SELECT (g * 7919) %% %(teams)s AS t) tt
"""
INSERT_ANSWERS_SQL = """
WITH v AS (SELECT id FROM polling_visit WHERE mission_id = %(m)s AND id > %(since)s)
INSERT INTO polling_answer (visit_id, question_id, option_id, number, text)
SELECT v.id, q.question_id,
       CASE WHEN q.type <> 'number' THEN q.opts[1 + floor(random() * array_length(q.opts, 1))::int] END,
       CASE WHEN q.type = 'number' THEN floor(random() * 60) END, ''
  FROM v CROSS JOIN bench_qopts q
 WHERE random() > 0.04
UNION ALL
SELECT v.id, q.question_id, q.opts[1 + floor(random() * array_length(q.opts, 1))::int], NULL, ''
  FROM v CROSS JOIN bench_qopts q
 WHERE q.type = 'multiple' AND random() < 0.3
ON CONFLICT DO NOTHING
"""


# --- 3. Queries per refresh ----------------------------------------------------------------------------


def queries_per_refresh(mission_id: int) -> dict:
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from missions.models import Member, Mission, Role, Team, User

    mission = Mission.objects.get(pk=mission_id)
    user, _ = User.objects.get_or_create(email=f"hom-{mission.code}@bench.invalid", defaults={"name": "Head"})
    Member.objects.get_or_create(mission=mission, user=user, defaults={"role": Role.HEAD_OF_MISSION})
    client = Client(HTTP_HOST="127.0.0.1")
    client.force_login(user)
    team = Team.objects.filter(mission=mission).order_by("name").first()
    url = f"/m/{mission.code}/results/panel/"
    out = {}
    for name, params in [
        ("mission", {}),
        ("team", {"team": str(team.uuid)}),
        ("by district", {"by": "2", "question": "Q30"}),
    ]:
        assert client.get(url, params).status_code == 200
        cache.clear()
        with CaptureQueriesContext(connection) as cold:
            started = time.perf_counter()
            client.get(url, params)
            cold_ms = (time.perf_counter() - started) * 1000
        with CaptureQueriesContext(connection) as warm:
            client.get(url, params)
        out[name] = {
            "cold": len(cold.captured_queries),
            "warm": len(warm.captured_queries),
            "cold_ms": round(cold_ms),
        }
    return out


# --- 4. Load ----------------------------------------------------------------------------------------------


def session_cookie(mission_id: int) -> str:
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from missions.models import Member, Mission, Role, User

    mission = Mission.objects.get(pk=mission_id)
    user, _ = User.objects.get_or_create(email=f"hom-{mission.code}@bench.invalid", defaults={"name": "Head"})
    Member.objects.get_or_create(mission=mission, user=user, defaults={"role": Role.HEAD_OF_MISSION})
    s = SessionStore()
    s[SESSION_KEY], s[BACKEND_SESSION_KEY] = str(user.pk), settings.AUTHENTICATION_BACKENDS[0]
    s[HASH_SESSION_KEY] = user.get_session_auth_hash()
    s.create()
    return f"{settings.SESSION_COOKIE_NAME}={s.session_key}"


def fetch(url: str, cookie: str) -> tuple[float, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": cookie, "HX-Request": "true"})  # noqa: S310
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310 (loopback only)
        body = response.read()
    return (time.perf_counter() - started) * 1000, body


def load(
    mission_id: int, code: str, *, seconds: float, viewers: int, think: float, rate: float, db_url: str
) -> dict:
    import psycopg

    from missions.models import Team

    cookie = session_cookie(mission_id)
    teams = [
        str(u)
        for u in Team.objects.filter(mission_id=mission_id)
        .order_by("name")
        .values_list("uuid", flat=True)[:4]
    ]
    base = f"http://127.0.0.1:{PORT}/m/{code}/results/panel/"
    # Most watch the whole mission; some a team, some a breakdown by district.
    urls = [base] * (viewers - 4) + [
        f"{base}?team={teams[0]}",
        f"{base}?team={teams[1]}",
        f"{base}?by=2&question=Q30",
        f"{base}?by=1&question=Q03",
    ]
    stop = time.monotonic() + seconds
    latencies: list[float] = []
    errors: list[str] = []
    inserted: list[tuple[float, int]] = []
    lags: list[float] = []

    def viewer(url):
        while time.monotonic() < stop:
            try:
                ms, _ = fetch(url, cookie)
                latencies.append(ms)
            except Exception as exc:  # noqa: BLE001 (a bench counts every failure)
                errors.append(repr(exc))
            time.sleep(think)

    def inserter():
        with psycopg.connect(db_url, autocommit=True) as conn:
            base_count = conn.execute(
                "SELECT count(*) FROM polling_visit WHERE mission_id = %s", [mission_id]
            ).fetchone()[0]
            conn.execute(
                QOPTS_SQL.replace(
                    "%s",
                    str(
                        conn.execute(
                            "SELECT current_version_id FROM polling_checklist WHERE mission_id = %s",
                            [mission_id],
                        ).fetchone()[0]
                    ),
                )
            )
            n = 0
            while time.monotonic() < stop:
                with conn.transaction():
                    last = conn.execute("SELECT COALESCE(max(id), 0) FROM polling_visit").fetchone()[0]
                    conn.execute(INSERT_ONE_VISIT_SQL, {"m": mission_id, "seed": n})
                    conn.execute(INSERT_ANSWERS_SQL, {"m": mission_id, "since": last})
                n += 1
                inserted.append((time.monotonic(), base_count + n))
                time.sleep(1 / rate)

    def monitor():
        while time.monotonic() < stop:
            try:
                _, body = fetch(base, cookie)
                shown = int(re.search(rb'data-visits="(\d+)"', body).group(1))
                now = time.monotonic()
                missing = [t for t, count in list(inserted) if count > shown]
                lags.append(now - missing[0] if missing else 0.0)
            except Exception as exc:  # noqa: BLE001
                errors.append("monitor " + repr(exc))
            time.sleep(0.5)

    threads = [threading.Thread(target=viewer, args=(u,)) for u in urls]
    threads += [threading.Thread(target=inserter), threading.Thread(target=monitor)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    latencies.sort()
    return {
        "requests": len(latencies),
        "errors": len(errors),
        "first_error": errors[0] if errors else "",
        "p50_ms": round(statistics.median(latencies), 1) if latencies else None,
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1], 1) if latencies else None,
        "max_ms": round(latencies[-1], 1) if latencies else None,
        "visits_inserted": len(inserted),
        "staleness_max_s": round(max(lags), 1) if lags else None,
        "staleness_p50_s": round(statistics.median(lags), 1) if lags else None,
    }


INSERT_ONE_VISIT_SQL = """
INSERT INTO polling_visit (uuid, mission_id, checklist_version_id, station_id, observer_id, team_id, arrived_at, notes,
                           assessment, content_hash, revision, review_status, review_comment, created_at, updated_at)
SELECT gen_random_uuid(), %(m)s, cl.current_version_id, ps.id, mb.id, mb.team_id, now(), '', '', md5(random()::text), 1,
       'pending', '', now(), now()
  FROM polling_checklist cl,
       LATERAL (SELECT id FROM polling_pollingstation WHERE mission_id = %(m)s OFFSET (%(seed)s * 7919) %% 10000 LIMIT 1) ps,
       LATERAL (SELECT mb.id, mb.team_id FROM missions_member mb WHERE mb.mission_id = %(m)s AND mb.team_id IS NOT NULL
                OFFSET (%(seed)s * 31) %% 1000 LIMIT 1) mb
 WHERE cl.mission_id = %(m)s
"""


# --- 5. Export ------------------------------------------------------------------------------------------------


def export_in_child(mission_id: int) -> dict:
    """Run one CSV export of the mission's visits in this process; print time and peak RSS as JSON."""
    from django.conf import settings

    from polling.models import Checklist
    from reports.exports.services import export_run
    from reports.models import Export

    settings.PRIVATE_MEDIA_ROOT = PRIVATE_ROOT
    checklist = Checklist.objects.get(mission_id=mission_id)
    export = Export.objects.create(mission_id=mission_id, kind="visits", format="csv", checklist=checklist)
    started = time.perf_counter()
    export_run(export.pk)
    seconds = time.perf_counter() - started
    export.refresh_from_db()
    size = export.file.size
    export.file.delete(save=False)
    return {
        "seconds": round(seconds, 1),
        "rows": export.rows,
        "bytes": size,
        "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
    }


# --- Orchestration --------------------------------------------------------------------------------------------------


def reset_schema(db_name: str) -> None:
    import psycopg

    with psycopg.connect(f"{SERVER}/{db_name}", autocommit=True) as conn:
        conn.execute("DROP SCHEMA IF EXISTS public CASCADE")
        conn.execute("CREATE SCHEMA public")


@contextlib.contextmanager
def processes(db_name: str):
    env = os.environ | {
        "DATABASE_URL": f"{SERVER}/{db_name}",
        "REDIS_URL": REDIS,
        "CELERY_BROKER_URL": REDIS,
        "LOG_LEVEL": "WARNING",
        "PRIVATE_MEDIA_ROOT": PRIVATE_ROOT,
    }
    bin_dir = Path(sys.executable).parent
    subprocess.run(
        [bin_dir / "celery", "-A", "config", "purge", "-f"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        timeout=60,
    )
    procs = [
        subprocess.Popen(
            [
                bin_dir / "gunicorn",
                "config.wsgi",
                "-b",
                f"127.0.0.1:{PORT}",
                "-w",
                "4",
                "-k",
                "gthread",
                "--threads",
                "4",
                "--log-level",
                "warning",
            ],
            env=env,
            cwd=ROOT,
        ),
        subprocess.Popen(
            [
                bin_dir / "celery",
                "-A",
                "config",
                "worker",
                "-B",
                "-P",
                "solo",
                "--loglevel=WARNING",
                "--without-gossip",
                "--without-mingle",
                "-s",
                f"{PRIVATE_ROOT}-beat-{os.getpid()}",
            ],
            env=env,
            cwd=ROOT,
        ),
    ]
    try:
        for _ in range(60):
            with contextlib.suppress(OSError):
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/accounts/login/", timeout=2)  # noqa: S310
                break
            time.sleep(0.5)
        yield
    finally:
        for p in procs:
            p.send_signal(signal.SIGTERM)
        for p in procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--visits", type=int, default=100_000)
    parser.add_argument("--stations", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--viewers", type=int, default=16)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between two requests of one viewer")
    parser.add_argument("--rate", type=float, default=10, help="visits filed per second during the load")
    parser.add_argument(
        "--keep", action="store_true", help="keep the database (observa_bench_keep) for a dev server"
    )
    parser.add_argument("--child-export", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--db", help=argparse.SUPPRESS)
    args = parser.parse_args()

    if args.child_export:
        setup_django(args.db)
        print(json.dumps(export_in_child(args.child_export)))
        return 0

    import psycopg

    # One bench database, emptied schema-wise (DROP DATABASE would wait on every other session of the server).
    db_name = os.environ.get("BENCH_DB", "observa_bench")
    with psycopg.connect(f"{SERVER}/postgres", autocommit=True) as admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db_name]).fetchone():
            admin.execute(f'CREATE DATABASE "{db_name}"')
    reset_schema(db_name)
    signal.alarm(int(args.seconds) + 3600)
    figures: dict = {}
    try:
        setup_django(db_name)
        from django.core.management import call_command

        call_command("migrate", verbosity=0)
        from reports.results.selectors import refresh_results

        t = time.perf_counter()
        small = generate("bench-1k", stations=args.stations, visits=1000, teams=args.teams)
        big = generate("bench-big", stations=args.stations, visits=args.visits, teams=args.teams)
        figures["generate_s"] = round(time.perf_counter() - t, 1)
        from django.db import connection

        with connection.cursor() as cur:
            cur.execute(
                "SELECT count(*) FROM polling_answer a JOIN polling_visit v ON v.id = a.visit_id WHERE v.mission_id = %s",
                [big],
            )
            figures["answers"] = cur.fetchone()[0]
        for name, mission_id in [("1k", small), ("big", big)]:
            t = time.perf_counter()
            refresh_results(mission_id)
            figures[f"rebuild_{name}_s"] = round(time.perf_counter() - t, 1)
        t = time.perf_counter()
        refresh_results(big)
        figures["refresh_nothing_changed_ms"] = round((time.perf_counter() - t) * 1000)
        figures["queries_1k"] = queries_per_refresh(small)
        figures["queries_big"] = queries_per_refresh(big)
        connection.close()
        with processes(db_name):
            time.sleep(3)
            figures["load"] = load(
                big,
                "bench-big",
                seconds=args.seconds,
                viewers=args.viewers,
                think=args.think,
                rate=args.rate,
                db_url=f"{SERVER}/{db_name}",
            )
        for name, mission_id in [("export_1k", small), ("export_big", big)]:
            out = subprocess.run(
                [sys.executable, __file__, "--child-export", str(mission_id), "--db", db_name],
                capture_output=True,
                text=True,
                timeout=900,
            )
            figures[name] = (
                json.loads(out.stdout.strip().splitlines()[-1]) if out.returncode == 0 else out.stderr[-2000:]
            )
    finally:
        from django.db import connections

        connections.close_all()
        print(json.dumps(figures, indent=2), flush=True)
        if not args.keep:
            reset_schema(db_name)
    load_figures = figures.get("load", {})
    same_queries = all(
        figures["queries_1k"][k]["cold"] == figures["queries_big"][k]["cold"] for k in figures["queries_1k"]
    )
    ok = (
        load_figures.get("p95_ms") is not None
        and load_figures["p95_ms"] < TARGET_P95_MS
        and same_queries
        and (load_figures.get("staleness_max_s") or 0) <= TARGET_STALENESS_S
        and isinstance(figures.get("export_big"), dict)
        and figures["export_big"]["seconds"] < TARGET_EXPORT_S
    )
    print("targets met" if ok else "TARGET MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
