import json
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError, connection, connections, transaction
from django.urls import reverse

from missions.audit_trail import audit_record, audit_verify
from missions.models import AuditEntry
from tests.conftest import client_for
from tests.helpers.factories import PASSWORD, make_station
from tests.helpers.visits import make_checklist, payload


def _tamper(sql: str, params: list) -> None:
    """Change the table behind the application's back, as someone with database access could."""
    with connection.cursor() as cursor:
        cursor.execute("ALTER TABLE missions_auditentry DISABLE TRIGGER USER")
        cursor.execute(sql, params)
        cursor.execute("ALTER TABLE missions_auditentry ENABLE TRIGGER USER")


@pytest.fixture
def three_entries(mission, secretariat):
    return [
        audit_record(
            action="mission.update",
            actor=secretariat.user,
            mission=mission,
            target=mission,
            changes={"name": ["A", "B"]},
        )
        for _ in range(3)
    ]


def test_entries_chain_and_verify(three_entries):
    first, second, third = three_entries
    assert second.prev_hash == first.entry_hash and third.prev_hash == second.entry_hash
    checked, problems, head = audit_verify()
    assert checked == AuditEntry.objects.count() and problems == [] and head == third.entry_hash
    call_command("verify_audit", expect_head=head)


def test_the_application_cannot_update_or_delete_entries(three_entries):
    entry = three_entries[0]
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    # Not even with a queryset update: the database refuses.
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(action="nothing.happened")
    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).delete()


def test_verify_detects_an_edited_entry(three_entries):
    _tamper(
        "UPDATE missions_auditentry SET changes = %s WHERE id = %s",
        ['{"name": ["A", "C"]}', three_entries[1].pk],
    )
    _checked, problems, _head = audit_verify()
    assert [p.entry_id for p in problems] == [three_entries[1].pk]
    with pytest.raises(CommandError):
        call_command("verify_audit")


def test_verify_detects_a_deleted_entry(three_entries):
    _tamper("DELETE FROM missions_auditentry WHERE id = %s", [three_entries[1].pk])
    _checked, problems, _head = audit_verify()
    assert [p.entry_id for p in problems] == [three_entries[2].pk]


def test_verify_detects_entries_removed_from_the_end(three_entries):
    head = three_entries[-1].entry_hash
    _tamper("DELETE FROM missions_auditentry WHERE id = %s", [three_entries[-1].pk])
    with pytest.raises(CommandError):
        call_command("verify_audit", expect_head=head)


def test_logins_and_failed_logins_are_recorded_without_the_password(client, secretariat):
    client.post(reverse("account_login"), {"login": secretariat.user.email, "password": "wrong-password-1"})
    failed = AuditEntry.objects.filter(action="auth.login_failed").latest("id")
    assert secretariat.user.email in str(failed.changes) and "wrong-password-1" not in str(failed.changes)
    assert failed.ip_address == "127.0.0.1"
    client.post(reverse("account_login"), {"login": secretariat.user.email, "password": PASSWORD})
    assert AuditEntry.objects.filter(action="auth.login", actor=secretariat.user).exists()


def test_refused_access_is_recorded(client, mission, outsider, observer):
    client.force_login(outsider.user)
    assert client.get(reverse("missions:detail", args=[mission.code])).status_code == 404
    assert AuditEntry.objects.filter(
        action="access.refused", actor=outsider.user, mission_code=mission.code
    ).exists()
    client.force_login(observer.user)
    assert client.get(reverse("missions:edit", args=[mission.code])).status_code == 403
    assert AuditEntry.objects.filter(action="access.refused", actor=observer.user, mission=mission).exists()


@pytest.mark.django_db(transaction=True)
def test_concurrent_appends_keep_one_chain(mission, secretariat):
    """Entries written by transactions that overlap still form one chain: each links to the entry
    committed before it (the head is read after the chain's lock is granted, not before)."""

    def append(n: int) -> None:
        try:
            for i in range(5):
                with transaction.atomic():
                    mission.refresh_from_db(fields=["name"])  # some work of the change itself
                    audit_record(
                        action="mission.update",
                        actor=secretariat.user,
                        mission=mission,
                        changes={"n": [n, i], "city": ["Bakı", "Алматы"]},
                    )
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=6) as pool:
        list(pool.map(append, range(6)))
    checked, problems, _head = audit_verify()
    assert AuditEntry.objects.filter(action="mission.update").count() == 30
    assert problems == [] and checked == AuditEntry.objects.count()
    hashes = list(AuditEntry.objects.values_list("prev_hash", flat=True))
    assert len(hashes) == len(set(hashes))  # no fork: no two entries follow the same one


