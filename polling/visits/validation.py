"""A checklist version as the server sees it, the validation of answers, and the canonical content whose
hash tells a resubmission from a conflict. The same rules as the filing page, enforced again."""

import datetime
import hashlib
import re
import uuid
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from config.canonical import canonical_json as canonical
from polling.models import (
    Answer,
    Assessment,
    ChecklistVersion,
    Option,
    Question,
)
from polling.visits.errors import Errors

NOTES_MAX = 10_000
TEXT_MAX = {Question.Type.TEXT: 1_000, Question.Type.LONG_TEXT: 10_000}
NUMBER_LIMIT = Decimal(10) ** 10  # Answer.number has 12 digits, 2 of them decimals
SINGLE_CHOICE_TYPES = frozenset({Question.Type.YES_NO, Question.Type.SINGLE, Question.Type.RATING})
TIME_RE = re.compile(r"^(\d{1,2}):(\d{2})$")
CONTENT_FIELDS = ("checklist", "version", "station", "arrived_at", "departed_at", "notes", "assessment")
ANSWER_CHANGE_PREFIX = "answers."
ASSESSMENTS = frozenset(Assessment.values)  # .values builds a new list on every use


# ---------------------------------------------------------------------------
# A checklist version as the validator sees it, loaded once per version.
# ---------------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class OptionSpec:
    pk: int | None
    value: str
    label: str
    flagged: bool
    severity: str


@dataclass(frozen=True, eq=False)
class QuestionSpec:
    pk: int | None
    code: str
    section: str
    text: str
    type: str
    required: bool
    min: Decimal | None
    max: Decimal | None
    show_if: tuple[str, str] | None
    options: dict[str, OptionSpec]  # by value, in the builder's order

    @property
    def has_options(self) -> bool:
        return self.type in Question.CHOICE_TYPES


@dataclass(frozen=True, eq=False)
class VersionSpec:
    pk: int | None
    checklist: str
    number: int
    questions: tuple[QuestionSpec, ...]

    def __post_init__(self):
        object.__setattr__(self, "by_code", {q.code: q for q in self.questions})


# Version pk -> spec. Only versions that already have visits are cached: their questions no longer change
# (the builder makes a new version instead), so the entry can never go stale. A version still being built
# is loaded afresh on every submission; that costs two queries and only happens before election day.
_SPECS: dict[int, VersionSpec] = {}


def version_spec(version: ChecklistVersion) -> VersionSpec:
    """The validator's view of `version`; `version.has_filed_visits` (annotated) spares a query."""
    spec = _SPECS.get(version.pk)
    if spec is not None:
        return spec
    spec = _load_spec(version)
    filed = getattr(version, "has_filed_visits", None)
    if filed is None:
        filed = version.visits.exists()
    if filed:
        _SPECS[version.pk] = spec
    return spec


def remember_spec(spec: VersionSpec) -> None:
    """A visit was just stored against this spec: the version is frozen from now on, so keep it."""
    if spec.pk is not None:
        _SPECS[spec.pk] = spec


def _load_spec(version: ChecklistVersion) -> VersionSpec:
    options: dict[int, dict[str, OptionSpec]] = defaultdict(dict)
    for row in (
        Option.objects.filter(question__version=version)
        .order_by("question_id", "order", "pk")
        .values("pk", "question_id", "value", "label", "flagged", "severity")
    ):
        options[row["question_id"]][row["value"]] = OptionSpec(
            row["pk"], row["value"], row["label"], row["flagged"], row["severity"]
        )
    questions = tuple(
        QuestionSpec(
            pk=row["pk"],
            code=row["code"],
            section=row["section"],
            text=row["text"],
            type=row["type"],
            required=row["required"],
            min=row["min_value"],
            max=row["max_value"],
            show_if=(row["show_if_question__code"], row["show_if_value"])
            if row["show_if_question__code"]
            else None,
            options=options.get(row["pk"], {}),
        )
        for row in version.questions.order_by("order", "pk").values(
            "pk",
            "code",
            "section",
            "text",
            "type",
            "required",
            "min_value",
            "max_value",
            "show_if_question__code",
            "show_if_value",
        )
    )
    return VersionSpec(
        pk=version.pk, checklist=version.checklist.code, number=version.number, questions=questions
    )


