"""The filing's SQL on PostgreSQL: prepared statements, observa_file_visit() and what holds it together.

These run outside a test transaction (transactional_db), as a gunicorn worker does: one call writes the
visit, its answers and revision, takes the chain's lock and appends the audit entry, in autocommit.
"""

import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError
from django.test import override_settings

from missions.access import get_mission_for
from missions.audit_trail import audit_verify
from missions.models import AuditEntry, Role
from polling import visits
from polling.models import Answer, Visit, VisitRevision
from tests.helpers.factories import make_member, make_mission, make_station, make_team
from tests.helpers.visits import make_checklist, payload

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own statements")


@pytest.fixture
def setup(transactional_db):
    mission = make_mission()
    member = make_member(mission, Role.OBSERVER, team=make_team(mission))
    version = make_checklist(mission)
    station = make_station(mission, "0001")
    return mission, member, version, station


def _prepared() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements")
        return [row[0] for row in cursor.fetchall()]


def _stored(mission) -> tuple[int, int, int, int]:
    return (
        Visit.objects.filter(mission=mission).count(),
        Answer.objects.filter(visit__mission=mission).count(),
        VisitRevision.objects.filter(visit__mission=mission).count(),
        AuditEntry.objects.filter(mission=mission, action="visit.create").count(),
    )


def test_the_hot_statements_are_prepared_once_per_connection(setup):
    mission, member, version, station = setup
    for _ in range(3):
        access = get_mission_for(member.user, mission.code)  # as the view does first
        visits.visit_submit(mission=access.mission, member=access.member, payload=payload(version, station))
    prepared = _prepared()
    for fragment in ("observa_file_visit(", "FROM polling_checklist c", "FROM missions_member m"):
        assert sum(fragment in statement for statement in prepared) == 1, fragment
    assert _stored(mission) == (3, 21, 3, 3)
    assert audit_verify()[1] == []


@override_settings(DATABASE_PREPARED_STATEMENTS=False)
def test_filing_works_the_same_without_prepared_statements(setup):
    """For a pooler that cannot follow prepared statements: plain statements, one at a time."""
    mission, member, version, station = setup
    connection.close()  # a new session: nothing prepared by an earlier test
    body = payload(version, station)
    visit, created = visits.visit_submit(mission=mission, member=member, payload=body)
    again, created_again = visits.visit_submit(mission=mission, member=member, payload=dict(body))
    assert (created, created_again, again.pk) == (True, False, visit.pk)
    assert _prepared() == []
    assert _stored(mission) == (1, 7, 1, 1)
    assert audit_verify()[1] == []


def test_a_resubmission_and_a_conflict_leave_the_connection_usable(setup):
    """A taken UUID fails inside the function; its transaction is rolled back and the next filing on the
    same connection goes through."""
    mission, member, version, station = setup
    body = payload(version, station)
    visits.visit_submit(mission=mission, member=member, payload=body)
    assert visits.visit_submit(mission=mission, member=member, payload=dict(body))[1] is False
    with pytest.raises(visits.VisitConflict):
        visits.visit_submit(mission=mission, member=member, payload={**body, "notes": "changed"})
    assert visits.visit_submit(mission=mission, member=member, payload=payload(version, station))[1] is True
    assert _stored(mission) == (2, 14, 2, 2)
    assert audit_verify()[1] == []


def test_a_visit_is_not_stored_when_its_audit_entry_cannot_be(setup):
    """The entry is written last in the visit's transaction: if PostgreSQL refuses it, the visit, its
    answers and revision are rolled back with it (a trigger makes the refusal real)."""
    mission, member, version, station = setup
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE FUNCTION refuse_visit_entries() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
            "IF NEW.action = 'visit.create' THEN RAISE EXCEPTION 'the trail is full'; END IF; "
            "RETURN NEW; END $$"
        )
        cursor.execute(
            "CREATE TRIGGER refuse_visit_entries BEFORE INSERT ON missions_auditentry "
            "FOR EACH ROW EXECUTE FUNCTION refuse_visit_entries()"
        )
    try:
        with pytest.raises(Exception, match="the trail is full"):
            visits.visit_submit(mission=mission, member=member, payload=payload(version, station))
        assert _stored(mission) == (0, 0, 0, 0)
    finally:
        with connection.cursor() as cursor:
            cursor.execute("DROP TRIGGER refuse_visit_entries ON missions_auditentry")
            cursor.execute("DROP FUNCTION refuse_visit_entries()")
    assert visits.visit_submit(mission=mission, member=member, payload=payload(version, station))[1] is True
    assert _stored(mission) == (1, 7, 1, 1)


