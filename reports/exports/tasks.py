"""Background work of the exports: writing a requested export, and requeueing lost ones.

Tasks take primary keys and call a service. The sweeper runs every minute (celery beat).
"""

from celery import shared_task
from django.db import OperationalError

from config.celery import app
from reports.exports import services as exports


@shared_task(
    acks_late=True,
    ignore_result=True,
    autoretry_for=(OperationalError,),
    retry_backoff=True,
    max_retries=3,
)
def run_export(export_id: int) -> None:
    exports.export_run(export_id)


@shared_task(acks_late=True, ignore_result=True)
def sweep_exports() -> None:
    """Requeue exports whose worker died, or that no worker picked up."""
    for export_id in exports.exports_sweep():
        run_export.delay(export_id)


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "reports-sweep-exports": {"task": "reports.exports.tasks.sweep_exports", "schedule": 60.0},
}
