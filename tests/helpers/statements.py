"""Test data for the statement: a checklist with statement wording, and visits that answer it."""

from __future__ import annotations

import datetime
import hashlib
import itertools
import uuid

import pytest
from django.utils import timezone

from missions.models import Member, Mission, Role, Team
from polling.models import Answer, Checklist, ChecklistVersion, Option, PollingStation, Question, Visit
from tests.helpers.factories import make_member, make_station, make_team

_seq = itertools.count(1)
ELECTION_DAY = datetime.datetime(2024, 2, 7, 8, 0, tzinfo=datetime.UTC)

# (code, text, finding_none, finding_some, [(value, label, flagged, severity)])
QUESTIONS = [
    (
        "secrecy",
        "Was the secrecy of the vote respected?",
        "The secrecy of the vote was respected in all polling stations visited.",
        "The secrecy of the vote was not fully respected in {count} of the {total} polling stations visited "
        "({percent}%).",
        [("yes", "Yes", False, ""), ("no", "No", True, "serious")],
    ),
    (
        "campaign",
        "Were campaign materials present in or near the polling station?",
        "The Mission did not identify any campaign materials in the polling stations.",
        "Campaign materials were seen in {count} of the {total} polling stations visited ({percent}%).",
        [("no", "No", False, ""), ("yes", "Yes", True, "minor")],
    ),
    (
        "queue",
        "How long was the queue?",
        "",
        "",
        [("short", "Short", False, ""), ("long", "Long", False, "")],
    ),
]


def make_checklist(mission: Mission, code: str = "ed", *, questions=QUESTIONS) -> ChecklistVersion:
    checklist = Checklist.objects.create(mission=mission, code=code, name="Election day")
    version = ChecklistVersion.objects.create(checklist=checklist, number=1)
    for order, (qcode, text, none, some, options) in enumerate(questions):
        question = Question.objects.create(
            version=version,
            code=qcode,
            order=order,
            text=text,
            type=Question.Type.SINGLE,
            finding_none=none,
            finding_some=some,
        )
        for n, (value, label, flagged, severity) in enumerate(options):
            Option.objects.create(
                question=question, order=n, value=value, label=label, flagged=flagged, severity=severity
            )
    checklist.current_version = version
    checklist.save(update_fields=["current_version"])
    return version


def make_visit(
    version: ChecklistVersion,
    station: PollingStation,
    observer: Member,
    *,
    answers: dict[str, str] | None = None,
    at: datetime.datetime | None = None,
    team: Team | None = None,
) -> Visit:
    n = next(_seq)
    visit = Visit.objects.create(
        uuid=uuid.uuid4(),
        mission=station.mission,
        checklist_version=version,
        station=station,
        observer=observer,
        team=team if team is not None else observer.team,
        arrived_at=at or ELECTION_DAY + datetime.timedelta(minutes=n),
        content_hash=hashlib.sha256(str(n).encode()).hexdigest(),
    )
    options = {
        (o.question.code, o.value): o
        for o in Option.objects.filter(question__version=version).select_related("question")
    }
    questions = {q.code: q for q in version.questions.all()}
    for code, value in (answers or {}).items():
        Answer.objects.create(visit=visit, question=questions[code], option=options[(code, value)])
    return visit


def build_demo_like(mission: Mission, *, serious_at: int = 0, campaign_at: int = 0) -> dict:
    """Three teams, 22 stations in Baku, Shusha, Hankendi and Khojaly, one visit each, in that order.

    `serious_at` / `campaign_at`: how many of the stations report the flagged answer.
    """
    mission.area_levels = ["City", "District"]
    mission.statement_level = 1
    mission.save(update_fields=["area_levels", "statement_level"])
    version = make_checklist(mission)
    teams = [make_team(mission, name) for name in ("Baku north", "Baku south", "Karabakh")]
    observers = [
        make_member(mission, Role.TEAM_LEADER, team=teams[0], country="Türkiye"),
        make_member(mission, Role.TEAM_LEADER, team=teams[1], country="Kazakhstan"),
        make_member(mission, Role.TEAM_LEADER, team=teams[2], country="Uzbekistan"),
    ]
    places = ["Baku > Nasimi"] * 15 + ["Shusha > Shusha city"] * 3 + ["Hankendi > Hankendi city"] * 2
    places += ["Khojaly > Khojaly city"] * 2
    visits = []
    for index, path in enumerate(places):
        station = make_station(mission, f"S{index + 1:03d}", area=path)
        team_index = 0 if index < 7 else 1 if index < 15 else 2
        answers = {
            "secrecy": "no" if index < serious_at else "yes",
            "campaign": "yes" if index < campaign_at else "no",
            "queue": "short",
        }
        visits.append(
            make_visit(
                version,
                station,
                observers[team_index],
                answers=answers,
                at=ELECTION_DAY + datetime.timedelta(minutes=10 * index),
            )
        )
    return {"version": version, "teams": teams, "observers": observers, "visits": visits}


def now() -> datetime.datetime:
    return timezone.now()


def reauthenticated_request(user):
    """A request whose session shows `user` re-entered their password just now (as allauth records it)."""
    from allauth.account.internal.flows.login import record_authentication
    from django.contrib.sessions.backends.db import SessionStore
    from django.test import RequestFactory

    request = RequestFactory().post("/")
    request.user = user
    request.session = SessionStore()
    record_authentication(request, user, method="password", reauthenticated=True)
    return request


def approve(mission: Mission, *, editor: Member, head: Member):
    """Draft, submit and approve the mission's statement; returns the render row (queued)."""
    from reports.statements import services

    version = services.statement_start(mission=mission, user=editor.user)
    services.statement_submit(version=version, user=editor.user)
    return services.statement_approve(
        version=version,
        user=head.user,
        request=reauthenticated_request(head.user),
        verify_url=f"https://observa.example/verify/{version.uuid}/",
    )


def add_demo_visits(mission: Mission) -> list[Visit]:
    """The demo mission's election-day checklists and visits, as the load_demo command files them."""
    from demo.builder import load_demo_election_day

    return load_demo_election_day(mission)


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    """Test users get a cheap password hash (the real hasher costs ~0.3 s a user); checking still works."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
