"""python manage.py import_checklist MISSION FILE [--format json|xlsform|votemonitor] [--code C --name N]"""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from missions.models import Mission
from polling.checklists import FORMATS, ChecklistError, checklist_import
from polling.models import Option


class Command(BaseCommand):
    help = (
        "Import a checklist into a mission from our JSON format, an XLSForm (.xlsx) or a Vote Monitor (code4ro) "
        "form. The format is recognised from the file unless --format is given. Nothing is written if the file "
        "has any problem; every problem is listed with its place."
    )

    def add_arguments(self, parser):
        parser.add_argument("mission", help="The mission's short code.")
        parser.add_argument("file", type=Path)
        parser.add_argument(
            "--format", choices=FORMATS, default="", help="Default: recognised from the file."
        )
        parser.add_argument("--code", default="", help="The checklist's code (default: the one in the file).")
        parser.add_argument("--name", default="", help="The checklist's name (default: the one in the file).")

    def handle(self, *args, mission, file, format, code, name, **options):  # noqa: A002
        found = Mission.objects.filter(code=mission).first()
        if found is None:
            raise CommandError(f"No mission with the code {mission}.")
        mission = found
        try:
            content = file.read_bytes()
        except OSError as error:
            raise CommandError(f"Cannot read {file}: {error}") from error
        try:
            checklist = checklist_import(
                mission=mission, content=content, filename=file.name, format=format, code=code, name=name
            )
        except ChecklistError as error:
            lines = [error.message, *(f"  {problem}" for problem in error.problems)]
            raise CommandError("\n".join(lines)) from error
        version = checklist.current_version
        questions = version.questions.count()
        flagged = Option.objects.filter(question__version=version, flagged=True).count()
        self.stdout.write(
            self.style.SUCCESS(
                f"Imported {checklist.code} “{checklist.name}” into {mission.code}: "
                f"{questions} questions, {flagged} flagged options (v{version.number})."
            )
        )
