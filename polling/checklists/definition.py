"""Our checklist format (docs/checklist-format.md): checking a checklist written in it, and writing one out.

Every way into a checklist (our JSON, an XLSForm, a Vote Monitor form, a copy, the builder) ends in
`clean_definition`, so the rules are stated once: an earlier choice question for show-if, a value that
is one of its options, only {count}/{total}/{percent} in findings, and so on.
"""

import re
import string
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext as _

from config.jsoncheck import JsonChecker
from polling.models import ChecklistVersion, Option, Question, code_validator

from .errors import Path

FORMAT = "observa.checklist/1"
TYPES = tuple(Question.Type.values)
CHOICE_TYPES = frozenset(str(t) for t in Question.CHOICE_TYPES)
SEVERITIES = tuple(Option.Severity.values)
PLACEHOLDERS = ("count", "total", "percent")
# Path segments next to a checklist's code in its addresses: a checklist cannot be called that
# ("incident": the filing page's incident form sits where a checklist's form would, filing_urls.py).
RESERVED_CHECKLIST_CODES = frozenset({"new", "import", "copy", "incident"})

CODE_RE = re.compile(code_validator.regex.pattern)
OPTION_VALUE_RE = re.compile(r"^[\w.-]{1,100}$")
QUESTION_KEYS = frozenset(
    {
        "code",
        "section",
        "text",
        "type",
        "options",
        "required",
        "help_text",
        "min",
        "max",
        "show_if",
        "finding",
    }
)
OPTION_KEYS = frozenset({"value", "label", "flagged", "severity", "negative"})
NUMBER_LIMIT = Decimal(10) ** 10  # Question.min_value/max_value: 12 digits, 2 of them decimals


def default_options(question_type: str) -> list[dict]:
    """The options a yes/no or rating question gets when none are given."""
    if question_type == Question.Type.YES_NO:
        pairs = [("yes", _("Yes"), False), ("no", _("No"), False)]
    elif question_type == Question.Type.RATING:
        pairs = [
            ("very_good", _("Very good"), False),
            ("good", _("Good"), False),
            ("bad", _("Bad"), True),
            ("very_bad", _("Very bad"), True),
        ]
    else:
        return []
    return [
        {"value": value, "label": label, "flagged": False, "severity": "", "negative": negative}
        for value, label, negative in pairs
    ]


def finding_problems(text: str) -> list[str]:
    """What is wrong with the placeholders of a finding sentence (empty when nothing is)."""
    try:
        parsed = list(string.Formatter().parse(text))
    except ValueError:
        return [_("Braces must pair up, as in {count}; write {{ or }} for a brace of its own.")]
    problems = []
    for _literal, name, spec, conversion in parsed:
        if name is None:
            continue
        if name not in PLACEHOLDERS or spec or conversion:
            shown = "{" + name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "") + "}"
            problems.append(
                _("%(placeholder)s is not a placeholder; use only {count}, {total} and {percent}.")
                % {"placeholder": shown}
            )
    return problems


def parse_number(value) -> Decimal:
    """A min/max as the model stores it; ValueError with the reason when it cannot be one."""
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal):
        raise ValueError(_("Must be a number."))
    try:
        number = Decimal(str(value))
    except InvalidOperation as error:
        raise ValueError(_("Must be a number.")) from error
    if not number.is_finite() or abs(number) >= NUMBER_LIMIT:
        raise ValueError(_("Must be a number below 10,000,000,000."))
    if number != number.quantize(Decimal("0.01")):
        raise ValueError(_("Use at most two decimals."))
    return number


class _Checker(JsonChecker):
    """The JSON checker, reading text and numbers the way a checklist definition holds them."""

    def text(self, obj: dict, key: str, path: Path, *, required=False, max_length=None, default="") -> str:
        value = obj.get(key)
        if value is None or value == "":
            value = default
        if not isinstance(value, str):
            self.add(path + (key,), _("Must be text."))
            return ""
        value = value.strip()
        if "\x00" in value:  # PostgreSQL text cannot store it
            self.add(path + (key,), _("Remove the NUL character (\\u0000): text cannot hold it."))
        elif required and not value:
            self.add(path + (key,), _("This is required."))
        elif max_length and len(value) > max_length:
            self.add(
                path + (key,),
                _("At most %(limit)d characters (this has %(length)d).")
                % {"limit": max_length, "length": len(value)},
            )
        return value

    def boolean(self, obj: dict, key: str, path: Path, *, default: bool = False) -> bool:
        value = obj.get(key)
        if value is None:
            return default
        if not isinstance(value, bool):
            self.add(path + (key,), _("Must be true or false."))
            return default
        return value

    def number(self, obj: dict, key: str, path: Path) -> Decimal | None:
        value = obj.get(key)
        if value is None:
            return None
        try:
            return parse_number(value)
        except ValueError as error:
            self.add(path + (key,), str(error))
            return None