def test_an_answered_question_or_option_cannot_be_deleted(setup):
    """The database no longer checks the answers' question and option keys (see polling.models.Answer);
    the ORM still refuses to delete what an answer points at."""
    mission, member, version, station = setup
    visits.visit_submit(mission=mission, member=member, payload=payload(version, station))
    answer = (
        Answer.objects.filter(visit__mission=mission, option__isnull=False).select_related("option").first()
    )
    with pytest.raises(ProtectedError):
        answer.option.delete()
    with pytest.raises(ProtectedError):
        answer.question.delete()
    assert Answer.objects.filter(pk=answer.pk).exists()


def test_deleting_a_visit_still_deletes_its_answers(setup):
    """Nor does it check their visit key: Django's CASCADE deletes a visit's answers with it."""
    mission, member, version, station = setup
    kept, _ = visits.visit_submit(mission=mission, member=member, payload=payload(version, station))
    gone, _ = visits.visit_submit(mission=mission, member=member, payload=payload(version, station))
    gone.delete()
    assert Answer.objects.filter(visit_id=gone.pk).count() == 0
    assert Answer.objects.filter(visit_id=kept.pk).count() == 7


@pytest.mark.parametrize("with_option", [True, False])
def test_the_database_stores_an_answer_once(setup, with_option):
    """One unique index (visit, question, option or 0) for both kinds of answer: a second row for the same
    question is refused, and so is a second row for the same chosen option; other options are not."""
    mission, member, version, station = setup
    visit, _ = visits.visit_submit(mission=mission, member=member, payload=payload(version, station))
    answer = Answer.objects.filter(visit=visit, option__isnull=not with_option).first()
    if with_option:
        other = answer.question.options.exclude(pk=answer.option_id).first()
        Answer.objects.filter(visit=visit, question=answer.question).exclude(pk=answer.pk).delete()
        Answer.objects.create(visit=visit, question=answer.question, option=other)  # another option: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Answer.objects.create(visit=visit, question=answer.question, option=answer.option, text="twice")


def test_a_visits_answers_are_read_through_the_unique_index(setup):
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN SELECT * FROM polling_answer WHERE visit_id = 1")
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "answer_once" in plan


@pytest.mark.parametrize(
    "query",
    [
        "SELECT * FROM polling_visit WHERE mission_id = 1",  # a mission's visits, its deletion's cascade
        "SELECT * FROM polling_visit WHERE reviewed_by_id IN (1, 2)",  # deleting users: SET NULL
        "SELECT * FROM polling_visit WHERE team_id IN (1, 2)",  # deleting a team: SET NULL
        "SELECT * FROM polling_visit WHERE station_id IN (1, 2)",  # deleting a station: PROTECT
        "SELECT * FROM polling_visitrevision WHERE visit_id IN (1, 2)",  # deleting visits: CASCADE
        "SELECT * FROM polling_answer WHERE option_id IN (1, 2)",  # deleting options: PROTECT
        "SELECT * FROM polling_answer WHERE question_id IN (1, 2)",  # deleting questions: PROTECT
    ],
)
def test_every_key_lookup_has_an_index(setup, query):
    """Dropping an index another one covers must not leave a deletion scanning the whole table."""
    with connection.cursor() as cursor:
        cursor.execute("SET enable_seqscan = off")
        cursor.execute("EXPLAIN " + query)
        plan = " ".join(row[0] for row in cursor.fetchall())
        cursor.execute("RESET enable_seqscan")
    assert "Seq Scan" not in plan, plan


def test_no_index_of_the_filings_tables_is_covered_by_another(setup):
    """A filing adds an entry to every index of these tables: a plain index whose columns lead another
    index serves no query the other cannot."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT c.relname, i.indexrelid::regclass::text, i.indisunique, i.indpred IS NOT NULL,
                   i.indexprs IS NOT NULL, i.indkey::int2[]
            FROM pg_index i JOIN pg_class c ON c.oid = i.indrelid
            WHERE c.relname IN ('polling_visit', 'polling_visitrevision', 'polling_answer')
            """
        )
        rows = cursor.fetchall()
    assert {row[1] for row in rows} >= {"visit_mission_team", "visit_reviewed_by", "answer_once"}
    covered = [
        (name, other)
        for table, name, unique, partial, expression, keys in rows
        if not (unique or partial or expression)
        for other_table, other, _u, other_partial, _e, other_keys in rows
        if other_table == table and other != name and not other_partial and other_keys[: len(keys)] == keys
    ]
    assert covered == []


def test_the_function_takes_the_same_chain_lock_as_every_other_append(setup):
    """The migration writes the lock's key as a literal (a migration must not import app code); if it
    drifted from missions.audit_trail's, visit entries and the others would append to the chain concurrently."""
    from missions.audit_trail import CHAIN_LOCK_SQL

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('observa_file_visit'::regproc)")
        source = cursor.fetchone()[0]
    assert CHAIN_LOCK_SQL.rstrip(";").replace("SELECT ", "PERFORM ") in source
