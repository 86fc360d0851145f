"""XLSForm, the spreadsheet format field teams write KoboToolbox and ODK forms in.

Read: the survey sheet (type, name, label, hint, required, relevant, constraint, appearance and our
finding_none/finding_some), the choices sheet (list_name, name, label and our flagged/severity/negative)
and the settings sheet (form_id, form_title). What cannot be carried over faithfully (a `relevant`
we cannot express as show-if, a repeat, a note) is an error naming its cell, never silently dropped.
docs/checklist-format.md lists the mapping.
"""

import datetime
import re
import zipfile
from decimal import Decimal
from io import BytesIO

import openpyxl
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException

from polling.models import ChecklistVersion, Question

from .definition import checklist_to_json, parse_number
from .errors import ChecklistError, Path, Problem, Reading, failure_message

# Rows ODK fills in by itself; they ask the observer nothing, so they are passed over.
METADATA_TYPES = frozenset(
    {
        "start",
        "end",
        "today",
        "deviceid",
        "subscriberid",
        "simserial",
        "phonenumber",
        "username",
        "email",
        "audit",
        "start-geopoint",
    }
)
SIMPLE_TYPES = {
    "integer": Question.Type.NUMBER,
    "decimal": Question.Type.NUMBER,
    "text": Question.Type.TEXT,
    "time": Question.Type.TIME,
}
RELEVANT_EQUALS = re.compile(r"""^\s*\$\{([^}\s]+)\}\s*=\s*(['"])([^'"]*)\2\s*$""")
RELEVANT_SELECTED = re.compile(r"""^\s*selected\(\s*\$\{([^}\s]+)\}\s*,\s*(['"])([^'"]*)\2\s*\)\s*$""")
CONSTRAINT_PART = re.compile(r"^\s*\.\s*(>=|<=)\s*(-?\d+(?:\.\d+)?)\s*$")
TRUE_WORDS = frozenset({"yes", "true", "true()", "1"})
FALSE_WORDS = frozenset({"", "no", "false", "false()", "0"})

SURVEY_COLUMNS = [
    "type",
    "name",
    "label",
    "hint",
    "required",
    "relevant",
    "constraint",
    "appearance",
    "finding_none",
    "finding_some",
]
CHOICES_COLUMNS = ["list_name", "name", "label", "flagged", "severity", "negative"]
SETTINGS_COLUMNS = ["form_title", "form_id", "version", "description"]
QUESTION_COLUMNS = {
    "code": "name",
    "type": "type",
    "required": "required",
    "show_if": "relevant",
    "min": "constraint",
    "max": "constraint",
    "options": "type",
    "section": "type",
    "finding": "finding_none",
}
DEFINITION_COLUMNS = {"code": "form_id", "name": "form_title", "description": "description"}


def _cell(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.time):
        return value.strftime("%H:%M")
    return str(value).strip()


def _normalize(header: str) -> str:
    """A header as matched: 'List name' -> 'list_name', 'Label::English (en)' -> 'label::english (en)'."""
    base, sep, language = header.strip().partition("::")
    return base.strip().lower().replace(" ", "_") + (sep + language.strip().lower() if sep else "")


class _Sheet:
    def __init__(self, title: str, rows: list[tuple]):
        self.title = title
        self.columns: dict[str, int] = {}
        self.headers: dict[int, str] = {}
        for index, value in enumerate(rows[0] if rows else ()):
            text = _cell(value)
            if text:
                self.columns.setdefault(_normalize(text), index)
                self.headers[index] = text
        self.rows = [(n, row) for n, row in enumerate(rows[1:], start=2) if any(_cell(c) for c in row)]

    def get(self, row: tuple, column: str | None) -> str:
        index = self.columns.get(column) if column else None
        return _cell(row[index]) if index is not None and index < len(row) else ""

    def pick(self, base: str) -> str | None:
        """The column to read `base` (label, hint) from: itself, else its English, else any language."""
        if base in self.columns:
            return base
        languages = [name for name in self.columns if name.startswith(base + "::")]
        english = [name for name in languages if "english" in name or name.endswith(("(en)", "::en"))]
        return (english or languages or [None])[0]

    def where(self, row: int, column: str | None) -> str:
        index = self.columns.get(column) if column else None
        values = {"sheet": self.title, "row": row, "column": column}
        if index is not None:
            values.update(column=self.headers[index], letter=get_column_letter(index + 1))
            return _("%(sheet)s, row %(row)d, column %(column)s (%(letter)s)") % values
        if column:
            return _("%(sheet)s, row %(row)d, column %(column)s") % values
        return _("%(sheet)s, row %(row)d") % values