def clean_definition(data) -> tuple[dict, list[tuple[Path, str]]]:
    """The checklist `data` with every default filled in, and every problem found as (path, message).

    Paths are tuples into `data` (`("questions", 3, "options", 1, "value")`); each importer turns them
    into places its user can find (a JSON path, a spreadsheet cell).
    """
    check = _Checker()
    if not isinstance(data, dict):
        check.add((), _("A checklist is a JSON object with a code, a name and a list of questions."))
        return {}, check.problems
    if data.get("format") not in (None, FORMAT):
        check.add(("format",), _("Unknown format; this reader knows %(format)s.") % {"format": FORMAT})
    clean = {
        "format": FORMAT,
        "code": check.text(data, "code", (), required=True, max_length=40),
        "name": check.text(data, "name", (), required=True, max_length=200),
        "description": check.text(data, "description", ()),
        "questions": [],
    }
    if clean["code"] and len(clean["code"]) <= 40:
        if not CODE_RE.match(clean["code"]):
            check.add(("code",), str(code_validator.message))
        elif clean["code"].lower() in RESERVED_CHECKLIST_CODES:
            check.add(("code",), _("“%(code)s” is reserved; choose another code.") % {"code": clean["code"]})

    questions = data.get("questions")
    if not isinstance(questions, list):
        check.add(("questions",), _("Must be a list of questions."))
        questions = []
    elif not questions:
        check.add(("questions",), _("A checklist needs at least one question."))
    cleaned = [(i, _clean_question(q, ("questions", i), check)) for i, q in enumerate(questions)]
    cleaned = [(i, q) for i, q in cleaned if q is not None]
    _check_codes_and_show_if(cleaned, check)
    clean["questions"] = [q for _i, q in cleaned]
    return clean, check.problems


def _clean_question(data, path: Path, check: _Checker) -> dict | None:
    if not isinstance(data, dict):
        check.add(path, _("Each question is a JSON object."))
        return None
    check.unknown_keys(data, QUESTION_KEYS, path)
    question = {
        "code": check.text(data, "code", path, required=True, max_length=40),
        "section": check.text(data, "section", path, max_length=200),
        "text": check.text(data, "text", path, required=True),
        "type": data.get("type"),
        "required": check.boolean(data, "required", path),
        "help_text": check.text(data, "help_text", path),
        "min": check.number(data, "min", path),
        "max": check.number(data, "max", path),
        "show_if": None,
        "finding": None,
        "options": [],
    }
    if question["code"] and len(question["code"]) <= 40 and not CODE_RE.match(question["code"]):
        check.add(path + ("code",), str(code_validator.message))
    kind = question["type"]
    if kind not in TYPES:
        check.add(
            path + ("type",),
            _("Unknown type “%(type)s”; use one of %(types)s.") % {"type": kind, "types": ", ".join(TYPES)},
        )
    elif kind != Question.Type.NUMBER:
        for key in ("min", "max"):
            if question[key] is not None:
                check.add(path + (key,), _("Only number questions have a minimum and a maximum."))
    if question["min"] is not None and question["max"] is not None and question["min"] > question["max"]:
        check.add(path + ("max",), _("The maximum is smaller than the minimum."))
    if kind in TYPES:
        question["options"] = _clean_options(data.get("options"), kind, path + ("options",), check)
    question["show_if"] = _clean_show_if(data.get("show_if"), path + ("show_if",), check)
    question["finding"] = _clean_finding(data.get("finding"), question, path + ("finding",), check)
    return question


def _clean_options(data, kind: str, path: Path, check: _Checker) -> list[dict]:
    if kind not in CHOICE_TYPES:
        if data:
            check.add(path, _("Only choice questions (yes/no, single, multiple, rating) have options."))
        return []
    if data is None or data == []:
        if kind in (Question.Type.YES_NO, Question.Type.RATING):
            return default_options(kind)
        check.add(path, _("A choice question needs at least one option."))
        return []
    if not isinstance(data, list):
        check.add(path, _("Must be a list of options."))
        return []
    standard_labels = {o["value"]: o["label"] for o in default_options(kind)}
    options, seen = [], set()
    for j, item in enumerate(data):
        here = path + (j,)
        if not isinstance(item, dict):
            check.add(here, _("Each option is a JSON object."))
            continue
        check.unknown_keys(item, OPTION_KEYS, here)
        value = check.text(item, "value", here, required=True, max_length=100)
        if value and len(value) <= 100:
            if not OPTION_VALUE_RE.match(value):
                check.add(
                    here + ("value",), _("Use letters, digits, dots, hyphens and underscores, no spaces.")
                )
            elif value in seen:
                check.add(
                    here + ("value",),
                    _("Another option already has the value “%(value)s”.") % {"value": value},
                )
        seen.add(value)
        standard = standard_labels.get(value, "")
        label = check.text(item, "label", here, required=not standard, max_length=500, default=standard)
        flagged = check.boolean(item, "flagged", here)
        severity = item.get("severity") or ""
        if severity not in ("", *SEVERITIES):
            check.add(here + ("severity",), _("Use minor or serious."))
            severity = ""
        elif severity and not flagged:
            check.add(here + ("severity",), _("Only a flagged option has a severity."))
        negative = check.boolean(item, "negative", here)
        if negative and kind != Question.Type.RATING:
            check.add(here + ("negative",), _("Only the options of a rating can be negative."))
        options.append(
            {
                "value": value,
                "label": label,
                "flagged": flagged,
                "severity": (severity or Option.Severity.MINOR) if flagged else "",
                "negative": negative,
            }
        )
    if kind == Question.Type.YES_NO and sorted(o["value"] for o in options) != ["no", "yes"]:
        check.add(path, _("A yes/no question has exactly two options, with the values yes and no."))
    return options


