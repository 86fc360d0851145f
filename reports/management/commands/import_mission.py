"""python manage.py import_mission FILE: create a mission from a bundle (docs/mission-bundle.md)."""

import json
import sys
import time
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from reports.bundle import BundleInvalid, mission_import


class Command(BaseCommand):
    help = (
        "Create a mission, with its members, teams, stations, checklists, meetings, visits and incidents, "
        "from a mission bundle (JSON). All or nothing: an invalid bundle is refused with every error listed."
    )

    def add_arguments(self, parser):
        parser.add_argument("file", help="The bundle, a UTF-8 JSON file ('-' reads standard input).")

    def handle(self, *args, file, **options):
        data = _read(file)
        started = time.monotonic()
        try:
            mission = mission_import(data, file_name="" if file == "-" else file)
        except BundleInvalid as invalid:
            for line in invalid.lines():
                self.stderr.write(line)
            raise CommandError(
                _("%(count)d error(s): the bundle was not imported, nothing was written.")
                % {"count": len(invalid.errors)}
            ) from None
        counts = {
            "members": mission.members.count(),
            "teams": mission.teams.count(),
            "stations": mission.stations.count(),
            "checklists": mission.checklists.count(),
            "meetings": mission.meetings.count(),
            "visits": mission.visits.count(),
            "incidents": mission.incidents.count(),
        }
        summary = ", ".join(f"{count} {name}" for name, count in counts.items())
        self.stdout.write(
            self.style.SUCCESS(
                _("Imported mission %(code)s in %(seconds).1f s: %(summary)s.")
                % {"code": mission.code, "seconds": time.monotonic() - started, "summary": summary}
            )
        )


def _read(file: str):
    """The parsed bundle; decimals are read as Decimal so coordinates and numbers stay exact."""
    try:
        if file == "-":
            text = sys.stdin.read()
        else:
            with open(file, encoding="utf-8") as handle:
                text = handle.read()
    except OSError as error:
        raise CommandError(
            _("Cannot read %(file)s: %(error)s") % {"file": file, "error": error.strerror}
        ) from None
    except UnicodeDecodeError:
        raise CommandError(_("%(file)s is not UTF-8 text.") % {"file": file}) from None
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as error:
        raise CommandError(
            _("$: not valid JSON: %(message)s at line %(line)s, column %(column)s.")
            % {"message": error.msg, "line": error.lineno, "column": error.colno}
        ) from None
