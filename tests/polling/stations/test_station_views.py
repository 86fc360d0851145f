"""The station pages: list with search, area filter and pages; detail; the upload and mapping steps."""

import re
from pathlib import Path

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from missions.models import Role
from polling.models import PollingStation, StationUpload
from polling.stations import importing as importer
from tests.helpers.factories import make_area, make_member, make_mission, make_station
from tests.helpers.paths import FIXTURES

pytestmark = pytest.mark.django_db

FIXTURES = FIXTURES / "stations"
CANONICAL = "code,name,address,area,latitude,longitude,registered_voters\n"


@pytest.fixture(autouse=True)
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list[Path]:
    return [path for path in Path(media_root).rglob("*") if path.is_file()]


def as_member(client, member):
    client.force_login(member.user)
    return client


def list_url(mission, **params):
    url = reverse("polling:station_list", kwargs={"code": mission.code})
    return url + ("?" + "&".join(f"{k}={v}" for k, v in params.items()) if params else "")


def import_url(mission):
    return reverse("polling:station_import", kwargs={"code": mission.code})


def map_url(upload):
    return reverse("polling:station_import_map", kwargs={"code": upload.mission.code, "upload": upload.uuid})


def codes_on_page(response) -> list[str]:
    return [station.code for station in response.context["page"].object_list]


def make_upload(mission, member, name="nigeria_fct_excerpt.csv", content=None):
    content = content if content is not None else (FIXTURES / name).read_bytes()
    return importer.station_upload_create(
        mission=mission, user=member.user, uploaded=SimpleUploadedFile(name, content)
    )


# --- who may see what -----------------------------------------------------------------------------------


@pytest.fixture
def station(mission):
    return make_station(mission, "37/01/01/001", name="Kofar Mai Unguwan", area="Baku > Nasimi")


@pytest.mark.parametrize("role", ["secretariat", "head_of_mission", "team_leader", "observer"])
def test_every_member_sees_the_list_and_the_detail(client, request, station, role):
    member = request.getfixturevalue(role)
    as_member(client, member)

    assert client.get(list_url(station.mission)).status_code == 200
    response = client.get(station.get_absolute_url())
    assert response.status_code == 200
    assert response.context["station"] == station


@pytest.mark.parametrize("role", ["team_leader", "observer"])
def test_observers_and_team_leaders_may_not_import(client, request, mission, secretariat, role):
    upload = make_upload(mission, secretariat)
    as_member(client, request.getfixturevalue(role))

    assert client.get(import_url(mission)).status_code == 403
    assert (
        client.post(
            import_url(mission), {"file": SimpleUploadedFile("s.csv", b"code,name\n1,A\n")}
        ).status_code
        == 403
    )
    assert client.get(map_url(upload)).status_code == 403
    assert client.post(map_url(upload), {"discard": "1"}).status_code == 403
    assert StationUpload.objects.filter(pk=upload.pk).exists()
    assert StationUpload.objects.count() == 1


def test_outsiders_get_404_everywhere(client, mission, secretariat, station, outsider):
    upload = make_upload(mission, secretariat)
    as_member(client, outsider)

    for url in (list_url(mission), station.get_absolute_url(), import_url(mission), map_url(upload)):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, mission, secretariat, station):
    upload = make_upload(mission, secretariat)

    for url in (list_url(mission), station.get_absolute_url(), import_url(mission), map_url(upload)):
        response = client.get(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("account_login"))


def test_an_upload_of_another_mission_is_not_found(client, secretariat, outsider):
    theirs = make_upload(outsider.mission, outsider)
    make_member(outsider.mission, Role.OBSERVER, user=secretariat.user)  # a member there too, without rights
    as_member(client, secretariat)

    url = reverse(
        "polling:station_import_map", kwargs={"code": secretariat.mission.code, "upload": theirs.uuid}
    )
    assert client.get(url).status_code == 404


def test_a_station_of_another_mission_is_not_found(client, secretariat):
    other = make_mission("other-az")
    make_station(other, "OTHER-1")
    as_member(client, secretariat)

    url = reverse("polling:station_detail", kwargs={"code": secretariat.mission.code, "station": "OTHER-1"})
    assert client.get(url).status_code == 404


