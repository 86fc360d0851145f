"""A mission's own time zone: its pages, exports, imports and statement show the country's local time.

The deployment's TIME_ZONE (UTC in the tests) is only the default of a new mission and the zone of pages
outside any mission.
"""

import csv
import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import time_format

from missions.middleware import TimeZoneResetMiddleware
from missions.models import Mission, Role
from polling import visits
from reports.exports.services import export_run
from reports.models import Export
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_mission, make_station
from tests.helpers.results import build_small
from tests.helpers.visits import make_checklist, payload
from tests.missions.setup.test_missions_views import mission_data

UTC = datetime.UTC


@pytest.fixture
def baku(mission):
    mission.time_zone = "Asia/Baku"  # UTC+4 all year
    mission.save(update_fields=["time_zone"])
    return mission


def test_a_new_mission_takes_the_deployments_time_zone(db, settings):
    settings.TIME_ZONE = "Europe/Tirane"
    assert make_mission("al-2017").time_zone == "Europe/Tirane"


@pytest.mark.parametrize("name", ["Mars/Olympus", "asia/baku", "UTC+4", "", "localtime"])
def test_a_time_zone_must_be_an_iana_name(mission, name):
    mission.time_zone = name
    with pytest.raises(ValidationError) as error:
        mission.full_clean()
    assert "time_zone" in error.value.message_dict


def test_the_secretariat_sets_the_time_zone_from_a_list(client, mission, secretariat):
    url = reverse("missions:edit", args=[mission.code])
    page = client_for(client, secretariat).get(url)
    assert '<option value="Asia/Baku"' in page.content.decode()
    response = client.post(url, mission_data(time_zone="Asia/Baku"))
    assert response.status_code == 302
    mission.refresh_from_db()
    assert mission.time_zone == "Asia/Baku"
    detail = client.get(reverse("missions:detail", args=[mission.code])).content.decode()
    assert "Asia/Baku" in detail and "UTC+0400" in detail


def test_a_time_zone_not_in_the_list_is_refused_and_nothing_changes(client, mission, secretariat):
    before = (mission.time_zone, mission.name)
    response = client_for(client, secretariat).post(
        reverse("missions:edit", args=[mission.code]), mission_data(time_zone="Mars/Olympus", name="Renamed")
    )
    assert response.status_code == 200
    assert "time_zone" in response.context["form"].errors
    mission.refresh_from_db()
    assert (mission.time_zone, mission.name) == before


def test_the_visit_page_shows_local_times(client, baku, observer):
    version = make_checklist(baku)
    visit, _created = visits.visit_submit(
        mission=baku,
        member=observer,
        payload=payload(version, make_station(baku, "0001"), arrived_at="2024-02-07T03:55:00Z"),
        channel="web",
    )
    url = reverse("polling:visit_detail", kwargs={"code": baku.code, "visit": visit.uuid})
    page = client_for(client, observer).get(url).content.decode()
    local, utc = (datetime.time(7, 55), datetime.time(3, 55))  # 03:55 UTC is 07:55 in Baku
    assert time_format(local, "TIME_FORMAT") in page
    assert time_format(utc, "TIME_FORMAT") not in page


def test_each_request_starts_and_ends_in_the_deployments_time_zone(baku, observer, client):
    """The mission's zone lasts as long as the request that was granted access to the mission."""
    page = client_for(client, observer).get(reverse("missions:detail", args=[baku.code]))
    assert "UTC+0400" in page.content.decode()
    assert timezone.get_current_timezone_name() == "UTC"  # the test client ran it in this thread
    timezone.activate(baku.tzinfo)  # as a previous request of this thread could have left it

    def view(request):
        zone = timezone.get_current_timezone_name()
        timezone.activate(baku.tzinfo)
        return HttpResponse(zone)

    assert TimeZoneResetMiddleware(view)(RequestFactory().get("/")).content == b"UTC"
    assert timezone.get_current_timezone_name() == "UTC"


def test_access_to_another_mission_shows_its_own_zone(client, baku):
    tirane = make_mission("al-2017", time_zone="Europe/Tirane")
    member = make_member(tirane, Role.SECRETARIAT)
    make_member(baku, Role.SECRETARIAT, user=member.user)
    client_for(client, member)
    for mission, offset in ((baku, "UTC+0400"), (tirane, "UTC+0100"), (baku, "UTC+0400")):
        page = client.get(reverse("missions:detail", args=[mission.code])).content.decode()
        assert offset in page, mission.code


def test_the_worker_exports_local_times(settings, tmp_path, mission):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    small = build_small(mission)
    Mission.objects.filter(pk=mission.pk).update(time_zone="America/La_Paz")  # UTC-4
    export = Export.objects.create(
        mission=mission, kind=Export.Kind.VISITS, format=Export.Format.CSV, checklist=small.checklist
    )
    assert export_run(export.pk)
    export.refresh_from_db()
    with export.file.open("rb") as handle:
        rows = list(csv.DictReader(io.StringIO(handle.read().decode("utf-8-sig"))))
    arrived = {row["visit"]: row["arrived_at"] for row in rows}
    for visit in small.v.values():
        local = visit.arrived_at.astimezone(datetime.timezone(datetime.timedelta(hours=-4)))
        assert arrived[str(visit.uuid)] == local.isoformat(timespec="minutes")
        assert arrived[str(visit.uuid)].endswith("-04:00")


