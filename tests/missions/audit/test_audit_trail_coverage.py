"""Every kind of change to a mission leaves one audit entry: who, from where, what, before and after.

One table: each row performs a change through the service the pages (or commands) call and names the
entry it must leave. A change that stops recording (or records under another action) fails its row.
"""

import copy
import io
import json
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

import pytest
from django.test import RequestFactory

from missions import services as setup
from missions.models import AuditEntry, Member, Role
from missions.setup.forms import MeetingForm, MissionForm
from polling import checklists
from polling.checklists.xlsform import checklist_to_xlsform
from polling.models import PollingStation
from polling.stations import importing as importer
from polling.stations.importing.service import station_delete, station_save
from polling.visits import importing as visit_import
from reports.bundle import mission_import
from reports.bundle.exporting import bundle_dumps, mission_export
from reports.exports.services import export_request
from reports.models import StatementRender
from reports.statements import services as statement
from tests.helpers.factories import make_meeting, make_member, make_mission, make_station, make_team
from tests.helpers.statements import (  # noqa: F401 - fast_passwords is an autouse fixture
    approve,
    build_demo_like,
    fast_passwords,
    reauthenticated_request,
)
from tests.helpers.visits import make_checklist as make_visit_checklist
from tests.polling.checklists.test_checklists_services import (
    file_visit,
    new_question,
    opening_data,
    question_data,
)
from tests.reports.statements.test_signing import _pkcs12

pytestmark = pytest.mark.django_db

ADDRESS = "203.0.113.7"


@dataclass
class Ctx:
    mission: object
    secretariat: Member
    head: Member
    request: object

    @property
    def user(self):
        return self.secretariat.user


def _request(user):
    request = RequestFactory().post("/", REMOTE_ADDR=ADDRESS, HTTP_USER_AGENT="audit-test")
    request.user = user
    return request


def _form_data(form) -> dict:
    data = {}
    for name in form.fields:
        value = form[name].value()
        if isinstance(value, list):
            value = " > ".join(value)
        data[name] = "" if value is None else value
    return data


# Mission set-up, members, teams, meetings


def mission_update(c: Ctx):
    data = {**_form_data(MissionForm(instance=c.mission)), "name": "Renamed mission"}
    form = MissionForm(data, instance=c.mission)
    assert form.is_valid(), form.errors
    setup.mission_update(form=form, actor=c.user, request=c.request)


def mission_create(c: Ctx):
    data = {**_form_data(MissionForm(instance=c.mission)), "code": "new-mission", "name": "New mission"}
    form = MissionForm(data)
    assert form.is_valid(), form.errors
    mission = setup.mission_create(form=form, user=c.user, request=c.request)
    c.mission = mission  # the entry belongs to the new mission


def invitation_revoke(c: Ctx):
    invitation_send(c)
    setup.invitation_revoke(invitation=c.mission.invitations.get(), actor=c.user, request=c.request)


def invitation_send(c: Ctx):
    setup.invitation_send(
        mission=c.mission,
        actor=c.user,
        email="new@example.org",
        name="New",
        role=Role.OBSERVER,
        link_for=lambda token: f"https://x/{token}",
        request=c.request,
    )


def member_update(c: Ctx):
    member = make_member(c.mission, Role.OBSERVER)
    setup.member_update(
        member=member, role=Role.TEAM_LEADER, country="Kazakhstan", team=None, actor=c.user, request=c.request
    )


def member_remove(c: Ctx):
    setup.member_remove(member=make_member(c.mission, Role.OBSERVER), actor=c.user, request=c.request)


def team_create(c: Ctx):
    member = make_member(c.mission, Role.OBSERVER)
    setup.team_create(
        mission=c.mission, name="Group 9", members=[member], leader=member, actor=c.user, request=c.request
    )


def team_update(c: Ctx):
    team = make_team(c.mission, "Group 2")
    setup.team_update(team=team, name="Group 3", members=[], leader=None, actor=c.user, request=c.request)


def team_delete(c: Ctx):
    setup.team_delete(team=make_team(c.mission, "Group 4"), actor=c.user, request=c.request)


def team_stations_add(c: Ctx):
    make_station(c.mission, "S1")
    team = make_team(c.mission, "Group 5")
    setup.team_stations_add(team=team, stations=c.mission.stations.all(), actor=c.user, request=c.request)


def team_stations_remove(c: Ctx):
    station = make_station(c.mission, "S2")
    team = make_team(c.mission, "Group 6")
    team.stations.add(station)
    setup.team_stations_remove(team=team, stations=c.mission.stations.all(), actor=c.user, request=c.request)


