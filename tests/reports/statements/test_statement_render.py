"""The render job: claims, idempotence, atomic files, failures with a reason, the sweeper, the status fragment."""

import datetime
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from reports.models import StatementRender
from reports.statements import rendering, services, signing
from reports.statements.tasks import sweep_stuck_renders
from tests.conftest import client_for
from tests.helpers.statements import approve, build_demo_like, fast_passwords  # noqa: F401 - fast_passwords is an autouse fixture


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def render(mission, secretariat, head_of_mission, media):
    build_demo_like(mission, serious_at=1)
    return approve(mission, editor=secretariat, head=head_of_mission)


def _files(media) -> list[Path]:
    return sorted(p for p in Path(media).rglob("*") if p.is_file())


def test_render_writes_a_signed_pdf_once_and_a_second_run_does_nothing(render, media):
    assert rendering.render_run(render.pk) == "done"
    render.refresh_from_db()
    assert render.status == StatementRender.Status.DONE and render.attempts == 1
    path = rendering.file_for(render)
    data = path.read_bytes()
    import hashlib

    assert hashlib.sha256(data).hexdigest() == render.sha256 and len(data) == render.size
    assert signing.check_signature(data, render.certificate_pem).valid
    assert _files(media) == [path]  # no temporary file left behind
    assert rendering.render_run(render.pk) == "skipped"
    render.refresh_from_db()
    assert render.attempts == 1 and path.read_bytes() == data


def test_only_one_of_two_claims_wins(render):
    assert services.render_claim(render.pk) == 1
    assert services.render_claim(render.pk) is None


def test_a_stale_render_is_taken_over_and_the_old_attempt_loses(render, media, monkeypatch):
    first = services.render_claim(render.pk)
    monkeypatch.setattr(services, "RENDER_STALE_SECONDS", -1)
    assert rendering.render_run(render.pk) == "done"
    render.refresh_from_db()
    assert render.attempts == first + 1
    # The dead attempt waking up cannot overwrite the finished render.
    assert not services.render_finish(render.pk, first, path="x", sha256="0" * 64, size=1, certificate_pem="")
    render.refresh_from_db()
    assert render.path.endswith(f"-{first + 1}.pdf")


def test_a_failing_render_is_marked_failed_with_the_reason(render, media, monkeypatch):
    real = rendering.payload_for

    def broken(version, out):
        payload = real(version, out)
        payload["sign"]["passphrase"] = "not the passphrase"
        return payload

    monkeypatch.setattr(rendering, "payload_for", broken)
    assert rendering.render_run(render.pk) == "failed"
    render.refresh_from_db()
    assert render.status == StatementRender.Status.FAILED
    assert "ValueError" in render.error or "passphrase" in render.error.lower(), render.error
    assert _files(media) == []


def test_sweeper_requeues_renders_stuck_in_rendering(render, monkeypatch, django_capture_on_commit_callbacks):
    services.render_claim(render.pk)
    StatementRender.objects.filter(pk=render.pk).update(
        started_at=timezone.now() - datetime.timedelta(hours=1)
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep_stuck_renders() == 1
    render.refresh_from_db()
    assert render.status == StatementRender.Status.QUEUED
    assert len(callbacks) == 1


def test_sweeper_leaves_fresh_and_finished_renders_alone(render, media, django_capture_on_commit_callbacks):
    services.render_claim(render.pk)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert sweep_stuck_renders() == 0
    assert callbacks == []


def test_retry_after_failure_requeues(render, secretariat, django_capture_on_commit_callbacks):
    attempt = services.render_claim(render.pk)
    services.render_fail(render.pk, attempt, "boom")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        services.statement_retry_render(version=render.version, user=secretariat.user)
    render.refresh_from_db()
    assert render.status == StatementRender.Status.QUEUED and render.attempts == 0 and len(callbacks) == 1


def test_status_fragment_polls_until_done(client, render, secretariat, mission, media):
    url = reverse("reports:statement_render_status", args=[mission.code, render.version.number])
    client = client_for(client, secretariat)
    queued = client.get(url)
    assert b'hx-trigger="every 2s"' in queued.content and b"queued" in queued.content
    rendering.render_run(render.pk)
    done = client.get(url)
    assert b"hx-trigger" not in done.content and b'id="download-pdf"' in done.content
    render.refresh_from_db()
    assert render.sha256.encode() in done.content


def test_failed_status_shows_the_reason(client, render, secretariat, mission):
    attempt = services.render_claim(render.pk)
    services.render_fail(render.pk, attempt, "fonts <missing>")
    page = client_for(client, secretariat).get(
        reverse("reports:statement_render_status", args=[mission.code, render.version.number])
    )
    assert b"fonts &lt;missing&gt;" in page.content and b"hx-trigger" not in page.content