def _load(content: bytes) -> dict[str, _Sheet]:
    from django.conf import settings

    from polling.stations.importing.tables import xlsx_too_big

    if xlsx_too_big(BytesIO(content), settings.CHECKLIST_IMPORT_MAX_BYTES):
        problem = Problem(_("file"), _("This workbook unpacks to an unreasonable size."))
        raise ChecklistError(failure_message(1), [problem])
    try:
        workbook = openpyxl.load_workbook(BytesIO(content), read_only=True, data_only=True)
    except (InvalidFileException, zipfile.BadZipFile, KeyError, OSError, ValueError) as error:
        problem = Problem(_("file"), _("This is not an .xlsx workbook that can be read."))
        raise ChecklistError(failure_message(1), [problem]) from error
    try:
        return {
            sheet.title.strip().lower(): _Sheet(sheet.title, list(sheet.iter_rows(values_only=True)))
            for sheet in workbook.worksheets
        }
    finally:
        workbook.close()


def _boolean(text: str) -> bool | None:
    word = text.strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    return None


def read_xlsform(content: bytes) -> Reading:
    """Our format from an XLSForm workbook, with every problem located by sheet, row and column."""
    sheets = _load(content)
    if "survey" not in sheets:
        raise ChecklistError(
            failure_message(1), [Problem(_("workbook"), _("There is no sheet called survey."))]
        )
    return _Reader(sheets["survey"], sheets.get("choices"), sheets.get("settings")).read()


