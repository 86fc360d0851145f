"""How fast can observers file visits? A load test of POST /m/<mission>/api/visits/ under gunicorn on PostgreSQL.

    .venv/bin/python bench/submit_visits.py [--clients 64] [--duration 15] [--rounds 3] [--workers N] [--threads 2]

1. Creates a throwaway PostgreSQL database (DATABASE_SERVER, default postgres://postgres@127.0.0.1:5432),
   migrates it, and builds a mission with a 40-question checklist, 1,000 polling stations and one observer
   (with a logged-in session and a CSRF token) per client. Sessions live in Redis (REDIS_URL, default
   redis://127.0.0.1:6379/0) under a key prefix of this run's own, as in production, with the database
   behind them.
2. Starts gunicorn on a free loopback port with bench/_bench_settings.py: the app's settings and URLs plus
   a baseline view (a bare Django view that inserts the same JSON body as one row) and a header that
   reports each request's SQL queries.
3. Drives each endpoint with N keep-alive connections for a fixed time, measuring requests per second
   and latency: the anonymous and logged-in baselines, the filing, and the filing without its audit entry
   (a header the bench's URLconf honours) take turns; then the filing paced at half the rate it reached;
   then a burst: 3,000 visits, 10% of them sent twice (half of those at the same moment on another
   connection), which must finish without error or duplicate; then as many requests to the bare view,
   the burst's baseline.
4. Counts visits, answers, revisions and audit entries in SQL, verifies the audit chain, prints the figures,
   stops gunicorn, drops the database and the run's Redis keys.
"""

import argparse
import asyncio
import json
import os
import random
import secrets
import signal
import socket
import statistics
import string
import subprocess
import sys
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

QUESTION_COUNT = 40
STATION_COUNT = 1000
TEAM_SIZE = 4
MISSION = "bench-2024"
CHECKLIST = "opening"
TYPES = ["yes_no", "single", "multiple", "number", "text", "time"]


# ---------------------------------------------------------------------------
# The throwaway database and the mission in it.
# ---------------------------------------------------------------------------


def admin_connection(server: str):
    import psycopg

    return psycopg.connect(f"{server}/postgres", autocommit=True)


