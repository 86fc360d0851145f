"""Small factories for checklists, visits and answers (results tests). Explicit, no fixture files."""

import datetime
import hashlib
import itertools
import uuid
from types import SimpleNamespace

from missions.models import Role
from polling.models import Answer, Checklist, ChecklistVersion, Incident, Option, Question, Visit
from tests.helpers.factories import make_member, make_station, make_team

_seq = itertools.count(1)
UTC = datetime.UTC


def at(hhmm: str, day: datetime.date = datetime.date(2024, 2, 7)) -> datetime.datetime:
    """An aware UTC datetime on election day: at("07:20")."""
    h, m = hhmm.split(":")
    return datetime.datetime(day.year, day.month, day.day, int(h), int(m), tzinfo=UTC)


def make_checklist(mission, code: str = "opening", *, name: str = "", questions: list[dict]) -> Checklist:
    checklist = Checklist.objects.create(mission=mission, code=code, name=name or code.title())
    add_version(checklist, questions)
    return checklist


def add_version(checklist: Checklist, questions: list[dict]) -> ChecklistVersion:
    """A new version from specs: {"code", "type", "text"?, "options": [(value, label, {flags})], "show_if": (code, value)}."""
    number = (checklist.versions.order_by("-number").values_list("number", flat=True).first() or 0) + 1
    version = ChecklistVersion.objects.create(checklist=checklist, number=number)
    by_code = {}
    for order, spec in enumerate(questions):
        show_if = spec.get("show_if")
        q = Question.objects.create(
            version=version,
            code=spec["code"],
            order=order,
            text=spec.get("text", f"Question {spec['code']}?"),
            type=spec["type"],
            section=spec.get("section", ""),
            show_if_question=by_code[show_if[0]] if show_if else None,
            show_if_value=show_if[1] if show_if else "",
            finding_none=spec.get("finding_none", ""),
            finding_some=spec.get("finding_some", ""),
        )
        by_code[q.code] = q
        for o_order, option in enumerate(spec.get("options", [])):
            value, label, *flags = option
            Option.objects.create(
                question=q, order=o_order, value=value, label=label, **(flags[0] if flags else {})
            )
    checklist.current_version = version
    checklist.save(update_fields=["current_version"])
    return version


def file_visit(
    version: ChecklistVersion,
    station,
    observer,
    *,
    arrived: str | datetime.datetime = "07:00",
    team="observer",
    answers: dict | None = None,
    **fields,
) -> Visit:
    """A visit with its answers: {code: option value | [values] | number | text}."""
    arrived_at = at(arrived) if isinstance(arrived, str) else arrived
    visit = Visit.objects.create(
        uuid=uuid.uuid4(),
        mission=station.mission,
        checklist_version=version,
        station=station,
        observer=observer,
        team=observer.team if team == "observer" else team,
        arrived_at=arrived_at,
        content_hash=hashlib.sha256(str(next(_seq)).encode()).hexdigest(),
        **fields,
    )
    set_answers(visit, answers or {})
    return visit


def set_answers(visit: Visit, answers: dict) -> None:
    questions = {q.code: q for q in visit.checklist_version.questions.prefetch_related("options")}
    rows = []
    for code, value in answers.items():
        q = questions[code]
        options = {o.value: o for o in q.options.all()}
        if q.type in Question.CHOICE_TYPES:
            for v in value if isinstance(value, list | tuple) else [value]:
                rows.append(Answer(visit=visit, question=q, option=options[v]))
        elif q.type == Question.Type.NUMBER:
            rows.append(Answer(visit=visit, question=q, number=value))
        else:
            rows.append(Answer(visit=visit, question=q, text=value))
    Answer.objects.bulk_create(rows)


def edit_visit(visit: Visit, answers: dict | None = None, **fields) -> Visit:
    """What the filing server does on a correction: replace the answers, bump the revision."""
    if answers is not None:
        visit.answers.all().delete()
        set_answers(visit, answers)
    for name, value in fields.items():
        setattr(visit, name, value)
    visit.revision += 1
    visit.save()
    return visit


