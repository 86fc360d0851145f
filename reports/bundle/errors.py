"""The format's name and keys, the one exception an import raises, and how a place in a bundle is written."""

import json
import re

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

# A place in the bundle as the checker walks it: ("visits", 12, "answers", "A3").
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


class BundleInvalid(Exception):
    """The bundle cannot be imported; nothing was written. `errors` lists every problem found, in the
    order of the document, as (JSON path, message) pairs, so the file can be fixed in one go."""

    def __init__(self, errors: list[tuple[str, str]]):
        self.errors = list(errors)
        super().__init__(f"{len(self.errors)} error(s) in the mission bundle")

    def lines(self) -> list[str]:
        return [f"{path}: {message}" for path, message in self.errors]