# --- the list -------------------------------------------------------------------------------------------


@pytest.fixture
def stations(mission):
    make_station(mission, "125-001", name="School No. 6", area="Baku > Nasimi")
    make_station(mission, "125-002", name="Lyceum No. 3", area="Baku > Nasimi")
    make_station(mission, "126-001", name="SCHOOL No. 19", area="Baku > Yasamal")
    make_station(mission, "201-001", name="Culture House", area="Ganja > Kapaz")
    make_station(
        mission, "202-001", name="Club", area="Bakuvi > Centre"
    )  # starts like "Baku" but is not under it
    make_station(mission, "300-001", name="Hospital")
    make_station(make_mission("other-az"), "125-003", name="School elsewhere", area="Baku > Nasimi")


def test_search_matches_part_of_the_name_in_any_case(client, observer, stations):
    as_member(client, observer)

    response = client.get(list_url(observer.mission, q="school"))

    assert codes_on_page(response) == ["125-001", "126-001"]
    assert response.context["page"].paginator.count == 2


def test_search_matches_part_of_the_code(client, observer, stations):
    as_member(client, observer)

    assert codes_on_page(client.get(list_url(observer.mission, q="5-00"))) == ["125-001", "125-002"]


def test_area_filter_takes_the_area_and_every_area_under_it(client, observer, stations):
    as_member(client, observer)

    assert codes_on_page(client.get(list_url(observer.mission, area="Baku"))) == [
        "125-001",
        "125-002",
        "126-001",
    ]
    assert codes_on_page(client.get(list_url(observer.mission, area="Baku > Yasamal"))) == ["126-001"]


def test_area_filter_and_search_combine(client, observer, stations):
    as_member(client, observer)

    response = client.get(list_url(observer.mission, area="Baku > Nasimi", q="lyceum"))

    assert codes_on_page(response) == ["125-002"]
    assert [crumb.path for crumb in response.context["area_crumbs"]] == ["Baku"]
    assert "Lyceum No. 3" in response.content.decode()


def test_area_select_leads_down_from_the_chosen_area(client, observer, stations):
    as_member(client, observer)

    top = client.get(list_url(observer.mission)).context["area_choices"]
    assert [path for path, _label in top] == ["Baku", "Bakuvi", "Ganja"]
    down = client.get(list_url(observer.mission, area="Baku")).context["area_choices"]
    assert [path for path, _label in down] == ["Baku", "Baku > Nasimi", "Baku > Yasamal"]
    lowest = client.get(list_url(observer.mission, area="Baku > Nasimi")).context["area_choices"]
    assert [path for path, _label in lowest] == ["Baku", "Baku > Nasimi", "Baku > Yasamal"]


def test_an_unknown_area_shows_no_stations(client, observer, stations):
    as_member(client, observer)

    response = client.get(list_url(observer.mission, area="Atlantis"))

    assert codes_on_page(response) == []
    assert "No polling station matches" in response.content.decode()


def test_the_list_is_paginated_and_pages_keep_the_search(client, observer):
    area = make_area(observer.mission, "Baku > Nasimi")
    PollingStation.objects.bulk_create(
        PollingStation(mission=observer.mission, code=f"{n:04}", name=f"School {n}", area=area)
        for n in range(170)
    )
    make_station(observer.mission, "9999", name="Hospital")
    as_member(client, observer)

    pages = [client.get(list_url(observer.mission, q="school", page=n)) for n in (1, 2, 3, 4)]

    assert pages[0].context["page"].paginator.count == 170
    # pages past the middle are read backwards from the end: they must still line up exactly
    assert [codes_on_page(page) for page in pages] == [
        [f"{n:04}" for n in range(start, min(start + 50, 170))] for start in (0, 50, 100, 150)
    ]
    assert pages[3].context["page"].object_list[0].area == area
    assert re.search(r'href="\?q=school&amp;page=2"', pages[0].content.decode())
    assert codes_on_page(client.get(list_url(observer.mission, q="school", page=99))) == codes_on_page(
        pages[3]
    )


