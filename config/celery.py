import os

from celery import Celery
from celery.signals import setup_logging
from django.db import transaction

from config.logging import configure_celery_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Workers and beat log JSON lines through settings.LOGGING, not Celery's own text format.
setup_logging.connect(configure_celery_logging, weak=False)

app = Celery("observa")
app.config_from_object("django.conf:settings", namespace="CELERY")
# Each feature keeps its tasks in its own tasks.py (reports/apps.py imports them in every process).
app.autodiscover_tasks(["reports.results", "reports.exports", "reports.statements"])

# Periodic work (run `celery -A config beat` next to the workers) is declared next to its tasks:
# reports/results/tasks.py and reports/statements/tasks.py add their entries to app.conf.beat_schedule.


def enqueue_on_commit(name: str, *args) -> None:
    """Send the task called `name` to a worker once the current transaction has committed.

    Services queue their feature's tasks by name, so that a service does not import the module of the
    task that calls it back (the tasks call the services: no import cycle). The task modules are
    imported when Django starts (reports/apps.py), so the name is known in every process and
    CELERY_TASK_ALWAYS_EAGER (the laptop set-up) still runs the task in-process.
    """
    transaction.on_commit(lambda: app.tasks[name].delay(*args))
