"""End to end with a real Celery worker on Redis and PostgreSQL: the demo statement, and a worker killed mid-render."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from demo.builder import load_demo
from missions.models import Member, Role
from reports.models import StatementRender
from reports.statements import rendering, services, signing
from reports.statements.tasks import sweep_stuck_renders
from tests.helpers.statements import add_demo_visits, approve, fast_passwords  # noqa: F401 - fast_passwords is an autouse fixture

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

PYHANKO = str(Path(sys.executable).with_name("pyhanko"))
CELERY = str(Path(sys.executable).with_name("celery"))


@pytest.fixture
def broker():
    url = os.environ.get("CELERY_BROKER_URL")
    if not url:
        pytest.skip("CELERY_BROKER_URL is not set: the worker tests need Redis")
    import redis

    redis.Redis.from_url(url).flushdb()  # no message left from an earlier run
    return url


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def _database_url() -> str:
    s = connection.settings_dict
    password = f":{s['PASSWORD']}" if s.get("PASSWORD") else ""
    return f"postgres://{s['USER']}{password}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def _start_worker(broker, media, tmp_path, name: str, **extra_env) -> subprocess.Popen:
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "CELERY_BROKER_URL": broker,
        "MEDIA_ROOT": str(media),
        "STATEMENT_RENDER_STALE_SECONDS": "3",
        **extra_env,
    }
    log = open(tmp_path / f"{name}.log", "wb")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [
            CELERY,
            "-A",
            "config",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=1",
            "-n",
            f"{name}@%h",
            "--without-gossip",
            "--without-mingle",
            "--without-heartbeat",
        ],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: killing it kills the render child too
    )


def _stop(worker: subprocess.Popen, sig=signal.SIGTERM) -> None:
    if worker.poll() is None:
        os.killpg(worker.pid, sig)
        try:
            worker.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(worker.pid, signal.SIGKILL)
            worker.wait(timeout=10)


def _wait_for(render_id: int, statuses: set, timeout: float = 120) -> StatementRender:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        render = StatementRender.objects.get(pk=render_id)
        if render.status in statuses:
            return render
        time.sleep(0.5)
    raise AssertionError(f"render {render_id} still {render.status} after {timeout} s")


def _demo():
    mission, _created = load_demo()
    add_demo_visits(mission)
    editor = Member.objects.get(mission=mission, role=Role.SECRETARIAT)
    head = Member.objects.get(mission=mission, role=Role.HEAD_OF_MISSION)
    return mission, editor, head


def test_demo_statement_is_drafted_approved_rendered_signed_and_verified(broker, media, tmp_path):
    mission, editor, head = _demo()
    worker = _start_worker(broker, media, tmp_path, "e2e")
    try:
        render = approve(mission, editor=editor, head=head)  # enqueued when this commits
        render = _wait_for(render.pk, {StatementRender.Status.DONE, StatementRender.Status.FAILED})
    finally:
        _stop(worker)
    assert render.status == StatementRender.Status.DONE, (tmp_path / "e2e.log").read_text()[-3000:]
    pdf = rendering.file_for(render).read_bytes()
    assert signing.check_signature(pdf, render.certificate_pem).valid
    verdict = services.statement_verify(data=pdf)
    assert verdict["ok"] and verdict["version"] == render.version and verdict["signature"].valid
    assert services.statement_verify(sha256=render.sha256)["ok"]
    (tmp_path / "cert.pem").write_text(render.certificate_pem)
    (tmp_path / "statement.pdf").write_bytes(pdf)
    cli = subprocess.run(
        [
            PYHANKO,
            "sign",
            "validate",
            "--trust",
            str(tmp_path / "cert.pem"),
            "--trust-replace",
            "--no-revocation-check",
            str(tmp_path / "statement.pdf"),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert cli.returncode == 0, cli.stdout + cli.stderr
    text = subprocess.run(
        ["pdftotext", str(tmp_path / "statement.pdf"), "-"], capture_output=True, text=True
    ).stdout
    flat = " ".join(text.split())
    assert (
        "divided into three groups and visited 22 polling stations in Baku, Shusha, Hankendi and Khojaly"
        in flat
    )
    assert "The Mission observed no significant irregularities." in flat
    assert "Kubanychbek Omuraliev" in flat


def test_a_render_killed_with_its_worker_is_completed_once_by_another(broker, media, tmp_path):
    mission, editor, head = _demo()
    slow = _start_worker(broker, media, tmp_path, "doomed", OBSERVA_TEST_RENDER_DELAY="60")
    try:
        render = approve(mission, editor=editor, head=head)
        _wait_for(render.pk, {StatementRender.Status.RENDERING}, timeout=60)
        time.sleep(6)  # the child has rendered and signed, and sleeps before writing
    finally:
        _stop(slow, signal.SIGKILL)  # kill -9 the worker, its pool process and the render child
    assert StatementRender.objects.get(pk=render.pk).status == StatementRender.Status.RENDERING
    folder = Path(media) / "statements" / mission.code
    assert not folder.exists() or not any(folder.iterdir())

    rescuer = _start_worker(broker, media, tmp_path, "rescuer")
    try:
        time.sleep(3)  # older than STATEMENT_RENDER_STALE_SECONDS (3 s in the workers)
        sweep_stuck_renders.apply_async(countdown=0)
        done = _wait_for(render.pk, {StatementRender.Status.DONE, StatementRender.Status.FAILED})
        time.sleep(2)  # give a duplicate delivery the chance to run (it must not)
    finally:
        _stop(rescuer)
    assert done.status == StatementRender.Status.DONE, (tmp_path / "rescuer.log").read_text()[-3000:]
    final = StatementRender.objects.get(pk=render.pk)
    assert final.attempts == 2 and final.sha256 == done.sha256
    files = sorted(p.name for p in folder.iterdir())
    assert files == [Path(final.path).name]  # exactly one PDF, no temporary file
    pdf = rendering.file_for(final).read_bytes()
    assert signing.check_signature(pdf, final.certificate_pem).valid
    import hashlib

    assert hashlib.sha256(pdf).hexdigest() == final.sha256
