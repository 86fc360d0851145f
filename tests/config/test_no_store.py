"""Pages and files showing observation data are never stored by a browser or a proxy (Cache-Control: no-store).

The rule is keyed on the URL namespace (config/middleware.py): every page of the mission apps gets it,
including pages added later; static files, the public verification form and the service worker do not.
"""

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils.cache import get_max_age

from reports.models import Export
from tests.config.test_csp import build_pages, open_page
from tests.conftest import client_for


@pytest.fixture
def pages(mission, team, secretariat, head_of_mission, observer):
    return build_pages(mission, team, secretariat, head_of_mission, observer)


def cache_control(response) -> set[str]:
    return {part.strip() for part in response.headers.get("Cache-Control", "").split(",") if part.strip()}


def test_every_mission_page_is_sent_with_no_store(pages):
    mission_pages = [p for p in pages if p.url.startswith(("/m/", "/missions/"))]
    assert len(mission_pages) >= 30
    for page in mission_pages:
        response = open_page(page)
        assert "no-store" in cache_control(response), (page.label, response.headers.get("Cache-Control"))
        assert "private" in cache_control(response), page.label
        assert get_max_age(response) == 0, page.label


@pytest.mark.parametrize(
    "name",
    ["visit_list", "incident_list", "station_list", "filing", "filing_incident"],
)
def test_observation_lists_and_filing_pages_are_not_stored(client, mission, secretariat, observer, name):
    member = observer if name.startswith("filing") else secretariat
    response = client_for(client, member).get(reverse(f"polling:{name}", kwargs={"code": mission.code}))
    assert response.status_code == 200
    assert "no-store" in cache_control(response)


def test_a_refused_page_is_not_stored_either(client, mission, observer):
    response = client_for(client, observer).get(reverse("missions:edit", kwargs={"code": mission.code}))
    assert response.status_code in (403, 404)
    assert "no-store" in cache_control(response)


def test_an_export_download_is_not_stored(client, settings, tmp_path, mission, secretariat):
    settings.PRIVATE_MEDIA_ROOT = tmp_path
    export = Export.objects.create(
        mission=mission,
        kind=Export.Kind.VISITS,
        format="csv",
        requested_by=secretariat.user,
        status="done",
        rows=1,
    )
    export.file.save("visits.csv", ContentFile(b"station,answer\n0001,yes\n"))
    url = reverse("reports:export_download", kwargs={"code": mission.code, "export": export.uuid})
    response = client_for(client, secretariat).get(url)
    assert response.status_code == 200
    assert "no-store" in cache_control(response)


def test_static_files_the_verification_form_and_the_service_worker_stay_cacheable(client, observer):
    assert "no-store" not in cache_control(Client().get(reverse("reports:verify")))
    assert "no-store" not in cache_control(
        client_for(client, observer).get(reverse("polling:service_worker"))
    )
    static = Client().get("/static/css/observa.css")
    assert static.status_code == 200
    assert "no-store" not in cache_control(static)


@pytest.mark.django_db
def test_the_persons_own_account_pages_are_not_stored(client, observer):
    """Sessions, second factor (recovery codes) and password pages carry no-store like the mission's."""
    from django.urls import reverse

    client.force_login(observer.user)
    for name in ("usersessions_list", "mfa_index", "account_change_password"):
        response = client.get(reverse(name))
        assert response.status_code == 200, name
        assert "no-store" in response["Cache-Control"], name
