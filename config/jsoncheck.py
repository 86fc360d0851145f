"""The one JSON checker: reads a document value by value, records what is wrong under its path.

Each method reads one value, records what is wrong with it under its path, and gives back the value in
the writer's terms (or None when it is wrong or absent). The mission bundle (reports/bundle/checking.py)
and the checklist format (polling/checklists/definition.py) both read with it, so the same mistake is
worded the same way in both."""

import datetime
import uuid
from decimal import Decimal, InvalidOperation

from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from config.problems import Path, json_path

SIX_PLACES = Decimal("0.000001")


class JsonChecker:
    """Collects (path, message) pairs while reading one document."""

    def __init__(self):
        self.problems: list[tuple[Path, str]] = []

    def add(self, path: Path, message: str) -> None:
        self.problems.append((path, message))

    def unknown_keys(self, obj: dict, allowed, path: Path) -> None:
        allowed = set(allowed)
        for key in (key for key in obj if key not in allowed):  # in the document's order
            self.add(path + (str(key),), _("Unknown field “%(key)s”.") % {"key": key})

    def obj(self, value, path: Path, required: tuple, optional: tuple = ()) -> dict | None:
        """`value` if it is an object; every missing required key and every unknown key is an error."""
        if not isinstance(value, dict):
            self.add(path, _("Must be an object with the keys %(keys)s.") % {"keys": ", ".join(required)})
            return None
        for key in required:
            if key not in value:
                self.add(path + (key,), _("This key is missing."))
        self.unknown_keys(value, (*required, *optional), path)
        return value

    def text(self, obj: dict, key: str, path: Path, *, blank=True, max_length=None, null=False, default=""):
        """A string (None when it is absent, null where allowed, or wrong: the error is already recorded)."""
        if key not in obj:
            return default
        value = obj[key]
        if value is None and null:
            return None
        if not isinstance(value, str):
            self.add(path + (key,), _("Must be a string.") if not null else _("Must be a string or null."))
            return None
        if not blank and not value.strip():
            self.add(path + (key,), _("Must not be empty."))
            return None
        if max_length and len(value) > max_length:
            self.add(
                path + (key,),
                _("At most %(limit)d characters (this has %(length)d).")
                % {"limit": max_length, "length": len(value)},
            )
            return None
        return value

    def boolean(self, obj: dict, key: str, path: Path, *, default: bool) -> bool:
        value = obj.get(key, default)
        if not isinstance(value, bool):
            self.add(path + (key,), _("Must be true or false."))
            return default
        return value

    def integer(self, obj: dict, key: str, path: Path, *, low: int, high: int, default=None, null=False):
        if key not in obj:
            return default
        value = obj[key]
        if value is None and null:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            self.add(path + (key,), _("Must be a whole number."))
            return None
        if not low <= value <= high:
            self.add(path + (key,), _("Must be between %(low)s and %(high)s.") % {"low": low, "high": high})
            return None
        return value

    def choice(self, obj: dict, key: str, path: Path, choices, *, default=None):
        if key not in obj:
            return default
        value = obj[key]
        if value not in list(choices):
            shown = value if isinstance(value, str) else repr(value)
            self.add(
                path + (key,),
                _("“%(value)s” is not one of %(choices)s.") % {"value": shown, "choices": ", ".join(choices)},
            )
            return None
        return value

    def date(self, obj: dict, key: str, path: Path) -> datetime.date | None:
        value = obj.get(key)
        if key not in obj:
            return None
        try:
            if not isinstance(value, str) or len(value) != 10:
                raise ValueError
            return datetime.date.fromisoformat(value)
        except ValueError:
            self.add(path + (key,), _("Must be a date as YYYY-MM-DD."))
            return None

    def moment(self, obj: dict, key: str, path: Path, *, null=False) -> datetime.datetime | None:
        if key not in obj or (obj[key] is None and null):
            return None
        value = obj[key]
        parsed = None
        if isinstance(value, str):
            try:
                parsed = parse_datetime(value)
            except ValueError:
                parsed = None
        if parsed is None or parsed.tzinfo is None:
            self.add(
                path + (key,),
                _("Must be a date and time in ISO 8601 with its UTC offset, e.g. 2024-02-07T07:55:00Z."),
            )
            return None
        return parsed.astimezone(datetime.UTC)

    def uuid(self, obj: dict, key: str, path: Path, *, null=False) -> uuid.UUID | None:
        if key not in obj or (obj[key] is None and null):
            return None
        value = obj[key]
        try:
            if not isinstance(value, str):
                raise ValueError
            return uuid.UUID(value)
        except ValueError:
            self.add(path + (key,), _("Must be a UUID, e.g. 6f1c2d4e-8b1a-4c1e-9d7a-0a1b2c3d4e5f."))
            return None

    def items(self, data: dict, key: str) -> list:
        value = data.get(key)
        if key in data and not isinstance(value, list):
            self.add((key,), _("Must be a list."))
            return []
        return value or []

    def coordinate(self, obj: dict, key: str, path: Path, limit: int) -> Decimal | None:
        value = obj.get(key)
        if value is None:
            return None
        number = None
        if not isinstance(value, bool) and isinstance(value, int | float | Decimal):
            try:
                number = Decimal(str(value))
            except InvalidOperation:
                number = None
        if number is None or not number.is_finite():
            self.add(path + (key,), _("Must be a number or null."))
            return None
        if not -limit <= number <= limit:
            self.add(path + (key,), _("Must be between -%(limit)s and %(limit)s.") % {"limit": limit})
            return None
        if number != number.quantize(SIX_PLACES):
            self.add(path + (key,), _("Use at most six decimals."))
            return None
        return number


def duplicate(check: JsonChecker, seen: dict, key, path: Path, message: str) -> bool:
    """Record `key` as seen at `path`; when it was already seen, add `message` naming the first place."""
    first = seen.setdefault(key, path)
    if first != path:
        check.add(path, message + " " + _("(also at %(first)s)") % {"first": json_path(first)})
        return True
    return False
