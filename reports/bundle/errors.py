"""The format's name and keys, the one exception an import raises, and how a place in a bundle is written."""

from config.problems import Path, Problem, UserError, json_path

__all__ = ["FORMAT", "TOP_KEYS", "BundleInvalid", "Path", "json_path"]

FORMAT = "observa.mission/1"
TOP_KEYS = (
    "format",
    "mission",
    "members",
    "teams",
    "stations",
    "checklists",
    "meetings",
    "visits",
    "incidents",
)


class BundleInvalid(UserError):
    """The bundle cannot be imported; nothing was written. `errors` lists every problem found, in the
    order of the document, as (JSON path, message) pairs, so the file can be fixed in one go."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__(
            f"{len(self.errors)} error(s) in the mission bundle",
            [Problem(where, message) for where, message in self.errors],
        )

    def lines(self) -> list[str]:
        return [f"{path}: {message}" for path, message in self.errors]