class _Reader:
    def __init__(self, survey: _Sheet, choices: _Sheet | None, settings: _Sheet | None):
        self.survey = survey
        self.choices = choices or _Sheet("choices", [])
        self.settings = settings or _Sheet("settings", [])
        self.label = survey.pick("label")
        self.hint = survey.pick("hint")
        self.choice_label = self.choices.pick("label")
        self.problems: list[Problem] = []
        self.skip: set[Path] = set()
        self.question_rows: list[int] = []
        self.option_rows: list[list[int]] = []
        self.unread: set[str] = set()  # names of rows that could not be read as questions

    def problem(self, sheet: _Sheet, row: int, column: str | None, message: str, skip: Path = ()) -> None:
        self.problems.append(Problem(sheet.where(row, column), message))
        if skip:
            self.skip.add(skip)

    def read(self) -> Reading:
        missing = [c for c in ("type", "name") if c not in self.survey.columns]
        missing += [] if self.label else ["label"]
        for column in missing:
            self.problem(self.survey, 1, None, _("There is no column %(column)s.") % {"column": column})
        questions: list[dict] = []
        if not missing:
            lists = self._choice_lists()
            groups: list[str] = []
            for number, row in self.survey.rows:
                question = self._row(number, row, groups, lists, len(questions))
                if question is not None:
                    questions.append(question)
        else:
            self.skip.add(("questions",))
        first = self.settings.rows[0][1] if self.settings.rows else ()
        definition = {
            "code": self.settings.get(first, "form_id"),
            "name": self.settings.get(first, "form_title"),
            "description": self.settings.get(first, "description"),
            "questions": questions,
        }
        return Reading(definition=definition, locate=self.locate, problems=self.problems, skip=self.skip)

    def _choice_lists(self) -> dict[str, list[tuple[int, dict]]]:
        lists: dict[str, list[tuple[int, dict]]] = {}
        sheet = self.choices
        for number, row in sheet.rows:
            list_name, value = sheet.get(row, "list_name"), sheet.get(row, "name")
            if not list_name:
                self.problem(sheet, number, "list_name", _("This choice has no list_name."))
                continue
            option = {
                "value": value,
                "label": sheet.get(row, self.choice_label),
                "flagged": self._choice_flag(number, row, "flagged"),
                "severity": sheet.get(row, "severity").lower(),
                "negative": self._choice_flag(number, row, "negative"),
            }
            lists.setdefault(list_name, []).append((number, option))
        return lists

    def _choice_flag(self, number: int, row: tuple, column: str) -> bool:
        value = _boolean(self.choices.get(row, column))
        if value is None:
            self.problem(self.choices, number, column, _("Write yes or leave the cell empty."))
        return bool(value)

    def _row(self, number: int, row: tuple, groups: list[str], lists: dict, index: int) -> dict | None:
        sheet = self.survey
        parts = sheet.get(row, "type").split()
        kind = " ".join(parts).lower().replace("_", " ")
        label, name = sheet.get(row, self.label), sheet.get(row, "name")
        if not parts:
            self.problem(sheet, number, "type", _("This row has no type."))
            return None
        if kind == "begin group":
            groups.append(label or name)
            return None
        if kind == "end group":
            if groups:
                groups.pop()
            else:
                self.problem(sheet, number, "type", _("This end_group has no begin_group before it."))
            return None
        if parts[0].lower() in METADATA_TYPES:
            return None
        appearance = sheet.get(row, "appearance").lower()
        kind, list_name = self._type(number, parts, appearance)
        if kind is None:
            self.unread.add(name)
            return None
        path = ("questions", index)
        question = {
            "code": name,
            "section": groups[-1] if groups else "",
            "text": label,
            "type": kind,
            "required": self._required(number, row, path),
            "help_text": sheet.get(row, self.hint),
            "min": None,
            "max": None,
            "show_if": self._show_if(number, row, path),
            "finding": None,
            "options": [],
        }
        self._constraint(number, row, question, path)
        finding = {"none": sheet.get(row, "finding_none"), "some": sheet.get(row, "finding_some")}
        question["finding"] = finding if finding["none"] or finding["some"] else None
        rows: list[int] = []
        if list_name is not None:
            if list_name not in lists:
                message = _("The choices sheet has no list %(list)s.") % {"list": list_name}
                self.problem(sheet, number, "type", message, skip=path + ("options",))
            else:
                rows = [n for n, _o in lists[list_name]]
                question["options"] = [dict(option) for _n, option in lists[list_name]]
            values = sorted(o["value"] for o in question["options"])
            if kind == Question.Type.SINGLE and values == ["no", "yes"]:
                question["type"] = Question.Type.YES_NO
            elif kind == Question.Type.SINGLE and "likert" in appearance:
                question["type"] = Question.Type.RATING
        self.question_rows.append(number)
        self.option_rows.append(rows)
        return question

    def _type(self, number: int, parts: list[str], appearance: str) -> tuple[str | None, str | None]:
        base = parts[0].lower()
        if base in ("select_one", "select_multiple"):
            kind = Question.Type.SINGLE if base == "select_one" else Question.Type.MULTIPLE
            if len(parts) == 2:
                return kind, parts[1]
            if len(parts) == 3 and parts[2].lower() == "or_other":
                message = _(
                    "or_other is not supported: add an “other” choice and a text question shown if it is chosen."
                )
            else:
                message = _("Write the type as %(type)s followed by the name of a list of the choices sheet.")
            self.problem(self.survey, number, "type", message % {"type": base})
            return None, None
        if base in SIMPLE_TYPES and len(parts) == 1:
            kind = SIMPLE_TYPES[base]
            if kind == Question.Type.TEXT and "multiline" in appearance:
                kind = Question.Type.LONG_TEXT
            return kind, None
        message = _(
            "The type “%(type)s” is not supported; use select_one, select_multiple, integer, decimal, "
            "text or time (and begin_group/end_group for sections)."
        )
        self.problem(self.survey, number, "type", message % {"type": " ".join(parts)})
        return None, None

    def _required(self, number: int, row: tuple, path: Path) -> bool:
        value = _boolean(self.survey.get(row, "required"))
        if value is None:
            self.problem(self.survey, number, "required", _("Write yes or leave the cell empty."), path)
        return bool(value)

    def _show_if(self, number: int, row: tuple, path: Path) -> dict | None:
        text = self.survey.get(row, "relevant")
        if not text:
            return None
        match = RELEVANT_EQUALS.match(text) or RELEVANT_SELECTED.match(text)
        if match is None:
            message = _(
                "Only ${question} = 'value' or selected(${question}, 'value') can be read as show-if; "
                "this cannot: %(expression)s"
            )
            self.problem(self.survey, number, "relevant", message % {"expression": text}, path + ("show_if",))
            return None
        if match.group(1) in self.unread:  # already reported where that row is
            self.skip.add(path + ("show_if",))
        return {"question": match.group(1), "equals": match.group(3)}

    def _constraint(self, number: int, row: tuple, question: dict, path: Path) -> None:
        text = self.survey.get(row, "constraint")
        if not text:
            return
        bounds: dict[str, Decimal] = {}
        if question["type"] == Question.Type.NUMBER:
            for part in re.split(r"\s+and\s+", text, flags=re.IGNORECASE):
                match = CONSTRAINT_PART.match(part)
                key = {">=": "min", "<=": "max"}.get(match.group(1)) if match else None
                if key is None or key in bounds:
                    bounds = {}
                    break
                try:
                    bounds[key] = parse_number(Decimal(match.group(2)))
                except ValueError as error:
                    self.problem(self.survey, number, "constraint", str(error), path + (key,))
                    return
        if not bounds:
            message = _(
                "Only a number's bounds can be read as a constraint, as in . >= 0 and . <= 100; this cannot: "
                "%(expression)s"
            )
            self.problem(self.survey, number, "constraint", message % {"expression": text}, path + ("min",))
            return
        question.update(bounds)

    def locate(self, path: Path) -> str:
        """A place in our format -> the sheet, row and column it came from."""
        if not path:
            return _("workbook")
        if path[0] in DEFINITION_COLUMNS:
            return self.settings.where(2, DEFINITION_COLUMNS[path[0]])
        if path[0] != "questions" or len(path) < 2:
            return self.survey.title
        index, field = path[1], (path[2] if len(path) > 2 else None)
        if field == "options" and len(path) > 3 and path[3] < len(self.option_rows[index]):
            option_field = path[4] if len(path) > 4 else None
            column = {"value": "name", "label": self.choice_label}.get(option_field, option_field)
            return self.choices.where(self.option_rows[index][path[3]], column)
        column = {"text": self.label, "help_text": self.hint}.get(field) or QUESTION_COLUMNS.get(field)
        if field == "finding" and len(path) > 3:
            column = f"finding_{path[3]}"
        return self.survey.where(self.question_rows[index], column)


