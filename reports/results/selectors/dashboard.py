"""The dashboard's figures, read from the pre-aggregated counts (see refresh.py), never from the answers.

`dashboard_data()` is the one entry point: a fixed number of small queries
(about a dozen) whatever the size of the mission, returning the same dataclasses
as the live selectors, built by the same builders. A slice is the whole mission,
one team or one area (any level); a breakdown of one question by team or area
level is read from the counts too, except the combinations the counts do not
hold (a team's figures by area, an area's by team), which are computed live:
they cover one team's or one area's visits only.

The counts are kept by PostgreSQL-only SQL (refresh.py). On SQLite (the laptop
demo, a few dozen visits) `dashboard_data()` computes the same dataclasses live
instead, from the selectors the statement uses.
"""

from __future__ import annotations

import datetime
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Exists, F, FloatField, Func, Max, Min, OuterRef, Q, Subquery, Value
from django.db.models.functions import Cast
from django.utils import timezone

from config.db import on_postgresql
from missions.models import Mission, Team
from polling.models import Area, Visit
from reports.models import ResultCount, ResultCoverage, ResultKey, ResultState, ResultStationCount
from reports.results.selectors import live
from reports.results.selectors.common import (
    Counts,
    StationCounts,
    build_findings,
    build_question_results,
    median_from_histogram,
    to_decimal,
)
from reports.results.selectors.meta import question_meta
from reports.results.selectors.types import (
    Coverage,
    CoverageRow,
    Figure,
    Finding,
    HourCount,
    IncidentCount,
    NumberSummary,
    QuestionResult,
)

K = ResultKey.Kind
LATEST_VISITS = 10
MAP_COLUMNS = 48


@dataclass(frozen=True)
class MapCell:
    x: float  # 0..1 from west to east
    y: float  # 0..1 from north to south
    stations: int
    visited: int


@dataclass
class StationMap:
    cells: list[MapCell]
    aspect: float  # height / width of the drawing
    stations: int
    visited: int


@dataclass
class Dashboard:
    state: ResultState | None
    coverage: Coverage
    results: list[QuestionResult]
    findings: list[Finding]
    serious: Figure
    incidents: list[IncidentCount]
    latest_visits: list
    station_map: StationMap
    breakdown: QuestionResult | None = None
    checklists: list[tuple[str, str]] = field(default_factory=list)


def _slice(team: Team | None, area: Area | None) -> tuple[str, int]:
    if team is not None:
        return ResultCount.Dim.TEAM, team.pk
    if area is not None:
        return ResultCount.Dim.AREA, area.pk
    return ResultCount.Dim.MISSION, 0


def _visit_key(mission: Mission):
    return ResultKey.objects.filter(mission=mission, kind=K.VISIT).values("pk")[:1]


def uses_counts() -> bool:
    """Whether the dashboard reads pre-aggregated counts (PostgreSQL) or computes live (SQLite demo)."""
    return on_postgresql()


def results_state(mission: Mission) -> ResultState | None:
    if not uses_counts():
        return None
    return ResultState.objects.filter(mission=mission).first()


def _rows(mission, dim, group_id, **key_filters):
    return (
        ResultCount.objects.filter(mission=mission, dim=dim, group_id=group_id, **key_filters)
        .values("visits", "stations", "group_id")
        .annotate(
            kind=F("key__kind"),
            cl=F("key__checklist_code"),
            q=F("key__question_code"),
            value=F("key__value"),
            number=F("key__number"),
        )
    )


