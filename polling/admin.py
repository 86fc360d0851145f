"""The polling app's admin: each feature keeps its admin classes in its own admin.py."""

from polling.checklists import admin as checklists_admin  # noqa: F401
from polling.stations import admin as stations_admin  # noqa: F401
from polling.visits import admin as visits_admin  # noqa: F401
