"""End to end with a real Celery worker on Redis: ask for an export on the page, the worker writes it, download it."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from reports.models import Export
from tests.conftest import client_for
from tests.helpers.results import build_small

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def worker():
    if not settings.CELERY_BROKER_URL:
        pytest.skip("needs CELERY_BROKER_URL (a Redis broker)")
    db = connection.settings_dict
    env = os.environ | {
        "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        "CELERY_BROKER_URL": settings.CELERY_BROKER_URL,
    }
    celery = Path(sys.executable).with_name("celery")
    subprocess.run(
        [celery, "-A", "config", "purge", "-f"], env=env, check=True, capture_output=True, timeout=60
    )
    proc = subprocess.Popen(
        [
            celery,
            "-A",
            "config",
            "worker",
            "-P",
            "solo",
            "--loglevel=WARNING",
            "--without-gossip",
            "--without-mingle",
        ],
        env=env,
        cwd=settings.BASE_DIR,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    yield proc
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def test_worker_writes_the_export_and_the_page_offers_the_download(client, mission, head_of_mission, worker):
    small = build_small(mission)
    c = client_for(client, head_of_mission)
    code = small.mission.code
    c.post(
        reverse("reports:exports", kwargs={"code": code}),
        {"kind": "visits", "format": "xlsx", "checklist": "opening"},
    )
    export = Export.objects.get()
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        export.refresh_from_db()
        if export.is_finished:
            break
        assert worker.poll() is None, worker.stderr.read().decode()[-2000:]
        time.sleep(0.5)
    assert export.status == "done", export.error
    row = c.get(
        reverse("reports:export_status", kwargs={"code": code, "export": export.uuid})
    ).content.decode()
    assert "Download" in row
    response = c.get(reverse("reports:export_download", kwargs={"code": code, "export": export.uuid}))
    assert response.status_code == 200
    assert b"".join(response.streaming_content)[:2] == b"PK"  # a zip: the XLSX
    export.file.delete(save=False)
