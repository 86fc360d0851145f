"""The one exception the checklist services raise, and where in a file a problem is."""

from collections.abc import Callable
from dataclasses import dataclass, field

from django.utils.translation import ngettext

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with a checklist, located for the person who has to fix it.

    `where` is what the user reads: a JSON path (`questions[3].options[1].value`) or a spreadsheet
    cell (`survey, row 5, column relevant`). `path` is the same place in our own format, so a form
    can put the message next to the field it belongs to.
    """

    where: str
    message: str
    path: Path = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


class ChecklistError(Exception):
    """A checklist change or import that cannot be made; the message is shown to the user.

    An import that fails carries every problem found, so the file can be fixed in one go.
    """

    def __init__(self, message: str, problems: list[Problem] | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return self.message


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
