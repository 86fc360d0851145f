"""Throwaway servers for the fault tests (tests/project/test_faults.py), and the seeding they run in a child process.

The fault tests restart, flush and kill things, so they never touch the PostgreSQL and Redis the rest of
the suite (and the other people on this machine) use: each test module starts its own PostgreSQL cluster in
a temporary folder and its own redis-server, both on free loopback ports, and removes them afterwards.

The app itself (gunicorn, Celery workers, the seeding below) runs in child processes pointed at those
servers by DATABASE_URL / CELERY_BROKER_URL, exactly as it runs in production; the test process only reads
the databases with psycopg.

    python -m tests.helpers.fault_servers filing-world <clients>   # migrate, mission + checklist + logged-in observers
    python -m tests.helpers.fault_servers approved-statements <n>  # n missions, each with an approved statement
"""

from __future__ import annotations

import contextlib
import json
import os
import pwd
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from tests.helpers.paths import REPO

ROOT = REPO
PYTHON = sys.executable
BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_port(port: int, timeout: float, process: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and process.poll() is not None:
            raise RuntimeError(f"{process.args[0]} exited with status {process.returncode}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listens on 127.0.0.1:{port} after {timeout} s")


def stop_group(process: subprocess.Popen, sig: int = signal.SIGTERM, timeout: float = 20) -> None:
    """Signal the process group `process` leads (started with start_new_session=True), then reap it."""
    if process.poll() is None:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, sig)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
    # A SIGKILLed leader leaves its children (pool processes, render servers) to die on their own.
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)


# ---------------------------------------------------------------------------
# PostgreSQL
# ---------------------------------------------------------------------------


def postgres_bin() -> Path:
    """The newest installed server's bin folder (Debian: /usr/lib/postgresql/<major>/bin)."""
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin/initdb"), key=lambda path: int(path.parent.parent.name)
    )
    if not found:
        raise RuntimeError("no PostgreSQL server binaries under /usr/lib/postgresql")
    return found[-1].parent


@dataclass
class PostgresCluster:
    """A cluster in a temporary folder, trusting local connections, on a port of its own."""

    root: Path
    port: int
    bin: Path = field(default_factory=postgres_bin)

    @property
    def data(self) -> Path:
        return self.root / "data"

    def _as_owner(self) -> list[str]:
        # initdb and postgres refuse to run as root: run them as the `postgres` user then.
        return ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def pg_ctl(self, *args: str, timeout: float = 60) -> None:
        # fsync off: nothing here survives the test anyway. Commits stay synchronous (the server's
        # default), so a restart may lose nothing a client was told is stored.
        options = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c fsync=off"
        subprocess.run(
            [*self._as_owner(), str(self.bin / "pg_ctl"), "-D", str(self.data), "-l", str(self.root / "log")]
            + ["-w", "-t", str(int(timeout)), "-o", options, *args],
            check=True,
            capture_output=True,
            timeout=timeout + 10,
        )

    def init(self) -> None:
        subprocess.run(
            [*self._as_owner(), str(self.bin / "initdb"), "-D", str(self.data), "-U", "postgres"]
            + ["--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C.UTF-8"],
            check=True,
            capture_output=True,
            timeout=120,
        )

    def start(self) -> None:
        self.pg_ctl("start")

    def restart(self) -> None:
        """`pg_ctl restart -m fast`: every connection is cut, the server is back when this returns."""
        self.pg_ctl("restart", "-m", "fast")

    def stop(self, mode: str = "fast") -> None:
        self.pg_ctl("stop", "-m", mode)

    def url(self, database: str = "postgres") -> str:
        return f"postgres://postgres@127.0.0.1:{self.port}/{database}"

    def connect(self, database: str = "postgres"):
        import psycopg

        return psycopg.connect(self.url(database), autocommit=True, connect_timeout=10)

    def create_database(self, name: str, template: str = "template1") -> str:
        with self.connect() as conn:
            conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        return self.url(name)

    def started_at(self) -> str:
        with self.connect() as conn:
            return str(conn.execute("SELECT pg_postmaster_start_time()").fetchone()[0])

    def destroy(self) -> None:
        with contextlib.suppress(subprocess.SubprocessError, OSError):
            self.pg_ctl("stop", "-m", "immediate", timeout=20)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresCluster:
    root = Path(tempfile.mkdtemp(prefix="observa-fault-pg-"))
    if os.geteuid() == 0:
        owner = pwd.getpwnam("postgres")
        os.chown(root, owner.pw_uid, owner.pw_gid)
    cluster = PostgresCluster(root=root, port=free_port())
    try:
        cluster.init()
        cluster.start()
    except BaseException:
        cluster.destroy()
        raise
    return cluster


