"""The one exception the checklist services raise, and where in a file a problem is."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import ngettext

from config.problems import Path, Problem, UserError

__all__ = ["ChecklistError", "Path", "Problem", "Reading", "failure_message"]


class ChecklistError(UserError):
    """A checklist change or import that cannot be made; the message is shown to the user.

    An import that fails carries every problem found (`problems`, each a Problem), so the file can be
    fixed in one go.
    """


@dataclass
class Reading:
    """A file read into our format: the definition, how to name places in the file, what was wrong.

    `skip` holds paths (in our format) whose problems the reader has reported already, in the file's
    own terms; validation problems under them would only repeat those.
    """

    definition: dict
    locate: Callable[[Path], str]
    problems: list[Problem] = field(default_factory=list)
    skip: set[Path] = field(default_factory=set)


def failure_message(count: int) -> str:
    return ngettext(
        "The checklist was not imported: %(count)d problem.",
        "The checklist was not imported: %(count)d problems.",
        count,
    ) % {"count": count}
