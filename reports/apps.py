from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ReportsConfig(AppConfig):
    name = "reports"
    verbose_name = _("Reports")

    def ready(self):
        # Register the features' Celery tasks in every process, so services can queue them by name
        # (config.celery.enqueue_on_commit) and the worker's autodiscovery finds the same names.
        from reports.exports import tasks as export_tasks  # noqa: F401
        from reports.results import tasks as results_tasks  # noqa: F401
        from reports.statements import tasks as statement_tasks  # noqa: F401
