"""Importing a checklist: our JSON format, an XLSForm, or a Vote Monitor (code4ro) form.

Every reader turns its file into our format plus a way to name places in the file; one function then
checks and writes it. Nothing is written unless the whole file is right, and every problem is listed
with its place, so a file is fixed in one round.
"""

import hashlib
import json
from collections.abc import Callable, Collection
from typing import IO

from django.db import transaction
from django.utils.translation import gettext as _

from missions.audit_trail import audit_record, diff
from missions.models import Mission
from polling.models import Checklist

from . import votemonitor, xlsform
from .definition import checklist_to_json, clean_definition
from .editing import _audit_checklist, _checklist_code_taken, _checklist_new, _checklist_state, version_fill
from .errors import ChecklistError, Path, Problem, failure_message

FORMATS = ("json", "xlsform", "votemonitor")


def json_path(path: Path) -> str:
    """("questions", 3, "options", 1, "value") -> "questions[3].options[1].value"."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _under(path: Path, prefixes: Collection[Path]) -> bool:
    return any(path[: len(prefix)] == prefix for prefix in prefixes)


@transaction.atomic
def checklist_from_definition(
    *,
    mission: Mission,
    data,
    locate: Callable[[Path], str] = json_path,
    problems: Collection[Problem] = (),
    skip: Collection[Path] = (),
    code: str = "",
    name: str = "",
    user=None,
    failure: str = "",
) -> Checklist:
    """Check `data` (our format) and write it as a new checklist of `mission`, or write nothing.

    `problems` are those the reader found in its file already; validation problems under a path in
    `skip` are left out because the reader has reported the same place. `code` and `name`, when given,
    replace the file's own.
    """
    if isinstance(data, dict):
        data = {**data, **({"code": code} if code else {}), **({"name": name} if name else {})}
    clean, found = clean_definition(data)
    all_problems = list(problems)
    all_problems += [
        Problem(locate(path), message, path) for path, message in found if not _under(path, skip)
    ]
    if clean.get("code") and mission.checklists.filter(code=clean["code"]).exists():
        where = _("code") if code else locate(("code",))
        all_problems.append(Problem(where, _checklist_code_taken(clean["code"]), ("code",)))
    if all_problems:
        raise ChecklistError(failure or failure_message(len(all_problems)), all_problems)
    checklist = _checklist_new(
        mission=mission, code=clean["code"], name=clean["name"], description=clean["description"], user=user
    )
    version_fill(version=checklist.current_version, questions=clean["questions"])
    return checklist


def _json_load(content: bytes | str):
    if isinstance(content, bytes):
        try:
            content = content.decode("utf-8-sig")
        except UnicodeDecodeError as error:
            where = _("byte %(position)d") % {"position": error.start}
            raise ChecklistError(
                failure_message(1), [Problem(where, _("The file is not UTF-8 text."))]
            ) from error
    try:
        return json.loads(content)
    except json.JSONDecodeError as error:
        where = _("line %(line)d, column %(column)d") % {"line": error.lineno, "column": error.colno}
        message = _("Not valid JSON: %(reason)s.") % {"reason": error.msg}
        raise ChecklistError(failure_message(1), [Problem(where, message)]) from error


def checklist_from_json(
    *, mission: Mission, data: dict | bytes | str, code: str = "", name: str = "", user=None
) -> Checklist:
    """Import a checklist written in our format (a dict, or the file's bytes)."""
    if isinstance(data, bytes | str):
        data = _json_load(data)
    return checklist_from_definition(mission=mission, data=data, code=code, name=name, user=user)


def checklist_from_xlsform(
    *, mission: Mission, file: bytes | IO[bytes], code: str = "", name: str = "", user=None
) -> Checklist:
    """Import an XLSForm (.xlsx with survey, choices and settings sheets)."""
    content = file if isinstance(file, bytes) else file.read()
    reading = xlsform.read_xlsform(content)
    return checklist_from_definition(
        mission=mission,
        data=reading.definition,
        locate=reading.locate,
        problems=reading.problems,
        skip=reading.skip,
        code=code,
        name=name,
        user=user,
    )


def checklist_from_votemonitor(
    *, mission: Mission, data: dict | bytes | str, code: str = "", name: str = "", user=None
) -> Checklist:
    """Import a Vote Monitor (code4ro) form, converted as docs/checklist-format.md describes."""
    if isinstance(data, bytes | str):
        data = _json_load(data)
    reading = votemonitor.votemonitor_to_definition(data)
    return checklist_from_definition(
        mission=mission,
        data=reading.definition,
        locate=reading.locate,
        problems=reading.problems,
        skip=reading.skip,
        code=code,
        name=name,
        user=user,
    )


def detect_format(filename: str, content: bytes) -> str:
    """xlsform for a spreadsheet, votemonitor for JSON with formSections, json otherwise."""
    if filename.lower().endswith((".xlsx", ".xlsm")) or content[:4] == b"PK\x03\x04":
        return "xlsform"
    try:
        data = json.loads(content.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        return "json"  # and the JSON reader says what is wrong with it
    return "votemonitor" if votemonitor.looks_like_votemonitor(data) else "json"


def checklist_import(
    *,
    mission: Mission,
    content: bytes,
    filename: str = "",
    format: str = "",  # noqa: A002 - the word the command line and the form use
    code: str = "",
    name: str = "",
    user=None,
    request=None,
) -> Checklist:
    """Import a file in any of FORMATS; an empty `format` is detected from the name and content."""
    kind = format or detect_format(filename, content)
    if kind not in FORMATS:
        raise ChecklistError(_("Unknown format %(format)s.") % {"format": kind})
    with transaction.atomic():
        if kind == "xlsform":
            checklist = checklist_from_xlsform(mission=mission, file=content, code=code, name=name, user=user)
        elif kind == "votemonitor":
            checklist = checklist_from_votemonitor(
                mission=mission, data=content, code=code, name=name, user=user
            )
        else:
            checklist = checklist_from_json(mission=mission, data=content, code=code, name=name, user=user)
        audit_record(
            action="checklist.import",
            actor=user,
            mission=mission,
            target=checklist,
            changes={
                "format": [None, kind],
                "file_name": [None, filename],
                "sha256": [None, hashlib.sha256(content).hexdigest()],
                "code": [None, checklist.code],
                "name": [None, checklist.name],
                "questions": [None, checklist.current_version.questions.count()],
            },
            request=request,
        )
    return checklist


@transaction.atomic
def checklist_copy(
    *, source: Checklist, mission: Mission, code: str = "", name: str = "", user=None, request=None
) -> Checklist:
    """Copy the current version of `source` into `mission` as a new checklist (version 1)."""
    if source.current_version is None:
        raise ChecklistError(_("That checklist has no questions to copy."))
    definition = checklist_to_json(version=source.current_version)
    checklist = checklist_from_definition(
        mission=mission,
        data=definition,
        code=code,
        name=name,
        user=user,
        failure=_("The checklist was not copied."),
    )
    _audit_checklist(
        "checklist.copy",
        checklist,
        {
            **diff({}, _checklist_state(checklist)),
            "source": [None, f"{source.mission.code}/{source.code} v{source.current_version.number}"],
            "questions": [None, len(definition["questions"])],
        },
        user=user,
        request=request,
    )
    return checklist
