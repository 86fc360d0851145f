"""One row of a station file turned into the values of a polling station, or into errors."""

from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from typing import NamedTuple

from django.utils.translation import gettext as _

from missions.models import AREA_LEVEL_SEPARATOR
from polling.models import Area, PollingStation
from polling.stations.importing.errors import RowError
from polling.stations.importing.mapping import CODE_SEPARATOR, Mapping

SIX_PLACES = Decimal("0.000001")
MAX_VOTERS = 2_147_483_647  # PositiveIntegerField on PostgreSQL


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


CODE_MAX = _max_length(PollingStation, "code")
NAME_MAX = _max_length(PollingStation, "name")
ADDRESS_MAX = _max_length(PollingStation, "address")
AREA_NAME_MAX = _max_length(Area, "name")
AREA_PATH_MAX = _max_length(Area, "path")


class Station(NamedTuple):
    code: str
    name: str
    address: str
    area: tuple[str, ...]  # names from the largest level down; () when the file has no area
    latitude: Decimal | None
    longitude: Decimal | None
    registered_voters: int | None


def _unwrap(value: str) -> str:
    """'"0001"' -> '0001': lists converted from R or Excel sometimes keep a literal pair of quotes."""
    if len(value) >= 2 and value[0] == '"' and value[-1] == '"':
        return value[1:-1].strip()
    return value


def _shown(value: str) -> str:
    return value if len(value) <= 40 else value[:39] + "…"


class RowCleaner:
    """Checks and converts rows under one mapping; `level_names` are the mission's area levels (may be []).

    Built once per import: the column positions and header names are looked up here, not per row.
    """

    def __init__(self, mapping: Mapping, headers: list[str], *, level_names: list[str]):
        self.width = len(headers)
        self.code = [(position, headers[position]) for position in mapping.code]
        self.area = [(position, headers[position]) for position in mapping.area]
        self.area_header = " > ".join(header for _position, header in self.area)
        self.level_names = level_names

        def single(position):
            return None if position is None else (position, headers[position])

        self.name = single(mapping.name)
        self.address = single(mapping.address)
        self.latitude = single(mapping.latitude)
        self.longitude = single(mapping.longitude)
        self.voters = single(mapping.registered_voters)

    def clean(self, line: int, cells: list[str], errors: list[RowError]) -> Station:
        """The station on this row; every problem of the row is appended to `errors`.

        A row with errors still gives a Station (with empty or None values where they were bad) so the
        caller can catch duplicate codes on rows that also have other problems.
        """
        if len(cells) > self.width and any(cells[self.width :]):
            errors.append(RowError(line, "", self._ragged_message(len(cells))))
        if any(
            "\x00" in value for value in cells
        ):  # PostgreSQL text cannot store it: list it, check the rest
            errors.append(RowError(line, "", _("Remove the NUL character (\\u0000): text cannot hold it.")))
            cells = [value.replace("\x00", "") for value in cells]

        def cell(position: int) -> str:
            return _unwrap(cells[position]) if position < len(cells) else ""

        code = self._code(line, cell, errors)
        name = self._text(line, self.name, cell, NAME_MAX, errors, required=True)
        address = self._text(line, self.address, cell, ADDRESS_MAX, errors, required=False)
        area = self._area(line, cell, errors)
        before_coordinates = len(errors)
        latitude = self._coordinate(line, self.latitude, cell, _("latitude"), 90, errors)
        longitude = self._coordinate(line, self.longitude, cell, _("longitude"), 180, errors)
        if (latitude is None) != (longitude is None) and len(errors) == before_coordinates:
            missing = self.longitude if latitude is not None else self.latitude
            errors.append(
                RowError(
                    line, missing[1] if missing else "", _("Give both latitude and longitude, or neither.")
                )
            )
        voters = self._voters(line, cell, errors)
        return Station(code, name, address, area, latitude, longitude, voters)

    def _ragged_message(self, cells: int) -> str:
        return _(
            "This row has %(cells)s cells but the header has %(columns)s columns: "
            "is a value containing the delimiter missing its quotes?"
        ) % {"cells": cells, "columns": self.width}

    def _code(self, line, cell, errors) -> str:
        parts = []
        for position, header in self.code:
            value = cell(position)
            if not value:
                errors.append(RowError(line, header, _("The code is empty.")))
                return ""
            parts.append(value)
        code = CODE_SEPARATOR.join(parts)
        if len(code) > CODE_MAX:
            errors.append(
                RowError(
                    line,
                    self.code[-1][1],
                    _("The code is longer than %(max)s characters.") % {"max": CODE_MAX},
                )
            )
        return code

    @staticmethod
    def _text(line, column, cell, max_length, errors, *, required) -> str:
        if column is None:
            return ""
        value = cell(column[0])
        if required and not value:
            errors.append(RowError(line, column[1], _("This value is required and is empty.")))
        elif len(value) > max_length:
            errors.append(
                RowError(line, column[1], _("This is longer than %(max)s characters.") % {"max": max_length})
            )
        return value

    def _area(self, line, cell, errors) -> tuple[str, ...]:
        """Area names from the largest level down; empty cells are skipped, a cell may hold "A > B"."""
        names: list[str] = []
        for position, header in self.area:
            for part in cell(position).split(">"):
                name = " ".join(part.split())
                if not name:
                    continue
                if len(name) > AREA_NAME_MAX:
                    errors.append(
                        RowError(
                            line,
                            header,
                            _("An area name is longer than %(max)s characters.") % {"max": AREA_NAME_MAX},
                        )
                    )
                names.append(name)
        if self.level_names and len(names) > len(self.level_names):
            errors.append(
                RowError(
                    line,
                    self.area_header,
                    _("The area has %(depth)s levels but the mission has %(levels)s (%(names)s).")
                    % {
                        "depth": len(names),
                        "levels": len(self.level_names),
                        "names": AREA_LEVEL_SEPARATOR.join(self.level_names),
                    },
                )
            )
        elif len(AREA_LEVEL_SEPARATOR.join(names)) > AREA_PATH_MAX:
            errors.append(
                RowError(
                    line,
                    self.area_header,
                    _("The area path is longer than %(max)s characters.") % {"max": AREA_PATH_MAX},
                )
            )
        return tuple(names)

    @staticmethod
    def _coordinate(line, column, cell, what, limit, errors) -> Decimal | None:
        if column is None:
            return None
        value = cell(column[0])
        if not value:
            return None
        text = value.replace(",", ".") if "," in value and "." not in value else value
        try:
            number = Decimal(text)
        except InvalidOperation:
            number = None
        if number is None or not number.is_finite():
            errors.append(
                RowError(
                    line,
                    column[1],
                    _("The %(what)s “%(value)s” is not a number.") % {"what": what, "value": _shown(value)},
                )
            )
            return None
        if not -limit <= number <= limit:
            errors.append(
                RowError(
                    line,
                    column[1],
                    _("The %(what)s %(value)s is out of range: it must be between -%(limit)s and %(limit)s.")
                    % {"what": what, "value": _shown(value), "limit": limit},
                )
            )
            return None
        return number.quantize(SIX_PLACES, rounding=ROUND_HALF_UP)

    def _voters(self, line, cell, errors) -> int | None:
        if self.voters is None:
            return None
        value = cell(self.voters[0])
        if not value:
            return None
        if not (value.isascii() and value.isdigit()) or int(value) > MAX_VOTERS:
            errors.append(
                RowError(
                    line,
                    self.voters[1],
                    _("“%(value)s” is not a number of voters (a whole number, 0 or more).")
                    % {"value": _shown(value)},
                )
            )
            return None
        return int(value)
