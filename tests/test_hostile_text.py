"""Hostile text typed into every free-text field: stored whole or refused clearly, always shown as text.

Part 1 types each input of HOSTILE into each field of FIELDS through the real form, API or importer
and checks the outcome: the text is stored exactly, or the person sees a clear error and nothing is
stored; never a server error, never a silent cut. NUL cannot be stored in PostgreSQL text, so it must
be refused. Part 2 fills a whole mission with markup, template tags and spreadsheet formulas through
the same forms and reads it back in every page, the CSV and XLSX exports, the mission bundle and the
statement PDF (whose renderer must fetch nothing but our own static files).
"""

from __future__ import annotations

import io
import itertools
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from missions.models import Invitation, Meeting, Mission, Role, Team
from polling.models import Checklist, Incident, PollingStation, Question, Visit
from tests.conftest import client_for
from tests.factories import make_station
from tests.statement_helpers import fast_passwords  # noqa: F401 - autouse: cheap password hashes
from tests.visit_helpers import make_checklist, payload

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


def _api_incident(client, world, value, n):
    body = {
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