def test_import_button_only_for_those_who_may_import(client, secretariat, observer, stations):
    button = import_url(secretariat.mission)

    assert button in as_member(client, secretariat).get(list_url(secretariat.mission)).content.decode()
    assert button not in as_member(client, observer).get(list_url(observer.mission)).content.decode()


def test_detail_of_a_code_with_slashes_links_its_areas(client, observer, station):
    as_member(client, observer)

    response = client.get(station.get_absolute_url())

    assert station.get_absolute_url().endswith("/stations/37/01/01/001/")
    assert response.context["area_crumbs"] == [("Baku", "Baku"), ("Nasimi", "Baku > Nasimi")]
    assert "?area=Baku%20%3E%20Nasimi" in response.content.decode()


# --- importing through the pages ------------------------------------------------------------------------


def test_upload_then_map_then_import(client, secretariat, media_root, django_capture_on_commit_callbacks):
    mission = secretariat.mission
    mission.area_levels = ["State", "LGA", "Ward"]
    mission.save()
    as_member(client, secretariat)
    content = (FIXTURES / "nigeria_fct_excerpt.csv").read_bytes()

    response = client.post(import_url(mission), {"file": SimpleUploadedFile("FCT units.csv", content)})

    upload = StationUpload.objects.get()
    assert response.status_code == 302
    assert response.url == map_url(upload)
    assert (upload.original_name, upload.uploaded_by, upload.mission) == (
        "FCT_units.csv",
        secretariat.user,
        mission,
    )
    assert len(stored_files(media_root)) == 1

    page = client.get(map_url(upload))
    form = page.context["form"]
    headers = page.context["table"].headers
    assert headers[form.initial["code"]] == "delimitation"
    assert [headers[form.initial[f"area_{n}"]] for n in range(3)] == ["state_name", "lga_name", "ward_name"]
    assert len(page.context["preview"]) == 10
    assert "UNG. MAIKANO/KOFAR MAI UNGUWAN" in page.content.decode()

    data = {name: "" if value is None else str(value) for name, value in form.initial.items()}
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(map_url(upload), data)

    assert done.status_code == 302
    assert done.url == list_url(mission)
    assert [str(m) for m in get_messages(done.wsgi_request)] == ["Stations imported: 24 created, 0 updated."]
    assert PollingStation.objects.filter(mission=mission).count() == 24
    assert (
        PollingStation.objects.get(code="37/01/01/001").area.path
        == "FEDERAL CAPITAL TERRITORY > ABAJI > ABAJI CENTRAL"
    )
    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []


def test_a_file_with_errors_is_listed_and_nothing_is_imported(client, secretariat, stations):
    mission = secretariat.mission
    before = list(PollingStation.objects.filter(mission=mission).values_list("code", "name", "updated_at"))
    content = CANONICAL + "A-1,Fine,,,,,\nA-2,Bad,,,north,10,\nA-1,Again,,,,,x\n"
    upload = make_upload(mission, secretariat, "bad.csv", content.encode())
    as_member(client, secretariat)
    mapping = {
        "code": 0,
        "name": 1,
        "address": 2,
        "area_0": 3,
        "latitude": 4,
        "longitude": 5,
        "registered_voters": 6,
    }

    response = client.post(map_url(upload), {k: str(v) for k, v in mapping.items()})

    assert response.status_code == 200
    assert response.context["invalid"].error_count == 3
    html = response.content.decode()
    assert "The file has 3 errors. Nothing was imported." in html
    assert re.search(
        r"<td[^>]*>3</td><td[^>]*>latitude</td><td>The latitude “north” is not a number.</td>", html
    )
    assert re.search(r"<td[^>]*>4</td><td[^>]*>code</td><td>The code “A-1” is already on line 2.</td>", html)
    assert (
        list(PollingStation.objects.filter(mission=mission).values_list("code", "name", "updated_at"))
        == before
    )
    assert StationUpload.objects.filter(pk=upload.pk).exists()  # kept, to try another mapping


def test_the_mapping_form_requires_code_and_name(client, secretariat):
    upload = make_upload(secretariat.mission, secretariat, "s.csv", b"number,label\n1,A\n")
    as_member(client, secretariat)

    response = client.post(map_url(upload), {"code": "", "name": ""})

    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"code", "name"}
    assert not PollingStation.objects.exists()