def _fill_counts(counts: Counts, sc: StationCounts | None, rows, group=None, zone=datetime.UTC) -> dict:
    """Sort slice rows into the builders' dictionaries; returns visit/serious/hour figures on the side
    (an hour's value is the hour it starts on the clocks of `zone`, the mission's time zone)."""
    extra = {"visits": 0, "stations": 0, "serious": 0, "hours": []}
    histograms: dict = defaultdict(list)
    for r in rows:
        g = group(r) if group else None
        kind, q = r["kind"], (r["cl"], r["q"])
        if kind == K.ANSWERED:
            counts.answered[(*q, g)] += r["visits"]
            if sc is not None:
                sc.answered[q] = r["stations"]
        elif kind == K.OPTION:
            counts.options[(*q, r["value"], g)] += r["visits"]
            if sc is not None:
                sc.options[(*q, r["value"])] = r["stations"]
        elif kind == K.NEGATIVE:
            counts.negative[(*q, g)] += r["visits"]
        elif kind == K.NUMBER:
            histograms[(*q, g)].append((r["number"], r["visits"]))
        elif kind == K.FLAGGED and sc is not None:
            sc.flagged[q] = r["stations"]
        elif kind == K.VISIT:
            extra["visits"], extra["stations"] = r["visits"], r["stations"]
        elif kind == K.SERIOUS:
            extra["serious"] = r["stations"]
        elif kind == K.HOUR:
            hour = datetime.datetime.strptime(r["value"], "%Y-%m-%dT%H").replace(tzinfo=zone)
            extra["hours"].append(HourCount(hour, r["visits"]))
    for k, pairs in histograms.items():
        pairs.sort(key=lambda p: p[0])
        values = [Decimal(v) for v, _ in pairs]
        counts.numbers[k] = NumberSummary(
            sum(n for _, n in pairs),
            to_decimal(values[0]),
            median_from_histogram(pairs),
            to_decimal(values[-1]),
        )
    extra["hours"].sort(key=lambda h: h.hour)
    return extra


@dataclass(frozen=True)
class DashboardQuery:
    """One slice of the dashboard, as dashboard_data() was asked for it (the checklist filled in)."""

    mission: Mission
    team: Team | None
    area: Area | None
    checklist: str | None
    question: str | None
    area_level: int | None
    by_team: bool
    coverage_level: int | None


def dashboard_data(
    mission: Mission,
    *,
    team: Team | None = None,
    area: Area | None = None,
    checklist: str | None = None,
    question: str | None = None,
    area_level: int | None = None,
    by_team: bool = False,
    coverage_level: int | None = None,
) -> Dashboard:
    """Everything the dashboard shows for one slice; `question` with `area_level`/`by_team` adds a breakdown.

    Coverage is listed by area at `coverage_level` (default: the mission's statement level).

    The slice is the whole mission, one team or one area, not a team within an area.
    """
    if team is not None and area is not None:
        raise ValueError("A dashboard slice is one team or one area, not both.")
    dim, gid = _slice(team, area)
    metas = question_meta(mission)
    checklists = list(dict.fromkeys((m.checklist_code, m.checklist_name) for m in metas))
    checklist = checklist or (checklists[0][0] if checklists else None)
    query = DashboardQuery(mission, team, area, checklist, question, area_level, by_team, coverage_level)
    if not uses_counts():
        return _live_dashboard(query, checklists)
    counts, sc = Counts(), StationCounts()
    extra = _fill_counts(counts, sc, _rows(mission, dim, gid), zone=mission.tzinfo)
    shown = [m for m in metas if m.checklist_code == checklist]
    coverage = _coverage(mission, dim, gid, team, area, extra, coverage_level)
    breakdown = None
    if question and (area_level or by_team):
        breakdown = _breakdown(query, metas)
    return Dashboard(
        state=results_state(mission),
        coverage=coverage,
        results=build_question_results(shown, counts),
        findings=build_findings(metas, sc),
        serious=Figure(extra["serious"], extra["stations"]),
        incidents=live.incidents_by_category(mission, team=team, area=area),
        latest_visits=_latest_visits(mission, team, area),
        station_map=station_map(mission, team=team, area=area),
        breakdown=breakdown,
        checklists=checklists,
    )


def _live_dashboard(query: DashboardQuery, checklists: list) -> Dashboard:
    """The same figures computed from the visits (SQLite: no counts are kept)."""
    mission, team, area, checklist, question = (
        query.mission,
        query.team,
        query.area,
        query.checklist,
        query.question,
    )
    area_level, by_team, coverage_level = query.area_level, query.by_team, query.coverage_level
    breakdown = None
    if checklist and question and (area_level or by_team):
        found = live.question_results(
            mission,
            checklist=checklist,
            team=team,
            area=area,
            area_level=area_level,
            by_team=by_team,
            question=question,
        )
        breakdown = found[0] if found else None
    return Dashboard(
        state=ResultState(mission=mission, as_of=timezone.now()),  # unsaved: the figures are as of now
        coverage=live.coverage(mission, team=team, area=area, area_level=coverage_level),
        results=live.question_results(mission, checklist=checklist, team=team, area=area)
        if checklist
        else [],
        findings=live.findings(mission, team=team, area=area, with_uuids=False),
        serious=live.serious_irregularities(mission, team=team, area=area, with_uuids=False),
        incidents=live.incidents_by_category(mission, team=team, area=area),
        latest_visits=_latest_visits(mission, team, area),
        station_map=station_map(mission, team=team, area=area),
        breakdown=breakdown,
        checklists=checklists,
    )


