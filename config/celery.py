import os

from celery import Celery
from celery.signals import setup_logging

from config.logging import configure_celery_logging

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

# Workers and beat log JSON lines through settings.LOGGING, not Celery's own text format.
setup_logging.connect(configure_celery_logging, weak=False)

app = Celery("observa")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The statement's tasks live in reports/statement_tasks.py (reports/tasks.py holds the results' tasks).
app.autodiscover_tasks(["reports"], related_name="statement_tasks")

# Periodic work (run `celery -A config beat` next to the workers) is declared next to its tasks:
# reports/tasks.py and reports/statement_tasks.py add their entries to app.conf.beat_schedule.
