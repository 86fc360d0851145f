"""python manage.py export_mission CODE FILE: write a mission out as a bundle (docs/mission-bundle.md)."""

import os
import sys
import tempfile
import time

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from missions.models import Mission
from reports.bundle import bundle_dumps, mission_export


class Command(BaseCommand):
    help = (
        "Write a mission and everything in it to one JSON file (a mission bundle) that import_mission reads."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The mission's short code, e.g. ots-az-2024.")
        parser.add_argument("file", help="Where to write the bundle ('-' writes to standard output).")

    def handle(self, *args, code, file, **options):
        mission = Mission.objects.filter(code=code).first()
        if mission is None:
            raise CommandError(_("There is no mission with the code %(code)s.") % {"code": code})
        started = time.monotonic()
        bundle = mission_export(mission)
        text = bundle_dumps(bundle)
        if file == "-":
            sys.stdout.write(text)
            report = self.stderr
        else:
            _write(file, text)
            report = self.stdout
        counts = ", ".join(f"{len(bundle[key])} {key}" for key in list(bundle)[2:])
        report.write(
            _("Exported mission %(code)s in %(seconds).1f s: %(counts)s.")
            % {"code": code, "seconds": time.monotonic() - started, "counts": counts}
        )


def _write(file: str, text: str) -> None:
    """Write next to the target and rename: an interrupted export never leaves half a bundle behind."""
    directory = os.path.dirname(os.path.abspath(file))
    temporary = None
    try:
        handle, temporary = tempfile.mkstemp(dir=directory, prefix=".bundle-", suffix=".json")
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(temporary, file)
    except OSError as error:
        if temporary and os.path.exists(temporary):
            os.unlink(temporary)
        raise CommandError(
            _("Cannot write %(file)s: %(error)s") % {"file": file, "error": error.strerror}
        ) from None
