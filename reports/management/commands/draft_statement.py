"""Print a mission's current statement as plain text, figures resolved from today's data."""

from django.core.management.base import BaseCommand, CommandError

from missions.models import Mission
from reports.models import Statement
from reports.statements import drafting, figures
from reports.statements.document import build_document, plain_text


class Command(BaseCommand):
    help = "Print the mission's current statement (its newest version, or a fresh draft) as plain text."

    def add_arguments(self, parser):
        parser.add_argument("code", help="The mission's short code, e.g. ots-az-2024")

    def handle(self, *args, code: str, **options):
        mission = Mission.objects.filter(code=code).first()
        if mission is None:
            raise CommandError(f"No mission with the code {code!r}.")
        statement = Statement.objects.filter(mission=mission).first()
        version = statement.versions.order_by("-number").first() if statement else None
        if version is None:
            # Nothing saved yet: show the draft the data would give, without saving it.
            snapshot = figures.collect(mission, visit_sets=False)
            version = _Unsaved(mission, drafting.default_sections(snapshot))
            self.stdout.write(plain_text(build_document(version, snapshot=snapshot)))
            return
        self.stdout.write(plain_text(build_document(version)))


class _Unsaved:
    """A first draft that exists only on screen (the command changes nothing in the database)."""

    number = 0
    status = "draft"
    is_frozen = False
    approved_at = None

    def __init__(self, mission, sections):
        self.statement = Statement(mission=mission)
        self.sections = sections

    def get_status_display(self):
        return "Draft"
