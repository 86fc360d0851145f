"""Checklists and visit payloads for the election-day tests."""

import uuid

from django.db import connection

from polling.models import Checklist, ChecklistVersion, Option, Question

YES_NO = [("yes", "Yes", False), ("no", "No", True)]

# A checklist touching every question type and two show-if chains:
# A1 = no  -> A5 (time, required) is asked;  A6 = no -> A7 (long text, required) is asked.
STANDARD_QUESTIONS = [
    {
        "code": "A1",
        "type": "yes_no",
        "text": "Did the station open on time?",
        "required": True,
        "options": YES_NO,
    },
    {
        "code": "A2",
        "type": "multiple",
        "text": "Which materials were present?",
        "options": [("ballots", "Ballots", False), ("seals", "Seals", False), ("booths", "Booths", False)],
    },
    {
        "code": "A3",
        "type": "number",
        "text": "Commission members present",
        "required": True,
        "min": 0,
        "max": 30,
    },
    {"code": "A4", "type": "text", "text": "Anything else?"},
    {"code": "A5", "type": "time", "text": "When did it open?", "required": True, "show_if": ("A1", "no")},
    {
        "code": "A6",
        "type": "single",
        "section": "Ballot box",
        "text": "Was the ballot box sealed?",
        "options": [("yes", "Yes", False), ("no", "No", True), ("partly", "Partly", True)],
    },
    {"code": "A7", "type": "long_text", "text": "Describe", "required": True, "show_if": ("A6", "no")},
    {
        "code": "A8",
        "type": "rating",
        "text": "Overall",
        "options": [
            ("1", "Very good", False),
            ("2", "Good", False),
            ("3", "Bad", True),
            ("4", "Very bad", True),
        ],
    },
]


def make_checklist(
    mission, code="opening", questions=None, *, publish=True, number=1, checklist=None, name="Opening"
) -> ChecklistVersion:
    """A checklist version with `questions` (dicts as in STANDARD_QUESTIONS); published unless told not."""
    if checklist is None:
        checklist = Checklist.objects.create(mission=mission, code=code, name=name)
    version = ChecklistVersion.objects.create(checklist=checklist, number=number)
    by_code = {}
    for order, spec in enumerate(questions or STANDARD_QUESTIONS):
        parent = spec.get("show_if")
        question = Question.objects.create(
            version=version,
            code=spec["code"],
            order=order,
            section=spec.get("section", ""),
            text=spec.get("text", spec["code"]),
            type=spec["type"],
            required=spec.get("required", False),
            min_value=spec.get("min"),
            max_value=spec.get("max"),
            show_if_question=by_code[parent[0]] if parent else None,
            show_if_value=parent[1] if parent else "",
        )
        by_code[spec["code"]] = question
        Option.objects.bulk_create(
            Option(
                question=question,
                order=i,
                value=value,
                label=label,
                flagged=flagged,
                severity="serious" if flagged else "",
            )
            for i, (value, label, flagged) in enumerate(spec.get("options", []))
        )
    if publish:
        checklist.current_version = version
        checklist.save(update_fields=["current_version"])
    return version


def many_questions(count: int) -> list[dict]:
    """`count` questions of all types, none hidden: for counting queries and the bench."""
    kinds = [
        {"type": "yes_no", "options": YES_NO},
        {"type": "single", "options": [("a", "A", False), ("b", "B", True), ("c", "C", False)]},
        {"type": "multiple", "options": [("x", "X", False), ("y", "Y", False), ("z", "Z", True)]},
        {"type": "number", "min": 0, "max": 5000},
        {"type": "text"},
        {"type": "time"},
    ]
    return [{"code": f"Q{i:02d}", **kinds[i % len(kinds)]} for i in range(1, count + 1)]


def answers_for(questions: list[dict]) -> dict:
    values = {
        "yes_no": "yes",
        "single": "b",
        "multiple": ["x", "z"],
        "number": 12,
        "text": "fine",
        "time": "07:15",
    }
    return {q["code"]: values[q["type"]] for q in questions}


def payload(version, station, **overrides) -> dict:
    """A valid visit for the standard checklist: the station opened on time, the box was sealed."""
    body = {
        "uuid": str(uuid.uuid4()),
        "checklist": version.checklist.code,
        "version": version.number,
        "station": station.code,
        "arrived_at": "2024-02-07T07:55:00+04:00",
        "departed_at": "2024-02-07T08:40:00+04:00",
        "answers": {"A1": "yes", "A2": ["seals", "ballots"], "A3": 7, "A4": "calm", "A6": "yes", "A8": "2"},
        "notes": "",
        "assessment": "good",
    }
    body.update(overrides)
    return body


def count_rows(table: str) -> int:
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {table}")  # noqa: S608 (a fixed table name)
        return cursor.fetchone()[0]
