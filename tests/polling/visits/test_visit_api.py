"""The filing API of docs/visit-api.md, driven through the client: every status code of the contract."""

import json
import re
import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.access import get_mission_for
from missions.models import AuditEntry, Member, Mission, Role
from polling.models import Answer, Visit, VisitRevision
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station, make_team
from tests.helpers.visits import answers_for, make_checklist, many_questions, payload


@pytest.fixture
def version(mission):
    return make_checklist(mission)


@pytest.fixture
def station(mission):
    return make_station(mission, "0001-00", name="School 1")


def submit_url(mission):
    return reverse("polling:api_visit_submit", kwargs={"code": mission.code})


def update_url(mission, visit_uuid):
    return reverse("polling:api_visit_update", kwargs={"code": mission.code, "visit": visit_uuid})


def post(client, mission, body, **headers):
    return client.post(
        submit_url(mission), data=json.dumps(body), content_type="application/json", headers=headers
    )


def put(client, mission, visit_uuid, body, **headers):
    return client.put(
        update_url(mission, visit_uuid),
        data=json.dumps(body),
        content_type="application/json",
        headers=headers,
    )


# Filing


def test_observer_files_a_visit(client, mission, observer, version, station):
    body = payload(version, station)
    response = post(client_for(client, observer), mission, body)
    assert response.status_code == 201
    data = response.json()
    assert data["status"] == "created" and data["uuid"] == body["uuid"]
    visit = Visit.objects.get(uuid=body["uuid"])
    assert data["url"] == reverse("polling:visit_detail", kwargs={"code": mission.code, "visit": visit.uuid})
    assert (visit.mission, visit.observer, visit.team, visit.station) == (
        mission,
        observer,
        observer.team,
        station,
    )
    assert visit.arrived_at.isoformat() == "2024-02-07T03:55:00+00:00"
    assert (visit.assessment, visit.revision, visit.review_status) == ("good", 1, Visit.Review.PENDING)
    # One row per chosen option, numbers and texts in their columns: results are a GROUP BY away.
    rows = {
        (a.question.code, a.option.value if a.option else None, a.number, a.text)
        for a in visit.answers.select_related("question", "option")
    }
    assert rows == {
        ("A1", "yes", None, ""),
        ("A2", "ballots", None, ""),
        ("A2", "seals", None, ""),
        ("A3", None, 7, ""),
        ("A4", None, None, "calm"),
        ("A6", "yes", None, ""),
        ("A8", "2", None, ""),
    }
    revision = visit.revisions.get()
    assert (revision.number, revision.user, revision.channel) == (1, observer.user, "web")
    assert revision.content["answers"]["A3"] == "7"


def test_the_same_visit_sent_twice_is_stored_once(client, mission, observer, version, station):
    client_for(client, observer)
    body = payload(version, station)
    assert post(client, mission, body).status_code == 201
    again = post(client, mission, {**body, "answers": dict(reversed(list(body["answers"].items())))})
    assert again.status_code == 200
    assert again.json()["status"] == "duplicate" and again.json()["uuid"] == body["uuid"]
    assert Visit.objects.count() == 1 and VisitRevision.objects.count() == 1 and Answer.objects.count() == 7


def test_a_resent_visit_is_answered_without_trying_to_write_it(client, mission, observer, version, station):
    """The member's statement already says the UUID is stored: no INSERT that fails on it."""
    client_for(client, observer)
    body = payload(version, station)
    post(client, mission, body)
    with CaptureQueriesContext(connection) as queries:
        again = post(client, mission, body)
    assert again.status_code == 200 and again.json()["status"] == "duplicate"
    sql = " ".join(query["sql"] for query in queries.captured_queries)
    assert "observa_file_visit" not in sql and "INSERT" not in sql and "SAVEPOINT" not in sql
    assert Visit.objects.count() == 1


def test_the_same_uuid_with_other_content_is_a_conflict(client, mission, observer, version, station):
    client_for(client, observer)
    body = payload(version, station)
    post(client, mission, body)
    stored = Visit.objects.get()
    response = post(client, mission, {**body, "answers": {**body["answers"], "A3": 8}})
    assert response.status_code == 409
    assert response.json()["status"] == "conflict" and "not changed" in response.json()["message"]
    stored.refresh_from_db()
    assert stored.answers.get(question__code="A3").number == 7
    assert (Visit.objects.count(), VisitRevision.objects.count(), stored.revision) == (1, 1, 1)