# Writing


def _row(sheet, values: list) -> None:
    """Append a row of plain values: text is text, even when it starts with "=" (no formulas)."""
    cleaned = [ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in values]
    sheet.append(cleaned)
    for cell in sheet[sheet.max_row]:
        if isinstance(cell.value, str) and cell.value.startswith("="):
            cell.data_type = "s"


def _xls_type(question: dict) -> str:
    kind = question["type"]
    if kind in (Question.Type.YES_NO, Question.Type.SINGLE, Question.Type.RATING):
        return f"select_one {question['code']}"
    if kind == Question.Type.MULTIPLE:
        return f"select_multiple {question['code']}"
    return {Question.Type.NUMBER: "decimal", Question.Type.TIME: "time"}.get(kind, "text")


def _relevant(question: dict, types: dict[str, str]) -> str:
    rule = question["show_if"]
    if not rule:
        return ""
    if types.get(rule["question"]) == Question.Type.MULTIPLE:
        return f"selected(${{{rule['question']}}}, '{rule['equals']}')"
    return f"${{{rule['question']}}} = '{rule['equals']}'"


def _constraint(question: dict) -> str:
    parts = []
    if question["min"] is not None:
        parts.append(f". >= {question['min']}")
    if question["max"] is not None:
        parts.append(f". <= {question['max']}")
    return " and ".join(parts)


def write_xlsform(definition: dict) -> bytes:
    """An XLSForm workbook of a checklist in our format; read_xlsform gives the same checklist back."""
    workbook = openpyxl.Workbook()
    survey = workbook.active
    survey.title = "survey"
    choices = workbook.create_sheet("choices")
    settings = workbook.create_sheet("settings")
    for sheet, columns in (
        (survey, SURVEY_COLUMNS),
        (choices, CHOICES_COLUMNS),
        (settings, SETTINGS_COLUMNS),
    ):
        _row(sheet, columns)
        for cell in sheet[1]:
            cell.font = Font(bold=True)
        sheet.freeze_panes = "A2"
    version = definition.get("version")
    _row(
        settings,
        [definition["name"], definition["code"], str(version or ""), definition.get("description", "")],
    )
    types = {q["code"]: q["type"] for q in definition["questions"]}
    section, groups = "", 0
    for question in definition["questions"]:
        if question["section"] != section:
            if section:
                _row(survey, ["end_group"])
            if question["section"]:
                groups += 1
                _row(survey, ["begin_group", f"section_{groups}", question["section"]])
            section = question["section"]
        finding = question.get("finding") or {}
        appearance = {Question.Type.RATING: "likert", Question.Type.LONG_TEXT: "multiline"}
        _row(
            survey,
            [
                _xls_type(question),
                question["code"],
                question["text"],
                question["help_text"],
                "yes" if question["required"] else "",
                _relevant(question, types),
                _constraint(question),
                appearance.get(question["type"], ""),
                finding.get("none", ""),
                finding.get("some", ""),
            ],
        )
        for option in question["options"]:
            flags = [
                "yes" if option["flagged"] else "",
                option["severity"],
                "yes" if option["negative"] else "",
            ]
            _row(choices, [question["code"], option["value"], option["label"], *flags])
    if section:
        _row(survey, ["end_group"])
    for sheet, widths in ((survey, [22, 12, 60, 30]), (choices, [12, 16, 40]), (settings, [30, 16])):
        for index, width in enumerate(widths, 1):
            sheet.column_dimensions[get_column_letter(index)].width = width
    buffer = BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def checklist_to_xlsform(*, version: ChecklistVersion) -> bytes:
    """The version as an XLSForm workbook (.xlsx) that KoboToolbox, ODK and our importer read."""
    return write_xlsform(checklist_to_json(version=version))
