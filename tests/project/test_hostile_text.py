"""Hostile text typed into every free-text field: stored whole or refused clearly, always shown as text.

Part 1 types each input of HOSTILE into each field of FIELDS through the real form, API or importer
and checks the outcome: the text is stored exactly, or the person sees a clear error and nothing is
stored; never a server error, never a silent cut. NUL cannot be stored in PostgreSQL text, so it must
be refused. Part 2 fills a whole mission with markup, template tags and spreadsheet formulas through
the same forms and reads it back in every page, the CSV and XLSX exports, the mission bundle and the
statement PDF (whose renderer must fetch nothing but our own static files).
"""

from __future__ import annotations

import csv
import io
import itertools
import json
import re
import subprocess
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import openpyxl
import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from missions.models import Invitation, Meeting, Member, Mission, Role, Team
from polling.models import Checklist, Incident, PollingStation, Question, Visit
from tests.conftest import client_for
from tests.helpers.factories import make_station
from tests.helpers.statements import fast_passwords  # noqa: F401 - autouse: cheap password hashes
from tests.helpers.visits import make_checklist, payload

pytestmark = pytest.mark.django_db

CONTROL = "".join(chr(c) for c in range(1, 32) if chr(c) not in "\t\n\r") + "\x7f"

# name -> text. Every field gets every one of these.
HOSTILE = {
    "script": '<script>alert("x")</script>',
    "onerror": "<img src=x onerror=alert(1)>",
    "link": "<link rel=stylesheet href=file:///etc/passwd>",
    "metadata": '<img src="http://169.254.169.254/latest/meta-data/">',
    "css_url": "<p style=\"background:url('http://169.254.169.254/x')\">bg</p>",
    "template": "{{ request.user.password }} {% debug %} {# c #}",
    "formula": '=HYPERLINK("http://evil.example/","click")',
    "plus": '+cmd|" /C calc"!A0',
    "minus": "-2+3+cmd|' /C calc'!A0",
    "at": "@SUM(1+1)*cmd|' /C calc'!A0",
    "sql": "Robert'); DROP TABLE polling_visit;-- ' OR '1'='1",
    "rtl": "invoice\u202egpj.exe",
    "zero_width": "a\u200bb\u200cc\u200dd\ufeffe\u2060f",
    "control": f"a{CONTROL}z",
    "long_word": "W" * 3000,
    "huge": "x" * 100_000,
    "nul": "before\x00after",
}
MUST_REFUSE = {"nul"}  # PostgreSQL text cannot hold NUL


@dataclass
class Field:
    """How to type `value` into one field, and how to read back what was stored."""

    name: str
    submit: Callable  # (client, world, value, n) -> response
    stored: Callable  # (world, n) -> the stored text, or None when nothing was stored


# --- The mission every field test works in -------------------------------------------------------