def test_another_members_uuid_is_a_conflict_even_with_the_same_content(
    client, mission, observer, team, version, station
):
    body = payload(version, station)
    post(client_for(client, observer), mission, body)
    teammate = make_member(mission, Role.OBSERVER, team=team)
    response = post(client_for(Client(), teammate), mission, body)
    assert response.status_code == 409
    assert Visit.objects.get().observer == observer


def test_fields_the_observer_does_not_own_are_ignored(client, mission, observer, version, station):
    other_mission = Mission.objects.create(
        code="elsewhere",
        name="x",
        organization="x",
        election="x",
        country="x",
        election_date="2024-02-07",
        observation_start="2024-02-01",
        observation_end="2024-02-08",
    )
    other_team = make_team(mission, "Group 9")
    crafted = payload(
        version,
        station,
        mission=other_mission.code,
        mission_id=other_mission.pk,
        observer=str(make_member(mission).uuid),
        observer_id=1,
        team=str(other_team.uuid),
        team_id=other_team.pk,
        review_status="reviewed",
        revision=7,
        content_hash="0" * 64,
    )
    assert post(client_for(client, observer), mission, crafted).status_code == 201
    visit = Visit.objects.get()
    assert (visit.mission, visit.observer, visit.team) == (mission, observer, observer.team)
    assert (visit.review_status, visit.revision) == (Visit.Review.PENDING, 1)
    assert visit.content_hash != "0" * 64


def test_invalid_visit_lists_every_error_and_stores_nothing(client, mission, observer, version, station):
    body = payload(version, station)
    body.update(
        station="nowhere", arrived_at="yesterday", answers={"A1": "no", "A3": 99, "A6": "maybe", "Z1": "x"}
    )
    response = post(client_for(client, observer), mission, body)
    assert response.status_code == 400
    data = response.json()
    assert data["status"] == "invalid"
    assert set(data["errors"]) == {"station", "arrived_at", "A3", "A5", "A6", "Z1"}
    assert Visit.objects.count() == 0


def test_a_visit_without_uuid_is_invalid(client, mission, observer, version, station):
    body = payload(version, station)
    del body["uuid"]
    response = post(client_for(client, observer), mission, body)
    assert response.status_code == 400 and "uuid" in response.json()["errors"]


