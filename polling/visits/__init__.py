"""Filing visits and incidents on election day: validation, duplicate-safe storage, corrections, review.

The filing page (and any other tool) sends a visit as JSON (docs/visit-api.md). Everything hangs on the
UUID the browser generates when the form is opened and on a hash of the visit's canonical content:

- the same UUID with the same content (that of the first submission or of any later revision) is a
  duplicate: nothing is written and the stored visit is returned;
- the same UUID with other content is a conflict: nothing is written;
- a correction is a new revision, kept with who, when, through which channel and what changed.

Fields the client does not own (mission, observer, team, review status, revision) are never read from the
payload: the caller passes the mission and the member, and the team is the member's.

- errors.py: the domain exceptions;
- validation.py: a checklist version as the validator sees it (cached), the rules, the canonical content;
- filing.py: who may do what, filing, correcting and reviewing visits;
- incidents.py: reporting incidents.
"""

from polling.visits.errors import (
    Errors,
    FilingError,
    VisitConflict,
    VisitForbidden,
    VisitInvalid,
    VisitLocked,
)
from polling.visits.filing import (
    can_edit_visit,
    can_review_visit,
    filing_access,
    visit_flag_follow_up,
    visit_lock_reason,
    visit_mark_reviewed,
    visit_submit,
    visit_update,
)
from polling.visits.incidents import incident_report
from polling.visits.validation import (
    ANSWER_CHANGE_PREFIX,
    OptionSpec,
    QuestionSpec,
    VersionSpec,
    Window,
    answer_rows,
    answer_values,
    build_content,
    canonical_json,
    clean_fields,
    clean_time,
    content_changes,
    content_hash,
    decimal_str,
    parse_uuid,
    shown_questions,
    spec_from_definition,
    validate_answers,
    version_spec,
)

__all__ = [
    "ANSWER_CHANGE_PREFIX",
    "Errors",
    "FilingError",
    "OptionSpec",
    "QuestionSpec",
    "VersionSpec",
    "VisitConflict",
    "VisitForbidden",
    "VisitInvalid",
    "VisitLocked",
    "Window",
    "answer_rows",
    "answer_values",
    "build_content",
    "canonical_json",
    "can_edit_visit",
    "can_review_visit",
    "clean_fields",
    "clean_time",
    "content_changes",
    "content_hash",
    "decimal_str",
    "incident_report",
    "filing_access",
    "parse_uuid",
    "shown_questions",
    "spec_from_definition",
    "validate_answers",
    "version_spec",
    "visit_flag_follow_up",
    "visit_lock_reason",
    "visit_mark_reviewed",
    "visit_submit",
    "visit_update",
]
