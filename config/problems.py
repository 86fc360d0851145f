"""One way to say what is wrong: a located problem, a row error, and the base of every user-facing error.

Every error a person can fix (a file to import, a form, a bundle, a filing) is a `UserError`: its
`message` is shown as it is, and `problems` locate each thing to fix, by a path into a JSON document
(`json_path`), a row and column of a file (`RowError`), or a spreadsheet cell. Views and commands show
`str(error)` and, where there are any, the problems; the API turns them into its JSON errors.
"""

import json
import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _

# A place in a JSON document as a checker walks it: ("visits", 12, "answers", "A3").
Path = tuple[str | int, ...]

_PLAIN_KEY = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def json_path(path: Path) -> str:
    """("visits", 12, "answers", "A3") -> '$.visits[12].answers.A3'; keys that are not plain words are
    quoted ('$.visits[0].answers["1.2"]') so a question code with a dot cannot read as two keys."""
    parts = ["$"]
    for part in path:
        if isinstance(part, int):
            parts.append(f"[{part}]")
        elif _PLAIN_KEY.match(part):
            parts.append(f".{part}")
        else:
            parts.append(f"[{json.dumps(part, ensure_ascii=False)}]")
    return "".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong, located for the person who has to fix it.

    `where` is what the user reads: a JSON path (`questions[3].options[1].value`) or a spreadsheet
    cell (`survey, row 5, column relevant`). `path` is the same place in our own format, so a form
    can put the message next to the field it belongs to.
    """

    where: str
    message: str
    path: Path = field(default=(), compare=False)

    def __str__(self) -> str:
        return f"{self.where}: {self.message}" if self.where else self.message


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in a file of rows: `line` as an editor shows it (the header is line 1), `column` as its
    header (empty when the whole row is wrong)."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if self.column:
            return _("line %(line)s, column “%(column)s”: %(message)s") % {
                "line": self.line,
                "column": self.column,
                "message": self.message,
            }
        return _("line %(line)s: %(message)s") % {"line": self.line, "message": self.message}


class UserError(Exception):
    """Something the user asked cannot be done, for a reason they can fix; nothing was changed.

    `message` is shown as it is; `problems` (Problem or RowError) locate each thing to fix.
    """

    def __init__(self, message: str = "", problems: list | None = None):
        super().__init__(message)
        self.message = message
        self.problems = list(problems or [])

    def __str__(self) -> str:
        return self.message