def _meeting_form(meeting=None, **changes):
    base = {
        "date": "2024-02-05",
        "counterpart": "Central Election Commission",
        "title": "Chair",
        "category": "election_administration",
        "notes": "",
    }
    return MeetingForm({**base, **changes}, instance=meeting)


def meeting_create(c: Ctx):
    form = _meeting_form()
    assert form.is_valid(), form.errors
    setup.meeting_create(mission=c.mission, form=form, actor=c.user, request=c.request)


def meeting_update(c: Ctx):
    meeting = make_meeting(c.mission)
    form = MeetingForm(
        {**_form_data(MeetingForm(instance=meeting)), "notes": "Discussed the voter lists."}, instance=meeting
    )
    assert form.is_valid(), form.errors
    setup.meeting_update(form=form, actor=c.user, request=c.request)


def meeting_delete(c: Ctx):
    setup.meeting_delete(meeting=make_meeting(c.mission), actor=c.user, request=c.request)


# Polling stations and visits


STATIONS = "code,name,address,area,latitude,longitude,registered_voters\n0001,School 1,,Baku > Nasimi,,,900\n"


def stations_import(c: Ctx):
    table = importer.open_table(io.BytesIO(STATIONS.encode()), "stations.csv")
    importer.stations_import(
        mission=c.mission,
        table=table,
        mapping=importer.canonical_mapping(table.headers),
        user=c.user,
        file_name="stations.csv",
        request=c.request,
    )


def station_update(c: Ctx):
    station = make_station(c.mission, "0009", name="School 9")
    station.name, station.registered_voters = "School No. 9", 812
    station_save(station=station, user=c.user, request=c.request)


def station_delete_one(c: Ctx):
    station_delete(station=make_station(c.mission, "0010"), user=c.user, request=c.request)


def visits_import(c: Ctx):
    version = make_visit_checklist(c.mission, questions=[{"code": "N1", "type": "text"}])
    observer = make_member(c.mission, Role.OBSERVER)
    make_station(c.mission, "0001")
    text = f"station,email,arrival,N1\n0001,{observer.user.email},2024-02-07T07:55:00Z,calm\n"
    table = visit_import.read_table(io.BytesIO(text.encode()), "visits.csv")
    mapping = visit_import.ImportMapping(
        station="station", observer="email", arrived="arrival", questions={"N1": "N1"}
    )
    visit_import.visit_import(
        mission=c.mission, version=version, table=table, mapping=mapping, user=c.user, request=c.request
    )


# Checklists


def _opening(c: Ctx):
    return checklists.checklist_from_json(mission=c.mission, data=opening_data())


def checklist_create(c: Ctx):
    checklists.checklist_create(
        mission=c.mission, code="voting", name="Voting", user=c.user, request=c.request
    )


def checklist_update(c: Ctx):
    checklist = _opening(c)
    checklists.checklist_update(
        checklist=checklist,
        name="Opening (revised)",
        description="",
        is_active=False,
        order=checklist.order,
        user=c.user,
        request=c.request,
    )


def checklist_delete(c: Ctx):
    checklists.checklist_delete(checklist=_opening(c), user=c.user, request=c.request)


def question_add(c: Ctx):
    checklists.question_save(
        checklist=_opening(c),
        code=None,
        data=new_question("Z1", "text"),
        options=[],
        user=c.user,
        request=c.request,
    )


def question_update(c: Ctx):
    checklist = _opening(c)
    code = checklist.current_version.questions.order_by("order").first().code
    data, options = question_data(checklist, code)
    data["text"] = "Reworded?"
    checklists.question_save(
        checklist=checklist, code=code, data=data, options=options, user=c.user, request=c.request
    )


def question_move(c: Ctx):
    checklist = _opening(c)
    code = checklist.current_version.questions.order_by("order").last().code
    checklists.question_move(checklist=checklist, code=code, direction="up", user=c.user, request=c.request)


def question_delete(c: Ctx):
    checklist = _opening(c)
    version = checklist.current_version
    code = version.questions.filter(dependents__isnull=True).order_by("-order").first().code
    checklists.question_delete(checklist=checklist, code=code, user=c.user, request=c.request)


def version_create(c: Ctx):
    checklist = _opening(c)
    file_visit(checklist.current_version, c.secretariat, {})
    checklists.question_save(
        checklist=checklist,
        code=None,
        data=new_question("Z2", "text"),
        options=[],
        user=c.user,
        request=c.request,
    )


