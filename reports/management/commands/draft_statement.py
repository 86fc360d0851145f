"""Print a mission's current statement as plain text, figures resolved from today's data."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from missions.models import Mission
from reports.models import Statement
from reports.statements.document import build_document, fresh_draft_document, plain_text


class Command(BaseCommand):
    help = (
        "Print the mission's current statement (its newest version, or a fresh draft) as plain text; with "
        "--language, a fresh draft from today's figures in that language (nothing is saved)."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The mission's short code, e.g. ots-az-2024")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Draft in this language from today's figures (any language Observa speaks)",
        )

    def handle(self, *args, code: str, language: str | None = None, **options):
        mission = Mission.objects.filter(code=code).first()
        if mission is None:
            raise CommandError(f"No mission with the code {code!r}.")
        with translation.override(language or settings.LANGUAGE_CODE):
            statement = Statement.objects.filter(mission=mission).first()
            version = statement.versions.order_by("-number").first() if statement else None
            if version is None or language:
                # Nothing saved yet, or another language asked for: the draft the data would give.
                self.stdout.write(plain_text(fresh_draft_document(mission)))
                return
            self.stdout.write(plain_text(build_document(version)))
