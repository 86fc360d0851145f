"""Pieces shared by the live selectors and the dashboard's pre-aggregated readers.

Both paths reduce the database to the same small dictionaries of counts (`Counts`,
`StationCounts`) and hand them to the same builders, so the dashboard and the
statement cannot word or round a figure differently.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Aggregate, CharField, FloatField, Func

from missions.models import AREA_LEVEL_SEPARATOR
from polling.models import Question
from reports.results.selectors.meta import QuestionMeta
from reports.results.selectors.types import (
    Figure,
    Finding,
    FlaggedOption,
    GroupResult,
    NumberSummary,
    OptionResult,
    QuestionResult,
    Share,
)

QKey = tuple[str, str]  # (checklist code, question code)
MEDIAN_QUANTUM = Decimal("0.001")


class Median(Aggregate):
    """percentile_cont(0.5): the middle value, or the mean of the two middle values."""

    function = "percentile_cont"
    name = "Median"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()

    def as_sqlite(self, compiler, connection, **extra):
        """The laptop demo: the same middle value, from an aggregate registered on the SQLite connection."""
        _register_sqlite_functions(connection)
        template = "%(function)s(%(distinct)s%(expressions)s)"
        return super().as_sql(compiler, connection, function="observa_median", template=template, **extra)


class AncestorPath(Func):
    """The path of an area's ancestor at `depth` (or the area itself), NULL if the area is shallower."""

    output_field = CharField()

    def __init__(self, expression, depth: int):
        super().__init__(expression)
        self.depth = int(depth)

    def as_sql(self, compiler, connection, **extra):
        sql, params = compiler.compile(self.source_expressions[0])
        arr = f"string_to_array({sql}, %s)"
        return (
            f"(CASE WHEN array_length({arr}, 1) >= {self.depth} "
            f"THEN array_to_string(({arr})[1:{self.depth}], %s) END)",
            [*params, AREA_LEVEL_SEPARATOR, *params, AREA_LEVEL_SEPARATOR, AREA_LEVEL_SEPARATOR],
        )

    def as_sqlite(self, compiler, connection, **extra):
        """SQLite has no arrays: a function registered on the connection splits the path in Python."""
        _register_sqlite_functions(connection)
        sql, params = compiler.compile(self.source_expressions[0])
        return f"observa_ancestor_path({sql}, {self.depth})", params


class UuidList(Aggregate):
    """The distinct visit UUIDs behind a figure on SQLite (PostgreSQL uses ArrayAgg): one GROUP_CONCAT."""

    function = "GROUP_CONCAT"
    allow_distinct = True
    output_field = CharField()

    def convert_value(self, value, expression, connection):
        return [uuid.UUID(u) for u in value.split(",")] if value else []


def _ancestor_path(path: str | None, depth: int) -> str | None:
    parts = path.split(AREA_LEVEL_SEPARATOR) if path is not None else []
    return AREA_LEVEL_SEPARATOR.join(parts[:depth]) if path is not None and len(parts) >= depth else None


class _SqliteMedian:
    """percentile_cont(0.5) as an SQLite aggregate: the middle value, or the mean of the two middle values."""

    def __init__(self):
        self.values = []

    def step(self, value):
        if value is not None:
            self.values.append(float(value))

    def finalize(self):
        values = sorted(self.values)
        if not values:
            return None
        middle = len(values) // 2
        return values[middle] if len(values) % 2 else (values[middle - 1] + values[middle]) / 2


def _register_sqlite_functions(connection) -> None:
    """Register the demo's SQL functions on this SQLite connection (cheap; harmless to repeat)."""
    connection.ensure_connection()
    raw = connection.connection
    raw.create_function("observa_ancestor_path", 2, _ancestor_path, deterministic=True)
    raw.create_aggregate("observa_median", 1, _SqliteMedian)


def to_decimal(value) -> Decimal | None:
    """Three decimals at most, no trailing zeros (22.5, not 22.500; 10, not 1E+1)."""
    if value is None:
        return None
    d = Decimal(str(value)).quantize(MEDIAN_QUANTUM).normalize()
    return d.quantize(Decimal(1)) if d == d.to_integral_value() else d


