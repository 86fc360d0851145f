"""Background work of the results: keeping the dashboard's counts fresh.

Tasks take primary keys and call a service. The periodic schedule is registered
below (celery beat): counts every few seconds.
"""

import logging

from celery import shared_task

from config.celery import app
from missions.models import Mission
from reports.results.panels import warm_panels
from reports.results.refresh import refresh_results
from reports.results.selectors.dashboard import uses_counts

log = logging.getLogger(__name__)

RESULTS_REFRESH_SECONDS = 5.0


@shared_task(acks_late=True, ignore_result=True)
def refresh_mission_results(mission_id: int) -> None:
    """Bring one mission's dashboard counts up to date (a no-op if another worker is doing it)."""
    mission = Mission.objects.filter(pk=mission_id).first()
    if mission is not None:
        _refresh_and_warm(mission)


@shared_task(acks_late=True, ignore_result=True, expires=RESULTS_REFRESH_SECONDS * 2)
def refresh_open_missions_results() -> None:
    """Every few seconds: the counts of every mission that is not closed."""
    for mission in Mission.objects.exclude(status=Mission.Status.CLOSED):
        _refresh_and_warm(mission)


def _refresh_and_warm(mission: Mission) -> None:
    """Refresh the counts; if they moved, render the panels people are watching, off their requests."""
    if not uses_counts():  # SQLite (laptop demo): the dashboard computes live, there are no counts
        return
    report = refresh_results(mission.pk)
    if report.locked and (report.changed_visits or report.rebuilt):
        with mission.local_time():  # as the mission's pages show them
            warm_panels(mission)


app.conf.beat_schedule = {
    **(app.conf.beat_schedule or {}),
    "reports-refresh-results": {
        "task": "reports.results.tasks.refresh_open_missions_results",
        "schedule": RESULTS_REFRESH_SECONDS,
    },
}
