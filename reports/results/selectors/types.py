"""What the result selectors return. Plain dataclasses: templates, exports and the statement read them.

Percentages. A `Share` keeps the exact fraction (`fraction`, `exact_percent`) and
offers `percent`, rounded half up to a whole percent, which is what prose uses
("in 7% of polling stations observed"): 6.5% reads 7%, 0.4% reads 0%. Tables
may show `percent_1` (one decimal, also half up). A share of nothing (total 0)
is 0%, never a division error.
"""

from __future__ import annotations

import datetime
import uuid
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction


@dataclass(frozen=True)
class Share:
    count: int
    total: int

    @property
    def fraction(self) -> Fraction:
        return Fraction(self.count, self.total) if self.total else Fraction(0)

    @property
    def exact_percent(self) -> Fraction:
        return self.fraction * 100

    @property
    def percent(self) -> int:
        """Whole percent, half up (for prose)."""
        return int(_half_up(self.exact_percent, Decimal(1)))

    @property
    def percent_1(self) -> Decimal:
        """Percent with one decimal, half up (for tables)."""
        return _half_up(self.exact_percent, Decimal("0.1"))


def _half_up(value: Fraction, quantum: Decimal) -> Decimal:
    exact = Decimal(value.numerator) / Decimal(value.denominator)
    return exact.quantize(quantum, rounding=ROUND_HALF_UP)


@dataclass(frozen=True)
class Figure(Share):
    """A share with the visits behind it (empty on the dashboard, which links to them instead)."""

    visit_uuids: tuple[uuid.UUID, ...] = ()


# --- Coverage ---------------------------------------------------------------


@dataclass(frozen=True)
class CoverageRow:
    """One area or team: planned stations, distinct stations visited, visits."""

    key: str  # area path or team uuid: what the visits page takes as a filter
    label: str
    planned: int
    visited: int
    planned_visited: int
    visits: int

    @property
    def share(self) -> Share:
        """Planned stations visited, out of planned."""
        return Share(self.planned_visited, self.planned)


@dataclass(frozen=True)
class HourCount:
    hour: datetime.datetime  # aware, start of the hour (UTC)
    visits: int


@dataclass
class Coverage:
    """How much of the plan the mission (or one team) has covered.

    Planned stations are those in any team's plan (Team.stations); a mission whose
    teams have no plan counts every station of its list as planned. `stations_visited`
    counts every distinct station visited, planned or not; `planned_visited` only
    the planned ones, so `share` never exceeds 100%.
    """

    stations_planned: int
    stations_visited: int
    planned_visited: int
    visits: int
    teams: int  # teams that filed at least one visit
    observers_without_visits: list  # Members (observers and team leaders) who filed nothing yet
    places: list[str]  # names at mission.statement_level of visited areas, in order of first visit
    area_level: int | None
    by_area: list[CoverageRow] = field(default_factory=list)
    by_team: list[CoverageRow] = field(default_factory=list)
    visits_per_hour: list[HourCount] = field(default_factory=list)

    @property
    def share(self) -> Share:
        return Share(self.planned_visited, self.stations_planned)


# --- Question results ---------------------------------------------------------


@dataclass(frozen=True)
class OptionResult:
    value: str
    label: str
    flagged: bool
    severity: str
    negative: bool
    share: Share  # visits that chose it, out of visits that answered the question


@dataclass(frozen=True)
class NumberSummary:
    count: int
    minimum: Decimal | None
    median: Decimal | None
    maximum: Decimal | None


@dataclass(frozen=True)
class GroupResult:
    """The same question within one area or team."""

    key: str  # area path or team uuid
    label: str
    answered: int
    options: list[OptionResult]
    numbers: NumberSummary | None
    negative: Share | None


@dataclass
class QuestionResult:
    """One question of a checklist, by its code across all versions of the checklist.

    Only visits that answered the question count: a question hidden by its show-if
    rule, or left blank, has no answer and is not in the denominator. For multiple
    choice the option shares add up to more than 100%.
    """

    checklist_code: str
    checklist_name: str
    code: str
    text: str
    type: str
    section: str
    answered: int
    options: list[OptionResult]
    numbers: NumberSummary | None  # number questions: min / median / max
    negative: Share | None  # rating questions: visits whose assessment was negative
    breakdown: list[GroupResult] = field(default_factory=list)
    breakdown_by: str = ""  # "team", "area:<level>" or ""

    @property
    def has_options(self) -> bool:
        return bool(self.options)


# --- Findings -------------------------------------------------------------------


@dataclass(frozen=True)
class FlaggedOption:
    value: str
    label: str
    severity: str
    figure: Figure  # distinct stations where this answer was given, out of stations that answered


@dataclass
class Finding:
    """A question with flagged answers: in how many of the stations visited was any of them reported."""

    checklist_code: str
    question_code: str
    text: str
    severity: str  # "serious" if any flagged option is serious, else "minor" (or "")
    figure: Figure  # distinct stations with any flagged answer, out of distinct stations that answered
    options: list[FlaggedOption]
    finding_none: str
    finding_some: str

    @property
    def sentence(self) -> str:
        """The statement's wording for this finding, with the figures filled in."""
        if self.figure.count == 0:
            return self.finding_none
        template = self.finding_some
        try:
            return template.format(
                count=self.figure.count, total=self.figure.total, percent=self.figure.percent
            )
        except (KeyError, IndexError, ValueError):
            return template


@dataclass(frozen=True)
class IncidentCount:
    category: str
    label: str
    incidents: int
    stations: int