def _coverage(mission, dim, gid, team, area, extra, area_level) -> Coverage:
    level = area_level or mission.statement_level or 1
    cov = {
        (c["dim"], c["group_id"]): c
        for c in ResultCoverage.objects.filter(mission=mission).values(
            "dim", "group_id", "planned", "planned_visited"
        )
    }
    own = cov.get((dim, gid), {"planned": 0, "planned_visited": 0})
    if team is not None:  # the counts hold no team x area slice: one team's visits, counted live
        by_area = live._coverage_by_area(
            mission, live.visits_for(mission, team=team), team.stations.all(), level
        )
        by_team, teams = [], 1 if extra["visits"] else 0
    else:
        by_area = _coverage_rows_by_area(mission, cov, area, level)
        by_team = _coverage_rows_by_team(mission, cov, area)
        teams = sum(1 for row in by_team if row.visits)
    return Coverage(
        stations_planned=own["planned"],
        stations_visited=extra["stations"],
        planned_visited=own["planned_visited"],
        visits=extra["visits"],
        teams=teams,
        observers_without_visits=live.observers_without_visits(mission, team=team),
        places=[],
        area_level=level,
        by_area=by_area,
        by_team=by_team,
        visits_per_hour=extra["hours"],
    )


def _coverage_rows_by_area(mission, cov, within: Area | None, level: int) -> list[CoverageRow]:
    areas = Area.objects.filter(mission=mission, depth=level)
    if within is not None:
        areas = areas.filter(Area.subtree(within.path))
    areas = list(areas.order_by("name", "path").values("id", "path", "name"))
    visited = {
        r["group_id"]: r
        for r in ResultCount.objects.filter(
            key_id=Subquery(_visit_key(mission)), dim="a", group_id__in=[a["id"] for a in areas]
        ).values("group_id", "visits", "stations")
    }
    rows = []
    for a in areas:
        c, v = cov.get(("a", a["id"]), {}), visited.get(a["id"], {})
        if c.get("planned") or v.get("visits"):
            rows.append(
                CoverageRow(
                    a["path"],
                    a["name"],
                    c.get("planned", 0),
                    v.get("stations", 0),
                    c.get("planned_visited", 0),
                    v.get("visits", 0),
                )
            )
    return rows


def _coverage_rows_by_team(mission, cov, area: Area | None) -> list[CoverageRow]:
    if area is not None:  # an area's visits by team: not in the counts, counted live for that area
        return live._coverage_by_team(mission, live.visits_for(mission, area=area), area)
    visited = {
        r["group_id"]: r
        for r in ResultCount.objects.filter(key_id=Subquery(_visit_key(mission)), dim="t").values(
            "group_id", "visits", "stations"
        )
    }
    rows = []
    for t in Team.objects.filter(mission=mission).order_by("name").values("id", "uuid", "name"):
        c, v = cov.get(("t", t["id"]), {}), visited.get(t["id"], {})
        rows.append(
            CoverageRow(
                str(t["uuid"]),
                t["name"],
                c.get("planned", 0),
                v.get("stations", 0),
                c.get("planned_visited", 0),
                v.get("visits", 0),
            )
        )
    return rows