def _clean_show_if(data, path: Path, check: _Checker) -> dict | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        check.add(path, _('Must be null or {"question": code, "equals": value}.'))
        return None
    check.unknown_keys(data, frozenset({"question", "equals"}), path)
    question = check.text(data, "question", path, required=True)
    equals = check.text(data, "equals", path, required=True, max_length=100)
    return {"question": question, "equals": equals} if question and equals else None


def _clean_finding(data, question: dict, path: Path, check: _Checker) -> dict | None:
    if data is None:
        return None
    if not isinstance(data, dict):
        check.add(path, _('Must be null or {"none": sentence, "some": sentence}.'))
        return None
    check.unknown_keys(data, frozenset({"none", "some"}), path)
    finding = {"none": check.text(data, "none", path), "some": check.text(data, "some", path)}
    for key, text in finding.items():
        for message in finding_problems(text):
            check.add(path + (key,), message)
    if not (finding["none"] or finding["some"]):
        return None
    if not any(o["flagged"] for o in question["options"]):
        check.add(
            path, _("A finding counts the visits that gave a flagged answer, but no option is flagged.")
        )
    return finding


def _check_codes_and_show_if(questions: list[tuple[int, dict]], check: _Checker) -> None:
    """Codes are unique; show-if points at an EARLIER choice question, at one of its option values."""
    all_codes = {q["code"] for _i, q in questions}
    earlier: dict[str, dict] = {}
    for i, question in questions:
        code = question["code"]
        if code and code in earlier:
            check.add(("questions", i, "code"), _("Another question has the code %(code)s.") % {"code": code})
        rule = question["show_if"]
        if rule:
            _check_show_if(rule, earlier, all_codes, code, ("questions", i, "show_if"), check)
        earlier.setdefault(code, question)


def _check_show_if(rule: dict, earlier: dict, all_codes: set, code: str, path: Path, check: _Checker) -> None:
    target = earlier.get(rule["question"])
    if target is None:
        if rule["question"] in all_codes:
            message = _("Show-if must refer to an earlier question; %(target)s comes after %(code)s.")
        else:
            message = _("There is no question %(target)s.")
        check.add(path + ("question",), message % {"target": rule["question"], "code": code})
    elif target["type"] not in CHOICE_TYPES:
        check.add(
            path + ("question",),
            _("%(target)s is not a choice question; show-if needs yes/no, single, multiple or rating.")
            % {"target": rule["question"]},
        )
    elif target["options"] and rule["equals"] not in {o["value"] for o in target["options"]}:
        check.add(
            path + ("equals",),
            _("“%(value)s” is not an option of %(target)s (its options: %(values)s).")
            % {
                "value": rule["equals"],
                "target": rule["question"],
                "values": ", ".join(o["value"] for o in target["options"]),
            },
        )


# Writing a version out in the format.


def json_number(value: Decimal | None) -> int | float | None:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else float(value)


def question_to_json(question: Question) -> dict:
    """One question in our format: the mission bundle's shape (Question.definition) plus its finding."""
    data = question.definition()
    data["min"] = json_number(question.min_value)
    data["max"] = json_number(question.max_value)
    data["finding"] = (
        {"none": question.finding_none, "some": question.finding_some}
        if question.finding_none or question.finding_some
        else None
    )
    return data


def version_questions(version: ChecklistVersion):
    return (
        version.questions.select_related("show_if_question")
        .prefetch_related("options")
        .order_by("order", "pk")
    )


def checklist_to_json(*, version: ChecklistVersion) -> dict:
    """The version in our format: exporting it and importing the result gives the same checklist."""
    checklist = version.checklist
    return {
        "format": FORMAT,
        "code": checklist.code,
        "name": checklist.name,
        "description": checklist.description,
        "version": version.number,
        "questions": [question_to_json(q) for q in version_questions(version)],
    }
