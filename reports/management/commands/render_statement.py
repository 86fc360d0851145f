"""Render a mission's statement to a PDF file, through the same code the worker runs."""

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.utils import translation

from missions.models import Mission
from reports.models import Statement, StatementRender
from reports.statements.document import fresh_draft_document
from reports.statements.pdf import RenderError, render_to_file, write_atomically
from reports.statements.rendering import file_for, render_version_to_file


class Command(BaseCommand):
    help = (
        "Render the mission's newest statement version (or --number N) to a PDF. A draft is rendered unsigned "
        "and marked as a draft; an approved version is never rendered again: its signed PDF is copied. With "
        "--language, a fresh unsigned draft from today's figures in that language."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The mission's short code")
        parser.add_argument("--out", required=True, help="Where to write the PDF")
        parser.add_argument("--number", type=int, default=None, help="Version number (default: the newest)")
        parser.add_argument(
            "--language",
            choices=[code for code, _name in settings.LANGUAGES],
            help="Render a fresh draft in this language from today's figures (nothing is saved)",
        )

    def handle(self, *args, code: str, out: str, number: int | None, language: str | None = None, **options):
        mission = Mission.objects.filter(code=code).first()
        if mission is None:
            raise CommandError(f"No mission with the code {code!r}.")
        if language:
            with translation.override(language):
                document = fresh_draft_document(mission, for_pdf=True)
            try:
                result = render_to_file({"document": document, "out": str(Path(out).resolve())})
            except RenderError as exc:
                raise CommandError(str(exc)) from exc
            self.stdout.write(
                f"{out}: {result['size']} bytes, unsigned {language} draft, SHA-256 {result['sha256']}"
            )
            return
        statement = Statement.objects.filter(mission=mission).first()
        versions = statement.versions.order_by("-number") if statement else None
        chosen = (
            (versions.filter(number=number).first() if number else versions.first()) if versions else None
        )
        if chosen is None:
            raise CommandError("This mission has no statement yet: draft it on the statement page first.")
        if chosen.is_frozen:
            self._copy_frozen(chosen, Path(out))
            return
        try:
            result = render_version_to_file(chosen, Path(out).resolve())
        except RenderError as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"{out}: {result['size']} bytes, unsigned draft, SHA-256 {result['sha256']}")

    def _copy_frozen(self, version, out: Path) -> None:
        """An approved version is never rendered again: hand out the signed file the worker made."""
        render = StatementRender.objects.filter(version=version, status=StatementRender.Status.DONE).first()
        if render is None:
            raise CommandError(
                "This version is approved but its signed PDF is not ready yet (see the statement page)."
            )
        write_atomically(out.resolve(), file_for(render).read_bytes())
        self.stdout.write(f"{out}: the signed PDF of version {version.number}, SHA-256 {render.sha256}")
