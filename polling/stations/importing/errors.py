"""What can go wrong with a station file, in the words shown to the person importing it."""

from dataclasses import dataclass

from django.utils.translation import gettext as _


@dataclass(frozen=True, order=True)
class RowError:
    """One problem in the file: `line` as an editor shows it (the header is line 1), `column` as its header."""

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


class UnreadableFile(Exception):
    """The file is not a CSV or XLSX station list at all; the message is shown to the user."""


class StationFileInvalid(Exception):
    """The file has errors, so nothing was imported.

    `errors` holds at most MAX_ERRORS entries in line order; `error_count` counts all of them.
    """

    def __init__(self, errors: list[RowError], error_count: int, row_count: int):
        super().__init__(f"{error_count} errors in the station file")
        self.errors = errors
        self.error_count = error_count
        self.row_count = row_count
