"""Which column of a station file holds which field of a polling station.

Election commissions never publish two lists in the same layout, so the importer
reads any layout through a Mapping: a column for each field, several columns for
the area (largest level first, joined into the path "State > LGA > Ward") and, when
station numbers repeat across places (Poland numbers them per municipality), several
columns for the code (joined with "/", e.g. "020101/1").

The canonical layout needs no mapping: code,name,address,area,latitude,longitude,registered_voters
"""

import re
from dataclasses import dataclass, field

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

CANONICAL_HEADER = "code,name,address,area,latitude,longitude,registered_voters"
SINGLE_FIELDS = ("name", "address", "latitude", "longitude", "registered_voters")
FIELDS = ("code", "name", "address", "area", "latitude", "longitude", "registered_voters")
REQUIRED_FIELDS = ("code", "name")
CODE_SEPARATOR = "/"

FIELD_LABELS = {
    "code": gettext_lazy("Code"),
    "name": gettext_lazy("Name"),
    "address": gettext_lazy("Address"),
    "area": gettext_lazy("Area"),
    "latitude": gettext_lazy("Latitude"),
    "longitude": gettext_lazy("Longitude"),
    "registered_voters": gettext_lazy("Registered voters"),
}

# Header names seen in published lists, normalised by _key(); the first that matches wins.
SYNONYMS = {
    "code": ["code", "station_code", "ps_code", "polling_station_code", "delimitation", "number", "nr", "no",
             "qvkod", "polling_place_id", "pu_code"],
    "name": ["name", "station_name", "polling_station_name", "pu_name", "polling_place_name", "polling_station",
             "vendndodhja", "nazwa"],
    "address": ["address", "station_address", "polling_place_address", "adres", "adresa", "geocoded_address"],
    "latitude": ["latitude", "lat"],
    "longitude": ["longitude", "lon", "lng", "long"],
    "registered_voters": ["registered_voters", "voters", "registered", "electors", "elector_count",
                          "number_of_voters", "zgjedhes"],
}  # fmt: skip
# Area hierarchies seen in published lists, largest level first.
AREA_SYNONYMS = [
    ["area"],
    ["state_name", "lga_name", "ward_name"],
    ["state", "lga", "ward"],
    ["qarku", "bashkia", "njesiaadministrative"],
    ["region", "district", "municipality"],
    ["province", "county", "municipality"],
]
_LEVEL_HEADER = re.compile(r"^level_?(\d+)$")


def _key(header: str) -> str:
    return re.sub(r"[^0-9a-z]+", "_", header.strip().lower()).strip("_")


@dataclass(frozen=True)
class Mapping:
    """Column positions (0-based) in the file for each field; None or () when the file lacks it."""

    code: tuple[int, ...] = ()
    name: int | None = None
    address: int | None = None
    latitude: int | None = None
    longitude: int | None = None
    registered_voters: int | None = None
    area: tuple[int, ...] = field(default=())

    def columns(self, field_name: str) -> tuple[int, ...]:
        value = getattr(self, field_name)
        if isinstance(value, tuple):
            return value
        return () if value is None else (value,)

    def describe(self, headers: list[str]) -> list[tuple[str, str]]:
        """(field label, the column or columns it comes from) for every mapped field, to show or print."""
        joiner = {"area": " > ", "code": " + "}
        return [
            (str(FIELD_LABELS[name]), joiner.get(name, "").join(headers[i] for i in self.columns(name)))
            for name in FIELDS
            if self.columns(name)
        ]


def canonical_mapping(headers: list[str]) -> Mapping:
    """The mapping of a file in the canonical layout: headers named exactly like the fields (any case)."""
    by_key = {header.strip().lower(): position for position, header in enumerate(headers)}
    values = {name: by_key.get(name) for name in SINGLE_FIELDS}
    code, area = by_key.get("code"), by_key.get("area")
    return Mapping(
        code=() if code is None else (code,),
        area=() if area is None else (area,),
        **values,
    )


def guess_mapping(headers: list[str]) -> Mapping:
    """A first guess for the mapping form, from header names seen in published lists."""
    keys = [_key(header) for header in headers]

    def find(candidates: list[str]) -> int | None:
        for candidate in candidates:
            if candidate in keys:
                return keys.index(candidate)
        return None

    values = {name: find(SYNONYMS[name]) for name in SINGLE_FIELDS}
    if values["name"] is None:
        values["name"] = values["address"]  # Vote Monitor and Polish lists name a station by its address
    code = find(SYNONYMS["code"])
    return Mapping(code=() if code is None else (code,), area=_guess_area(keys), **values)


def _guess_area(keys: list[str]) -> tuple[int, ...]:
    for hierarchy in AREA_SYNONYMS:
        found = tuple(keys.index(level) for level in hierarchy if level in keys)
        if found:
            return found
    levels = sorted(
        (int(match[1]), position) for position, key in enumerate(keys) if (match := _LEVEL_HEADER.match(key))
    )
    return tuple(position for _number, position in levels)


def mapping_with_options(
    headers: list[str],
    base: Mapping,
    *,
    assignments: list[str] = (),
    area_columns: str | None = None,
    code_columns: str | None = None,
) -> Mapping:
    """`base` changed by command-line options: FIELD=HEADER (empty HEADER: ignore the field), H1,H2,...

    Raises ValueError with a message naming the unknown field or header.
    """
    positions = {header.lower(): position for position, header in enumerate(headers)}

    def position_of(header: str) -> int:
        try:
            return positions[header.strip().lower()]
        except KeyError:
            raise ValueError(
                _("The file has no column “%(header)s”. Its columns are: %(headers)s.")
                % {"header": header, "headers": ", ".join(headers)}
            ) from None

    def positions_of(spec: str) -> tuple[int, ...]:
        return tuple(position_of(header) for header in spec.split(",") if header.strip())

    values = {name: base.columns(name) for name in FIELDS}
    for assignment in assignments:
        name, sep, header = assignment.partition("=")
        name = name.strip().lower()
        if not sep or name not in FIELDS:
            raise ValueError(
                _("Write --map FIELD=HEADER where FIELD is one of %(fields)s.")
                % {"fields": ", ".join(FIELDS)}
            )
        values[name] = (position_of(header),) if header.strip() else ()
    if area_columns is not None:
        values["area"] = positions_of(area_columns)
    if code_columns is not None:
        values["code"] = positions_of(code_columns)
    singles = {name: (values[name][0] if values[name] else None) for name in SINGLE_FIELDS}
    return Mapping(code=values["code"], area=values["area"], **singles)