def build_world(clients: int) -> list[dict]:
    """Migrate, then make the mission, checklist, stations and two logged-in observers per client: the
    first `clients` read Observa in English, the next `clients` in Russian (their account's language)."""
    import datetime

    import django

    # The config package first: its Celery app reads a setting at import, which must not happen while
    # bench/_bench_settings.py is itself half imported (it imports config.settings, hence config).
    import config  # noqa: F401

    django.setup()
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection

    from bench._bench_urls import BASELINE_TABLE
    from missions.models import Member, Mission, Role, Team, User
    from polling.models import Checklist, ChecklistVersion, Option, PollingStation, Question

    call_command("migrate", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BASELINE_TABLE} (id bigserial PRIMARY KEY, uuid uuid NOT NULL UNIQUE, "
            "payload jsonb NOT NULL, created_at timestamptz NOT NULL DEFAULT now())"
        )
    mission = Mission.objects.create(
        code=MISSION,
        name="Bench mission",
        organization="Bench",
        election="Presidential election",
        country="Benchland",
        election_date=datetime.date(2024, 2, 7),
        observation_start=datetime.date(2024, 2, 1),
        observation_end=datetime.date(2024, 2, 8),
        status=Mission.Status.ACTIVE,
    )
    checklist = Checklist.objects.create(mission=mission, code=CHECKLIST, name="Opening")
    version = ChecklistVersion.objects.create(checklist=checklist, number=1)
    first = None
    for i in range(1, QUESTION_COUNT + 1):
        kind = TYPES[(i - 1) % len(TYPES)]
        question = Question.objects.create(
            version=version,
            code=f"Q{i:02d}",
            order=i,
            text=f"Question {i}",
            type=kind,
            required=i % 3 == 0,
            min_value=0 if kind == "number" else None,
            max_value=5000 if kind == "number" else None,
            # Every fifth question is shown only when Q01 is yes, so the rules are evaluated too.
            show_if_question=first if i % 5 == 0 else None,
            show_if_value="yes" if i % 5 == 0 else "",
        )
        first = first or question
        values = {"yes_no": ["yes", "no"], "single": ["a", "b", "c"], "multiple": ["x", "y", "z"]}.get(
            kind, []
        )
        Option.objects.bulk_create(
            Option(question=question, order=n, value=v, label=v.upper(), flagged=v in ("no", "c", "z"))
            for n, v in enumerate(values)
        )
    checklist.current_version = version
    checklist.save(update_fields=["current_version"])
    PollingStation.objects.bulk_create(
        PollingStation(mission=mission, code=f"{n:04d}", name=f"School {n}")
        for n in range(1, STATION_COUNT + 1)
    )
    password = make_password(None)
    users = User.objects.bulk_create(
        User(
            email=f"observer{n}@bench.example.org",
            name=f"Observer {n}",
            password=password,
            language="ru" if n >= clients else "",
        )
        for n in range(2 * clients)
    )
    teams = Team.objects.bulk_create(
        Team(mission=mission, name=f"Team {n}") for n in range((2 * clients + TEAM_SIZE - 1) // TEAM_SIZE)
    )
    Member.objects.bulk_create(
        Member(mission=mission, user=user, role=Role.OBSERVER, team=teams[n // TEAM_SIZE])
        for n, user in enumerate(users)
    )
    SessionStore = import_module(settings.SESSION_ENGINE).SessionStore  # noqa: N806
    identities = []
    for user in users:
        session = SessionStore()
        session[SESSION_KEY] = str(user.pk)
        session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
        session[HASH_SESSION_KEY] = user.get_session_auth_hash()
        session.create()
        token = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
        identities.append({"session": session.session_key, "csrf": token})
    connection.close()
    return identities


def visit_body(rng: random.Random, *, notes: str = "") -> tuple[dict, int]:
    """A valid 40-answer visit and the number of answer rows it makes (one per chosen option)."""
    answers, rows = {}, 0
    for i in range(1, QUESTION_COUNT + 1):
        kind = TYPES[(i - 1) % len(TYPES)]
        if i == 1:
            value = "yes"  # shows the questions whose rule is “Q01 is yes”
        elif kind == "yes_no":
            value = rng.choice(["yes", "no"])
        elif kind == "single":
            value = rng.choice(["a", "b", "c"])
        elif kind == "multiple":
            value = rng.sample(["x", "y", "z"], rng.randint(1, 3))
        elif kind == "number":
            value = rng.randint(0, 5000)
        elif kind == "text":
            value = f"Observed calmly at point {rng.randint(1, 99)}"
        else:
            value = f"{rng.randint(6, 20):02d}:{rng.randint(0, 59):02d}"
        answers[f"Q{i:02d}"] = value
        rows += len(value) if isinstance(value, list) else 1
    body = {
        "uuid": str(uuid.uuid4()),
        "checklist": CHECKLIST,
        "version": 1,
        "station": f"{rng.randint(1, STATION_COUNT):04d}",
        "arrived_at": "2024-02-07T07:55:00+04:00",
        "departed_at": "2024-02-07T08:40:00+04:00",
        "answers": answers,
        "notes": notes,
        "assessment": rng.choice(["very_good", "good", "bad", ""]),
    }
    return body, rows


# ---------------------------------------------------------------------------
# gunicorn
# ---------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def start_gunicorn(
    port: int, workers: int, threads: int, env: dict, extra: list[str], reuse_port: bool
) -> subprocess.Popen:
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "config.wsgi:application",
        f"--bind=127.0.0.1:{port}",
        "--worker-class=gthread",
        f"--workers={workers}",
        f"--threads={threads}",
        "--keep-alive=30",
        "--backlog=2048",
        "--log-level=warning",
        *(["--reuse-port"] if reuse_port else []),
        *extra,
    ]
    process = subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("gunicorn did not start")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as probe:
                probe.sendall(b"GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
                if probe.recv(12).startswith(b"HTTP/1.1"):
                    return process
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not answer within 30 s")


def stop_gunicorn(process: subprocess.Popen) -> None:
    """Stop the process group this script started (the gunicorn master and its workers)."""
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


# ---------------------------------------------------------------------------
# The HTTP client: keep-alive connections on asyncio streams, one per simulated observer.
# ---------------------------------------------------------------------------


@dataclass
class Sample:
    status: int
    seconds: float
    queries: int
    kind: str  # created / duplicate / ... from the JSON body


class Connection:
    """One keep-alive connection, logged in as one observer (a request may name another)."""

    def __init__(self, port: int, identity: dict, extra_headers: str = ""):
        self.port = port
        self.identity = identity
        self.extra_headers = extra_headers
        self.reader = self.writer = None

    async def post(self, path: str, body: bytes, identity: dict | None = None) -> Sample:
        identity = identity or self.identity
        cookie = f"csrftoken={identity['csrf']}"
        if identity.get("session"):
            cookie += f"; sessionid={identity['session']}"
        head = (
            f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\nCookie: {cookie}\r\nX-CSRFToken: {identity['csrf']}\r\n"
            f"{self.extra_headers}\r\n"
        ).encode()
        started = time.perf_counter()
        reused = self.writer is not None
        status_line = await self._send(head + body)
        if not status_line and reused:
            # The server closed this kept-alive connection while it was idle (gunicorn's keep-alive
            # timeout): send again on a new one, as HTTP clients do with a stale pooled connection.
            await self.close()
            status_line = await self._send(head + body)
        status = int(status_line.split()[1])
        headers = {}
        while True:
            line = await self.reader.readline()
            if line in (b"\r\n", b""):
                break
            name, _colon, value = line.decode("latin-1").partition(":")
            headers[name.strip().lower()] = value.strip()
        data = await self.reader.readexactly(int(headers.get("content-length", "0")))
        seconds = time.perf_counter() - started
        if headers.get("connection", "").lower() == "close":
            await self.close()
        try:
            kind = json.loads(data).get("status", "")
        except ValueError:
            kind = data[:80].decode("latin-1")
        return Sample(status, seconds, int(headers.get("x-queries", "-1")), kind)

    async def _send(self, request: bytes) -> bytes:
        """Send one request (on a new connection if there is none); the status line, or b"" if the
        server had closed the connection."""
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        try:
            self.writer.write(request)
            await self.writer.drain()
            return await self.reader.readline()
        except ConnectionError:
            return b""

    async def close(self):
        if self.writer is not None:
            self.writer.close()
            self.writer = self.reader = None


class CpuMeter:
    """CPU time used by the gunicorn master and workers and by this run's PostgreSQL backends, read from
    /proc: a cost per request that the machine's other load and the client's own share do not move, as
    they move requests per second."""

    def __init__(self, gunicorn_pid: int, server: str, database: str):
        self.gunicorn_pid = gunicorn_pid
        self.database = database
        self.admin = admin_connection(server)
        self.tick = os.sysconf("SC_CLK_TCK")

    def _ticks(self, pid: int) -> int:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return 0
        return int(fields[11]) + int(fields[12])  # utime + stime

    def read(self) -> tuple[dict[int, int], dict[int, int]]:
        master = self.gunicorn_pid
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        web = {pid: self._ticks(pid) for pid in [master, *map(int, children)]}
        backends = self.admin.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", [self.database]
        ).fetchall()
        return web, {pid: self._ticks(pid) for (pid,) in backends}

    def add(self, phase: "Phase", before: tuple[dict[int, int], dict[int, int]]) -> None:
        after = self.read()
        web, db = (
            sum(now - then.get(pid, 0) for pid, now in a.items())
            for a, then in zip(after, before, strict=True)
        )
        phase.web_cpu += web / self.tick
        phase.db_cpu += db / self.tick

    def close(self) -> None:
        self.admin.close()


@dataclass
class Phase:
    name: str
    samples: list[Sample] = field(default_factory=list)
    elapsed: float = 0.0
    answer_rows: int = 0
    web_cpu: float = 0.0  # CPU seconds of gunicorn's processes during the phase
    db_cpu: float = 0.0  # and of this run's PostgreSQL backends

    def cpu_ms(self, seconds: float) -> float:
        return seconds / len(self.samples) * 1000 if self.samples else 0.0

    @property
    def rate(self) -> float:
        return len(self.samples) / self.elapsed if self.elapsed else 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(s.seconds for s in self.samples)
        return ordered[min(len(ordered) - 1, int(p / 100 * len(ordered)))] * 1000

    @property
    def queries(self) -> float:
        return statistics.median(s.queries for s in self.samples)

    def errors(self) -> list[Sample]:
        return [s for s in self.samples if s.status not in (200, 201)]


async def steady(
    name: str,
    path: str,
    connections: list[Connection],
    duration: float,
    seed: int,
    phase: Phase | None = None,
) -> Phase:
    """Every connection sends new visits back to back for `duration` seconds (adding to `phase`)."""
    phase = phase or Phase(name)
    deadline = time.perf_counter() + duration

    async def client(index: int, connection: Connection):
        rng = random.Random(seed * 1000 + index)
        while time.perf_counter() < deadline:
            body, rows = visit_body(rng)
            sample = await connection.post(path, json.dumps(body).encode())
            phase.samples.append(sample)
            if sample.status == 201:
                phase.answer_rows += rows

    started = time.perf_counter()
    await asyncio.gather(*(client(i, c) for i, c in enumerate(connections)))
    phase.elapsed += time.perf_counter() - started
    return phase


async def paced(
    name: str, path: str, connections: list[Connection], rate: float, duration: float, seed: int
) -> Phase:
    """An open-loop load of `rate` visits per second spread over the connections: the latency an observer
    sees when the server is not saturated. Latency counts from the scheduled moment, so a server that
    falls behind is not flattered (no coordinated omission)."""
    phase = Phase(name)
    interval = len(connections) / rate
    started = time.perf_counter()
    deadline = started + duration

    async def client(index: int, connection: Connection):
        rng = random.Random(seed * 1000 + index)
        due = started + rng.uniform(0, interval)
        while due < deadline:
            await asyncio.sleep(max(0.0, due - time.perf_counter()))
            body, rows = visit_body(rng)
            sample = await connection.post(path, json.dumps(body).encode())
            sample.seconds = time.perf_counter() - due
            phase.samples.append(sample)
            if sample.status == 201:
                phase.answer_rows += rows
            due += interval

    await asyncio.gather(*(client(i, c) for i, c in enumerate(connections)))
    phase.elapsed = time.perf_counter() - started
    return phase


async def burst(
    path: str, connections: list[Connection], total: int, resend_share: float, seed: int
) -> Phase:
    """`total` visits from one shared queue, each by a random observer; a share of them is sent a second
    time by the same observer: half right after the first (so another connection sends it at the same
    moment: a real race), half somewhere later (a retry after a lost response)."""
    rng = random.Random(seed)
    identities = [connection.identity for connection in connections]
    queue: list[tuple[bytes, int, dict]] = []
    for _ in range(total):
        body, rows = visit_body(rng, notes="burst")
        queue.append((json.dumps(body).encode(), rows, rng.choice(identities)))
    resent = rng.sample(range(total), int(total * resend_share))
    racing, later = resent[: len(resent) // 2], resent[len(resent) // 2 :]
    retries = [queue[index] for index in later]
    for offset, index in enumerate(sorted(racing)):
        queue.insert(index + offset + 1, queue[index + offset])
    for item in retries:
        queue.insert(rng.randint(len(queue) // 2, len(queue)), item)
    phase = Phase("burst")
    position = 0

    async def client(connection: Connection):
        nonlocal position
        while position < len(queue):
            body, rows, identity = queue[position]
            position += 1
            sample = await connection.post(path, body, identity)
            phase.samples.append(sample)
            if sample.status == 201:
                phase.answer_rows += rows

    started = time.perf_counter()
    await asyncio.gather(*(client(c) for c in connections))
    phase.elapsed = time.perf_counter() - started
    return phase


async def drive(
    port: int, identities: list[dict], duration: float, burst_size: int, rounds: int, meter: CpuMeter
) -> dict[str, Phase]:
    identities, russian = identities[: len(identities) // 2], identities[len(identities) // 2 :]
    connections = [Connection(port, identity) for identity in identities]
    in_russian = [Connection(port, identity) for identity in russian]
    anonymous = [Connection(port, {"csrf": identity["csrf"]}) for identity in identities]
    unaudited = [Connection(port, identity, "X-Bench-No-Audit: 1\r\n") for identity in identities]
    visits_path = f"/m/{MISSION}/api/visits/"
    baseline_path = "/bench/baseline/"
    phases = {}
    # Warm up: sessions tracked, database connections opened, the checklist version cached in every worker.
    await steady("warm-up", baseline_path, anonymous, 2, seed=1)
    await steady("warm-up", baseline_path, connections, 2, seed=1)
    phases["warm-up"] = await steady("warm-up", visits_path, connections, 3, seed=2)
    # The baselines and the filing take turns, `rounds` times: the machine's other load changes over a
    # run, and would otherwise favour whichever phase ran in a quiet moment.
    for name in ("bare", "baseline", "visits", "unaudited", "visits ru"):
        phases[name] = Phase(name)
    turns = (
        ("bare", baseline_path, anonymous, 3),
        ("baseline", baseline_path, connections, 3),
        ("visits", visits_path, connections, 4),
        ("unaudited", visits_path, unaudited, 7),
        ("visits ru", visits_path, in_russian, 9),
    )
    for turn in range(rounds):
        for name, path, group, seed in turns:
            before = meter.read()
            await steady(name, path, group, duration / rounds, seed=seed + 10 * turn, phase=phases[name])
            meter.add(phases[name], before)
    rate = max(1.0, phases["visits"].rate / 2)
    before = meter.read()
    phases["paced"] = await paced("paced", visits_path, connections, rate, duration, seed=6)
    meter.add(phases["paced"], before)
    before = meter.read()
    phases["burst"] = await burst(visits_path, connections, burst_size, 0.10, seed=5)
    meter.add(phases["burst"], before)
    # The same number of requests to the logged-in bare view (all new: its table refuses a repeated UUID).
    before = meter.read()
    phases["bare burst"] = await burst(baseline_path, connections, len(phases["burst"].samples), 0.0, seed=8)
    meter.add(phases["bare burst"], before)
    for connection in connections + anonymous + unaudited + in_russian:
        await connection.close()
    return phases


# ---------------------------------------------------------------------------
# Counting in SQL and reporting.
# ---------------------------------------------------------------------------


def drop_redis_keys(url: str, prefix: str) -> None:
    import redis

    client = redis.Redis.from_url(url)
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    if keys:
        client.delete(*keys)
    client.close()


def sql_counts(url: str) -> dict:
    import psycopg

    from bench._bench_urls import BASELINE_TABLE

    with psycopg.connect(url) as conn:
        row = conn.execute(
            "SELECT (SELECT count(*) FROM polling_visit), "  # noqa: S608 (BASELINE_TABLE: a constant of bench/)
            "(SELECT count(*) FROM polling_visit WHERE notes = 'burst'), "
            "(SELECT count(*) FROM (SELECT uuid FROM polling_visit GROUP BY uuid HAVING count(*) > 1) d), "
            "(SELECT count(*) FROM polling_answer), "
            "(SELECT count(*) FROM polling_visitrevision), "
            f"(SELECT count(*) FROM {BASELINE_TABLE}), "  # noqa: S608 (a constant)
            "(SELECT count(*) FROM polling_answer a JOIN polling_option o ON o.id = a.option_id WHERE o.flagged), "
            "(SELECT count(*) FROM missions_auditentry WHERE action = 'visit.create')"
        ).fetchone()
        version = conn.execute("SHOW server_version").fetchone()[0]
    keys = (
        "visits",
        "burst_visits",
        "duplicated_uuids",
        "answers",
        "revisions",
        "baseline_rows",
        "flagged_answers",
        "audit_entries",
    )
    from missions.audit_trail import audit_verify

    _checked, problems, _head = audit_verify()
    return {**dict(zip(keys, row, strict=True)), "postgres": version, "audit_problems": len(problems)}


def report(phases: dict[str, Phase], counts: dict, args) -> bool:
    bare, base, real, calm, blast = (phases[k] for k in ("bare", "baseline", "visits", "paced", "burst"))
    unaudited = phases["unaudited"]
    print(
        f"\nVisit filing bench: {args.clients} keep-alive clients, {args.duration:.0f} s per phase in {args.rounds} "
        f"turns, gunicorn gthread{'' if args.shared_socket else ' (a socket per worker)'} "
        f"{args.workers} workers x {args.threads} threads, PostgreSQL {counts['postgres']}, {os.cpu_count()} CPUs"
        + f"; load average at the end {os.getloadavg()[0]:.1f}"
    )
    print(
        f"{'':58}{'req/s':>8}{'p50 ms':>9}{'p99 ms':>9}{'queries':>9}{'errors':>8}"
        f"{'CPU ms/req: web':>17}{'db':>6}"
    )
    rows = (
        ("bare view, one INSERT, anonymous", bare),
        ("bare view, one INSERT, logged in (same middleware)", base),
        ("POST api/visits/, 40 answers, 64 clients flat out", real),
        ("  the same without the audit entry (X-Bench-No-Audit)", unaudited),
        ("  the same by observers who read Observa in Russian", phases["visits ru"]),
        (f"POST api/visits/, paced at {calm.rate:.0f}/s (half of the above)", calm),
    )
    for label, phase in rows:
        print(
            f"{label:58}{phase.rate:8.0f}{phase.percentile(50):9.1f}{phase.percentile(99):9.1f}"
            f"{phase.queries:9.0f}{len(phase.errors()):8d}"
            f"{phase.cpu_ms(phase.web_cpu):17.2f}{phase.cpu_ms(phase.db_cpu):6.2f}"
        )
    print(
        f"visits/s as a share of the bare view: {real.rate / bare.rate:.0%} anonymous, {real.rate / base.rate:.0%} "
        f"logged in (target >= 40%). Flat out, latency is the queue: {args.clients} clients / {real.rate:.0f} per s "
        f"= {args.clients / real.rate * 1000:.0f} ms on average (Little's law; the bare view's own p99 flat out is "
        f"{base.percentile(99):.0f} ms logged in); at half that load p99 is {calm.percentile(99):.0f} ms "
        f"(target < 200 ms)."
    )
    print(
        f"the audit trail costs {1 - real.rate / unaudited.rate:.0%} of the filing rate "
        f"({unaudited.rate:.0f} -> {real.rate:.0f} visits/s) and {real.percentile(50) - unaudited.percentile(50):+.0f} ms "
        f"at p50 flat out"
    )
    russian = phases["visits ru"]
    print(
        f"observers in Russian file at {russian.rate / real.rate:.0%} of the English rate "
        f"({russian.rate:.0f} vs {real.rate:.0f} visits/s, same turns; target >= 95%)"
    )
    kinds = {
        kind: sum(1 for s in blast.samples if s.kind == kind) for kind in {s.kind for s in blast.samples}
    }
    resent = int(args.burst * 0.10)
    burst_correct = (
        not blast.errors()
        and counts["burst_visits"] == args.burst
        and kinds.get("created") == args.burst
        and kinds.get("duplicate") == resent
        and counts["duplicated_uuids"] == 0
    )
    print(
        f"burst: {args.burst} visits + {resent} sent twice over {args.clients} connections in {blast.elapsed:.1f} s "
        f"(target < 10 s) = {len(blast.samples) / blast.elapsed:.0f} requests/s: {kinds}, {len(blast.errors())} errors, "
        f"p99 {blast.percentile(99):.0f} ms; in SQL {counts['burst_visits']} burst visits, "
        f"{counts['duplicated_uuids']} duplicated UUIDs"
    )
    bare_blast = phases["bare burst"]
    print(
        f"  baseline: the logged-in bare view took {bare_blast.elapsed:.1f} s for the same {len(bare_blast.samples)} "
        f"requests ({len(bare_blast.samples) / bare_blast.elapsed:.0f}/s, {len(bare_blast.errors())} errors): "
        f"the burst took {blast.elapsed / bare_blast.elapsed:.1f} times as long"
    )
    print(
        f"  CPU per request in the burst: web {blast.cpu_ms(blast.web_cpu):.2f} ms, database "
        f"{blast.cpu_ms(blast.db_cpu):.2f} ms (bare view: {bare_blast.cpu_ms(bare_blast.web_cpu):.2f} + "
        f"{bare_blast.cpu_ms(bare_blast.db_cpu):.2f} ms)"
    )
    filing = [p for name, p in phases.items() if name not in ("bare", "baseline", "bare burst")]
    created = sum(1 for p in filing for s in p.samples if s.status == 201)
    answer_rows = sum(p.answer_rows for p in filing)
    print(
        f"SQL: {counts['visits']} visits (201 responses: {created}), {counts['answers']} answer rows "
        f"(expected {answer_rows}), {counts['revisions']} revisions, {counts['flagged_answers']} flagged answers; "
        f"{counts['baseline_rows']} baseline rows; {counts['audit_entries']} visit.create audit entries, "
        f"chain verified: {counts['audit_problems']} problems"
    )
    unaudited_created = sum(1 for s in unaudited.samples if s.status == 201)
    audited = counts["audit_problems"] == 0 and counts["audit_entries"] == created - unaudited_created
    consistent = (
        counts["visits"] == created == counts["revisions"] and counts["answers"] == answer_rows and audited
    )
    steady_errors = [s for p in (bare, base, real, unaudited, russian, calm, bare_blast) for s in p.errors()]
    for sample in (steady_errors + blast.errors())[:5]:
        print("error:", sample)
    print(
        "correct: no error, no duplicate, every answer counted"
        if burst_correct and consistent and not steady_errors
        else "NOT CORRECT: see above"
    )
    return burst_correct and consistent and not steady_errors


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=64)
    parser.add_argument("--duration", type=float, default=15.0)
    # The production defaults (config/gunicorn.py): a worker per CPU, 2 threads, a socket per worker.
    from config import gunicorn as production

    parser.add_argument("--workers", type=int, default=production.workers)
    parser.add_argument("--threads", type=int, default=production.threads)
    parser.add_argument(
        "--shared-socket", action="store_true", help="one listening socket for all workers (no SO_REUSEPORT)"
    )
    parser.add_argument("--burst", type=int, default=3000)
    parser.add_argument("--rounds", type=int, default=3, help="turns the baselines and the filing take")
    parser.add_argument(
        "--gunicorn",
        action="append",
        default=[],
        help="another gunicorn option, e.g. --gunicorn=--reuse-port",
    )
    parser.add_argument("--keep-db", action="store_true", help="leave the database for a look afterwards")
    args = parser.parse_args()

    server = os.environ.get("DATABASE_SERVER", "postgres://postgres@127.0.0.1:5432").rstrip("/")
    name = f"observa_visit_bench_{os.getpid()}"
    database_url = f"{server}/{name}"
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "DJANGO_SETTINGS_MODULE": "bench._bench_settings",
        "PYTHONPATH": str(ROOT),
    }
    # Sessions are read from Redis, as in production; this run's keys have a prefix of their own.
    env["REDIS_URL"] = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    env["CACHE_KEY_PREFIX"] = name
    os.environ.update(
        {
            k: v
            for k, v in env.items()
            if k in ("DATABASE_URL", "DJANGO_SETTINGS_MODULE", "REDIS_URL", "CACHE_KEY_PREFIX")
        }
    )
    with admin_connection(server) as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    process = None
    try:
        print(f"Setting up {name} ...", flush=True)
        identities = build_world(args.clients)
        process = start_gunicorn(
            free_port(), args.workers, args.threads, env, args.gunicorn, reuse_port=not args.shared_socket
        )
        port = int(process.args[2].rsplit(":", 1)[1])
        print(f"gunicorn on 127.0.0.1:{port}; driving load ...", flush=True)
        meter = CpuMeter(process.pid, server, name)
        try:
            phases = asyncio.run(drive(port, identities, args.duration, args.burst, args.rounds, meter))
        finally:
            meter.close()
        stop_gunicorn(process)
        ok = report(phases, sql_counts(database_url), args)
    finally:
        if process is not None:
            stop_gunicorn(process)
        from django.db import connections

        connections.close_all()
        if args.keep_db:
            print(f"Kept the database: {database_url}")
        else:
            with admin_connection(server) as admin:
                admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            drop_redis_keys(env["REDIS_URL"], name)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
