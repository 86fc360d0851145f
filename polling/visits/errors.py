"""The domain exceptions of filing: the JSON views turn each into one status code."""

from django.utils.translation import gettext as _

from config.problems import UserError

Errors = dict[str, list[str]]


class FilingError(UserError):
    """A visit or incident that cannot be stored; the message is shown to the observer."""


class VisitInvalid(FilingError):
    """The content does not pass validation (400); `errors` maps a field or question code to messages."""

    def __init__(self, errors: Errors):
        super().__init__(_("The visit could not be saved: please correct the marked answers."))
        self.errors = errors


class VisitConflict(FilingError):
    """The UUID is taken by other content, or the visit moved on since the edit began (409)."""


class VisitLocked(VisitConflict):
    """The visit can no longer change: reviewed, or the mission is closed (409 on an edit)."""


class VisitForbidden(FilingError):
    """This member may not do this (403): e.g. filing in a closed mission, correcting another team's visit."""