def spec_from_definition(definition: Mapping) -> VersionSpec:
    """A spec from `ChecklistVersion.definition()` (what the filing page holds): no primary keys."""

    def number(value):
        return Decimal(str(value)) if value is not None else None

    questions = tuple(
        QuestionSpec(
            pk=None,
            code=q["code"],
            section=q.get("section", ""),
            text=q.get("text", ""),
            type=q["type"],
            required=bool(q.get("required")),
            min=number(q.get("min")),
            max=number(q.get("max")),
            show_if=(q["show_if"]["question"], q["show_if"]["equals"]) if q.get("show_if") else None,
            options={
                o["value"]: OptionSpec(
                    None, o["value"], o.get("label", o["value"]), bool(o.get("flagged")), ""
                )
                for o in q.get("options", [])
            },
        )
        for q in definition["questions"]
    )
    return VersionSpec(
        pk=definition.get("version_id"),
        checklist=definition.get("checklist", ""),
        number=definition.get("version", 0),
        questions=questions,
    )


def _as_spec(definition_or_version) -> VersionSpec:
    if isinstance(definition_or_version, VersionSpec):
        return definition_or_version
    if isinstance(definition_or_version, ChecklistVersion):
        return version_spec(definition_or_version)
    return spec_from_definition(definition_or_version)


# ---------------------------------------------------------------------------
# Validation: the same rules as the filing page, enforced again on the server.
# ---------------------------------------------------------------------------


def is_blank(value) -> bool:
    return value is None or (isinstance(value, str) and not value.strip()) or value == []


def decimal_str(value: Decimal) -> str:
    """A number as its shortest exact text: 7, 7.5, 1200 (never 7.00 or 1.2E+3)."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def clean_time(value) -> str | None:
    """'7:05' or '07:05' -> '07:05'; None when it is not a time of day."""
    match = TIME_RE.match(value.strip()) if isinstance(value, str) else None
    if not match:
        return None
    hours, minutes = int(match[1]), int(match[2])
    if hours > 23 or minutes > 59:
        return None
    return f"{hours:02d}:{minutes:02d}"


def _clean_choice(question: QuestionSpec, raw) -> tuple[Any, str | None]:
    if isinstance(raw, int) and not isinstance(raw, bool):
        raw = str(raw)  # a rating sent as 4 where the option's value is "4"
    if not isinstance(raw, str):
        return None, _("Send one of the question's option values.")
    value = raw.strip()
    if value not in question.options:
        return None, _("“%(value)s” is not an option of this question.") % {"value": value[:100]}
    return value, None


def _clean_multiple(question: QuestionSpec, raw) -> tuple[Any, str | None]:
    if not isinstance(raw, list) or not all(isinstance(item, str) for item in raw):
        return None, _("Send a list of the chosen option values.")
    values = sorted({item.strip() for item in raw if item.strip()})
    unknown = [value for value in values if value not in question.options]
    if unknown:
        return None, _("“%(value)s” is not an option of this question.") % {"value": unknown[0][:100]}
    return values, None


def _clean_number(question: QuestionSpec, raw) -> tuple[Any, str | None]:
    if isinstance(raw, bool) or not isinstance(raw, int | float | str | Decimal):
        return None, _("Send a number.")
    try:
        value = Decimal(str(raw).strip())
    except InvalidOperation:
        return None, _("“%(value)s” is not a number.") % {"value": str(raw)[:50]}
    # 1e-999999999 is finite and small, but normalize() would round it to 0 under the default context,
    # PostgreSQL's numeric cannot hold it, and 1e999999999 overflows the context: both are out of range.
    if not value.is_finite() or not -30 <= value.as_tuple().exponent <= 10 or abs(value) >= NUMBER_LIMIT:
        return None, _("This number is out of range.")
    if value.normalize().as_tuple().exponent < -2:
        return None, _("Use at most two decimal places.")
    if question.min is not None and value < question.min:
        return None, _("The smallest allowed value is %(min)s.") % {"min": decimal_str(question.min)}
    if question.max is not None and value > question.max:
        return None, _("The largest allowed value is %(max)s.") % {"max": decimal_str(question.max)}
    return value, None


def _clean_text(question: QuestionSpec, raw) -> tuple[Any, str | None]:
    if not isinstance(raw, str):
        return None, _("Send text.")
    value = raw.strip()
    limit = TEXT_MAX[question.type]
    if len(value) > limit:
        return None, _("Use at most %(limit)s characters.") % {"limit": limit}
    return value, None


def _clean_time_answer(question: QuestionSpec, raw) -> tuple[Any, str | None]:
    value = clean_time(raw)
    if value is None:
        return None, _("Give a time of day as HH:MM, e.g. 07:30.")
    return value, None


def _clean_value(question: QuestionSpec, raw) -> tuple[Any, str | None]:
    if question.type in SINGLE_CHOICE_TYPES:
        return _clean_choice(question, raw)
    if question.type == Question.Type.MULTIPLE:
        return _clean_multiple(question, raw)
    if question.type == Question.Type.NUMBER:
        return _clean_number(question, raw)
    if question.type == Question.Type.TIME:
        return _clean_time_answer(question, raw)
    return _clean_text(question, raw)


def _rule_matches(parent: QuestionSpec, value, expected: str) -> bool:
    """Does the parent's cleaned answer satisfy “show if <parent> has the answer <expected>”?"""
    expected = expected.strip()
    if value is None:
        return False
    if isinstance(value, list):
        return expected in value
    if isinstance(value, Decimal):
        try:
            return value == Decimal(expected)
        except InvalidOperation:
            return False
    if parent.type == Question.Type.TIME:
        return value == clean_time(expected)
    return value == expected