def test_body_that_is_not_json_is_invalid(client, mission, observer):
    response = client_for(client, observer).post(
        submit_url(mission), data="{", content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["errors"]["__all__"]


def _raw_post(client, mission, body: bytes):
    return client.post(submit_url(mission), data=body, content_type="application/json")


@pytest.mark.parametrize(
    ("notes", "field"),
    [
        (b'"a \\u0000 b"', "NUL"),  # NUL escaped
        (b'"a \\ud800 b"', "surrogate"),  # a lone surrogate escaped
        (b'"a \\uDFFF b"', "surrogate"),
        (b'"a \xed\xa0\x80 b"', "surrogate"),  # its UTF-8-style bytes, which json.loads lets through
    ],
)
def test_text_the_database_cannot_store_is_refused_by_field(
    client, mission, observer, version, station, notes, field
):
    body = json.dumps(payload(version, station)).encode()[:-1] + b', "notes": ' + notes + b"}"
    response = _raw_post(client_for(client, observer), mission, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == ["notes"] and field in errors["notes"][0]
    assert Visit.objects.count() == 0


def test_text_that_only_looks_like_an_escape_is_stored_as_typed(client, mission, observer, version, station):
    """A backslash typed before "u0000" or "ud800", and a Korean syllable (whose UTF-8 starts with ED)."""
    notes = "C:\\u0000\\ud800 \ud55c"
    response = post(client_for(client, observer), mission, {**payload(version, station), "notes": notes})
    assert response.status_code == 201
    assert Visit.objects.get().notes == notes


def test_a_nul_inside_the_answers_is_refused_under_answers(client, mission, observer, version, station):
    body = payload(version, station)
    code = next(iter(body["answers"]))
    body["answers"][code] = "x\x00"
    response = post(client_for(client, observer), mission, body)
    assert response.status_code == 400 and list(response.json()["errors"]) == ["answers"]


def test_unpublished_version_and_closed_checklist_are_refused(client, mission, observer, version, station):
    client_for(client, observer)
    draft = make_checklist(mission, checklist=version.checklist, number=2, publish=False)
    response = post(client, mission, payload(draft, station))
    assert response.status_code == 400 and "not been published" in response.json()["errors"]["version"][0]
    version.checklist.is_active = False
    version.checklist.save()
    response = post(client, mission, payload(version, station))
    assert response.status_code == 400 and "closed for filing" in response.json()["errors"]["checklist"][0]


def test_an_older_published_version_is_still_accepted(client, mission, observer, version, station):
    """A phone that opened the form before version 2 was published must still be able to send it."""
    newer = make_checklist(mission, checklist=version.checklist, number=2)
    assert version.checklist.current_version == newer
    response = post(client_for(client, observer), mission, payload(version, station))
    assert response.status_code == 201
    assert Visit.objects.get().checklist_version == version


def test_offline_channel_is_recorded(client, mission, observer, version, station):
    post(client_for(client, observer), mission, payload(version, station), **{"X-Observa-Channel": "offline"})
    assert VisitRevision.objects.get().channel == "offline"


def test_anonymous_gets_401_json_not_a_login_redirect(client, mission, version, station):
    response = post(client, mission, payload(version, station))
    assert response.status_code == 401
    assert response.json() == {"status": "login_required", "login_url": reverse("account_login")}


def test_outsider_gets_404_json(client, mission, outsider, version, station):
    response = post(client_for(client, outsider), mission, payload(version, station))
    assert response.status_code == 404 and response.json()["status"] == "not_found"
    assert Visit.objects.count() == 0


def test_outsider_gets_404_even_for_a_body_that_is_not_json(client, mission, outsider):
    """The refusal comes before the body is judged, and is recorded once: the second, a repeat, folds into it."""
    response = client_for(client, outsider).post(
        submit_url(mission), data="{", content_type="application/json"
    )
    assert response.status_code == 404 and response.json()["status"] == "not_found"
    post(client, mission, {"checklist": "opening", "version": 1, "station": "0001"})
    assert AuditEntry.objects.filter(action="access.refused", actor=outsider.user).count() == 1


@pytest.mark.parametrize(
    ("change", "errors"),
    [
        ({"checklist": "closing"}, {"checklist"}),  # no such checklist: no version either
        ({"version": 7}, {"version"}),
        ({"station": "9999"}, {"station"}),
        ({"checklist": "closing", "station": "9999"}, {"checklist", "station"}),
        ({"version": "1"}, {"version"}),  # not a number: nothing to look up
    ],
)
def test_what_the_visit_names_must_exist(client, mission, observer, version, station, change, errors):
    """The member's statement looks up the checklist version and station too; a name it does not find
    is refused by name, as a separate lookup would."""
    response = post(client_for(client, observer), mission, {**payload(version, station), **change})
    assert response.status_code == 400 and set(response.json()["errors"]) == errors
    assert Visit.objects.count() == 0


def test_closed_mission_refuses_filing_with_403(client, mission, observer, version, station):
    mission.status = Mission.Status.CLOSED
    mission.save()
    response = post(client_for(client, observer), mission, payload(version, station))
    assert response.status_code == 403
    assert response.json()["status"] == "forbidden" and "closed" in response.json()["message"]


def test_wrong_method_is_405_json(client, mission, observer):
    response = client_for(client, observer).get(submit_url(mission))
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_csrf_is_enforced(mission, observer, version, station):
    client = client_for(Client(enforce_csrf_checks=True), observer)
    assert post(client, mission, payload(version, station)).status_code == 403
    client.get(reverse("polling:visit_list", kwargs={"code": mission.code}))  # a page sets the cookie
    token = client.cookies["csrftoken"].value
    assert post(client, mission, payload(version, station), **{"X-CSRFToken": token}).status_code == 201


def test_secretariat_may_file_a_visit_as_themselves(client, mission, secretariat, version, station):
    assert post(client_for(client, secretariat), mission, payload(version, station)).status_code == 201
    visit = Visit.objects.get()
    assert (visit.observer, visit.team) == (secretariat, None)


def _app_queries(queries) -> list[str]:
    """The statements of the filing itself, each as the tables it writes (or, for a SELECT, its outermost
    FROM): not the session, the user, allauth's session tracking, savepoints."""
    framework = {"django_session", "missions_user", "usersessions_usersession"}
    found = []
    for query in queries.captured_queries:
        sql = query["sql"]
        writes = re.findall(r'(?:INSERT INTO|UPDATE|DELETE FROM) "?(\w+)"?', sql)
        tables = writes or re.findall(r'FROM "?(\w+)"?', sql)[-1:]  # a SELECT's outermost FROM
        if tables and not set(tables) & framework:
            found.append(" + ".join(tables))
    return found


def test_queries_per_submission_do_not_grow_with_the_answers(client, mission, observer, station):
    """The member, with the checklist version and station in the same statement, then one call for the
    visit, all its answers, its first revision and its audit entry, however many answers there are.
    The version's questions are read once, not per submission."""
    client_for(client, observer)

    def queries_for(count):
        questions = many_questions(count)
        version = make_checklist(mission, f"c{count}", questions)
        post(client, mission, payload(version, station, answers=answers_for(questions)))
        with CaptureQueriesContext(connection) as queries:
            assert (
                post(client, mission, payload(version, station, answers=answers_for(questions))).status_code
                == 201
            )
        return _app_queries(queries), [q["sql"] for q in queries.captured_queries]

    (few, _sql), (many, sql) = queries_for(5), queries_for(40)
    # One call writes the visit, its answers, revision and (under the chain's lock) audit entry.
    assert few == many == ["polling_checklist", "observa_file_visit"]
    lookup = next(statement for statement in sql if "polling_checklist" in statement)
    assert all(name in lookup for name in ("missions_member", "LATERAL", "polling_pollingstation"))
    assert Answer.objects.filter(question__version__checklist__code="c40").count() == 2 * 47
    entry = AuditEntry.objects.filter(action="visit.create").latest("id")
    assert entry.actor == observer.user and entry.mission == mission and entry.ip_address == "127.0.0.1"


def test_submission_stays_within_a_small_number_of_queries(
    client, mission, observer, version, station, django_assert_max_num_queries
):
    """All of it, framework included: the user (the session comes from Redis and is not written), then
    the three statements of the filing (member, checklist and station, the call that writes the visit)
    and, in a test, its savepoint pair. (The second-factor check,
    switched off in tests, costs no query either within the minute its session remembers it.)"""
    client_for(client, observer)
    post(client, mission, payload(version, station))  # the version now has a visit: its questions are cached
    with django_assert_max_num_queries(6):
        assert post(client, mission, payload(version, station)).status_code == 201


def test_numbers_and_text_are_stored_exactly(client, mission, observer, version, station):
    text = 'He said "no" \\ then left; 50% — Қазақ\nnext line'
    body = payload(version, station, answers={**payload(version, station)["answers"], "A3": 12.5, "A4": text})
    assert post(client_for(client, observer), mission, body).status_code == 201
    visit = Visit.objects.get(uuid=body["uuid"])
    assert visit.answers.get(question__code="A3").number == Decimal("12.50")
    assert visit.answers.get(question__code="A4").text == text


def test_the_access_check_loads_the_member_mission_and_team_as_stored(
    mission, observer, django_assert_num_queries
):
    """get_mission_for reads them with one statement of its own: every value must come back as the ORM
    gives it (the mission's JSON area levels, dates, the member's team), with nothing left to load."""
    mission.area_levels = ["Region", "District"]
    mission.save(update_fields=["area_levels"])
    with django_assert_num_queries(1):
        access = get_mission_for(observer.user, mission.code)
        team = access.member.team
    stored = Mission.objects.get(pk=mission.pk)
    assert model_to_dict(access.mission) == model_to_dict(stored)
    assert access.mission.area_levels == ["Region", "District"]
    assert model_to_dict(access.member) == model_to_dict(Member.objects.get(pk=observer.pk))
    assert team == observer.team and team.name == observer.team.name
    assert access.member.mission is access.mission and not access.member._state.adding


# Correcting


@pytest.fixture
def filed(client, mission, observer, version, station):
    body = payload(version, station)
    post(client_for(Client(), observer), mission, body)
    return body


def test_observer_corrects_a_visit_and_the_change_is_kept(client, mission, observer, version, station, filed):
    other = make_station(mission, "0002-00")
    body = {
        **filed,
        "station": other.code,
        "answers": {**filed["answers"], "A6": "no", "A7": "Seal broken"},
        "revision": 1,
    }
    response = put(
        client_for(client, observer), mission, filed["uuid"], body, **{"X-Observa-Channel": "offline"}
    )
    assert response.status_code == 200
    assert (
        response.json()["status"] == "updated"
        and response.json()["revision"] == 2
        and response.json()["changed"]
    )
    visit = Visit.objects.get()
    assert (visit.revision, visit.station) == (2, other)
    assert visit.answers.get(question__code="A6").option.value == "no"
    assert visit.answers.get(question__code="A7").text == "Seal broken"
    revision = visit.revisions.get(number=2)
    assert (revision.user, revision.channel) == (observer.user, "offline")
    assert revision.changes == {
        "station": ["0001-00", "0002-00"],
        "answers.A6": ["yes", "no"],
        "answers.A7": [None, "Seal broken"],
    }
    assert visit.revisions.get(number=1).content["station"] == "0001-00"


def test_resending_a_correction_changes_nothing(client, mission, observer, filed):
    client_for(client, observer)
    body = {**filed, "notes": "queue outside", "revision": 1}
    assert put(client, mission, filed["uuid"], body).json()["revision"] == 2
    again = put(client, mission, filed["uuid"], body)  # based on revision 1, but already stored
    assert again.status_code == 200 and again.json() == {**again.json(), "revision": 2, "changed": False}
    assert VisitRevision.objects.count() == 2


def test_resending_the_original_after_a_correction_is_a_duplicate(client, mission, observer, filed):
    client_for(client, observer)
    put(client, mission, filed["uuid"], {**filed, "notes": "queue outside", "revision": 1})
    response = post(client, mission, filed)
    assert response.status_code == 200 and response.json()["status"] == "duplicate"
    assert Visit.objects.get().notes == "queue outside"


def test_correction_based_on_an_old_revision_is_a_conflict(client, mission, observer, filed):
    client_for(client, observer)
    put(client, mission, filed["uuid"], {**filed, "notes": "first", "revision": 1})
    response = put(client, mission, filed["uuid"], {**filed, "notes": "second", "revision": 1})
    assert response.status_code == 409 and "revision 2" in response.json()["message"]
    assert Visit.objects.get().notes == "first"


def test_reviewed_visit_cannot_be_corrected(client, mission, observer, filed):
    Visit.objects.update(review_status=Visit.Review.REVIEWED)
    response = put(
        client_for(client, observer), mission, filed["uuid"], {**filed, "notes": "late", "revision": 1}
    )
    assert response.status_code == 409 and "reviewed" in response.json()["message"]
    assert Visit.objects.get().notes == ""


def test_visit_of_a_closed_mission_cannot_be_corrected(client, mission, observer, filed):
    Mission.objects.filter(pk=mission.pk).update(status=Mission.Status.CLOSED)
    response = put(
        client_for(client, observer), mission, filed["uuid"], {**filed, "notes": "late", "revision": 1}
    )
    assert response.status_code == 409 and "closed" in response.json()["message"]


def test_invalid_correction_is_refused_and_the_visit_unchanged(client, mission, observer, filed):
    response = put(
        client_for(client, observer),
        mission,
        filed["uuid"],
        {**filed, "answers": {"A1": "no"}, "revision": 1},
    )
    assert response.status_code == 400 and set(response.json()["errors"]) == {"A3", "A5"}
    assert Visit.objects.get().revision == 1


def test_correction_cannot_change_the_checklist_version(client, mission, observer, version, station, filed):
    newer = make_checklist(mission, checklist=version.checklist, number=2)
    response = put(
        client_for(client, observer),
        mission,
        filed["uuid"],
        {**filed, "version": newer.number, "revision": 1},
    )
    assert response.status_code == 400 and "version" in response.json()["errors"]


def test_correction_without_base_revision_is_invalid(client, mission, observer, filed):
    response = put(client_for(client, observer), mission, filed["uuid"], {**filed, "notes": "x"})
    assert response.status_code == 400 and "revision" in response.json()["errors"]


def test_teammate_and_team_leader_may_correct(client, mission, team, team_leader, filed):
    teammate = make_member(mission, Role.OBSERVER, team=team)
    assert (
        put(
            client_for(client, teammate), mission, filed["uuid"], {**filed, "notes": "a", "revision": 1}
        ).status_code
        == 200
    )
    assert (
        put(
            client_for(Client(), team_leader), mission, filed["uuid"], {**filed, "notes": "b", "revision": 2}
        ).status_code
        == 200
    )
    assert [r.user for r in Visit.objects.get().revisions.order_by("number")][1:] == [
        teammate.user,
        team_leader.user,
    ]


def test_observer_of_another_team_gets_404(client, mission, filed):
    stranger = make_member(mission, Role.OBSERVER, team=make_team(mission, "Group 2"))
    response = put(
        client_for(client, stranger), mission, filed["uuid"], {**filed, "notes": "x", "revision": 1}
    )
    assert response.status_code == 404


def test_head_of_mission_sees_but_may_not_rewrite_an_observers_visit(client, mission, head_of_mission, filed):
    response = put(
        client_for(client, head_of_mission), mission, filed["uuid"], {**filed, "notes": "x", "revision": 1}
    )
    assert response.status_code == 403 and response.json()["status"] == "forbidden"


def test_unknown_visit_is_404(client, mission, observer, filed):
    response = put(client_for(client, observer), mission, uuid.uuid4(), {**filed, "revision": 1})
    assert response.status_code == 404


def test_correction_by_anonymous_and_outsider(client, mission, outsider, filed):
    assert put(client, mission, filed["uuid"], {**filed, "revision": 1}).status_code == 401
    assert (
        put(client_for(client, outsider), mission, filed["uuid"], {**filed, "revision": 1}).status_code == 404
    )


# Station picker


def test_station_picker_puts_the_teams_planned_stations_first(client, mission, observer, team):
    stations = [make_station(mission, f"S{i:02d}", name=f"School {i}") for i in range(1, 40)]
    team.stations.add(stations[30], stations[35])
    response = client_for(client, observer).get(
        reverse("polling:api_stations", kwargs={"code": mission.code})
    )
    assert response.status_code == 200
    data = response.json()
    assert len(data) == 30
    assert [s["code"] for s in data[:3]] == ["S31", "S36", "S01"]
    assert data[0] == {"code": "S31", "name": "School 31", "area": "", "planned": True}
    assert not data[2]["planned"]


def test_station_picker_searches_code_and_name(client, mission, observer):
    make_station(mission, "0101", name="Gymnasium", area="Baku > Nasimi")
    make_station(mission, "0202", name="Primary school")
    url = reverse("polling:api_stations", kwargs={"code": mission.code})
    client_for(client, observer)
    assert [s["code"] for s in client.get(url, {"q": "01"}).json()] == ["0101"]
    found = client.get(url, {"q": "school"}).json()
    assert [s["code"] for s in found] == ["0202"]
    assert client.get(url, {"q": "gym"}).json()[0]["area"] == "Baku > Nasimi"


def test_station_picker_for_anonymous_and_outsider(client, mission, outsider):
    url = reverse("polling:api_stations", kwargs={"code": mission.code})
    assert client.get(url).status_code == 401
    assert client_for(client, outsider).get(url).status_code == 404


def test_the_filing_routes_are_among_the_first_a_request_tries(monkeypatch):
    """Resolving a URL tries the patterns in order: election day's routes come first (bench/filing_cpu.py
    measures what a later place costs). Each app and feature URLconf is one include() level on the way."""
    from django.urls import resolve
    from django.urls.resolvers import RoutePattern

    tried = []
    match = RoutePattern.match
    monkeypatch.setattr(RoutePattern, "match", lambda self, path: tried.append(self) or match(self, path))
    for url, name, most in [
        ("/m/az/api/visits/", "polling:api_visit_submit", 7),
        ("/m/az/file/opening/", "polling:filing_checklist", 25),
    ]:
        tried.clear()
        assert resolve(url).view_name == name
        assert len(tried) <= most, [str(pattern) for pattern in tried]


@pytest.mark.parametrize("prefix", ["/", "/observa/"])
def test_the_visit_url_in_an_answer_is_what_reverse_gives(prefix):
    from django.urls import set_script_prefix

    from polling.visits.api import _visit_url

    set_script_prefix(prefix)
    try:
        for code in ("az-2024", "c0de", "m_1"):
            mission, visit = Mission(code=code), Visit(uuid=uuid.uuid4())
            expected = reverse("polling:visit_detail", kwargs={"code": code, "visit": visit.uuid})
            assert _visit_url(mission, visit) == expected and expected.startswith(prefix)
    finally:
        set_script_prefix("/")
