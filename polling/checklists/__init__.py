"""Checklists for the secretariat: building, versioning, copying, importing and exporting them.

Views and commands call the functions here; none of them writes checklist models directly.
Every failure is a ChecklistError whose message (and, for an import, located problems) is for the user.

- definition: our JSON format, checked by one function every way in goes through
- editing: the builder's writes, copy-on-write versions, copying from another mission
- importing: our JSON, XLSForm and Vote Monitor files -> a new checklist, atomically
- xlsform, votemonitor: reading (and for XLSForm writing) the other formats
"""

from .definition import FORMAT, checklist_to_json, finding_problems
from .editing import (
    checklist_code_problem,
    checklist_create,
    checklist_delete,
    checklist_editable_version,
    checklist_update,
    checklists_copyable_by,
    question_delete,
    question_move,
    question_save,
)
from .errors import ChecklistError, Problem
from .importing import (
    FORMATS,
    checklist_copy,
    checklist_from_json,
    checklist_from_votemonitor,
    checklist_from_xlsform,
    checklist_import,
    detect_format,
)
from .xlsform import checklist_to_xlsform

__all__ = [
    "FORMAT",
    "FORMATS",
    "ChecklistError",
    "Problem",
    "checklist_code_problem",
    "checklist_copy",
    "checklist_create",
    "checklist_delete",
    "checklist_editable_version",
    "checklist_from_json",
    "checklist_from_votemonitor",
    "checklist_from_xlsform",
    "checklist_import",
    "checklist_to_json",
    "checklist_to_xlsform",
    "checklist_update",
    "checklists_copyable_by",
    "detect_format",
    "finding_problems",
    "question_delete",
    "question_move",
    "question_save",
]