def _breakdown(query: DashboardQuery, metas) -> QuestionResult | None:
    """One question's answers split by team or by area at `query.area_level`."""
    mission, team, area, checklist, question = (
        query.mission,
        query.team,
        query.area,
        query.checklist,
        query.question,
    )
    area_level, by_team = query.area_level, query.by_team
    meta = [m for m in metas if m.checklist_code == checklist and m.code == question]
    if not meta:
        return None
    if (team is not None and area_level) or (area is not None and by_team):
        found = live.question_results(
            mission,
            checklist=checklist,
            team=team,
            area=area,
            area_level=area_level,
            by_team=by_team,
            question=question,
        )
        return found[0] if found else None
    counts = Counts()
    keys = {"key__checklist_code": checklist, "key__question_code": question}
    _fill_counts(counts, None, _rows(mission, *_slice(team, area), **keys))
    if by_team:
        teams = list(Team.objects.filter(mission=mission).order_by("name").values("id", "uuid", "name"))
        labels = {t["id"]: (str(t["uuid"]), t["name"]) for t in teams} | {0: ("", "—")}
        rows = ResultCount.objects.filter(mission=mission, dim="t", **keys)
        breakdown_by = "team"
    else:
        areas = Area.objects.filter(mission=mission, depth=area_level)
        if area is not None:
            areas = areas.filter(Area.subtree(area.path))
        areas = list(areas.order_by("name", "path").values("id", "path", "name"))
        labels = {a["id"]: (a["path"], a["name"]) for a in areas}
        rows = ResultCount.objects.filter(mission=mission, dim="a", group_id__in=list(labels), **keys)
        breakdown_by = f"area:{int(area_level)}"
    rows = rows.values("visits", "stations", "group_id").annotate(
        kind=F("key__kind"),
        cl=F("key__checklist_code"),
        q=F("key__question_code"),
        value=F("key__value"),
        number=F("key__number"),
    )
    _fill_counts(counts, None, rows, group=lambda r: labels[r["group_id"]][0])
    present = {k[2] for k in counts.answered if k[2] is not None and counts.answered[k]}
    groups = [labels[i] for i in labels if labels[i][0] in present]
    return build_question_results(meta, counts, groups, breakdown_by)[0]


def _latest_visits(mission, team, area) -> list:
    visits = live.visits_for(mission, team=team, area=area)
    return list(
        visits.select_related("station", "observer__user", "team", "checklist_version__checklist").order_by(
            "-arrived_at"
        )[:LATEST_VISITS]
    )


def station_map(mission: Mission, *, team: Team | None = None, area: Area | None = None) -> StationMap:
    """Planned stations with coordinates, binned on a grid in SQL; visited = has a counted visit."""
    stations = live.planned_stations(mission, team=team).filter(
        latitude__isnull=False, longitude__isnull=False
    )
    if area is not None:
        stations = stations.filter(Area.subtree(area.path, "area__"))
    box = stations.aggregate(w=Min("longitude"), e=Max("longitude"), s=Min("latitude"), n=Max("latitude"))
    if box["w"] is None:
        return StationMap([], 0.6, 0, 0)
    width = max(float(box["e"] - box["w"]), 1e-6)
    height = max(float(box["n"] - box["s"]), 1e-6)
    aspect = min(max(height / width, 0.3), 1.6)
    step_x = width / (MAP_COLUMNS - 1)
    step_y = max(height / max(int(MAP_COLUMNS * aspect) - 1, 1), 1e-6)
    if uses_counts():
        visit_rows = ResultStationCount.objects.filter(
            key_id=Subquery(_visit_key(mission)), station_id=OuterRef("pk")
        )
    else:
        visit_rows = Visit.objects.filter(station_id=OuterRef("pk"))
    if team is not None:
        visit_rows = visit_rows.filter(team_id=team.pk)
    cells = (
        stations.order_by()
        .annotate(
            gx=(Cast("longitude", FloatField()) - Value(float(box["w"]))) / Value(step_x),
            gy=(Value(float(box["n"])) - Cast("latitude", FloatField())) / Value(step_y),
            was_visited=Exists(visit_rows),
        )
        .annotate(cx=_Round(F("gx")), cy=_Round(F("gy")))
        .values("cx", "cy")
        .annotate(n=Count("id"), v=Count("id", filter=Q(was_visited=True)))
        .order_by("cy", "cx")
    )
    cells = list(cells)
    nx = MAP_COLUMNS - 1
    ny = max(round(height / step_y), 1)
    return StationMap(
        [MapCell(float(c["cx"]) / nx, min(float(c["cy"]) / ny, 1.0), c["n"], c["v"]) for c in cells],
        aspect,
        sum(c["n"] for c in cells),
        sum(c["v"] for c in cells),
    )


class _Round(Func):
    function = "ROUND"