def make_incident(visit: Visit, category: str = Incident.Category.OTHER, **fields) -> Incident:
    return Incident.objects.create(
        uuid=uuid.uuid4(),
        mission=visit.mission,
        station=visit.station,
        visit=visit,
        observer=visit.observer,
        team=visit.team,
        occurred_at=fields.pop("occurred_at", visit.arrived_at),
        category=category,
        description=fields.pop("description", "Something happened."),
        content_hash="x" * 64,
        **fields,
    )


YES_NO = [("yes", "Yes"), ("no", "No")]
RATING = [
    ("very_good", "Very good"),
    ("good", "Good"),
    ("bad", "Bad", {"negative": True}),
    ("very_bad", "Very bad", {"negative": True}),
]


MINOR = {"flagged": True, "severity": "minor"}
SERIOUS = {"flagged": True, "severity": "serious"}


def v1_questions():
    return [
        {
            "code": "Q1",
            "type": "yes_no",
            "text": "Did it open on time?",
            "options": [("yes", "Yes"), ("no", "No", MINOR)],
            "finding_none": "All stations opened on time.",
            "finding_some": "Late in {count} of {total} ({percent}%).",
        },
        {"code": "Q7", "type": "yes_no", "options": YES_NO, "show_if": ("Q1", "no")},
        {"code": "Q2", "type": "single", "options": [("yes", "Sealed"), ("no", "Not sealed", SERIOUS)]},
        {
            "code": "Q3",
            "type": "multiple",
            "options": [("ballots", "Ballots", MINOR), ("seals", "Seals", SERIOUS), ("none", "Nothing")],
        },
        {"code": "Q4", "type": "number"},
        {"code": "Q5", "type": "rating", "options": RATING},
        {"code": "Q6", "type": "text"},
    ]


def v2_questions():
    qs = [q for q in v1_questions() if q["code"] != "Q6"]
    qs[0] = {**qs[0], "text": "Did the station open at 7:00?"}
    qs[2] = {**qs[2], "options": [("yes", "Ballot box sealed"), ("no", "Ballot box not sealed", SERIOUS)]}
    return [*qs, {"code": "Q8", "type": "yes_no", "options": YES_NO}]


def build_small(mission):
    """The hand-computed mission of tests/reports/results/test_selectors.py (see its docstring)."""
    t1, t2 = make_team(mission, "Team 1"), make_team(mission, "Team 2")
    s = {
        n: make_station(mission, f"S{n}", area=path)
        for n, path in [
            (1, "North > A"),
            (2, "North > A"),
            (3, "North > B"),
            (4, "South > C"),
            (5, "South > C"),
        ]
    }
    t1.stations.set([s[1], s[2], s[3]])
    t2.stations.set([s[4], s[5]])
    o1 = make_member(mission, Role.OBSERVER, team=t1)
    o2 = make_member(mission, Role.OBSERVER, team=t2)
    idle = make_member(mission, Role.OBSERVER, team=t2)
    make_member(mission, Role.HEAD_OF_MISSION)  # does not file: never "without visits"
    checklist = make_checklist(mission, "opening", questions=v1_questions())
    v1 = checklist.current_version
    v2 = add_version(checklist, v2_questions())
    visits = {
        1: file_visit(
            v1,
            s[1],
            o1,
            arrived="06:50",
            answers={"Q1": "yes", "Q2": "yes", "Q3": ["none"], "Q4": 10, "Q5": "very_good", "Q6": "fine"},
        ),
        2: file_visit(
            v1,
            s[1],
            o1,
            arrived="07:20",
            answers={"Q1": "no", "Q7": "yes", "Q2": "no", "Q3": ["ballots", "seals"], "Q4": 20, "Q5": "bad"},
        ),
        3: file_visit(
            v2,
            s[2],
            o1,
            arrived="07:40",
            answers={"Q1": "yes", "Q2": "yes", "Q3": ["ballots"], "Q4": 30, "Q5": "good", "Q8": "no"},
        ),
        4: file_visit(
            v2, s[4], o2, arrived="08:10", answers={"Q1": "no", "Q7": "no", "Q3": ["none"], "Q5": "very_bad"}
        ),
        5: file_visit(
            v2,
            s[3],
            o1,
            arrived="08:30",
            answers={"Q1": "yes", "Q2": "yes", "Q3": ["seals"], "Q4": 25, "Q5": "good"},
        ),
    }
    return SimpleNamespace(mission=mission, t1=t1, t2=t2, s=s, v=visits, idle=idle, checklist=checklist)
