"""Two phones (or a phone's retry and its first attempt) sending the same visit at the same moment."""

import threading

import pytest
from django.db import connection

from missions.audit_trail import audit_verify
from missions.models import AuditEntry, Role
from polling import visits
from polling.models import Answer, Visit, VisitRevision
from tests.helpers.factories import make_member, make_mission, make_station, make_team
from tests.helpers.visits import make_checklist, payload

ROUNDS = 8


def _race(mission, member, bodies):
    """Submit each body from its own thread (own database connection), all released at once."""
    barrier = threading.Barrier(len(bodies))
    outcomes = [None] * len(bodies)

    def run(index, body):
        try:
            barrier.wait()
            visit, created = visits.visit_submit(mission=mission, member=member, payload=body, channel="web")
            outcomes[index] = "created" if created else "duplicate"
        except visits.VisitConflict:
            outcomes[index] = "conflict"
        except Exception as error:  # noqa: BLE001 (reported by the assertion)
            outcomes[index] = repr(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, body)) for i, body in enumerate(bodies)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sorted(outcomes)


@pytest.fixture
def setup(transactional_db):
    mission = make_mission()
    member = make_member(mission, Role.OBSERVER, team=make_team(mission))
    version = make_checklist(mission)
    station = make_station(mission, "0001")
    return mission, member, version, station


def test_identical_submissions_racing_make_exactly_one_visit(setup):
    mission, member, version, station = setup
    for _round in range(ROUNDS):
        body = payload(version, station)
        assert _race(mission, member, [body, dict(body), dict(body)]) == ["created", "duplicate", "duplicate"]
        visit = Visit.objects.get(uuid=body["uuid"])
        assert visit.revisions.count() == 1 and visit.answers.count() == 7
    assert Visit.objects.count() == ROUNDS
    assert VisitRevision.objects.count() == ROUNDS and Answer.objects.count() == 7 * ROUNDS
    # One audit entry per visit (none for the refused copies), and the chain holds.
    assert AuditEntry.objects.filter(action="visit.create").count() == ROUNDS
    assert audit_verify()[1] == []


def test_different_content_racing_for_one_uuid_stores_one_and_refuses_the_other(setup):
    mission, member, version, station = setup
    for _round in range(ROUNDS):
        body = payload(version, station)
        other = {**body, "answers": {**body["answers"], "A3": 9}}
        assert _race(mission, member, [body, other]) == ["conflict", "created"]
        stored = Visit.objects.get(uuid=body["uuid"])
        # Whichever won, the stored answers are exactly one of the two submissions, never a mix.
        assert stored.answers.get(question__code="A3").number in (7, 9)
        assert stored.answers.count() == 7 and stored.revisions.count() == 1