def shown_questions(spec: VersionSpec, values: Mapping[str, Any]) -> dict[str, bool]:
    """Which questions the form shows, given cleaned answers: a question is shown when it has no rule, or
    when its rule's question is itself shown and has the expected answer (rules chain)."""
    shown: dict[str, bool] = {}

    def visit(question: QuestionSpec, path: frozenset) -> bool:
        if question.code in shown:
            return shown[question.code]
        result = True
        if question.show_if is not None:
            parent = spec.by_code.get(question.show_if[0])
            if parent is None:
                result = True  # a rule on a question that is not in this version cannot hide anything
            elif parent.code in path:
                result = False  # a cycle: the builder should not allow it; hide rather than loop
            else:
                result = visit(parent, path | {question.code}) and _rule_matches(
                    parent, values.get(parent.code), question.show_if[1]
                )
        shown[question.code] = result
        return result

    for question in spec.questions:
        visit(question, frozenset())
    return shown


def _depends_on_error(spec: VersionSpec, question: QuestionSpec, errors: Mapping) -> bool:
    seen = set()
    while question.show_if is not None and question.code not in seen:
        seen.add(question.code)
        parent = spec.by_code.get(question.show_if[0])
        if parent is None:
            return False
        if parent.code in errors:
            return True
        question = parent
    return False


def validate_answers(definition_or_version, answers) -> tuple[dict[str, Any], Errors]:
    """Check `answers` (question code -> value, as in the API) against a checklist version.

    Returns the cleaned answers in checklist order (option values, sorted lists of option values,
    Decimals, stripped text, HH:MM times) and the errors by question code. A question hidden by its
    show-if rule must not be answered: its answer is refused, not silently dropped, because dropping
    would lose what an observer wrote while the form showed something else. Null and empty values
    count as not answered.
    """
    spec = _as_spec(definition_or_version)
    if answers is None:
        answers = {}
    if not isinstance(answers, Mapping):
        return {}, {"answers": [_("Send the answers as an object of question codes and values.")]}
    errors: dict[str, list[str]] = defaultdict(list)
    for code in answers:
        if code not in spec.by_code:
            errors[str(code)].append(_("This checklist version has no question %(code)s.") % {"code": code})
    values: dict[str, Any] = {}
    for question in spec.questions:
        raw = answers.get(question.code)
        if is_blank(raw):
            continue
        value, error = _clean_value(question, raw)
        if error:
            errors[question.code].append(error)
        else:
            values[question.code] = value
    shown = shown_questions(spec, values)
    unreadable = set(errors)  # a rule on an unreadable answer cannot be judged: say nothing more
    cleaned: dict[str, Any] = {}
    for question in spec.questions:
        if question.code in unreadable or _depends_on_error(spec, question, unreadable):
            continue
        if not shown[question.code]:
            if question.code in values:
                parent, expected = question.show_if
                errors[question.code].append(
                    _("This question is only asked when %(parent)s is “%(value)s”: leave it unanswered.")
                    % {"parent": parent, "value": expected}
                )
        elif question.code in values:
            cleaned[question.code] = values[question.code]
        elif question.required:
            errors[question.code].append(_("This question must be answered."))
    return cleaned, dict(errors)


