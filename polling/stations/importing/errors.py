"""What can go wrong with a station file, in the words shown to the person importing it."""

from config.problems import RowError, UserError

__all__ = ["RowError", "StationFileInvalid", "UnreadableFile"]


class UnreadableFile(UserError):
    """The file is not a CSV or XLSX station list at all; the message is shown to the user."""


class StationFileInvalid(UserError):
    """The file has errors, so nothing was imported.

    `errors` holds at most MAX_ERRORS entries in line order; `error_count` counts all of them.
    """

    def __init__(self, errors: list[RowError], error_count: int, row_count: int):
        super().__init__(f"{error_count} errors in the station file", errors)
        self.errors = errors
        self.error_count = error_count
        self.row_count = row_count
