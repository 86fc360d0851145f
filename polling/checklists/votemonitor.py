"""Vote Monitor (code4ro) forms, as the observers of Poland's 2023 elections filed them, in our format.

The layout, optionally wrapped in {"form": ...}:
    {code, description, formSections: [{code, description, orderNumber,
        questions: [{code, questionType, text, orderNumber,
            optionsToQuestions: [{text, isFreeText, isFlagged, orderNumber}]}]}]}
questionType: 0 MultipleOption, 1 SingleOption, 2 SingleOptionWithText, 3 MultipleOptionWithText.
docs/checklist-format.md describes the conversion.
"""

import re

from django.utils.text import slugify
from django.utils.translation import gettext as _

from polling.models import Question

from .definition import default_options
from .errors import ChecklistError, Path, Problem, Reading, failure_message

MULTIPLE = frozenset({0, 3})
SINGLE = frozenset({1, 2})
YES_NO_LABELS = ["yes", "no"]
RATING_LABELS = ["very good", "good", "bad", "very bad"]
QUESTION_FIELDS = {
    "code": ".code",
    "text": ".text",
    "type": ".questionType",
    "options": ".optionsToQuestions",
}
OPTION_FIELDS = {"value": ".text", "label": ".text", "flagged": ".isFlagged", "severity": ".isFlagged"}


def _form(data):
    return data["form"] if isinstance(data, dict) and isinstance(data.get("form"), dict) else data


def looks_like_votemonitor(data) -> bool:
    form = _form(data)
    return isinstance(form, dict) and isinstance(form.get("formSections"), list)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _ordered(items: list) -> list[tuple[int, object]]:
    """(index in the file, item) in orderNumber order; items without one keep their place."""

    def key(pair):
        index, item = pair
        number = item.get("orderNumber") if isinstance(item, dict) else None
        return (number if isinstance(number, int) and not isinstance(number, bool) else index, index)

    return sorted(enumerate(items), key=key)


def _unique(candidate: str, taken: set[str], limit: int) -> str:
    value, n = candidate[:limit], 2
    while value in taken:
        suffix = f"_{n}"
        value, n = candidate[: limit - len(suffix)] + suffix, n + 1
    taken.add(value)
    return value


def _question_code(section_code: str, question_code: str, taken: set[str]) -> str:
    raw = re.sub(r"[^A-Za-z0-9_.-]", "_", f"{section_code}{question_code}").lstrip("_.-")
    return _unique(raw or f"Q{len(taken) + 1}", taken, 40)


def _option_values(kind: str, labels: list[str]) -> list[str]:
    if kind in (Question.Type.YES_NO, Question.Type.RATING):
        return [o["value"] for o in default_options(kind)]
    taken: set[str] = set()
    values = []
    for position, label in enumerate(labels, 1):
        slug = slugify(label, allow_unicode=True).replace("-", "_").strip("_")
        values.append(_unique(slug or f"option_{position}", taken, 100))
    return values


def _kind(question_type: int, labels: list[str]) -> str:
    if question_type in MULTIPLE:
        return Question.Type.MULTIPLE
    lowered = [label.lower() for label in labels]
    if lowered == YES_NO_LABELS:
        return Question.Type.YES_NO
    if lowered == RATING_LABELS:
        return Question.Type.RATING
    return Question.Type.SINGLE


def votemonitor_to_definition(data) -> Reading:
    """Our format from a Vote Monitor form; problems are located by JSON path in the Vote Monitor file."""
    prefix = "form." if isinstance(data, dict) and isinstance(data.get("form"), dict) else ""
    form = _form(data)
    if not looks_like_votemonitor(data):
        problem = Problem(f"{prefix}formSections", _("A Vote Monitor form has a list of formSections."))
        raise ChecklistError(failure_message(1), [problem])
    reading = _Converter(prefix)
    reading.convert(form)
    return Reading(
        definition=reading.definition, locate=reading.locate, problems=reading.problems, skip=set()
    )


class _Converter:
    def __init__(self, prefix: str):
        self.prefix = prefix
        self.problems: list[Problem] = []
        self.places: list[str] = []
        self.option_places: list[list[str]] = []
        self.definition: dict = {}

    def convert(self, form: dict) -> None:
        codes: set[str] = set()
        questions = []
        for s, section in _ordered(form["formSections"]):
            here = f"{self.prefix}formSections[{s}]"
            if not isinstance(section, dict) or not isinstance(section.get("questions"), list):
                self.problems.append(Problem(here, _("A section is an object with a list of questions.")))
                continue
            name = _text(section.get("description")) or _text(section.get("code"))
            for k, item in _ordered(section["questions"]):
                question = self._question(item, f"{here}.questions[{k}]", _text(section.get("code")), codes)
                if question is not None:
                    question["section"] = name
                    questions.append(question)
        self.definition = {
            "code": re.sub(r"[^A-Za-z0-9_.-]", "_", _text(form.get("code")))[:40],
            "name": _text(form.get("description")) or _text(form.get("code")),
            "description": "",
            "questions": questions,
        }

    def _question(self, item, here: str, section_code: str, codes: set[str]) -> dict | None:
        if not isinstance(item, dict):
            self.problems.append(Problem(here, _("A question is an object.")))
            return None
        question_type = item.get("questionType")
        if isinstance(question_type, bool) or question_type not in MULTIPLE | SINGLE:
            message = _("Unknown questionType %(type)r; 0 to 3 are known.") % {"type": question_type}
            self.problems.append(Problem(f"{here}.questionType", message))
            return None
        raw_options = item.get("optionsToQuestions")
        if not isinstance(raw_options, list) or not all(isinstance(o, dict) for o in raw_options):
            self.problems.append(Problem(f"{here}.optionsToQuestions", _("Must be a list of options.")))
            return None
        ordered = _ordered(raw_options)
        labels = [_text(option.get("text")) for _j, option in ordered]
        kind = _kind(question_type, labels)
        negative = {o["value"]: o["negative"] for o in default_options(kind)}
        options = [
            {
                "value": value,
                "label": label,
                "flagged": option.get("isFlagged") is True,
                "severity": "",  # a flagged option gets "minor", the format's default
                "negative": negative.get(value, False),
            }
            for value, label, (_j, option) in zip(_option_values(kind, labels), labels, ordered, strict=True)
        ]
        self.places.append(here)
        self.option_places.append([f"{here}.optionsToQuestions[{j}]" for j, _o in ordered])
        return {
            "code": _question_code(section_code, _text(str(item.get("code") or "")), codes),
            "section": "",
            "text": _text(item.get("text")),
            "type": kind,
            "required": False,
            "help_text": "",
            "min": None,
            "max": None,
            "show_if": None,
            "finding": None,
            "options": options,
        }

    def locate(self, path: Path) -> str:
        if not path:
            return self.prefix.rstrip(".") or _("file")
        if path[0] in ("code", "name"):
            return self.prefix + {"code": "code", "name": "description"}[path[0]]
        if path[0] != "questions" or len(path) < 2:
            return self.prefix + "formSections"
        index, field = path[1], (path[2] if len(path) > 2 else None)
        if field == "options" and len(path) > 3:
            return self.option_places[index][path[3]] + OPTION_FIELDS.get(
                path[4] if len(path) > 4 else "", ""
            )
        return self.places[index] + QUESTION_FIELDS.get(field, "")
