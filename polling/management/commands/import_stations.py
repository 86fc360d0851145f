"""python manage.py import_stations MISSION_CODE FILE [--map FIELD=HEADER ...] [--area-columns H1,H2,...]"""

import sys
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from tqdm import tqdm

from missions.models import Mission
from polling.stations import importing as importer

HELP = f"""Import polling stations from a CSV (UTF-8, any delimiter) or XLSX file (first sheet) into a mission.

The canonical layout needs no options; its header is
    {importer.CANONICAL_HEADER}
where area is the path from the largest level down, e.g. "Baku > Nasimi". Headers are matched
without regard to case. Other layouts are described with options:

    --map name=pu_name --map code=delimitation --map latitude=lat
    --area-columns state_name,lga_name,ward_name   (largest level first; empty cells are skipped)
    --code-columns CommunityCode,Number            (when numbers repeat per place: code "020101/1")
    --map address=                                 (ignore a column of the canonical layout)

Re-importing updates stations by code and never duplicates them. The whole file is checked
first: if any row has an error, every error is printed (line, column, message), nothing is
imported and the command exits with status 1.

Area levels: a mission whose area levels are not set yet takes them from the file (the
headers of --area-columns, or "Level 1", "Level 2"... for a single area column). A mission
with levels rejects areas deeper than its levels.
"""


class Command(BaseCommand):
    help = HELP

    def create_parser(self, prog_name, subcommand, **kwargs):
        from argparse import RawDescriptionHelpFormatter

        parser = super().create_parser(prog_name, subcommand, **kwargs)
        parser.formatter_class = RawDescriptionHelpFormatter
        return parser

    def add_arguments(self, parser):
        parser.add_argument(
            "mission", metavar="MISSION_CODE", help="the mission's short code, e.g. ots-az-2024"
        )
        parser.add_argument("file", metavar="FILE", type=Path, help="a .csv or .xlsx file")
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="FIELD=HEADER",
            help=f"take FIELD ({', '.join(importer.FIELDS)}) from the column HEADER; repeatable",
        )
        parser.add_argument(
            "--area-columns", metavar="H1,H2,...", help="build the area path from these columns"
        )
        parser.add_argument("--code-columns", metavar="H1,H2,...", help="build the code from these columns")
        parser.add_argument("--no-progress", action="store_true", help="do not show progress bars")

    def handle(self, *args, **options):
        try:
            mission = Mission.objects.get(code=options["mission"])
        except Mission.DoesNotExist:
            raise CommandError(f"No mission with the code “{options['mission']}”.") from None
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"No such file: {path}")
        with path.open("rb") as file:
            try:
                table = importer.open_table(file, path.name)
                mapping = importer.mapping_with_options(
                    table.headers,
                    importer.canonical_mapping(table.headers),
                    assignments=options["map"],
                    area_columns=options["area_columns"],
                    code_columns=options["code_columns"],
                )
            except (importer.UnreadableFile, ValueError) as exc:
                raise CommandError(str(exc)) from None
            for label, columns in mapping.describe(table.headers):
                self.stdout.write(f"  {label:<18} ← {columns}")
            with _ProgressBars(
                table, disabled=options["no_progress"] or options["verbosity"] < 1
            ) as progress:
                try:
                    result = importer.stations_import(
                        mission=mission, table=table, mapping=mapping, progress=progress, file_name=path.name
                    )
                except importer.StationFileInvalid as exc:
                    progress.close()
                    self._report_errors(exc)
        self.stdout.write(
            self.style.SUCCESS(
                f"{result.created} created, {result.updated} updated, {result.unchanged} unchanged "
                f"({result.areas_created} new areas) in mission {mission.code}."
            )
        )

    def _report_errors(self, exc: importer.StationFileInvalid) -> None:
        for error in exc.errors:
            self.stderr.write(str(error))
        if exc.error_count > len(exc.errors):
            self.stderr.write(f"… and {exc.error_count - len(exc.errors)} more errors.")
        raise CommandError(f"{exc.error_count} errors in {exc.row_count} rows; nothing was imported.")


class _ProgressBars:
    """tqdm bars for the two readings of the file: checking (by bytes or rows), then writing (by stations)."""

    def __init__(self, table: importer.Table, *, disabled: bool):
        self.table, self.disabled, self.bar, self.stage = table, disabled, None, None

    def __enter__(self):
        return self

    def __exit__(self, *exc_info):
        self.close()

    def __call__(self, stage: str, done: int, total: int) -> None:
        if self.disabled:
            return
        if stage != self.stage:
            self.close()
            self.stage = stage
            unit = self.table.unit if stage == "check" else " stations"
            desc = "Checking" if stage == "check" else "Importing"
            self.bar = tqdm(
                total=total, desc=desc, unit=unit, unit_scale=unit == "B", file=sys.stderr, dynamic_ncols=True
            )
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