def checklist_import_json(c: Ctx):
    content = json.dumps({**opening_data(), "code": "imported"}).encode()
    checklists.checklist_import(
        mission=c.mission, content=content, filename="opening.json", user=c.user, request=c.request
    )


def checklist_import_xlsform(c: Ctx):
    other = make_mission()
    source = checklists.checklist_from_json(mission=other, data=opening_data())
    content = checklist_to_xlsform(version=source.current_version)
    checklists.checklist_import(
        mission=c.mission, content=content, filename="opening.xlsx", user=c.user, request=c.request
    )


def checklist_copy(c: Ctx):
    other = make_mission()
    source = checklists.checklist_from_json(mission=other, data=copy.deepcopy(opening_data()))
    checklists.checklist_copy(source=source, mission=c.mission, code="copied", user=c.user, request=c.request)


# Statement, exports, bundle


def _draft(c: Ctx):
    build_demo_like(c.mission)
    return statement.statement_start(mission=c.mission, user=c.user, request=c.request)


def statement_drafted(c: Ctx):
    _draft(c)


def statement_edited(c: Ctx):
    version = _draft(c)
    key = version.sections[0]["key"]
    statement.statement_edit(
        version=version, user=c.user, texts={key: "New prose."}, known_figures={}, request=c.request
    )


def statement_submitted(c: Ctx):
    statement.statement_submit(version=_draft(c), user=c.user, request=c.request)


def statement_reset(c: Ctx):
    version = _draft(c)
    key = version.sections[0]["key"]
    statement.statement_edit(version=version, user=c.user, texts={key: "Typed."}, known_figures={})
    statement.statement_reset_section(version=version, user=c.user, key=key, request=c.request)


def statement_returned(c: Ctx):
    version = _draft(c)
    statement.statement_submit(version=version, user=c.user)
    statement.statement_return_to_draft(version=version, user=c.user, reason="Figures", request=c.request)


def statement_new_version(c: Ctx):
    render, attempt = _rendering(c)
    statement.render_finish(render.pk, attempt, path="x.pdf", sha256="a" * 64, size=10, certificate_pem="")
    statement.statement_new_version(statement=render.version.statement, user=c.user, request=c.request)


def statement_render_retry(c: Ctx):
    render, attempt = _rendering(c)
    statement.render_fail(render.pk, attempt, "WeasyPrint crashed")
    statement.statement_retry_render(version=render.version, user=c.user, request=c.request)


def statement_approved(c: Ctx):
    build_demo_like(c.mission)
    approve(c.mission, editor=c.secretariat, head=c.head)


def _rendering(c: Ctx) -> tuple[StatementRender, int]:
    build_demo_like(c.mission)
    render = approve(c.mission, editor=c.secretariat, head=c.head)
    return render, statement.render_claim(render.pk)


def statement_render_done(c: Ctx):
    render, attempt = _rendering(c)
    statement.render_finish(render.pk, attempt, path="x.pdf", sha256="a" * 64, size=10, certificate_pem="")


def statement_render_failed(c: Ctx):
    render, attempt = _rendering(c)
    statement.render_fail(render.pk, attempt, "WeasyPrint crashed")


def statement_published(c: Ctx):
    render, attempt = _rendering(c)
    statement.render_finish(render.pk, attempt, path="x.pdf", sha256="a" * 64, size=10, certificate_pem="")
    statement.statement_publish(version=render.version, user=c.user, request=c.request)


def statement_key(c: Ctx):
    statement.statement_set_key(
        mission=c.mission, user=c.user, data=_pkcs12(b"secret"), passphrase="secret", request=c.request
    )


def export_requested(c: Ctx):
    export_request(mission=c.mission, user=c.user, kind="results", fmt="csv", request=c.request)


def bundle_imported(c: Ctx):
    bundle = mission_export(c.mission)
    bundle["mission"]["code"] = "imported-mission"
    mission_import(json.loads(bundle_dumps(bundle), parse_float=Decimal), file_name="bundle.json")


@dataclass(frozen=True)
class Kind:
    change: Callable[[Ctx], None]
    action: str
    keys: tuple[str, ...]  # changes the entry must name
    by_user: bool = True  # False: a worker or a command acts, with no person and no address


