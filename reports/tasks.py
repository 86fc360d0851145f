"""Background work of the reports app: keeping the dashboard's counts fresh, writing exports.

Tasks take primary keys and call a service. The periodic schedule is registered
below (celery beat): counts every few seconds, exports sweeper every minute.
"""

import logging

from celery import shared_task
from django.db import OperationalError

from config.celery import app
from missions.models import Mission
from reports import exports
from reports.selectors.refresh import refresh_results

log = logging.getLogger(__name__)

RESULTS_REFRESH_SECONDS = 5.0


@shared_task(acks_late=True, ignore_result=True)
def refresh_mission_results(mission_id: int) -> None:
    """Bring one mission's dashboard counts up to date (a no-op if another worker is doing it)."""
    if Mission.objects.filter(pk=mission_id).exists():
        refresh_results(mission_id)


@shared_task(acks_late=True, ignore_result=True, expires=RESULTS_REFRESH_SECONDS * 2)
def refresh_open_missions_results() -> None:
    """Every few seconds: the counts of every mission that is not closed."""
    for mission_id in Mission.objects.exclude(status=Mission.Status.CLOSED).values_list("pk", flat=True):
        refresh_results(mission_id)


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
    "reports-refresh-results": {"task": "reports.tasks.refresh_open_missions_results", "schedule": RESULTS_REFRESH_SECONDS},
    "reports-sweep-exports": {"task": "reports.tasks.sweep_exports", "schedule": 60.0},
}
