"""Render a mission's statement to a PDF file, through the same code the worker runs."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from missions.models import Mission
from reports.models import Statement, StatementRender
from reports.statements.pdf import RenderError, write_atomically
from reports.statements.rendering import file_for, render_version_to_file


class Command(BaseCommand):
    help = (
        "Render the mission's newest statement version (or --number N) to a PDF. A draft is rendered unsigned "
        "and marked as a draft; an approved version is never rendered again: its signed PDF is copied."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="The mission's short code")
        parser.add_argument("--out", required=True, help="Where to write the PDF")
        parser.add_argument("--number", type=int, default=None, help="Version number (default: the newest)")

    def handle(self, *args, code: str, out: str, number: int | None, **options):
        mission = Mission.objects.filter(code=code).first()
        if mission is None:
            raise CommandError(f"No mission with the code {code!r}.")
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