KINDS = {
    "mission created": Kind(mission_create, "mission.create", ("code", "name")),
    "mission update": Kind(mission_update, "mission.update", ("name",)),
    "invitation withdrawn": Kind(invitation_revoke, "invitation.revoke", ()),
    "invitation": Kind(invitation_send, "invitation.send", ("email", "role")),
    "member role": Kind(member_update, "member.update", ("role", "country")),
    "member removed": Kind(member_remove, "member.remove", ("is_active",)),
    "team created": Kind(team_create, "team.create", ("name", "leader", "members")),
    "team renamed": Kind(team_update, "team.update", ("name",)),
    "team deleted": Kind(team_delete, "team.delete", ("name", "planned_stations")),
    "stations planned": Kind(team_stations_add, "team.stations_add", ("stations", "planned_now")),
    "stations unplanned": Kind(team_stations_remove, "team.stations_remove", ("stations",)),
    "meeting created": Kind(meeting_create, "meeting.create", ("counterpart", "date")),
    "meeting edited": Kind(meeting_update, "meeting.update", ("notes",)),
    "meeting deleted": Kind(meeting_delete, "meeting.delete", ("counterpart",)),
    "stations imported": Kind(
        stations_import, "stations.import", ("file_name", "sha256", "rows", "created", "updated")
    ),
    "station edited": Kind(station_update, "stations.update", ("name", "registered_voters")),
    "station deleted": Kind(station_delete_one, "stations.delete", ("code", "name")),
    "visits imported": Kind(visits_import, "visits.import", ("file_name", "sha256", "rows", "created")),
    "checklist created": Kind(checklist_create, "checklist.create", ("code", "name")),
    "checklist edited": Kind(checklist_update, "checklist.update", ("name", "is_active")),
    "checklist deleted": Kind(checklist_delete, "checklist.delete", ("code", "questions")),
    "question added": Kind(question_add, "checklist.question_add", ("checklist", "code", "text", "type")),
    "question edited": Kind(question_update, "checklist.question_update", ("checklist", "text")),
    "question moved": Kind(question_move, "checklist.question_move", ("order",)),
    "question deleted": Kind(question_delete, "checklist.question_delete", ("code", "text")),
    "new checklist version": Kind(version_create, "checklist.version_create", ("version",)),
    "checklist JSON import": Kind(
        checklist_import_json, "checklist.import", ("format", "file_name", "sha256")
    ),
    "checklist XLSForm import": Kind(checklist_import_xlsform, "checklist.import", ("format", "sha256")),
    "checklist copied": Kind(checklist_copy, "checklist.copy", ("source", "code", "questions")),
    "statement drafted": Kind(statement_drafted, "statement.drafted", ()),
    "statement section edited": Kind(statement_edited, "statement.edited", ("detail",)),
    "statement section reset": Kind(statement_reset, "statement.edited", ("detail",)),
    "statement submitted": Kind(statement_submitted, "statement.submitted", ()),
    "statement returned to draft": Kind(statement_returned, "statement.returned", ("detail",)),
    "statement new version": Kind(statement_new_version, "statement.new_version", ("detail",)),
    "statement render retried": Kind(statement_render_retry, "statement.render_retry", ()),
    "statement approved": Kind(statement_approved, "statement.approved", ("status", "detail")),
    "statement rendered": Kind(statement_render_done, "statement.render_done", ("status", "sha256"), False),
    "statement render failed": Kind(statement_render_failed, "statement.render_failed", ("error",), False),
    "statement published": Kind(statement_published, "statement.published", ()),
    "signing key uploaded": Kind(statement_key, "statement.key", ("detail",)),
    "export requested": Kind(export_requested, "export.request", ("kind", "format")),
    "mission bundle imported": Kind(
        bundle_imported, "mission.import", ("file_name", "members", "stations"), False
    ),
}