def test_the_mapping_form_needs_both_coordinates(client, secretariat):
    upload = make_upload(secretariat.mission, secretariat, "s.csv", b"code,name,lat\n1,A,40\n")
    as_member(client, secretariat)

    response = client.post(map_url(upload), {"code": "0", "name": "1", "latitude": "2"})

    assert "longitude" in response.context["form"].errors
    assert not PollingStation.objects.exists()


def test_the_code_prefix_joins_two_columns(client, secretariat):
    upload = make_upload(secretariat.mission, secretariat, "poland_excerpt.csv")
    as_member(client, secretariat)

    response = client.post(map_url(upload), {"code_prefix": "0", "code": "2", "name": "1", "address": "1"})

    assert response.status_code == 302
    assert PollingStation.objects.filter(mission=secretariat.mission).count() == 40
    assert PollingStation.objects.filter(code="020101/1").exists()


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("stations.xlsx", b"code,name\n1,A\n", "not a real .xlsx"),
        ("stations.csv", bytes(range(256)) * 8, "not a CSV text file"),
        ("stations.json", b"{}", ".csv or .xlsx"),
    ],
)
def test_refused_uploads_show_why_and_store_nothing(client, secretariat, media_root, name, content, message):
    as_member(client, secretariat)

    response = client.post(import_url(secretariat.mission), {"file": SimpleUploadedFile(name, content)})

    assert response.status_code == 200
    assert message in " ".join(response.context["form"].errors["file"])
    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []


def test_an_oversize_upload_is_refused(client, secretariat, media_root, settings):
    settings.STATION_IMPORT_MAX_BYTES = 1000
    as_member(client, secretariat)
    content = (CANONICAL + "1,School,,,,,\n" * 100).encode()

    response = client.post(import_url(secretariat.mission), {"file": SimpleUploadedFile("s.csv", content)})

    assert "largest file accepted is 1000" in " ".join(response.context["form"].errors["file"])
    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []


def test_discarding_deletes_the_upload_and_imports_nothing(
    client, secretariat, media_root, django_capture_on_commit_callbacks
):
    upload = make_upload(secretariat.mission, secretariat)
    as_member(client, secretariat)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(map_url(upload), {"discard": "1"})

    assert response.status_code == 302
    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []
    assert not PollingStation.objects.exists()


def test_an_upload_whose_file_vanished_is_cleaned_up(client, secretariat, media_root):
    upload = make_upload(secretariat.mission, secretariat)
    Path(upload.file.path).unlink()
    as_member(client, secretariat)

    response = client.get(map_url(upload))

    assert response.status_code == 302
    assert response.url == import_url(secretariat.mission)
    assert not StationUpload.objects.exists()


# --- the Django admin -----------------------------------------------------------------------------------


def test_admin_lists_and_forms_load_and_search(client, mission, secretariat):
    from missions.models import User

    station = make_station(mission, "37/01/01/001", name="Kofar Mai Unguwan", area="Baku > Nasimi")
    upload = make_upload(mission, secretariat, "s.csv", CANONICAL.encode())
    client.force_login(User.objects.create_superuser("root@example.org", "admin-password-123"))

    for model, obj in (
        (PollingStation, station),
        (type(station.area), station.area),
        (StationUpload, upload),
    ):
        base = f"admin:polling_{model._meta.model_name}"
        assert client.get(reverse(f"{base}_changelist")).status_code == 200
        assert client.get(reverse(f"{base}_change", args=[obj.pk])).status_code == 200
    found = client.get(reverse("admin:polling_pollingstation_changelist") + "?q=unguwan")
    assert list(found.context["cl"].result_list) == [station]


def test_deleting_an_upload_in_the_admin_deletes_its_file(
    client, mission, secretariat, media_root, django_capture_on_commit_callbacks
):
    from missions.models import User

    upload = make_upload(mission, secretariat, "s.csv", CANONICAL.encode())
    client.force_login(User.objects.create_superuser("root@example.org", "admin-password-123"))

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:polling_stationupload_delete", args=[upload.pk]), {"post": "yes"}
        )

    assert response.status_code == 302
    assert not StationUpload.objects.exists()
    assert stored_files(media_root) == []