def test_the_import_form_offers_the_missions_time_zone(client, baku, secretariat):
    from polling.visits.forms import VisitMappingForm

    form = VisitMappingForm(table=_Table(), spec=_Spec(), mission=baku)
    assert form.fields["time_zone"].initial == "Asia/Baku"


class _Table:
    headers = ["station", "arrived_at"]


class _Spec:
    questions = ()


def test_the_statement_is_dated_by_the_missions_calendar(baku, secretariat, head_of_mission):
    """Approved at 22:30 UTC on 7 February: already 8 February in Baku, the date the signature bears."""
    from reports.statements.document import build_document
    from tests.helpers.statements import approve

    version = approve(baku, editor=secretariat, head=head_of_mission).version
    type(version).objects.filter(pk=version.pk).update(
        approved_at=datetime.datetime(2024, 2, 7, 22, 30, tzinfo=UTC)
    )
    version.refresh_from_db()
    assert build_document(version)["signatory"]["date"] == "8 February 2024"
    baku.time_zone = "UTC"
    baku.save(update_fields=["time_zone"])
    version.refresh_from_db()
    assert build_document(version)["signatory"]["date"] == "7 February 2024"


KATHMANDU = datetime.timezone(datetime.timedelta(hours=5, minutes=45))


@pytest.fixture
def kathmandu_visits(mission):
    """Five visits, two in the hour from 08:00 in Kathmandu, two from 09:00, one from 10:00."""
    small = build_small(mission)
    Mission.objects.filter(pk=mission.pk).update(time_zone="Asia/Kathmandu")
    mission.refresh_from_db()
    for n, (hour, minute) in enumerate([(8, 10), (8, 50), (9, 20), (9, 59), (10, 0)], start=1):
        arrived = datetime.datetime(2024, 2, 7, hour, minute, tzinfo=KATHMANDU)
        type(small.v[n]).objects.filter(pk=small.v[n].pk).update(arrived_at=arrived)
    return small


def local_hours(hours):
    return [(h.hour.astimezone(KATHMANDU).strftime("%H:%M"), h.visits) for h in hours]


def test_visits_per_hour_are_the_missions_clock_hours(kathmandu_visits):
    """UTC+05:45: an hour of the mission's clock starts at :15 UTC; live and pre-counted results agree."""
    from reports.results.refresh import refresh_results
    from reports.results.selectors.dashboard import dashboard_data
    from reports.results.selectors.live import coverage

    mission = kathmandu_visits.mission
    want = [("08:00", 2), ("09:00", 2), ("10:00", 1)]
    assert local_hours(coverage(mission).visits_per_hour) == want
    refresh_results(mission.pk)
    assert local_hours(dashboard_data(mission).coverage.visits_per_hour) == want
    # Another zone changes the counts' fingerprint: the next refresh rebuilds them in its hours.
    Mission.objects.filter(pk=mission.pk).update(time_zone="UTC")
    mission.refresh_from_db()
    assert refresh_results(mission.pk).rebuilt
    utc = [
        (h.hour.astimezone(UTC).strftime("%H:%M"), h.visits)
        for h in dashboard_data(mission).coverage.visits_per_hour
    ]
    assert (
        utc
        == [("02:00", 1), ("03:00", 2), ("04:00", 2)]
        == [(h.hour.astimezone(UTC).strftime("%H:%M"), h.visits) for h in coverage(mission).visits_per_hour]
    )


def test_an_hours_bar_links_to_the_visits_of_that_hour(client, kathmandu_visits, head_of_mission):
    import re

    from django.core.cache import cache

    from reports.results.refresh import refresh_results

    mission = kathmandu_visits.mission
    cache.clear()  # panels of earlier tests' missions
    refresh_results(mission.pk)  # the worker's part: the page shows the pre-computed counts
    html = client_for(client, head_of_mission).get(reverse("reports:results", args=[mission.code])).content
    links = [
        link.replace("&amp;", "&")
        for link in re.findall(r'href="(/m/[^"]+/results/visits/[^"]*)"', html.decode())
        if "hour=" in link
    ]
    assert len(links) == 3
    listed = {}
    for link in links:
        response = client.get(link)
        page = response.context["page"]
        start = min(v.arrived_at.astimezone(KATHMANDU) for v in page).strftime("%H:00")
        assert f"{start}–" in response.content.decode()  # the hour as the mission's clock tells it
        listed[re.search(r"hour=([^&]+)", link).group(1)] = sorted(
            v.arrived_at.astimezone(KATHMANDU).strftime("%H:%M") for v in page
        )
    assert listed == {
        "2024-02-07T02:15Z": ["08:10", "08:50"],
        "2024-02-07T03:15Z": ["09:20", "09:59"],
        "2024-02-07T04:15Z": ["10:00"],
    }
