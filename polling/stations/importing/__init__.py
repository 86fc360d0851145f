"""Importing polling stations from the CSV and XLSX files election commissions publish.

The web import (polling.stations.views) and `manage.py import_stations` both go through here:

    with station_upload_table(upload) as table:          # or open_table(file, name)
        mapping = guess_mapping(table.headers)           # or canonical_mapping / a MappingForm
        result = stations_import(mission=mission, table=table, mapping=mapping)

stations_import checks the whole file first and raises StationFileInvalid with every
error (line, column, message) before writing anything.
"""

from polling.stations.importing.errors import RowError, StationFileInvalid, UnreadableFile
from polling.stations.importing.mapping import (
    CANONICAL_HEADER,
    FIELD_LABELS,
    FIELDS,
    Mapping,
    canonical_mapping,
    guess_mapping,
    mapping_with_options,
)
from polling.stations.importing.service import (
    MAX_ERRORS,
    ImportResult,
    mapping_errors,
    stations_check,
    stations_import,
)
from polling.stations.importing.tables import Table, open_table
from polling.stations.importing.uploads import (
    safe_file_name,
    station_upload_create,
    station_upload_discard,
    station_upload_table,
)

__all__ = [
    "CANONICAL_HEADER",
    "FIELDS",
    "FIELD_LABELS",
    "MAX_ERRORS",
    "ImportResult",
    "Mapping",
    "RowError",
    "StationFileInvalid",
    "Table",
    "UnreadableFile",
    "canonical_mapping",
    "guess_mapping",
    "mapping_errors",
    "mapping_with_options",
    "open_table",
    "safe_file_name",
    "station_upload_create",
    "station_upload_discard",
    "station_upload_table",
    "stations_check",
    "stations_import",
]