# A visit or incident lies within the mission's observation period, give or take this much: enough for an
# observer who starts the day before or files the count after midnight, not enough for a typing slip of a
# year (or 9999-12-31, which broke every page that added an hour to it).
MOMENT_MARGIN = datetime.timedelta(days=2)


@dataclass(frozen=True)
class Window:
    """The moments a visit or incident of a mission may name: its observation period (`first` to `last`,
    local days) with MOMENT_MARGIN on either side; `start` and `end` in UTC."""

    first: datetime.date
    last: datetime.date
    start: datetime.datetime
    end: datetime.datetime

    @classmethod
    def for_period(cls, first: datetime.date, last: datetime.date, zone) -> "Window":
        start = datetime.datetime.combine(first, datetime.time(), zone) - MOMENT_MARGIN
        after = datetime.datetime.combine(last + datetime.timedelta(days=1), datetime.time(), zone)
        return cls(
            first, last, start.astimezone(datetime.UTC), (after + MOMENT_MARGIN).astimezone(datetime.UTC)
        )

    @classmethod
    def for_mission(cls, mission) -> "Window":
        return cls.for_period(mission.observation_start, mission.observation_end, mission.tzinfo)

    def check(self, moment: datetime.datetime | None, field: str, errors: Errors) -> None:
        if moment is not None and field not in errors and not self.start <= moment < self.end:
            errors[field] = [
                _(
                    "Give a time within the observation period (%(first)s to %(last)s) or two days either side."
                )
                % {
                    "first": date_format(self.first, "DATE_FORMAT"),
                    "last": date_format(self.last, "DATE_FORMAT"),
                }
            ]


def parse_moment(value, field: str, errors: Errors, *, required: bool) -> datetime.datetime | None:
    if is_blank(value):
        if required:
            errors[field] = [_("This time is required.")]
        return None
    moment = None
    if isinstance(value, str):
        try:
            moment = parse_datetime(value.strip())
        except ValueError:
            moment = None
    if moment is None:
        errors[field] = [_("Give a date and time in ISO 8601, e.g. 2024-02-07T07:55:00+04:00.")]
        return None
    if timezone.is_naive(moment):
        errors[field] = [_("Give the time with its UTC offset, e.g. 2024-02-07T07:55:00+04:00.")]
        return None
    try:  # 0001-01-01T00:00:00+14:00 is before the first moment Python can hold in UTC
        return moment.astimezone(datetime.UTC)
    except OverflowError:
        errors[field] = [_("Give a date and time in ISO 8601, e.g. 2024-02-07T07:55:00+04:00.")]
        return None


