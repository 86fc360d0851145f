"""The mission's audit trail page: who may read it, filters, paging, CSV download, chain check."""

import csv
import datetime
import io

import pytest
from django.db import connection
from django.urls import reverse

from missions.audit_trail import audit_record
from missions.models import AuditEntry
from tests.conftest import client_for
from tests.helpers.factories import make_meeting, make_team

pytestmark = pytest.mark.django_db


def url(mission, **params):
    from urllib.parse import urlencode

    return reverse("missions:audit_trail", args=[mission.code]) + ("?" + urlencode(params) if params else "")


@pytest.fixture
def trail(mission, secretariat, head_of_mission, outsider):
    """A few entries of our mission by two people, and one of another mission."""
    meeting = make_meeting(mission, counterpart="Central Election Commission")
    audit_record(
        action="meeting.create",
        actor=secretariat.user,
        mission=mission,
        target=meeting,
        changes={"counterpart": [None, "Central Election Commission"]},
    )
    audit_record(
        action="team.update",
        actor=head_of_mission.user,
        mission=mission,
        changes={"name": ["Group 1", "Baku North"], "members": [["a@x.org"], ["a@x.org", "b@x.org"]]},
    )
    audit_record(
        action="meeting.update", actor=outsider.user, mission=outsider.mission, changes={"notes": ["", "x"]}
    )
    return meeting


def test_head_of_mission_and_secretariat_read_their_missions_trail_newest_first(
    client, mission, trail, head_of_mission, secretariat
):
    for member in (head_of_mission, secretariat):
        response = client_for(client, member).get(url(mission))
        assert response.status_code == 200
        rows = response.context["rows"]
        assert [row["entry"].action for row in rows] == ["team.update", "meeting.create"]
        assert all(row["entry"].mission_id == mission.pk for row in rows)
    page = response.content.decode()
    assert "Baku North" in page and "Group 1" in page
    assert "Meeting logged" in page
    assert "UTC" in page
    assert reverse("missions:audit_trail", args=[mission.code]) in page  # the navigation links to it


def test_observers_and_team_leaders_get_403_outsiders_404(
    client, mission, trail, observer, team_leader, outsider
):
    assert client_for(client, observer).get(url(mission)).status_code == 403
    assert client_for(client, team_leader).get(url(mission)).status_code == 403
    assert client_for(client, outsider).get(url(mission)).status_code == 404
    client.logout()
    assert client.get(url(mission)).status_code == 302


def test_the_navigation_shows_the_link_only_to_readers(client, mission, observer, secretariat):
    link = reverse("missions:audit_trail", args=[mission.code])
    assert (
        link
        not in client_for(client, observer)
        .get(reverse("missions:detail", args=[mission.code]))
        .content.decode()
    )
    assert (
        link
        in client_for(client, secretariat)
        .get(reverse("missions:detail", args=[mission.code]))
        .content.decode()
    )


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"action": "meeting.create"}, ["meeting.create"]),
        ({"subject": "team"}, ["team.update"]),
        ({"q": "election commission"}, ["meeting.create"]),
        ({"start": "2000-01-01", "end": "2000-01-02"}, []),
    ],
)
def test_filters_narrow_the_trail(client, mission, trail, secretariat, params, expected):
    response = client_for(client, secretariat).get(url(mission, **params))
    assert [row["entry"].action for row in response.context["rows"]] == expected


def test_filter_by_person_and_by_todays_date(client, mission, trail, secretariat, head_of_mission):
    today = datetime.datetime.now(datetime.UTC).date().isoformat()
    client = client_for(client, secretariat)
    response = client.get(url(mission, actor=head_of_mission.user_id, start=today, end=today))
    assert [row["entry"].action for row in response.context["rows"]] == ["team.update"]


def test_an_end_before_the_start_is_refused_and_other_filters_still_apply(
    client, mission, trail, secretariat
):
    response = client_for(client, secretariat).get(
        url(mission, start="2030-01-02", end="2030-01-01", action="team.update")
    )
    assert response.context["form"].errors["end"]
    assert [row["entry"].action for row in response.context["rows"]] == ["team.update"]


def test_the_trail_is_paginated(client, mission, secretariat):
    for n in range(60):
        audit_record(
            action="meeting.update", actor=secretariat.user, mission=mission, changes={"n": [n, n + 1]}
        )
    client = client_for(client, secretariat)
    first = client.get(url(mission))
    assert len(first.context["rows"]) == 50
    assert first.context["rows"][0]["entry"].changes["n"] == [59, 60]
    second = client.get(url(mission, page=2))
    assert [row["entry"].changes["n"][0] for row in second.context["rows"]] == list(range(9, -1, -1))
    filtered = client.get(url(mission, action="meeting.update"))
    assert "?action=meeting.update&amp;page=2" in filtered.content.decode()  # the pages keep the filters


def test_csv_download_has_the_filtered_entries_with_formulas_escaped(client, mission, secretariat):
    team = make_team(mission, '=HYPERLINK("http://evil")')
    audit_record(action="team.create", actor=secretariat.user, mission=mission, target=team)
    audit_record(action="team.update", actor=secretariat.user, mission=mission)
    response = client_for(client, secretariat).get(url(mission, action="team.create", download="csv"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    rows = list(csv.DictReader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert [row["action"] for row in rows] == ["team.create"]
    assert rows[0]["object"].startswith("'=")
    assert rows[0]["actor_email"] == secretariat.user.email
    assert rows[0]["time_utc"].endswith("+00:00")


def test_csv_download_is_refused_like_the_page(client, mission, observer, outsider):
    assert client_for(client, observer).get(url(mission, download="csv")).status_code == 403
    assert client_for(client, outsider).get(url(mission, download="csv")).status_code == 404


def test_an_edited_entry_is_flagged_on_the_page(client, mission, trail, secretariat):
    entry = AuditEntry.objects.filter(mission=mission, action="meeting.create").get()
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE missions_auditentry DISABLE TRIGGER USER")
        cursor.execute(
            "UPDATE missions_auditentry SET target_repr = 'someone else' WHERE id = %s", [entry.pk]
        )
        cursor.execute("ALTER TABLE missions_auditentry ENABLE TRIGGER USER")
    response = client_for(client, secretariat).get(url(mission))
    assert response.context["broken"] == 1
    assert "does not match the chain" in response.content.decode()


def test_an_intact_page_says_so(client, mission, trail, secretariat):
    response = client_for(client, secretariat).get(url(mission))
    assert response.context["broken"] == 0
    assert "are intact" in response.content.decode()
