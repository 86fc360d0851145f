from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DemoConfig(AppConfig):
    """The demo mission of `make run` (load_demo): it builds data of every app, so it sits above them all."""

    name = "demo"
    verbose_name = _("Demo")
