"""The one aggregation module: every figure the dashboard, the exports and the statement show.

Exact live figures (statement, exports, the visits behind a figure):

    coverage(mission, *, team=None, area=None, area_level=None) -> Coverage
    question_results(mission, *, checklist=None, team=None, area=None, area_level=None,
                     by_team=False, question=None) -> list[QuestionResult]
    findings(mission, *, team=None, area=None, checklist=None) -> list[Finding]
    serious_irregularities(mission, *, team=None, area=None) -> Figure
    incidents_by_category(mission, *, team=None, area=None) -> list[IncidentCount]

The dashboard reads pre-aggregated counts instead (`dashboard_data`, kept up to date
by `refresh_results` in the worker). Return types are the dataclasses of
reports/results/selectors/types.py; percentages are `Share`s (exact fraction, whole
percent rounded half up for prose). Everything groups and counts in PostgreSQL in a
fixed number of queries, whatever the number of visits.

On SQLite (`make run`, the laptop demo) the same selectors run through SQLite
versions of the few PostgreSQL-only expressions (common.py: AncestorPath, Median,
UuidList), and `dashboard_data` computes live, since the counts' refresh is
PostgreSQL SQL.
"""

from reports.results.refresh import RefreshReport, refresh_results
from reports.results.selectors.dashboard import Dashboard, dashboard_data, results_state
from reports.results.selectors.live import (
    answers_for,
    coverage,
    findings,
    incidents_by_category,
    planned_stations,
    question_results,
    serious_irregularities,
    visits_for,
)
from reports.results.selectors.types import (
    Coverage,
    CoverageRow,
    Figure,
    Finding,
    FlaggedOption,
    GroupResult,
    HourCount,
    IncidentCount,
    NumberSummary,
    OptionResult,
    QuestionResult,
    Share,
)

__all__ = [
    "Coverage",
    "CoverageRow",
    "Dashboard",
    "Figure",
    "Finding",
    "FlaggedOption",
    "GroupResult",
    "HourCount",
    "IncidentCount",
    "NumberSummary",
    "OptionResult",
    "QuestionResult",
    "RefreshReport",
    "Share",
    "answers_for",
    "coverage",
    "dashboard_data",
    "findings",
    "incidents_by_category",
    "planned_stations",
    "question_results",
    "refresh_results",
    "results_state",
    "serious_irregularities",
    "visits_for",
]
