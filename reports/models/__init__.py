"""Reports models, one module per part: results/exports and the statement."""

from reports.models.results import *  # noqa: F403
from reports.models.statements import *  # noqa: F403