@pytest.fixture
def world(mission, secretariat, team, team_leader, observer, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    station = make_station(mission, "0001", name="School 1")
    version = make_checklist(mission)
    draft_checklist = Checklist.objects.create(mission=mission, code="draft", name="Draft")
    make_checklist(mission, checklist=draft_checklist)
    return {
        "mission": mission,
        "secretariat": secretariat,
        "team": team,
        "team_leader": team_leader,
        "observer": observer,
        "station": station,
        "version": version,
        "draft_checklist": draft_checklist,
    }


def _m(world) -> Mission:
    return world["mission"]


def _url(name, world, *args):
    return reverse(name, args=[_m(world).code, *args])


def _as(client, world, who="secretariat"):
    return client_for(client, world[who])


def _mission_post(world, **changes):
    mission = Mission.objects.get(pk=_m(world).pk)
    data = {
        "name": mission.name,
        "organization": mission.organization,
        "election": mission.election,
        "country": mission.country,
        "time_zone": mission.time_zone,
        "election_date": mission.election_date.isoformat(),
        "observation_start": mission.observation_start.isoformat(),
        "observation_end": mission.observation_end.isoformat(),
        "status": mission.status,
        "area_levels": " > ".join(mission.area_levels),
        "statement_level_name": "",
    }
    data.update(changes)
    return data


def mission_field(name):
    def submit(client, world, value, n):
        return _as(client, world).post(_url("missions:edit", world), _mission_post(world, **{name: value}))

    def stored(world, n):
        got = getattr(Mission.objects.get(pk=_m(world).pk), name)
        return got if got != getattr(_m(world), name) else None

    return Field(f"mission.{name}", submit, stored)


def _invite(client, world, value, n):
    data = {"email": f"guest{n}@example.org", "name": value, "role": Role.OBSERVER, "country": "Uzbekistan"}
    return _as(client, world).post(_url("missions:member_invite", world), data)


def _invited(world, n):
    found = Invitation.objects.filter(mission=_m(world), email=f"guest{n}@example.org").first()
    return found.name if found else None


def _team(client, world, value, n):
    return _as(client, world).post(_url("missions:team_create", world), {"name": value})


def _team_stored(world, n):
    names = set(Team.objects.filter(mission=_m(world)).values_list("name", flat=True)) - {"Group 1"}
    return names.pop() if names else None


def meeting_field(name):
    def submit(client, world, value, n):
        data = {
            "date": "2024-02-05",
            "counterpart": f"Counterpart {n}",
            "title": "",
            "category": Meeting.Category.GOVERNMENT,
            "notes": "",
            name: value,
        }
        return _as(client, world).post(_url("missions:meeting_create", world), data)

    def stored(world, n):
        found = Meeting.objects.filter(mission=_m(world)).first()
        return getattr(found, name) if found else None

    return Field(f"meeting.{name}", submit, stored)


def checklist_field(name):
    def submit(client, world, value, n):
        data = {"code": f"hostile{n}", "name": f"Hostile {n}", "description": "", name: value}
        return _as(client, world).post(_url("polling:checklist_create", world), data)

    def stored(world, n):
        found = Checklist.objects.filter(mission=_m(world), code=f"hostile{n}").first()
        return getattr(found, name) if found else None

    return Field(f"checklist.{name}", submit, stored)


def _question_post(code, **fields):
    data = {
        "section": "",
        "code": code,
        "text": "A question",
        "type": "text",
        "required": "",
        "help_text": "",
        "min_value": "",
        "max_value": "",
        "show_if": "",
        "after": "",
        "finding_none": "",
        "finding_some": "",
        "options-TOTAL_FORMS": "0",
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    return data


def _draft_questions(world):
    return Question.objects.filter(version__checklist=world["draft_checklist"])


def question_field(name):
    def submit(client, world, value, n):
        url = _url("polling:question_create", world, "draft")
        return _as(client, world).post(url, _question_post(f"H{n}", **{name: value}))

    def stored(world, n):
        found = _draft_questions(world).filter(code=f"H{n}").first()
        return getattr(found, name) if found else None

    return Field(f"question.{name}", submit, stored)


def _option(client, world, value, n):
    data = _question_post(
        f"H{n}",
        type="single",
        **{
            "options-TOTAL_FORMS": "2",
            "options-0-label": value,
            "options-0-value": "a",
            "options-1-label": "Other",
            "options-1-value": "b",
        },
    )
    return _as(client, world).post(_url("polling:question_create", world, "draft"), data)


def _option_stored(world, n):
    found = _draft_questions(world).filter(code=f"H{n}").first()
    return found.options.get(value="a").label if found else None


def _api_visit(client, world, value, n, **answers):
    body = payload(world["version"], world["station"], uuid=str(uuid.UUID(int=n)))
    if answers:
        body["answers"] = {**body["answers"], **answers}
    else:
        body["notes"] = value
    return _as(client, world, "observer").post(
        _url("polling:api_visit_submit", world), data=json.dumps(body), content_type="application/json"
    )


def _visit_notes(world, n):
    found = Visit.objects.filter(uuid=uuid.UUID(int=n)).first()
    return found.notes if found else None


def _visit_answer(world, n):
    found = Visit.objects.filter(uuid=uuid.UUID(int=n)).first()
    return found.answers.get(question__code="A4").text if found else None


def _api_incident(client, world, value, n, visit=None):
    body = {
        "visit": str(visit.uuid) if visit else None,
        "uuid": str(uuid.UUID(int=n)),
        "station": world["station"].code,
        "occurred_at": "2024-02-07T09:12:00+04:00",
        "category": "ballot_stuffing",
        "description": value,
    }
    return _as(client, world, "observer").post(
        _url("polling:api_incident_report", world), data=json.dumps(body), content_type="application/json"
    )


def _form_incident(client, world, value, n):
    data = {
        "uuid": str(uuid.UUID(int=n)),
        "station": world["station"].code,
        "occurred_at": "2024-02-07T09:12",
        "category": "vote_buying",
        "description": value,
    }
    return _as(client, world, "observer").post(_url("polling:incident_report", world), data)


def _incident(world, n):
    found = Incident.objects.filter(uuid=uuid.UUID(int=n)).first()
    return found.description if found else None


def _review(client, world, value, n):
    visit = _filed_visit(world)
    url = _url("polling:visit_review", world, visit.uuid)
    return _as(client, world, "team_leader").post(url, {"action": "follow_up", "comment": value})


def _filed_visit(world) -> Visit:
    from polling import visits

    if "visit" not in world:
        world["visit"] = visits.visit_submit(
            mission=_m(world), member=world["observer"], payload=payload(world["version"], world["station"])
        )[0]
    return world["visit"]


def _review_stored(world, n):
    comment = Visit.objects.get(pk=_filed_visit(world).pk).review_comment
    return comment or None


def _statement(client, world, value, n):
    from reports.statements import drafting, services

    version = services.statement_start(mission=_m(world), user=world["secretariat"].user)
    fields = {f"section__{s['key']}": s["text"] for s in version.sections}
    fields[f"section__{drafting.CONCLUSION}"] = value
    world["statement"] = version
    world["statement_before"] = version.section(drafting.CONCLUSION)["text"]
    return _as(client, world).post(_url("reports:statement_save", world), fields)


def _statement_stored(world, n):
    from reports.statements import drafting

    version = world["statement"]
    version.refresh_from_db()
    text = version.section(drafting.CONCLUSION)["text"]
    return text if text != world["statement_before"] else None


def station_field(column):
    """Station name and address come from an uploaded list, then the mapping step."""

    def submit(client, world, value, n):
        import csv

        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow(["code", "name", "address"])
        writer.writerow(
            [f"H-{n}", value if column == "name" else "School", value if column == "address" else ""]
        )
        client = _as(client, world)
        upload = client.post(
            _url("polling:station_import", world),
            {"file": SimpleUploadedFile("stations.csv", out.getvalue().encode())},
        )
        if upload.status_code != 302:
            return upload
        return client.post(upload.url, {"code": "0", "name": "1", "address": "2"})

    def stored(world, n):
        found = PollingStation.objects.filter(mission=_m(world), code=f"H-{n}").first()
        return getattr(found, column) if found else None

    return Field(f"station.{column}", submit, stored)


FIELDS = [
    mission_field("name"),
    mission_field("organization"),
    mission_field("election"),
    Field("invitation.name", _invite, _invited),
    Field("team.name", _team, _team_stored),
    meeting_field("counterpart"),
    meeting_field("title"),
    meeting_field("notes"),
    checklist_field("name"),
    checklist_field("description"),
    question_field("text"),
    question_field("help_text"),
    question_field("section"),
    Field("option.label", _option, _option_stored),
    Field("visit.notes", _api_visit, _visit_notes),
    Field("visit.answer_text", lambda c, w, v, n: _api_visit(c, w, v, n, A4=v), _visit_answer),
    Field("incident.description (API)", _api_incident, _incident),
    Field("incident.description (form)", _form_incident, _incident),
    Field("review.comment", _review, _review_stored),
    Field("statement.section", _statement, _statement_stored),
    station_field("name"),
    station_field("address"),
]

_numbers = itertools.count(1)


def _shows_an_error(response) -> bool:
    if response.status_code in (400, 409, 422):
        return True
    if response.status_code == 200 and response.context is not None:
        for context in response.context:
            for value in context.flatten().values() if hasattr(context, "flatten") else []:
                errors = getattr(value, "errors", None)
                if errors and not callable(errors):
                    return True
    if response.status_code == 302:
        return any(m.level_tag == "error" for m in get_messages(response.wsgi_request))
    return False


def _clean(field: Field, text: str) -> str:
    """What a form keeps of `text`: single-line form fields strip surrounding white space."""
    return text.strip()


@pytest.mark.parametrize("field", FIELDS, ids=[f.name for f in FIELDS])
def test_hostile_text_is_stored_whole_or_refused_clearly(client, world, field):
    problems = []
    for label, text in HOSTILE.items():
        n = next(_numbers)
        try:
            response = field.submit(client, world, text, n)
        except Exception as exc:  # noqa: BLE001 - a server error is the finding, reported with the others
            problems.append(f"{label}: server error {type(exc).__name__}: {str(exc)[:120]}")
            continue
        stored = field.stored(world, n)
        if response.status_code >= 500:
            problems.append(f"{label}: HTTP {response.status_code}")
        elif stored is None:
            if not _shows_an_error(response):
                problems.append(f"{label}: nothing stored and no error shown (HTTP {response.status_code})")
        elif label in MUST_REFUSE:
            problems.append(f"{label}: stored {stored[:40]!r}")
        elif stored != _clean(field, text):
            problems.append(f"{label}: stored {len(stored)} characters of {len(text)} ({stored[:30]!r})")
        _reset(field, world)
    assert problems == []


def _reset(field: Field, world) -> None:
    """Undo a stored value, so the next input is judged on its own."""
    mission = _m(world)
    Mission.objects.filter(pk=mission.pk).update(
        name=mission.name, organization=mission.organization, election=mission.election
    )
    Team.objects.filter(mission=mission).exclude(pk=world["team"].pk).delete()
    Meeting.objects.filter(mission=mission).delete()
    Visit.objects.filter(pk=world.get("visit", Visit()).pk).update(review_comment="", review_status="")


# --- Part 2: a mission full of markup, read back everywhere ----------------------------------------


def mark(tag: str) -> str:
    """Markup, a template tag, a spreadsheet formula and a direction override, tagged to be found again."""
    return f'=HYPERLINK("//e.example")<script>{tag}</script><img src=x onerror={tag}>{{{{{tag}}}}}\u202e'


def area_mark(tag: str) -> str:
    """An area name cannot hold ">" (it separates levels): markup that needs none."""
    return f'=cmd|"/C calc"!A0 <svg onload=alert({tag}) {{{{{tag}}}}} <style'


def _raw(tag: str, html: str) -> bool:
    return (
        f"<script>{tag}" in html or f"<img src=x onerror={tag}" in html or f"<svg onload=alert({tag})" in html
    )


def _escaped(tag: str, html: str) -> bool:
    if tag == "area":
        return f"&lt;svg onload=alert({tag}) {{{{{tag}}}}} &lt;style" in html
    return (
        f"&lt;script&gt;{tag}&lt;/script&gt;" in html
        or f"\\u003Cscript\\u003E{tag}\\u003C/script\\u003E" in html
    ) and f"{{{{{tag}}}}}" in html


@pytest.fixture
def hostile(client, world, mailoutbox):
    """Every free-text field of one mission filled with mark(tag), through the forms, the API and the importer."""
    mission = _m(world)
    mission.area_levels = ["Region"]
    mission.save(update_fields=["area_levels"])
    admin = _as(client, world)
    n = 10_000
    for field in ("name", "organization", "election"):
        assert mission_field(field).submit(client, world, mark(f"mis_{field}"), n).status_code == 302
    assert _team(client, world, mark("team_name"), n).status_code == 302
    team = Team.objects.get(mission=mission, name=mark("team_name"))
    for field in ("counterpart", "title", "notes"):
        assert meeting_field(field).submit(client, world, mark(f"meet_{field}"), n + 1).status_code == 302
        n += 1
    invite = {
        "email": "hostile@example.org",
        "name": mark("inv_name"),
        "role": Role.OBSERVER,
        "country": "Uzbekistan",
        "team": str(team.uuid),
    }
    assert admin.post(_url("missions:member_invite", world), invite).status_code == 302
    link = re.search(r"https?://\S+/invitations/\S+/", mailoutbox[-1].body).group(0).split("testserver", 1)[1]
    client.logout()
    joined = client.post(
        link, {"name": mark("member_name"), "password1": "plum-orchard-42!", "password2": "plum-orchard-42!"}
    )
    assert joined.status_code == 302
    member = Member.objects.get(mission=mission, user__email="hostile@example.org")
    # The station list, its name, address and area from an uploaded file.
    out = io.StringIO()
    csv.writer(out).writerows(
        [["code", "name", "address", "region"], ["H-1", mark("st_name"), mark("st_addr"), area_mark("area")]]
    )
    admin = _as(client, world)
    upload = admin.post(
        _url("polling:station_import", world), {"file": SimpleUploadedFile("s.csv", out.getvalue().encode())}
    )
    done = admin.post(upload.url, {"code": "0", "name": "1", "address": "2", "area_0": "3"})
    assert done.status_code == 302, done.context["invalid"].errors if done.context else done
    station = PollingStation.objects.get(mission=mission, code="H-1")
    # A checklist of our own words, with a text question and a choice question.
    created = admin.post(
        _url("polling:checklist_create", world),
        {"code": "hostile", "name": mark("cl_name"), "description": mark("cl_desc")},
    )
    assert created.status_code == 302
    questions = [
        _question_post("T1", text=mark("q_text"), help_text=mark("q_help"), section=mark("q_section")),
        _question_post(
            "S1",
            type="single",
            text="Choose",
            **{
                "options-TOTAL_FORMS": "2",
                "options-0-label": mark("opt_label"),
                "options-0-value": "a",
                "options-1-label": "Other",
                "options-1-value": "b",
            },
        ),
    ]
    for data in questions:
        assert admin.post(_url("polling:question_create", world, "hostile"), data).status_code == 302
    version = Checklist.objects.get(mission=mission, code="hostile").current_version
    # The visit, filed through the API by the new member, and an incident.
    body = payload(version, station, answers={"T1": mark("answer"), "S1": "a"}, notes=mark("notes"))
    observer = client_for(client, member)
    filed = observer.post(
        _url("polling:api_visit_submit", world), data=json.dumps(body), content_type="application/json"
    )
    assert filed.status_code in (200, 201), filed.content
    visit = Visit.objects.get(uuid=body["uuid"])
    assert _api_incident(
        observer, {**world, "station": station, "observer": member}, mark("incident"), 77, visit=visit
    ).status_code in (200, 201)
    admin = _as(client, world)
    review = admin.post(
        _url("polling:visit_review", world, visit.uuid), {"action": "follow_up", "comment": mark("review")}
    )
    assert review.status_code == 302
    # The statement, its conclusion in our words.
    _statement(admin, world, mark("statement"), n)
    assert _statement_stored(world, n) == mark("statement")
    return {
        "mission": mission,
        "team": team,
        "station": station,
        "visit": visit,
        "member": member,
        "version": version,
    }


def _pages(world, hostile) -> dict[str, str]:
    code = _m(world).code
    v = hostile["visit"]
    return {
        "mission list": reverse("missions:list"),
        "mission page": reverse("missions:detail", args=[code]),
        "member list": reverse("missions:member_list", args=[code]),
        "team list": reverse("missions:team_list", args=[code]),
        "team page": reverse("missions:team_detail", args=[code, hostile["team"].uuid]),
        "meeting list": reverse("missions:meeting_list", args=[code]),
        "station list": reverse("polling:station_list", args=[code]),
        "station page": reverse("polling:station_detail", args=[code, "H-1"]),
        "checklist list": reverse("polling:checklist_list", args=[code]),
        "checklist page": reverse("polling:checklist_detail", args=[code, "hostile"]),
        "checklist preview": reverse("polling:checklist_preview", args=[code, "hostile"]),
        "visit list": reverse("polling:visit_list", args=[code]),
        "visit page": reverse("polling:visit_detail", args=[code, v.uuid]),
        "incident list": reverse("polling:incident_list", args=[code]),
        "dashboard": reverse("reports:results", args=[code]),
        "statement page": reverse("reports:statement", args=[code]),
    }


# Where each tagged text must be seen (as text); every page is also checked for raw markup of every tag.
EXPECTED_ON = {
    "mission list": ["mis_name"],
    "mission page": ["mis_name", "mis_organization", "mis_election"],
    "member list": ["member_name", "team_name"],
    "team list": ["team_name"],
    "team page": ["team_name", "member_name"],
    "meeting list": ["meet_counterpart", "meet_title", "meet_notes"],
    "station list": ["st_name"],
    "station page": ["st_name", "st_addr", "area"],
    "checklist list": ["cl_name"],
    "checklist page": ["cl_name", "q_text", "q_help", "opt_label"],
    "checklist preview": ["q_text", "opt_label"],
    "visit list": ["st_name", "member_name"],
    "visit page": ["st_name", "member_name", "answer", "notes", "review", "incident", "opt_label"],
    "incident list": ["incident", "st_name"],
    "dashboard": ["mis_name"],
    "statement page": ["statement"],
}
TAGS = sorted({tag for tags in EXPECTED_ON.values() for tag in tags} | {"inv_name", "cl_desc", "q_section"})


def test_every_page_shows_hostile_text_as_text(client, world, hostile):
    from reports.results.selectors import refresh_results

    refresh_results(_m(world).pk)
    admin = _as(client, world)
    problems = []
    for page, url in _pages(world, hostile).items():
        html = admin.get(url).content.decode()
        problems += [f"{page}: raw markup of {tag}" for tag in TAGS if _raw(tag, html)]
        problems += [
            f"{page}: {tag} not shown as text" for tag in EXPECTED_ON[page] if not _escaped(tag, html)
        ]
    filing = client_for(client, hostile["member"]).get(
        reverse("polling:filing_checklist", args=[_m(world).code, "hostile"])
    )
    html = filing.content.decode()
    problems += [f"filing page: raw markup of {tag}" for tag in TAGS if _raw(tag, html)]
    problems += [
        f"filing page: {tag} not in its data" for tag in ("q_text", "opt_label") if not _escaped(tag, html)
    ]
    assert problems == []


FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _export(client, world, kind, fmt, **extra) -> bytes:
    """Ask for the export on the exports page, let the worker's function write it, download it."""
    from reports.exports.services import export_run
    from reports.models import Export

    admin = _as(client, world)
    data = {"kind": kind, "format": fmt, "checklist": "hostile", "breakdown": "", **extra}
    assert admin.post(_url("reports:exports", world), data).status_code == 302
    export = Export.objects.filter(mission=_m(world)).latest("pk")
    assert export_run(export.pk)
    export.refresh_from_db()
    assert export.status == Export.Status.DONE, export.error
    response = admin.get(_url("reports:export_download", world, export.uuid))
    return b"".join(response.streaming_content)


def _formula_problems(cells: list[str], source: str) -> list[str]:
    problems = [
        f"{source}: cell starts like a formula: {c[:40]!r}" for c in cells if c.startswith(FORMULA_START)
    ]
    joined = "\n".join(cells)
    problems += [
        f"{source}: raw {tag} missing"
        for tag in ("answer", "st_name", "team_name", "member_name")
        if f"<script>{tag}</script>" not in joined
    ]
    return problems


@pytest.mark.parametrize("kind", ["visits", "results"])
def test_exports_keep_hostile_text_and_never_start_a_cell_with_a_formula(
    client, world, hostile, settings, tmp_path, kind
):
    from reports.results.selectors import refresh_results

    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    refresh_results(_m(world).pk)
    text = _export(client, world, kind, "csv").decode("utf-8-sig")
    cells = [cell for row in csv.reader(io.StringIO(text)) for cell in row]
    problems = _formula_problems(cells, "csv") if kind == "visits" else []
    problems += [f"csv: {c[:40]!r}" for c in cells if c.startswith(FORMULA_START)]
    workbook = openpyxl.load_workbook(io.BytesIO(_export(client, world, kind, "xlsx")))
    xlsx_cells = [
        cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None
    ]
    problems += [
        f"xlsx: formula cell {c.coordinate}: {str(c.value)[:40]!r}" for c in xlsx_cells if c.data_type == "f"
    ]
    strings = [c.value for c in xlsx_cells if isinstance(c.value, str)]
    if kind == "visits":
        problems += _formula_problems(strings, "xlsx")
    else:
        problems += [f"xlsx: {c[:40]!r}" for c in strings if c.startswith(FORMULA_START)]
        assert any("<script>q_text</script>" in c for c in strings + cells)
    assert problems == []


def test_checklist_xlsform_export_holds_no_formula(client, world, hostile):
    response = _as(client, world).get(_url("polling:checklist_export_xlsx", world, "hostile"))
    workbook = openpyxl.load_workbook(io.BytesIO(response.content))
    cells = [
        cell for sheet in workbook for row in sheet.iter_rows() for cell in row if cell.value is not None
    ]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    values = "\n".join(str(c.value) for c in cells)
    assert "<script>q_text</script>" in values and "<script>opt_label</script>" in values


def test_mission_bundle_carries_hostile_text_exactly(world, hostile):
    from reports.bundle.exporting import bundle_dumps, mission_export

    def strings(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, dict):
            for item in value.values():
                yield from strings(item)
        elif isinstance(value, list):
            for item in value:
                yield from strings(item)

    mission = Mission.objects.get(pk=_m(world).pk)
    found = set(strings(json.loads(bundle_dumps(mission_export(mission)))))
    wanted = [
        "mis_name",
        "mis_organization",
        "mis_election",
        "team_name",
        "member_name",
        "st_name",
        "st_addr",
    ]
    wanted += [
        "cl_name",
        "q_text",
        "q_help",
        "opt_label",
        "answer",
        "notes",
        "meet_counterpart",
        "meet_notes",
    ]
    assert [tag for tag in wanted if mark(tag) not in found] == []


def test_statement_pdf_prints_hostile_text_and_fetches_only_our_static_files(world, hostile, tmp_path):
    from reports.statements.document import build_document
    from reports.statements.pdf import INTERNAL_BASE_URL, render_document_pdf, static_only_fetcher

    version = world["statement"]
    version.refresh_from_db()
    fetcher = static_only_fetcher()
    pdf = render_document_pdf(build_document(version, for_pdf=True), fetcher=fetcher)
    path = tmp_path / "statement.pdf"
    path.write_bytes(pdf)
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    flat = "".join(text.split()).lower()  # the organisation is printed in capitals
    tags = ("statement", "mis_organization", "mis_election", "meet_counterpart", "meet_title")
    assert [tag for tag in tags if f"<script>{tag}</script>" not in flat] == []
    static = INTERNAL_BASE_URL + "static/"
    assert fetcher.refused == []
    assert [url for url in fetcher.fetched if not url.startswith(("data:", static))] == []
    assert any(url.startswith(static) for url in fetcher.fetched)  # the stylesheet and fonts did load


def test_xlsx_files_survive_control_characters(client, world, settings, tmp_path):
    """XLSX cannot hold most control characters: the exports must still be made, the text otherwise whole."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    text = HOSTILE["control"]
    assert _api_visit(client, world, text, 5001, A4=text).status_code in (200, 201)
    raw = _export(client, world, "visits", "xlsx", checklist="opening")
    cells = [c.value for row in openpyxl.load_workbook(io.BytesIO(raw)).active.iter_rows() for c in row]
    assert any(
        isinstance(c, str) and c.startswith("a") and c.endswith("z") and "\x01" not in c for c in cells
    )
    url = _url("polling:question_create", world, "draft")
    assert _as(client, world).post(url, _question_post("C1", text=text)).status_code == 302
    response = _as(client, world).get(_url("polling:checklist_export_xlsx", world, "draft"))
    assert response.status_code == 200
    openpyxl.load_workbook(io.BytesIO(response.content))


def test_mission_bundle_with_hostile_text_imports_whole_and_nul_is_refused(world, hostile):
    from reports.bundle import BundleInvalid, mission_import
    from reports.bundle.exporting import bundle_dumps, mission_export

    bundle = json.loads(bundle_dumps(mission_export(Mission.objects.get(pk=_m(world).pk))))
    bundle["mission"]["code"] = "hostile-copy"
    bundle["visits"], bundle["incidents"] = [], []  # their UUIDs are taken by the original mission
    copy = mission_import(bundle)
    assert (copy.name, copy.organization) == (mark("mis_name"), mark("mis_organization"))
    assert copy.stations.get(code="H-1").address == mark("st_addr")
    bundle["mission"]["code"] = "hostile-nul"
    bundle["mission"]["name"] = HOSTILE["nul"]
    with pytest.raises(BundleInvalid) as refused:
        mission_import(bundle)
    assert any("NUL" in message for _path, message in refused.value.errors), refused.value.errors
    assert not Mission.objects.filter(code="hostile-nul").exists()


def test_a_direction_override_in_a_name_does_not_reverse_the_statement_after_it(world, hostile, tmp_path):
    from reports.statements.pdf import render_statement_pdf

    version = world["statement"]
    version.refresh_from_db()
    path = tmp_path / "statement.pdf"
    path.write_bytes(render_statement_pdf(version))
    text = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, text=True, check=True).stdout
    # A U+202E ends the counterpart's name: "Counterpart", the next meeting's name, must not come out backwards.
    assert "trapretnuoC" not in "".join(text.split())
