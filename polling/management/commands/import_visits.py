"""Import visits from a CSV or XLSX file: the command-line twin of the bulk import page.

Example, the Albanian domestic observers' opening observations of 25 June 2017 (no times, no observers):

    python manage.py import_visits al-2017 opening albania2017_cdo_opening_observations.csv \\
        --map station=psID \\
        --station-rewrite '(\\d{4})-00 => \\1' --station-rewrite '(\\d{4})-0*(\\d+) => \\1\\2' \\
        --observer cdo@example.org --arrived-at '2017-06-25 07:00' --time-zone Europe/Tirane \\
        --value-map '*: n/a =' --value-map 'secrecyOpen: po = yes' --map assessment=overallOpen \\
        --value-map 'assessment: shummir = very_good'
"""

import datetime
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from missions.models import Mission, User
from polling import visits as visit_service
from polling.visits import importing as visit_import


class Command(BaseCommand):
    help = "Import visits from a CSV or XLSX file: all rows or none, every error listed by line and column."

    def add_arguments(self, parser):
        parser.add_argument("mission", help="the mission's short code")
        parser.add_argument("checklist", help="the checklist's code")
        parser.add_argument("file", help="a .csv (UTF-8) or .xlsx file with a header row")
        parser.add_argument(
            "--checklist-version", type=int, help="the checklist version (default: the published one)"
        )
        parser.add_argument(
            "--map",
            action="append",
            default=[],
            metavar="TARGET=COLUMN",
            help="station, observer, arrived, departed, notes, assessment, uuid or a question code; "
            "questions are mapped to the column named like their code unless told otherwise",
        )
        parser.add_argument("--value-map", action="append", default=[], metavar="'TARGET: RAW = VALUE'")
        parser.add_argument(
            "--station-rewrite", action="append", default=[], metavar="'PATTERN => REPLACEMENT'"
        )
        parser.add_argument("--observer", metavar="EMAIL", help="one observer for every row")
        parser.add_argument("--arrived-at", metavar="DATETIME", help="one arrival for every row")
        parser.add_argument(
            "--time-zone", help="for times without a UTC offset, e.g. Europe/Tirane (default: the mission's)"
        )
        parser.add_argument(
            "--date", help="the date of cells holding only a time (default: the election date)"
        )
        parser.add_argument("--user", metavar="EMAIL", help="who is recorded as having imported the visits")
        parser.add_argument("--dry-run", action="store_true", help="check everything, store nothing")

    def handle(self, *args, **options):
        mission = Mission.objects.filter(code=options["mission"]).first()
        if mission is None:
            raise CommandError(f"No mission {options['mission']}.")
        checklist = (
            mission.checklists.select_related("current_version").filter(code=options["checklist"]).first()
        )
        if checklist is None:
            raise CommandError(f"Mission {mission.code} has no checklist {options['checklist']}.")
        version = (
            checklist.versions.filter(number=options["checklist_version"]).first()
            if options["checklist_version"]
            else checklist.current_version
        )
        if version is None:
            raise CommandError(f"Checklist {checklist.code} has no such version (or none is published).")
        user = None
        if options["user"]:
            user = User.objects.filter(email__iexact=options["user"]).first()
            if user is None:
                raise CommandError(f"No user {options['user']}.")
        path = Path(options["file"])
        try:
            with path.open("rb") as file:
                table = visit_import.read_table(file, path.name)
            mapping = self._mapping(options, table=table, version=version, mission=mission)
            result = visit_import.visit_import(
                mission=mission,
                version=version,
                table=table,
                mapping=mapping,
                user=user,
                dry_run=options["dry_run"],
            )
        except OSError as error:
            raise CommandError(f"{path}: {error}") from None
        except ValueError as error:
            raise CommandError(str(error)) from None
        except visit_import.VisitImportInvalid as invalid:
            for error in invalid.errors:
                self.stderr.write(str(error))
            raise CommandError(invalid.message) from None
        except visit_service.VisitForbidden as forbidden:
            raise CommandError(forbidden.message) from None
        verb = "Would import" if result.dry_run else "Imported"
        self.stdout.write(
            f"{verb} {result.created} visits from {result.rows} rows of {path.name} "
            f"({result.duplicates} already stored)."
        )

    def _mapping(self, options, *, table, version, mission) -> visit_import.ImportMapping:
        targets = {}
        for item in options["map"]:
            target, equals, column = item.partition("=")
            if not equals or not target.strip() or not column.strip():
                raise ValueError(f"--map {item!r} is not TARGET=COLUMN.")
            targets[target.strip()] = column.strip()
        time_zone = visit_import.get_time_zone(options["time_zone"] or mission.time_zone)
        arrived_at = None
        if options["arrived_at"]:
            arrived_at = visit_import.parse_moment(
                options["arrived_at"], time_zone=time_zone, visit_date=None
            )
            if arrived_at is None:
                raise ValueError(f"--arrived-at {options['arrived_at']!r} is not a date and time.")
        visit_date = mission.election_date
        if options["date"]:
            try:
                visit_date = datetime.date.fromisoformat(options["date"])
            except ValueError:
                raise ValueError(f"--date {options['date']!r} is not a date (YYYY-MM-DD).") from None
        return visit_import.mapping_from_targets(
            targets,
            table=table,
            spec=visit_service.version_spec(version),
            station_rewrites=visit_import.parse_rewrites(options["station_rewrite"]),
            observer_email=options["observer"],
            arrived_at=arrived_at,
            values=visit_import.parse_value_map(options["value_map"]),
            time_zone=time_zone,
            visit_date=visit_date,
        )