# ---------------------------------------------------------------------------
# Redis
# ---------------------------------------------------------------------------


@dataclass
class RedisServer:
    process: subprocess.Popen
    port: int
    root: Path

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def client(self):
        import redis

        return redis.Redis(host="127.0.0.1", port=self.port)

    def destroy(self) -> None:
        stop_group(self.process, timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def start_redis() -> RedisServer:
    """A redis-server with no persistence at all: FLUSHALL really loses every message."""
    root = Path(tempfile.mkdtemp(prefix="observa-fault-redis-"))
    port = free_port()
    process = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port)]
        + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    server = RedisServer(process=process, port=port, root=root)
    try:
        wait_for_port(port, 20, process)
        deadline = time.monotonic() + 20
        while not server.client().ping() and time.monotonic() < deadline:
            time.sleep(0.1)
    except BaseException:
        server.destroy()
        raise
    return server


# ---------------------------------------------------------------------------
# The app in child processes
# ---------------------------------------------------------------------------


def app_env(database_url: str, redis_url: str, **extra: str) -> dict:
    env = {
        **os.environ,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LOG_LEVEL": "WARNING",
        "PYTHONPATH": str(ROOT),
        **extra,
    }
    env.pop("DJANGO_DEBUG", None)
    return env


def migrate(env: dict) -> None:
    done = subprocess.run(
        [PYTHON, "manage.py", "migrate", "--noinput", "-v", "0"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"migrate failed:\n{done.stderr[-4000:]}")


def seed(env: dict, command: str, *args: str):
    """Run one of the seeding commands below in a child process; returns what it printed (JSON)."""
    done = subprocess.run(
        [PYTHON, "-m", "tests.helpers.fault_servers", command, *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding {command} failed:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def start_gunicorn(env: dict, *, workers: int, threads: int, log: Path) -> tuple[subprocess.Popen, int]:
    port = free_port()
    with open(log, "ab") as out:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "config.wsgi:application", f"--bind=127.0.0.1:{port}"]
            + ["--worker-class=gthread", f"--workers={workers}", f"--threads={threads}"]
            + ["--keep-alive=30", "--backlog=2048", "--log-level=warning", "--timeout=60"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, 60, process)
    except BaseException:
        stop_group(process)
        raise
    return process, port


def start_worker(env: dict, *, name: str, log: Path, beat_schedule: Path | None = None) -> subprocess.Popen:
    """`celery -A config worker` (prefork, one process), with an embedded beat when `beat_schedule` is given.

    Its own process group: killing the group kills the worker, its pool process and the render server.
    """
    command = [str(BIN / "celery"), "-A", "config", "worker", "--loglevel=WARNING", "--concurrency=1"]
    command += ["-n", f"{name}@%h", "--without-gossip", "--without-mingle", "--without-heartbeat"]
    if beat_schedule is not None:
        command += ["--beat", "--schedule", str(beat_schedule)]
    with open(log, "ab") as out:
        return subprocess.Popen(
            command, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


# ---------------------------------------------------------------------------
# Seeding, run as `python -m tests.helpers.fault_servers <command>` with the child's DATABASE_URL
# ---------------------------------------------------------------------------


def _filing_world(clients: int) -> dict:
    """The visit bench's world (bench/submit_visits.py): 40-question checklist, logged-in observers."""
    from bench import submit_visits

    identities = submit_visits.build_world(clients)
    return {"mission": submit_visits.MISSION, "identities": identities}


def _approved_statements(count: int) -> dict:
    """`count` missions like the demo (22 stations, 3 teams, one visit each), each statement approved.

    The renders are queued when each approval commits (the Celery message goes to CELERY_BROKER_URL).
    """
    import django

    django.setup()
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    from missions.models import Role
    from tests.helpers.factories import make_member, make_mission
    from tests.helpers.statements import approve, build_demo_like

    renders = []
    for n in range(count):
        mission = make_mission(f"fault-{os.getpid()}-{n}")
        build_demo_like(mission, serious_at=2, campaign_at=5)
        editor = make_member(mission, Role.SECRETARIAT)
        head = make_member(mission, Role.HEAD_OF_MISSION)
        render = approve(mission, editor=editor, head=head)
        renders.append({"id": render.pk, "mission": mission.code})
    return {"renders": renders}


def main(argv: list[str]) -> None:
    command, *args = argv
    if command == "filing-world":
        result = _filing_world(int(args[0]))
    elif command == "approved-statements":
        result = _approved_statements(int(args[0]))
    else:
        raise SystemExit(f"unknown command {command!r}")
    print(json.dumps(result))


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(sys.argv[1:])