def median_from_histogram(pairs: list[tuple[Decimal, int]]) -> Decimal | None:
    """The percentile_cont(0.5) of values given as (value, how many times), sorted by value."""
    total = sum(n for _, n in pairs)
    if not total:
        return None
    lo_rank, hi_rank = (total + 1) // 2, total // 2 + 1  # 1-based ranks of the middle value(s)
    lo = hi = None
    seen = 0
    for value, n in pairs:
        seen += n
        if lo is None and seen >= lo_rank:
            lo = value
        if seen >= hi_rank:
            hi = value
            break
    return to_decimal((Decimal(lo) + Decimal(hi)) / 2)


@dataclass
class Counts:
    """Visits per question, option, ... with an optional group (area path or team uuid); None = overall."""

    answered: dict = field(default_factory=lambda: defaultdict(int))  # (cl, q, g) -> visits
    negative: dict = field(default_factory=lambda: defaultdict(int))  # (cl, q, g) -> visits
    options: dict = field(default_factory=lambda: defaultdict(int))  # (cl, q, value, g) -> visits
    numbers: dict = field(default_factory=dict)  # (cl, q, g) -> NumberSummary


@dataclass
class StationCounts:
    """Distinct stations per question (answered / any flagged) and per flagged option, and who reported."""

    answered: dict = field(default_factory=lambda: defaultdict(int))  # (cl, q) -> stations
    flagged: dict = field(default_factory=lambda: defaultdict(int))  # (cl, q) -> stations
    options: dict = field(default_factory=lambda: defaultdict(int))  # (cl, q, value) -> stations
    uuids: dict = field(default_factory=dict)  # (cl, q) or (cl, q, value) -> tuple of visit uuids


def _group_result(meta: QuestionMeta, counts: Counts, g, key: str, label: str) -> GroupResult:
    answered = counts.answered.get((meta.checklist_code, meta.code, g), 0)
    options = [
        OptionResult(
            o.value,
            o.label,
            o.flagged,
            o.severity,
            o.negative,
            Share(counts.options.get((meta.checklist_code, meta.code, o.value, g), 0), answered),
        )
        for o in meta.options
    ]
    numbers = None
    if meta.type == Question.Type.NUMBER:
        numbers = counts.numbers.get((meta.checklist_code, meta.code, g), NumberSummary(0, None, None, None))
    negative = None
    if meta.type == Question.Type.RATING or any(o.negative for o in meta.options):
        negative = Share(counts.negative.get((meta.checklist_code, meta.code, g), 0), answered)
    return GroupResult(key, label, answered, options, numbers, negative)


def build_question_results(
    metas: list[QuestionMeta],
    counts: Counts,
    groups: list[tuple[str, str]] | None = None,
    breakdown_by: str = "",
) -> list[QuestionResult]:
    """One QuestionResult per question; `groups` is [(key, label)] for the breakdown, in display order."""
    results = []
    for meta in metas:
        overall = _group_result(meta, counts, None, "", "")
        breakdown = [_group_result(meta, counts, key, key, label) for key, label in (groups or [])]
        results.append(
            QuestionResult(
                checklist_code=meta.checklist_code,
                checklist_name=meta.checklist_name,
                code=meta.code,
                text=meta.text,
                type=meta.type,
                section=meta.section,
                answered=overall.answered,
                options=overall.options,
                numbers=overall.numbers,
                negative=overall.negative,
                breakdown=breakdown,
                breakdown_by=breakdown_by,
            )
        )
    return results


def build_findings(metas: list[QuestionMeta], sc: StationCounts) -> list[Finding]:
    """Questions with flagged options, each flagged option with the distinct stations that reported it."""
    findings = []
    for meta in metas:
        if not meta.has_flagged:
            continue
        key = meta.key
        total = sc.answered.get(key, 0)
        options = [
            FlaggedOption(
                o.value,
                o.label,
                o.severity,
                Figure(sc.options.get((*key, o.value), 0), total, sc.uuids.get((*key, o.value), ())),
            )
            for o in meta.options
            if o.flagged
        ]
        findings.append(
            Finding(
                checklist_code=meta.checklist_code,
                question_code=meta.code,
                text=meta.text,
                severity=meta.severity,
                figure=Figure(sc.flagged.get(key, 0), total, sc.uuids.get(key, ())),
                options=options,
                finding_none=meta.finding_none,
                finding_some=meta.finding_some,
            )
        )
    return findings


def area_label(path: str | None) -> str:
    if not path:
        return ""
    return path.rsplit(AREA_LEVEL_SEPARATOR, 1)[-1]