def clean_fields(payload: Mapping, *, window: Window | None = None) -> tuple[dict[str, Any], Errors]:
    """The visit's own fields: arrival and departure (aware, in UTC, within `window` when given), notes and
    overall assessment. Every channel gives the window of its mission: the filing, the import, the bundle."""
    errors: Errors = {}
    arrived_at = parse_moment(payload.get("arrived_at"), "arrived_at", errors, required=True)
    departed_at = parse_moment(payload.get("departed_at"), "departed_at", errors, required=False)
    if window is not None:
        window.check(arrived_at, "arrived_at", errors)
        window.check(departed_at, "departed_at", errors)
    if arrived_at and departed_at and not errors and departed_at < arrived_at:
        errors["departed_at"] = [_("The departure cannot be before the arrival.")]
    notes = payload.get("notes") or ""
    if not isinstance(notes, str):
        errors["notes"] = [_("Send the notes as text.")]
        notes = ""
    notes = notes.strip()
    if len(notes) > NOTES_MAX:
        errors["notes"] = [_("Use at most %(limit)s characters.") % {"limit": NOTES_MAX}]
    assessment = payload.get("assessment") or ""
    if assessment not in ASSESSMENTS and assessment != "":
        errors["assessment"] = [
            _("Choose one of: %(choices)s.") % {"choices": ", ".join(Assessment.values)},
        ]
        assessment = ""
    fields = {
        "arrived_at": arrived_at,
        "departed_at": departed_at,
        "notes": notes,
        "assessment": assessment,
    }
    return fields, errors


def parse_uuid(value) -> uuid.UUID | None:
    try:
        return uuid.UUID(str(value)) if value else None
    except ValueError:
        return None


# ---------------------------------------------------------------------------
# Canonical content and its hash.
# ---------------------------------------------------------------------------


def moment_str(moment: datetime.datetime | None) -> str | None:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z") if moment else None


def _answer_json(value):
    return decimal_str(value) if isinstance(value, Decimal) else value


def build_content(
    spec: VersionSpec, *, station: str, fields: Mapping[str, Any], answers: Mapping[str, Any]
) -> dict:
    """What the client controls, as plain JSON: what the hash covers and what a revision keeps."""
    return {
        "checklist": spec.checklist,
        "version": spec.number,
        "station": station,
        "arrived_at": moment_str(fields["arrived_at"]),
        "departed_at": moment_str(fields["departed_at"]),
        "answers": {code: _answer_json(value) for code, value in answers.items()},
        "notes": fields["notes"],
        "assessment": fields["assessment"],
    }


def canonical_json(content: Mapping) -> str:
    """The canonical JSON the hash covers (config/canonical.py); answers are normalised by build_content,
    which writes numbers as text."""
    return canonical(content, floats_possible=False)


def text_hash(text: str) -> str:
    return hashlib.sha256(text.encode()).hexdigest()


def content_hash(content: Mapping) -> str:
    """SHA-256 of the canonical JSON."""
    return text_hash(canonical_json(content))


def answer_values(spec: VersionSpec, answers: Mapping[str, Any]) -> list[tuple[int, int | None, Any, str]]:
    """(question, option, number, text) for each Answer row of cleaned answers: one row per chosen
    option, one per number, text or time."""
    values = []
    for code, value in answers.items():
        question = spec.by_code[code]
        if question.type == Question.Type.MULTIPLE:
            values.extend((question.pk, question.options[item].pk, None, "") for item in value)
        elif question.has_options:
            values.append((question.pk, question.options[value].pk, None, ""))
        elif question.type == Question.Type.NUMBER:
            values.append((question.pk, None, value, ""))
        else:
            values.append((question.pk, None, None, value))
    return values


def answer_rows(spec: VersionSpec, answers: Mapping[str, Any], visit_id: int) -> list[Answer]:
    """The Answer instances of cleaned answers, for bulk_create (the import)."""
    return [
        Answer(visit_id=visit_id, question_id=question, option_id=option, number=number, text=text)
        for question, option, number, text in answer_values(spec, answers)
    ]


def content_changes(before: Mapping, after: Mapping) -> dict[str, list]:
    """field or "answers.<code>" -> [before, after], for what differs between two contents."""
    changes = {
        field: [before.get(field), after.get(field)]
        for field in CONTENT_FIELDS
        if before.get(field) != after.get(field)
    }
    old, new = before.get("answers") or {}, after.get("answers") or {}
    for code in [*old, *(code for code in new if code not in old)]:
        if old.get(code) != new.get(code):
            changes[ANSWER_CHANGE_PREFIX + code] = [old.get(code), new.get(code)]
    return changes
