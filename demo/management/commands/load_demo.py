from django.core.management.base import BaseCommand
from django.db import transaction
from django.utils.translation import gettext as _

from demo.builder import DEMO_PASSWORD, PEOPLE, load_demo, load_demo_election_day


class Command(BaseCommand):
    help = "Create the demo mission (OTS, Azerbaijan early presidential election 2024). Safe to run twice."

    def handle(self, *args, **options):
        with transaction.atomic():
            mission, created = load_demo()
            visits = load_demo_election_day(mission)
        if created:
            self.stdout.write(
                self.style.SUCCESS(_("Demo mission “%(code)s” created.") % {"code": mission.code})
            )
        else:
            self.stdout.write(_("Demo mission “%(code)s” is already there.") % {"code": mission.code})
        self.stdout.write(
            _("%(visits)s election-day visits to %(stations)s polling stations.")
            % {"visits": len(visits), "stations": len({visit.station_id for visit in visits})}
        )
        self.stdout.write(_("Demo logins (password for all: %(password)s):") % {"password": DEMO_PASSWORD})
        for email, name, role, country, _team in PEOPLE:
            self.stdout.write(f"  {role.label:<16} {email:<32} {name} ({country})")