@pytest.fixture
def ctx(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    mission = make_mission()
    secretariat = make_member(mission, Role.SECRETARIAT)
    head = make_member(mission, Role.HEAD_OF_MISSION)
    return Ctx(mission, secretariat, head, _request(secretariat.user))


@pytest.mark.parametrize("name", list(KINDS))
def test_each_kind_of_change_leaves_an_audit_entry(name, ctx, django_capture_on_commit_callbacks):
    kind = KINDS[name]
    first = AuditEntry.objects.order_by("-id").values_list("id", flat=True).first() or 0
    with django_capture_on_commit_callbacks(execute=False):
        kind.change(ctx)
    entries = list(AuditEntry.objects.filter(id__gt=first, action=kind.action).order_by("-id"))
    assert entries, f"no {kind.action} entry after: {name}"
    entry = entries[0]
    if kind.action != "mission.import":
        assert entry.mission_id == ctx.mission.pk
    assert set(kind.keys) <= set(entry.changes), entry.changes
    for before_after in entry.changes.values():
        assert isinstance(before_after, list) and len(before_after) == 2, entry.changes
    if kind.by_user:
        assert entry.actor_id in {ctx.user.pk, ctx.head.user.pk}
        assert entry.ip_address == ADDRESS or kind.action == "statement.approved"


def test_an_edited_section_keeps_its_prose_before_and_after(ctx):
    version = _draft(ctx)
    section = version.sections[0]
    statement.statement_edit(
        version=version,
        user=ctx.user,
        texts={section["key"]: "The Mission observed calm voting."},
        known_figures={},
        request=ctx.request,
    )
    entry = AuditEntry.objects.get(action="statement.edited")
    assert entry.changes[section["key"]] == [section["text"], "The Mission observed calm voting."]


def test_a_station_import_is_one_entry_with_the_file_hash_and_counts(ctx):
    import hashlib

    stations_import(ctx)
    again = STATIONS + "0002,School 2,,Baku > Nasimi,,,700\n"
    table = importer.open_table(io.BytesIO(again.encode()), "stations.csv")
    importer.stations_import(
        mission=ctx.mission,
        table=table,
        mapping=importer.canonical_mapping(table.headers),
        user=ctx.user,
        file_name="stations-2.csv",
    )
    first, second = AuditEntry.objects.filter(action="stations.import").order_by("id")
    assert first.changes["sha256"] == [None, hashlib.sha256(STATIONS.encode()).hexdigest()]
    assert first.changes["created"] == [None, 1]
    assert second.changes["created"] == [None, 1] and second.changes["unchanged"] == [None, 1]
    assert second.changes["file_name"] == [None, "stations-2.csv"]


def test_a_refused_station_file_leaves_no_entry(ctx):
    table = importer.open_table(io.BytesIO(b"code,name\n,\n"), "stations.csv")
    with pytest.raises(importer.StationFileInvalid):
        importer.stations_import(
            mission=ctx.mission, table=table, mapping=importer.canonical_mapping(table.headers), user=ctx.user
        )
    assert not AuditEntry.objects.filter(action="stations.import").exists()


def test_a_question_edit_records_the_old_and_new_wording(ctx):
    checklist = _opening(ctx)
    code = checklist.current_version.questions.order_by("order").first().code
    data, options = question_data(checklist, code)
    old = data["text"]
    data["text"] = "Reworded?"
    checklists.question_save(checklist=checklist, code=code, data=data, options=options, user=ctx.user)
    entry = AuditEntry.objects.get(action="checklist.question_update")
    assert entry.changes["text"] == [old, "Reworded?"]
    assert "type" not in entry.changes


def test_checklist_edit_through_the_page_records_the_address(client, ctx):
    from django.urls import reverse

    checklist = _opening(ctx)
    client.force_login(ctx.user)
    response = client.post(
        reverse("polling:checklist_edit", args=[ctx.mission.code, checklist.code]),
        {"name": "Opening renamed", "description": "", "is_active": "on", "order": checklist.order},
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="checklist.update")
    assert entry.changes["name"] == [opening_data()["name"], "Opening renamed"]
    assert entry.ip_address == ADDRESS and entry.actor_id == ctx.user.pk


def test_station_edits_in_the_admin_are_recorded_with_before_and_after(client, ctx):
    from django.urls import reverse

    from missions.models import User

    station = make_station(ctx.mission, "0042", name="School 42")
    client.force_login(User.objects.create_superuser("root@example.org", "admin-password-123"))
    response = client.post(
        reverse("admin:polling_pollingstation_change", args=[station.pk]),
        {
            "mission": ctx.mission.pk,
            "code": "0042",
            "name": "School No. 42",
            "address": "",
            "area": "",
            "latitude": "",
            "longitude": "",
            "registered_voters": "1200",
        },
        REMOTE_ADDR=ADDRESS,
    )
    assert response.status_code == 302, response.content[:2000]
    entry = AuditEntry.objects.get(action="stations.update")
    assert entry.changes["name"] == ["School 42", "School No. 42"]
    assert entry.changes["registered_voters"] == [None, 1200]
    assert entry.actor_email == "root@example.org" and entry.ip_address == ADDRESS
    response = client.post(reverse("admin:polling_pollingstation_delete", args=[station.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not PollingStation.objects.filter(pk=station.pk).exists()
    assert AuditEntry.objects.get(action="stations.delete").changes["code"] == ["0042", None]
