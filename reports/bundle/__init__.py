"""The mission bundle: a whole mission as one JSON file, to archive it, move it between servers or load
test data (docs/mission-bundle.md).

    bundle = mission_export(mission)        # plain JSON types; bundle_dumps(bundle) is the file's text
    mission = mission_import(bundle)        # BundleInvalid(errors) when anything is wrong, nothing written
"""

from .errors import FORMAT, TOP_KEYS, BundleInvalid, json_path
from .exporting import bundle_dumps, mission_export
from .importing import mission_import

__all__ = [
    "FORMAT",
    "TOP_KEYS",
    "BundleInvalid",
    "bundle_dumps",
    "json_path",
    "mission_export",
    "mission_import",
]
