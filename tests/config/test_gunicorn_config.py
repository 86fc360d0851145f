"""config/gunicorn.py, the container's web server settings: a worker per CPU, each on a socket of its own."""

import importlib
import json
import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from django.core.exceptions import ImproperlyConfigured

from tests.helpers.fault_servers import BIN, ROOT, free_port, stop_group, wait_for_port

VARIABLES = ("GUNICORN_BIND", "GUNICORN_WORKERS", "GUNICORN_THREADS", "GUNICORN_REUSE_PORT")


def _settings(monkeypatch, **env):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    import config.gunicorn

    return importlib.reload(config.gunicorn)


def test_defaults_are_a_gthread_worker_per_cpu_with_two_threads_and_a_socket_each(monkeypatch):
    settings = _settings(monkeypatch)
    assert settings.worker_class == "gthread"
    assert settings.workers == max(2, len(os.sched_getaffinity(0)))
    assert settings.threads == 2
    assert settings.reuse_port is True


def test_the_environment_overrides_them(monkeypatch):
    settings = _settings(monkeypatch, GUNICORN_WORKERS="5", GUNICORN_THREADS="3", GUNICORN_REUSE_PORT="false")
    assert (settings.workers, settings.threads, settings.reuse_port) == (5, 3, False)


def test_a_bad_value_is_refused_by_name(monkeypatch):
    with pytest.raises(ImproperlyConfigured, match="GUNICORN_WORKERS must be a whole number"):
        _settings(monkeypatch, GUNICORN_WORKERS="many")
    _settings(monkeypatch)  # leave the module as the other tests expect it


def _listening_sockets(port: int) -> int:
    """LISTEN entries for 127.0.0.1:port in the kernel's table."""
    local = f"0100007F:{port:04X}"
    rows = Path("/proc/net/tcp").read_text().splitlines()[1:]
    return sum(1 for row in rows if row.split()[1] == local and row.split()[3] == "0A")


@pytest.mark.parametrize(("reuse_port", "sockets"), [("true", 3), ("false", 1)])
def test_gunicorn_started_with_it_serves_pages_from_a_socket_per_worker(tmp_path, reuse_port, sockets):
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "GUNICORN_BIND": f"127.0.0.1:{port}",
        "GUNICORN_WORKERS": "3",
        "GUNICORN_REUSE_PORT": reuse_port,
    }
    with open(tmp_path / "gunicorn.log", "wb") as log:
        process = subprocess.Popen(
            [str(BIN / "gunicorn"), "-c", "python:config.gunicorn", "config.wsgi"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        wait_for_port(port, 60, process)
        # Every worker binds its own socket once it has booted.
        deadline = time.monotonic() + 30
        while _listening_sockets(port) < sockets and time.monotonic() < deadline:
            time.sleep(0.1)
        for _ in range(6):
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10) as response:
                assert response.status == 200
        assert _listening_sockets(port) == sockets
    finally:
        stop_group(process)
    assert "Booting worker" in (tmp_path / "gunicorn.log").read_text()


def test_the_wsgi_module_freezes_what_django_set_up():
    """config/wsgi.py: the objects alive once Django and the URLconf are loaded leave the collector's
    generations (gc.freeze), so a full collection no longer walks them."""
    code = (
        "import gc, json; import config.wsgi; "
        "print(json.dumps([gc.get_freeze_count(), len(gc.get_objects()), callable(config.wsgi.application)]))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=ROOT,
        env={**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    frozen, tracked, application = json.loads(done.stdout.strip().splitlines()[-1])
    assert application
    assert frozen > 50_000  # Django, the apps, their models and URL patterns
    assert tracked < 1_000
