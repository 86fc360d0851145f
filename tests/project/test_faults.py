"""Fault tests: the database restarted under load, a worker killed mid-render, the broker flushed.

Each runs the real parts (gunicorn, `celery -A config worker` with its beat, PostgreSQL, Redis) in child
processes against a PostgreSQL cluster and a redis-server of this module's own (tests/helpers/fault_servers.py),
never against the shared servers. The figures of each run are printed (see them with `-s`) and appended
to artifacts/faults.jsonl.
"""

from __future__ import annotations

import hashlib
import http.client
import json
import os
import random
import shutil
import signal
import subprocess
import threading
import time
from collections import Counter, defaultdict
from pathlib import Path

import psycopg.rows
import pytest

from tests.helpers import fault_servers as servers

pytestmark = [
    pytest.mark.fault,
    pytest.mark.skipif(
        not shutil.which("redis-server") or not list(Path("/usr/lib/postgresql").glob("*/bin/initdb")),
        reason="the fault tests start their own PostgreSQL and redis-server: binaries not installed",
    ),
]

ARTIFACTS = servers.ROOT / "artifacts"


def _record(name: str, figures: dict) -> None:
    line = json.dumps({"test": name, "at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **figures})
    print(f"\nFAULT RUN {line}")
    ARTIFACTS.mkdir(exist_ok=True)
    with open(ARTIFACTS / "faults.jsonl", "a") as out:
        out.write(line + "\n")


@pytest.fixture(scope="module")
def cluster():
    """This module's PostgreSQL, with a migrated template database the tests clone (~0.2 s each)."""
    pg = servers.start_postgres()
    try:
        servers.migrate(servers.app_env(pg.create_database("observa_template"), "redis://127.0.0.1:1/0"))
        yield pg
    finally:
        pg.destroy()


@pytest.fixture(scope="module")
def broker():
    redis_server = servers.start_redis()
    yield redis_server
    redis_server.destroy()


@pytest.fixture
def children():
    """Every process a test starts, stopped (with its process group) whatever happens."""
    started: list[subprocess.Popen] = []
    yield started
    for process in reversed(started):
        servers.stop_group(process)


def _database(cluster, name: str) -> str:
    return cluster.create_database(name, template="observa_template")


# ---------------------------------------------------------------------------
# 1. PostgreSQL restarted while observers file visits
# ---------------------------------------------------------------------------

VISITS = 250
SENDS = 4
CLIENTS = 12
RETRYABLE = {500, 502, 503, 504}


class Filer(threading.Thread):
    """One observer's phone: keep-alive HTTP, and on a network error or a 5xx the same body again later."""

    def __init__(self, port: int, path: str, queue, results, errors, lock):
        super().__init__(daemon=True)
        self.port, self.path, self.queue = port, path, queue
        self.results, self.errors, self.lock = results, errors, lock
        self.connection = None
        self.retries = 0

    def _send(self, body: bytes, identity: dict) -> tuple[int, dict]:
        headers = {
            "Content-Type": "application/json",
            "Cookie": f"csrftoken={identity['csrf']}; sessionid={identity['session']}",
            "X-CSRFToken": identity["csrf"],
        }
        delay = 0.05
        deadline = time.monotonic() + 90
        while True:
            try:
                if self.connection is None:
                    self.connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
                self.connection.request("POST", self.path, body, headers)
                response = self.connection.getresponse()
                data = response.read()
                if response.getheader("Connection", "").lower() == "close":
                    self.connection.close()
                    self.connection = None
                if response.status not in RETRYABLE:
                    return response.status, json.loads(data or b"{}")
                error = f"HTTP {response.status}"
            except (OSError, http.client.HTTPException) as exc:
                error = type(exc).__name__
                if self.connection is not None:
                    self.connection.close()
                self.connection = None
            with self.lock:
                self.errors[error] += 1
            self.retries += 1
            if time.monotonic() > deadline:
                return -1, {"status": f"gave up after {error}"}
            time.sleep(delay * random.uniform(0.5, 1.5))
            delay = min(delay * 2, 1.0)

    def run(self):
        while True:
            with self.lock:
                if not self.queue:
                    break
                index, body, identity = self.queue.pop(0)
            status, answer = self._send(body, identity)
            with self.lock:
                self.results[index].append((status, answer.get("status")))
        if self.connection is not None:
            self.connection.close()


def _submissions(identities: list[dict]) -> tuple[list, dict, dict]:
    """250 visits, each sent 4 times by its observer: twice back to back (two phones' threads race on
    it), twice later (a retry after a lost answer). Returns the queue, the UUIDs and the answer rows."""
    from bench import submit_visits

    rng = random.Random(6)
    bodies, rows = [], {}
    for n in range(VISITS):
        body, answer_rows = submit_visits.visit_body(rng, notes=f"fault {n}")
        bodies.append((n, json.dumps(body).encode(), identities[n % len(identities)]))
        rows[body["uuid"]] = answer_rows
    queue = [item for item in bodies for _ in range(2)]
    for item in bodies:
        for _ in range(SENDS - 2):
            first = queue.index(item)
            queue.insert(rng.randint(first + 2, len(queue)), item)
    uuids = {n: json.loads(body)["uuid"] for n, body, _identity in bodies}
    return queue, uuids, rows


def test_visits_filed_while_postgres_restarts_are_stored_once_each(cluster, broker, children, tmp_path):
    database = "observa_filing"
    env = servers.app_env(_database(cluster, database), broker.url(1))
    world = servers.seed(env, "filing-world", str(CLIENTS))
    gunicorn, port = servers.start_gunicorn(env, workers=2, threads=4, log=tmp_path / "gunicorn.log")
    children.append(gunicorn)
    queue, uuids, expected_rows = _submissions(world["identities"])
    assert len(queue) == VISITS * SENDS

    path = f"/m/{world['mission']}/api/visits/"
    results: dict[int, list] = defaultdict(list)
    errors: Counter = Counter()
    lock = threading.Lock()
    filers = [Filer(port, path, queue, results, errors, lock) for _ in range(CLIENTS)]
    restart = {}

    def restart_midway():
        while sum(len(r) for r in results.values()) < VISITS * SENDS * 0.3:
            time.sleep(0.01)
        restart["answered_before"] = sum(len(r) for r in results.values())
        restart["server_started_before"] = cluster.started_at()
        began = time.monotonic()
        cluster.restart()
        restart["seconds"] = round(time.monotonic() - began, 2)
        restart["answered_after"] = sum(len(r) for r in results.values())

    started = time.monotonic()
    restarter = threading.Thread(target=restart_midway, daemon=True)
    restarter.start()
    for filer in filers:
        filer.start()
    for filer in filers:
        filer.join(timeout=240)
    duration = time.monotonic() - started
    restarter.join(timeout=60)
    assert not any(filer.is_alive() for filer in filers), "clients still sending after 4 minutes"

    with cluster.connect(database) as conn:
        stored = dict(
            conn.execute(
                "SELECT v.uuid::text, count(a.id) FROM polling_visit v "
                "LEFT JOIN polling_answer a ON a.visit_id = v.id GROUP BY v.uuid"
            ).fetchall()
        )
        revisions = dict(
            conn.execute(
                "SELECT v.uuid::text, count(r.id) FROM polling_visit v "
                "JOIN polling_visitrevision r ON r.visit_id = v.id GROUP BY v.uuid"
            ).fetchall()
        )
    answers = Counter(answer for per_visit in results.values() for answer in per_visit)
    figures = {
        "visits": VISITS,
        "submissions": sum(len(r) for r in results.values()),
        "clients": CLIENTS,
        "seconds": round(duration, 1),
        "answers": {f"{status} {kind}": n for (status, kind), n in sorted(answers.items())},
        "errors_seen": dict(errors),
        "retries": sum(filer.retries for filer in filers),
        "restart": restart,
        "stored_visits": len(stored),
    }
    _record("postgres_restart", figures)

    # The restart happened while visits were being filed, and the server really went away.
    assert restart and VISITS * SENDS * 0.3 <= restart["answered_before"] < VISITS * SENDS
    assert restart["answered_after"] < VISITS * SENDS
    assert cluster.started_at() != restart["server_started_before"]
    # Clients only ever saw retryable errors, and every submission ended in a success.
    assert set(errors) <= {f"HTTP {s}" for s in RETRYABLE} | {
        "ConnectionRefusedError",
        "ConnectionResetError",
        "RemoteDisconnected",
        "BrokenPipeError",
    }, errors
    assert set(answers) <= {(201, "created"), (200, "duplicate")}, answers
    # Each visit: answered four times, created at most once, stored exactly once with all its answers.
    assert sorted(results) == list(range(VISITS))
    for n, per_visit in results.items():
        assert len(per_visit) == SENDS, (n, per_visit)
        assert sum(1 for status, _kind in per_visit if status == 201) <= 1, (n, per_visit)
    assert set(stored) == set(uuids.values()) and len(stored) == VISITS
    assert stored == expected_rows
    assert set(revisions.values()) == {1} and len(revisions) == VISITS


# ---------------------------------------------------------------------------
# 2 and 3. The statement render: a worker killed mid-render, the broker flushed under queued renders
# ---------------------------------------------------------------------------


STALE_SECONDS = 20


def _render_rows(cluster, database: str) -> dict[int, dict]:
    with cluster.connect(database) as conn:
        conn.row_factory = psycopg.rows.dict_row
        rows = conn.execute(
            "SELECT id, status, attempts, path, sha256, certificate_pem, error, started_at "
            "FROM reports_statementrender ORDER BY id"
        ).fetchall()
    return {row["id"]: row for row in rows}


def _wait_for(cluster, database: str, render_ids, statuses: set[str], timeout: float, logs=()) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        rows = _render_rows(cluster, database)
        if all(rows[pk]["status"] in statuses for pk in render_ids):
            return rows
        if time.monotonic() > deadline:
            tail = "\n".join(Path(log).read_text()[-2000:] for log in logs if Path(log).exists())
            raise AssertionError(f"renders not {statuses} after {timeout} s: {rows}\n{tail}")
        time.sleep(0.2)


def _assert_one_intact_signed_pdf(media: Path, row: dict) -> None:
    """Exactly one file for the render (no partial or temporary file), complete, and validly signed."""
    from reports.statements import signing

    folder = (media / row["path"]).parent
    assert sorted(p.name for p in folder.iterdir()) == [Path(row["path"]).name]
    pdf = (media / row["path"]).read_bytes()
    assert hashlib.sha256(pdf).hexdigest() == row["sha256"]
    info = subprocess.run(["pdfinfo", "-"], input=pdf, capture_output=True, timeout=30)
    assert info.returncode == 0 and b"Pages:" in info.stdout, info.stderr
    check = signing.check_signature(pdf, row["certificate_pem"])
    assert check.valid and check.intact, check.summary


def _process_group(pgid: int) -> list[str]:
    return subprocess.run(["pgrep", "-g", str(pgid)], capture_output=True, text=True).stdout.split()


def _worker_env(cluster, database: str, broker, media: Path, **extra: str) -> dict:
    return servers.app_env(cluster.url(database), broker.url(0), MEDIA_ROOT=str(media), **extra)


def test_a_worker_killed_mid_render_leaves_one_intact_signed_pdf(cluster, broker, children, tmp_path):
    database, media = "observa_killed", tmp_path / "media"
    broker.client().flushall()
    _database(cluster, database)
    # Stale after 20 s: well past a render's few seconds, so the rescuer's own render is never taken over.
    rescue = {"STATEMENT_RENDER_STALE_SECONDS": str(STALE_SECONDS), "STATEMENT_RENDER_SWEEP_SECONDS": "1"}
    env = _worker_env(cluster, database, broker, media, **rescue)
    started = time.monotonic()
    (render,) = servers.seed(env, "approved-statements", "1")["renders"]

    # 1. A worker that takes the render, then renders slowly (the render child sleeps before writing).
    doomed = servers.start_worker(
        {**env, "OBSERVA_TEST_RENDER_DELAY": "60"}, name="doomed", log=tmp_path / "doomed.log"
    )
    children.append(doomed)
    _wait_for(cluster, database, [render["id"]], {"rendering"}, 90, logs=[tmp_path / "doomed.log"])
    # Wait for the render child (worker, pool process, render server, child): it is making the PDF or
    # holds the signed PDF and waits to write it.
    deadline = time.monotonic() + 60
    while len(group := _process_group(doomed.pid)) < 4:
        assert time.monotonic() < deadline, f"no render child after 60 s: {group}"
        time.sleep(0.1)
    time.sleep(0.5)
    # 2. kill -9 the whole process group: worker, pool process, render server and render child.
    os.killpg(doomed.pid, signal.SIGKILL)
    doomed.wait(timeout=10)
    killed_at = time.monotonic()
    deadline = time.monotonic() + 10
    while _process_group(doomed.pid):
        assert time.monotonic() < deadline, "processes of the killed worker survive"
        time.sleep(0.1)
    assert _render_rows(cluster, database)[render["id"]]["status"] == "rendering"
    assert not [p for p in media.rglob("*") if p.is_file()], "a killed render left a file behind"

    # 3. A new worker with its beat: the sweeper sees the stale `rendering` row and queues it again.
    rescuer = servers.start_worker(
        env, name="rescuer", log=tmp_path / "rescuer.log", beat_schedule=tmp_path / "beat-schedule"
    )
    children.append(rescuer)
    rows = _wait_for(
        cluster, database, [render["id"]], {"done", "failed"}, 120, logs=[tmp_path / "rescuer.log"]
    )
    rescued_in = time.monotonic() - killed_at
    time.sleep(3)  # a second delivery of the message, had there been one, would run now
    servers.stop_group(rescuer)
    row = _render_rows(cluster, database)[render["id"]]
    _record(
        "worker_killed_mid_render",
        {
            "processes_killed": len(group),
            "attempts": row["attempts"],
            "rescued_seconds": round(rescued_in, 1),
            "stale_seconds": STALE_SECONDS,
            "seconds": round(time.monotonic() - started, 1),
            "files": sorted(str(p.relative_to(media)) for p in media.rglob("*") if p.is_file()),
        },
    )
    assert rows[render["id"]]["status"] == "done", rows[render["id"]]["error"]
    assert row["attempts"] == 2 and row["sha256"] == rows[render["id"]]["sha256"]
    assert [p for p in media.rglob("*") if p.is_file()] == [media / row["path"]]
    _assert_one_intact_signed_pdf(media, row)


def test_renders_queued_when_redis_is_flushed_are_completed_by_the_sweeper(
    cluster, broker, children, tmp_path
):
    database, media = "observa_flushed", tmp_path / "media"
    redis = broker.client()
    redis.flushall()
    _database(cluster, database)
    env = _worker_env(
        cluster,
        database,
        broker,
        media,
        STATEMENT_RENDER_REQUEUE_SECONDS="2",
        STATEMENT_RENDER_SWEEP_SECONDS="1",
        STATEMENT_RENDER_STALE_SECONDS="600",  # a render in progress is never taken away from its worker
    )
    started = time.monotonic()
    renders = servers.seed(env, "approved-statements", "2")["renders"]
    ids = [render["id"] for render in renders]

    # 1. No worker runs: the messages wait in Redis. 2. Redis loses everything.
    messages_before = redis.llen("celery")
    assert messages_before == len(renders)
    redis.flushall()
    assert redis.dbsize() == 0
    assert {row["status"] for row in _render_rows(cluster, database).values()} == {"queued"}

    # 3. A worker and its beat come back: the sweeper finds the queued rows and sends them again.
    worker = servers.start_worker(
        env, name="after-flush", log=tmp_path / "worker.log", beat_schedule=tmp_path / "beat-schedule"
    )
    children.append(worker)
    rows = _wait_for(cluster, database, ids, {"done", "failed"}, 150, logs=[tmp_path / "worker.log"])
    time.sleep(2)  # re-sent messages still in the queue must find the renders done and change nothing
    servers.stop_group(worker)
    final = _render_rows(cluster, database)
    _record(
        "redis_flushed_under_queued_renders",
        {
            "renders": len(ids),
            "messages_lost": messages_before,
            "attempts": [final[pk]["attempts"] for pk in ids],
            "seconds": round(time.monotonic() - started, 1),
        },
    )
    for pk in ids:
        assert rows[pk]["status"] == "done", rows[pk]["error"]
        assert final[pk]["attempts"] == 1 and final[pk]["sha256"] == rows[pk]["sha256"]
        _assert_one_intact_signed_pdf(media, final[pk])
    assert len([p for p in media.rglob("*") if p.is_file()]) == len(ids)
