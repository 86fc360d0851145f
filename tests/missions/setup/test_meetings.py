"""The pre-election meetings log: every member reads it, the set-up roles keep it."""

import datetime

import pytest
from django.urls import reverse

from missions.models import AuditEntry, Meeting
from tests.conftest import client_for
from tests.helpers.factories import make_meeting

pytestmark = pytest.mark.django_db


def meeting_data(**overrides):
    data = {
        "date": "2024-02-05",
        "counterpart": "Mr Mazahir Panahov",
        "title": "Chairman of the Central Election Commission",
        "category": Meeting.Category.ELECTION_ADMINISTRATION,
        "notes": "Briefing on the voter list.",
    }
    data.update(overrides)
    return data


def test_meeting_list_is_ordered_by_date_and_readable_by_observers(client, mission, observer, outsider):
    later = make_meeting(mission, date=datetime.date(2024, 2, 6), counterpart="Later")
    earlier = make_meeting(mission, date=datetime.date(2024, 2, 4), counterpart="Earlier")
    make_meeting(outsider.mission, counterpart="Someone else's meeting")
    response = client_for(client, observer).get(reverse("missions:meeting_list", args=[mission.code]))
    assert response.status_code == 200
    assert list(response.context["meetings"]) == [earlier, later]
    assert "Someone else's meeting" not in response.text
    assert reverse("missions:meeting_create", args=[mission.code]) not in response.text
    assert reverse("missions:meeting_edit", args=[mission.code, later.uuid]) not in response.text


def test_meeting_list_is_404_for_outsiders_and_login_for_anonymous(client, mission, outsider):
    list_url = reverse("missions:meeting_list", args=[mission.code])
    assert client.get(list_url).status_code == 302
    assert client_for(client, outsider).get(list_url).status_code == 404


def test_secretariat_adds_a_meeting(client, mission, secretariat):
    response = client_for(client, secretariat).post(
        reverse("missions:meeting_create", args=[mission.code]), meeting_data()
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("missions:meeting_list", args=[mission.code])
    meeting = Meeting.objects.get(mission=mission)
    assert (meeting.date, meeting.counterpart, meeting.category) == (
        datetime.date(2024, 2, 5),
        "Mr Mazahir Panahov",
        Meeting.Category.ELECTION_ADMINISTRATION,
    )


def test_a_meeting_needs_a_counterpart_and_a_category(client, mission, secretariat):
    response = client_for(client, secretariat).post(
        reverse("missions:meeting_create", args=[mission.code]), meeting_data(counterpart="", category="")
    )
    assert response.status_code == 200
    assert set(response.context["form"].errors) == {"counterpart", "category"}
    assert not Meeting.objects.exists()


def test_observer_may_not_add_and_outsider_gets_404(client, mission, observer, outsider):
    create = reverse("missions:meeting_create", args=[mission.code])
    assert client_for(client, observer).get(create).status_code == 403
    assert client.post(create, meeting_data()).status_code == 403
    assert client_for(client, outsider).post(create, meeting_data()).status_code == 404
    assert not Meeting.objects.exists()


def test_head_of_mission_edits_a_meeting(client, mission, head_of_mission):
    meeting = make_meeting(mission)
    response = client_for(client, head_of_mission).post(
        reverse("missions:meeting_edit", args=[mission.code, meeting.uuid]), meeting_data(title="")
    )
    assert response.status_code == 302
    meeting.refresh_from_db()
    assert (meeting.counterpart, meeting.title) == ("Mr Mazahir Panahov", "")
    changes = AuditEntry.objects.get(action="meeting.update").changes
    assert changes["title"] == ["Minister of Foreign Affairs", ""]
    assert changes["category"] == [Meeting.Category.GOVERNMENT, Meeting.Category.ELECTION_ADMINISTRATION]
    assert "date" not in changes  # unchanged fields are not recorded


def test_observer_may_not_edit_and_outsider_gets_404(client, mission, observer, outsider):
    meeting = make_meeting(mission)
    edit = reverse("missions:meeting_edit", args=[mission.code, meeting.uuid])
    assert client_for(client, observer).post(edit, meeting_data()).status_code == 403
    assert client_for(client, outsider).post(edit, meeting_data()).status_code == 404
    meeting.refresh_from_db()
    assert meeting.counterpart == "H.E. Jeyhun Bayramov"


def test_a_meeting_of_another_mission_is_404(client, mission, secretariat, outsider):
    foreign = make_meeting(outsider.mission)
    edit = reverse("missions:meeting_edit", args=[mission.code, foreign.uuid])
    assert client_for(client, secretariat).post(edit, meeting_data()).status_code == 404
    foreign.refresh_from_db()
    assert foreign.counterpart == "H.E. Jeyhun Bayramov"


def test_deleting_a_meeting_asks_first(client, mission, secretariat):
    meeting = make_meeting(mission)
    delete = reverse("missions:meeting_delete", args=[mission.code, meeting.uuid])
    client_for(client, secretariat)
    confirm = client.get(delete)
    assert confirm.status_code == 200
    assert "H.E. Jeyhun Bayramov" in confirm.text
    assert Meeting.objects.filter(pk=meeting.pk).exists()
    response = client.post(delete)
    assert response.status_code == 302
    assert not Meeting.objects.filter(pk=meeting.pk).exists()
    entry = AuditEntry.objects.get(action="meeting.delete")
    assert entry.changes["counterpart"] == ["H.E. Jeyhun Bayramov", None]


def test_observer_may_not_delete_and_outsider_gets_404(client, mission, observer, outsider):
    meeting = make_meeting(mission)
    delete = reverse("missions:meeting_delete", args=[mission.code, meeting.uuid])
    assert client_for(client, observer).post(delete).status_code == 403
    assert client_for(client, outsider).post(delete).status_code == 404
    assert Meeting.objects.filter(pk=meeting.pk).exists()
