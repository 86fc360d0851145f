"""python manage.py export_checklist MISSION CHECKLIST [--format json|xlsform] [--number N] [-o FILE]"""

import json
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from polling.checklists import checklist_to_json, checklist_to_xlsform
from polling.models import Checklist


class Command(BaseCommand):
    help = (
        "Export a checklist version (default: the current one) as our JSON format or as an XLSForm (.xlsx)."
    )

    def add_arguments(self, parser):
        parser.add_argument("mission", help="The mission's short code.")
        parser.add_argument("checklist", help="The checklist's code.")
        parser.add_argument("--format", choices=["json", "xlsform"], default="json")
        parser.add_argument("--number", type=int, help="The version number (default: the current version).")
        parser.add_argument(
            "-o", "--output", type=Path, help="File to write (default: standard output, JSON only)."
        )

    def handle(self, *args, mission, checklist, format, number, output, **options):  # noqa: A002
        found = Checklist.objects.filter(mission__code=mission, code=checklist).select_related(
            "current_version"
        )
        checklist_row = found.first()
        if checklist_row is None:
            raise CommandError(f"Mission {mission} has no checklist {checklist}.")
        version = (
            checklist_row.versions.filter(number=number).first() if number else checklist_row.current_version
        )
        if version is None:
            raise CommandError(
                f"{checklist} has no version {number}." if number else f"{checklist} has no version."
            )
        if format == "xlsform":
            if output is None:
                raise CommandError("An XLSForm is a binary file: give --output FILE.xlsx.")
            output.write_bytes(checklist_to_xlsform(version=version))
        else:
            text = json.dumps(checklist_to_json(version=version), ensure_ascii=False, indent=2) + "\n"
            if output is None:
                self.stdout.write(text, ending="")
            else:
                output.write_text(text, encoding="utf-8")
        if output is not None:
            self.stderr.write(f"Wrote {checklist_row.code} v{version.number} to {output}.")