def test_filing_correcting_reviewing_and_incidents_are_recorded(client, mission, observer, team_leader):
    """Every change to a visit, its review and every incident is in the trail, with who and what changed;
    a resubmission that changes nothing adds nothing."""
    body = payload(make_checklist(mission), make_station(mission, "0001"))
    submit = reverse("polling:api_visit_submit", kwargs={"code": mission.code})
    update = reverse("polling:api_visit_update", kwargs={"code": mission.code, "visit": body["uuid"]})
    client_for(client, observer)
    for _ in range(2):  # the second time is a duplicate
        client.post(submit, data=json.dumps(body), content_type="application/json")
    corrected = {**body, "notes": "queue outside", "revision": 1}
    assert client.put(update, data=json.dumps(corrected), content_type="application/json").status_code == 200
    incident = {
        "uuid": "0b7f5b7e-2a53-4a0e-9a43-5c2a4b6f0e11",
        "station": "0001",
        "visit": body["uuid"],
        "occurred_at": "2024-02-07T09:12:00+04:00",
        "category": "violence",
        "description": "A fight at the door.",
    }
    api = reverse("polling:api_incident_report", kwargs={"code": mission.code})
    assert client.post(api, data=json.dumps(incident), content_type="application/json").status_code == 201
    client_for(client, team_leader)
    review = reverse("polling:visit_review", kwargs={"code": mission.code, "visit": body["uuid"]})
    assert client.post(review, {"action": "reviewed"}).status_code == 302

    entries = list(AuditEntry.objects.filter(mission=mission).order_by("id"))
    assert [e.action for e in entries] == ["visit.create", "visit.update", "incident.create", "visit.review"]
    created, updated, reported, reviewed = entries
    assert {e.actor for e in entries[:3]} == {observer.user} and reviewed.actor == team_leader.user
    assert created.target_id == updated.target_id == reviewed.target_id == body["uuid"]
    assert updated.changes["notes"] == ["", "queue outside"] and updated.changes["revision"] == [1, 2]
    assert reviewed.changes["review_status"] == ["pending", "reviewed"]
    assert reported.changes["category"] == [None, "violence"] and reported.target_id == incident["uuid"]
    assert audit_verify()[1] == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the trigger is PostgreSQL's")
def test_truncating_the_audit_trail_is_refused(db):
    """Reproduced: TRUNCATE emptied the trail and verify_audit then said "intact: 0 entries"."""
    from django.db import DatabaseError, transaction

    from missions.audit_trail import audit_record
    from missions.models import AuditEntry

    audit_record(action="mission.create", changes={})
    with (
        pytest.raises(DatabaseError, match="append-only"),
        transaction.atomic(),
        connection.cursor() as cursor,
    ):
        cursor.execute("SET LOCAL observa.audit_truncate = ''")  # a session of the app, not the test runner
        cursor.execute("TRUNCATE missions_auditentry")
    assert AuditEntry.objects.count() == 1


def test_repeated_refusals_fold_into_one_entry_and_a_budget(client, mission, outsider):
    """Reproduced: 300 requests to /m/<random>/ by a logged-in user appended 300 entries under the chain lock."""
    from django.urls import reverse

    from missions.access import REFUSALS_PER_HOUR
    from missions.models import AuditEntry
    from tests.conftest import client_for

    client_for(client, outsider)
    for _ in range(5):
        assert client.get(reverse("missions:detail", args=[mission.code])).status_code == 404
    refused = AuditEntry.objects.filter(action="access.refused", actor=outsider.user)
    assert refused.count() == 1
    for n in range(REFUSALS_PER_HOUR + 20):
        client.get(f"/m/random-{n}/")
    assert refused.count() == REFUSALS_PER_HOUR
