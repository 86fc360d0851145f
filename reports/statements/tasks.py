"""Celery tasks of the statement: render the signed PDF, and sweep renders a dead worker left behind."""

from __future__ import annotations

import datetime
import logging

from celery import shared_task
from celery.signals import worker_process_init
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import app
from reports.models import StatementRender
from reports.statements import rendering, services

logger = logging.getLogger(__name__)


@worker_process_init.connect
def _start_render_server(**kwargs) -> None:
    """Each pool process gets its warm render server at start, so no render pays for the imports."""
    from reports.statements import pdf

    pdf.warm_up()


@shared_task(
    bind=True,
    acks_late=True,
    reject_on_worker_lost=True,
    autoretry_for=rendering.TRANSIENT_ERRORS,
    retry_backoff=5,
    max_retries=5,
)
def render_statement(self, render_id: int) -> str:
    """Render one approved statement. Safe to run twice: a done render is skipped."""
    return rendering.render_run(render_id)


# A queued render whose message may be gone (Redis flushed or restarted without persistence) is sent
# again after this long. Sending it twice is harmless: the claim lets exactly one delivery render it.
RENDER_REQUEUE_SECONDS = settings.STATEMENT_RENDER_REQUEUE_SECONDS


@shared_task(acks_late=True)
def sweep_stuck_renders() -> int:
    """Re-queue renders a dead worker left in `rendering`, and queued ones whose message was lost.

    The database, not the broker, knows what is pending: a render still `queued` after
    RENDER_REQUEUE_SECONDS is sent again, and its `queued_at` restarts the clock.
    """
    now = timezone.now()
    stale = now - datetime.timedelta(seconds=services.RENDER_STALE_SECONDS)
    forgotten = now - datetime.timedelta(seconds=RENDER_REQUEUE_SECONDS)
    requeued = 0
    with transaction.atomic():
        stuck = list(
            StatementRender.objects.select_for_update(skip_locked=True).filter(
                status=StatementRender.Status.RENDERING, started_at__lt=stale
            )
        )
        waiting = list(
            StatementRender.objects.select_for_update(skip_locked=True).filter(
                status=StatementRender.Status.QUEUED, queued_at__lt=forgotten
            )
        )
        for render in [*stuck, *waiting]:
            render.status, render.queued_at = StatementRender.Status.QUEUED, now
            render.save(update_fields=["status", "queued_at"])
            services.enqueue_render(render)
            requeued += 1
    if requeued:
        logger.warning("re-queued %s statement render(s) left behind", requeued)
    return requeued


# Periodic work: beat runs the sweeper every STATEMENT_RENDER_SWEEP_SECONDS.
app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "statement-render-sweeper": {
        "task": "reports.statements.tasks.sweep_stuck_renders",
        "schedule": float(settings.STATEMENT_RENDER_SWEEP_SECONDS),
    },
}
