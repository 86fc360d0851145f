"""Exact figures computed live from visits and answers: for the statement, the exports and the visits page.

Every function groups and counts in the database and issues a fixed number of
queries, whatever the number of visits. Filters are keyword-only: `team` (a Team)
restricts to the visits that team filed; `area` (an Area) to stations in that
area or below it.
"""

from __future__ import annotations

from django.contrib.postgres.aggregates import ArrayAgg
from django.db.models import Count, Exists, F, Max, Min, OuterRef, Q, QuerySet
from django.db.models.functions import TruncHour

from config.db import on_postgresql
from missions.models import Member, Mission, Role, Team
from polling.models import Answer, Area, Checklist, Incident, Option, PollingStation, Visit
from reports.results.selectors.common import (
    AncestorPath,
    Counts,
    Median,
    StationCounts,
    UuidList,
    area_label,
    build_findings,
    build_question_results,
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

# A question counts as answered by a visit when the visit has a non-empty answer to it.
ANSWERED = Q(option__isnull=False) | Q(number__isnull=False) | ~Q(text="")
FILING_ROLES = (Role.OBSERVER, Role.TEAM_LEADER)


def _area_q(prefix: str, area: Area) -> Q:
    return Area.subtree(area.path, prefix)


def visits_for(mission: Mission, *, team: Team | None = None, area: Area | None = None) -> QuerySet:
    visits = Visit.objects.filter(mission=mission)
    if team is not None:
        visits = visits.filter(team=team)
    if area is not None:
        visits = visits.filter(_area_q("station__area__", area))
    return visits


def answers_for(
    mission: Mission,
    *,
    team: Team | None = None,
    area: Area | None = None,
    checklist: Checklist | str | None = None,
    question: str | None = None,
) -> QuerySet:
    answers = Answer.objects.filter(visit__mission=mission)
    if team is not None:
        answers = answers.filter(visit__team=team)
    if area is not None:
        answers = answers.filter(_area_q("visit__station__area__", area))
    if checklist is not None:
        code = checklist if isinstance(checklist, str) else checklist.code
        answers = answers.filter(question__version__checklist__code=code)
    if question is not None:
        answers = answers.filter(question__code=question)
    return answers


def planned_stations(mission: Mission, *, team: Team | None = None) -> QuerySet:
    """The stations the mission (or a team) planned to visit; see Coverage for the rule."""
    if team is not None:
        return team.stations.all()
    stations = PollingStation.objects.filter(mission=mission)
    plan = Team.stations.through.objects.filter(team__mission=mission)
    if plan.exists():
        stations = stations.filter(pk__in=plan.values("pollingstation_id"))
    return stations


# --- Coverage --------------------------------------------------------------------------


def coverage(
    mission: Mission, *, team: Team | None = None, area: Area | None = None, area_level: int | None = None
) -> Coverage:
    """Stations visited out of planned, overall, by area at `area_level` (default: statement level), by team."""
    level = area_level or mission.statement_level or 1
    visits = visits_for(mission, team=team, area=area)
    planned = planned_stations(mission, team=team)
    if area is not None:
        planned = planned.filter(_area_q("area__", area))
    planned_ids = planned.values("pk")
    totals = visits.aggregate(
        visits=Count("id"),
        stations=Count("station", distinct=True),
        teams=Count("team", distinct=True),
        planned_visited=Count("station", distinct=True, filter=Q(station__in=planned_ids)),
    )
    by_area = _coverage_by_area(mission, visits, planned, level, area)
    by_team = [] if team is not None else _coverage_by_team(mission, visits, area)
    hours = [
        HourCount(row["hour"], row["n"])
        for row in visits.annotate(hour=TruncHour("arrived_at", tzinfo=mission.tzinfo))
        .values("hour")
        .annotate(n=Count("id"))
        .order_by("hour")
    ]
    places = [
        area_label(row["place"])
        for row in visits.annotate(place=AncestorPath("station__area__path", mission.statement_level or 1))
        .exclude(place=None)
        .values("place")
        .annotate(first=Min("arrived_at"))
        .order_by("first", "place")
    ]
    return Coverage(
        stations_planned=planned.count(),
        stations_visited=totals["stations"],
        planned_visited=totals["planned_visited"],
        visits=totals["visits"],
        teams=totals["teams"],
        observers_without_visits=observers_without_visits(mission, team=team),
        places=places,
        area_level=level,
        by_area=by_area,
        by_team=by_team,
        visits_per_hour=hours,
    )


def _coverage_by_area(mission, visits, planned, level, within: Area | None = None) -> list[CoverageRow]:
    planned_ids = planned.values("pk")
    visited = {
        row["g"]: row
        for row in visits.annotate(g=AncestorPath("station__area__path", level))
        .values("g")
        .annotate(
            visits=Count("id"),
            stations=Count("station", distinct=True),
            pv=Count("station", distinct=True, filter=Q(station__in=planned_ids)),
        )
    }
    planned_by = {
        row["g"]: row["n"]
        for row in PollingStation.objects.filter(pk__in=planned_ids)
        .annotate(g=AncestorPath("area__path", level))
        .values("g")
        .annotate(n=Count("id"))
    }
    # Stations without an area at this level are in the overall figure only; so are areas above `within`.
    paths = {p for p in set(visited) | set(planned_by) if p is not None}
    if within is not None:
        paths = {p for p in paths if p == within.path or p.startswith(within.path + " > ")}
    paths = sorted(paths, key=lambda p: (area_label(p), p))
    return [
        CoverageRow(
            key=path,
            label=area_label(path),
            planned=planned_by.get(path, 0),
            visited=visited.get(path, {}).get("stations", 0),
            planned_visited=visited.get(path, {}).get("pv", 0),
            visits=visited.get(path, {}).get("visits", 0),
        )
        for path in paths
    ]


def _coverage_by_team(mission, visits, area) -> list[CoverageRow]:
    visited = {
        row["team"]: row
        for row in visits.values("team").annotate(
            visits=Count("id", distinct=True),
            stations=Count("station", distinct=True),
            pv=Count("station", distinct=True, filter=Q(station__planned_by_teams=F("team"))),
        )
    }
    teams = Team.objects.filter(mission=mission).order_by("name")
    planned_filter = _area_q("stations__area__", area) if area is not None else Q()
    teams = teams.annotate(planned=Count("stations", filter=planned_filter))
    return [
        CoverageRow(
            key=str(t.uuid),
            label=t.name,
            planned=t.planned,
            visited=visited.get(t.pk, {}).get("stations", 0),
            planned_visited=visited.get(t.pk, {}).get("pv", 0),
            visits=visited.get(t.pk, {}).get("visits", 0),
        )
        for t in teams
    ]


def observers_without_visits(mission: Mission, *, team: Team | None = None) -> list[Member]:
    members = Member.objects.filter(mission=mission, is_active=True, role__in=FILING_ROLES)
    if team is not None:
        members = members.filter(team=team)
    return list(
        members.filter(~Exists(Visit.objects.filter(observer=OuterRef("pk"))))
        .select_related("user", "team")
        .order_by("team__name", "user__name", "user__email")
    )


# --- Question results ---------------------------------------------------------------


def live_counts(answers: QuerySet, group=None) -> Counts:
    """Two queries: per question (answered, negative, numbers) and per option; grouped by `group` if given."""
    counts = Counts()
    keys = {"cl": F("question__version__checklist__code"), "q": F("question__code")}
    if group is not None:
        keys["g"] = group
    for row in (
        answers.values(**keys)
        .annotate(
            answered=Count("visit", distinct=True, filter=ANSWERED),
            negative=Count("visit", distinct=True, filter=Q(option__negative=True)),
            n_numbers=Count("number"),
            nmin=Min("number"),
            nmax=Max("number"),
            nmed=Median("number"),
        )
        .order_by()
    ):
        g = _group_key(row.get("g")) if group is not None else None
        k = (row["cl"], row["q"], g)
        counts.answered[k] += row["answered"]
        counts.negative[k] += row["negative"]
        if row["n_numbers"]:
            counts.numbers[k] = NumberSummary(
                row["n_numbers"], to_decimal(row["nmin"]), to_decimal(row["nmed"]), to_decimal(row["nmax"])
            )
    for row in (
        answers.filter(option__isnull=False)
        .values(**keys, value=F("option__value"))
        .annotate(n=Count("visit", distinct=True))
        .order_by()
    ):
        g = _group_key(row.get("g")) if group is not None else None
        counts.options[(row["cl"], row["q"], row["value"], g)] += row["n"]
    return counts


def _group_key(value) -> str:
    return "" if value is None else str(value)


def question_results(
    mission: Mission,
    *,
    checklist: Checklist | str | None = None,
    team: Team | None = None,
    area: Area | None = None,
    area_level: int | None = None,
    by_team: bool = False,
    question: str | None = None,
) -> list[QuestionResult]:
    """Each question's answers among the visits that answered it; with a breakdown by area level or team.

    Grouped by checklist and question code across checklist versions. `question`
    restricts to one question code. Breakdown rows list every area at the level
    (or every team) that has answers, in name order.
    """
    metas = question_meta(mission, checklist=checklist)
    if question is not None:
        metas = [m for m in metas if m.code == question]
    answers = answers_for(mission, team=team, area=area, checklist=checklist, question=question)
    counts = live_counts(answers)
    groups, breakdown_by = None, ""
    if area_level:
        breakdown_by = f"area:{int(area_level)}"
        extra = live_counts(answers, AncestorPath("visit__station__area__path", area_level))
        groups = _area_groups(mission, extra, area_level, area)
    elif by_team and team is None:
        breakdown_by = "team"
        extra = live_counts(answers, F("visit__team__uuid"))
        groups = _team_groups(mission, extra)
    if groups is not None:
        counts.answered.update(extra.answered)
        counts.negative.update(extra.negative)
        counts.options.update(extra.options)
        counts.numbers.update(extra.numbers)
    return build_question_results(metas, counts, groups, breakdown_by)


def _area_groups(mission, extra: Counts, level: int, within: Area | None) -> list[tuple[str, str]]:
    present = {k[2] for k in extra.answered if extra.answered[k]}
    areas = Area.objects.filter(mission=mission, depth=level)
    if within is not None:
        areas = areas.filter(_area_q("", within))
    # Stations without an area at this level are in the overall figure only.
    return [(a.path, a.name) for a in areas.order_by("name", "path") if a.path in present]


def _team_groups(mission, extra: Counts) -> list[tuple[str, str]]:
    present = {k[2] for k in extra.answered if extra.answered[k]}
    groups = [(str(t.uuid), t.name) for t in Team.objects.filter(mission=mission).order_by("name")]
    groups = [g for g in groups if g[0] in present]
    if "" in present:
        groups.append(("", "—"))
    return groups


# --- Findings ----------------------------------------------------------------------------


def live_station_counts(answers: QuerySet, *, with_uuids: bool = True) -> StationCounts:
    sc = StationCounts()
    keys = {"cl": F("question__version__checklist__code"), "q": F("question__code")}
    flagged = Q(option__flagged=True)
    per_question = answers.values(**keys).annotate(
        total=Count("visit__station", distinct=True, filter=ANSWERED),
        reported=Count("visit__station", distinct=True, filter=flagged),
    )
    per_option = (
        answers.filter(flagged)
        .values(**keys, value=F("option__value"))
        .annotate(stations=Count("visit__station", distinct=True))
    )
    if with_uuids:
        per_question = per_question.annotate(uuids=_visit_uuids(filter=flagged))
        per_option = per_option.annotate(uuids=_visit_uuids())
    for row in per_question.order_by():
        k = (row["cl"], row["q"])
        sc.answered[k] = row["total"]
        sc.flagged[k] = row["reported"]
        sc.uuids[k] = tuple(sorted(u for u in row.get("uuids") or () if u is not None))
    for row in per_option.order_by():
        k = (row["cl"], row["q"], row["value"])
        sc.options[k] = row["stations"]
        sc.uuids[k] = tuple(sorted(row.get("uuids") or ()))
    return sc


def _visit_uuids(filter: Q | None = None):
    """The distinct visits behind a figure: an array on PostgreSQL, a concatenation on SQLite (laptop demo)."""
    if on_postgresql():
        return ArrayAgg("visit__uuid", distinct=True, filter=filter)
    return UuidList("visit__uuid", distinct=True, filter=filter)


def findings(
    mission: Mission,
    *,
    team: Team | None = None,
    area: Area | None = None,
    checklist: Checklist | str | None = None,
    with_uuids: bool = True,
) -> list[Finding]:
    """Every question with flagged options: distinct stations reporting any of them, out of stations that answered.

    `with_uuids=False` leaves the visits behind each figure out (empty tuples): drafting prose needs
    only the counts, and gathering every visit's UUID is most of the cost on a large mission.
    """
    metas = [m for m in question_meta(mission, checklist=checklist) if m.has_flagged]
    if not metas:
        return []
    flagged_codes = {m.code for m in metas}
    answers = answers_for(mission, team=team, area=area, checklist=checklist).filter(
        question__code__in=flagged_codes
    )
    return build_findings(metas, live_station_counts(answers, with_uuids=with_uuids))


def serious_irregularities(
    mission: Mission, *, team: Team | None = None, area: Area | None = None, with_uuids: bool = True
) -> Figure:
    """Distinct stations with any serious flagged answer, out of distinct stations visited."""
    total = visits_for(mission, team=team, area=area).aggregate(n=Count("station", distinct=True))["n"]
    uuids = {"uuids": _visit_uuids()} if with_uuids else {}
    serious = (
        answers_for(mission, team=team, area=area)
        .filter(option__flagged=True, option__severity=Option.Severity.SERIOUS)
        .aggregate(n=Count("visit__station", distinct=True), **uuids)
    )
    return Figure(serious["n"], total, tuple(sorted(serious.get("uuids") or ())))


# --- Incidents ------------------------------------------------------------------------------


def incidents_by_category(
    mission: Mission, *, team: Team | None = None, area: Area | None = None
) -> list[IncidentCount]:
    """Incidents per category, most frequent first, with the distinct stations concerned."""
    incidents = Incident.objects.filter(mission=mission)
    if team is not None:
        incidents = incidents.filter(team=team)
    if area is not None:
        incidents = incidents.filter(_area_q("station__area__", area))
    labels = dict(Incident.Category.choices)
    return [
        IncidentCount(
            row["category"], str(labels.get(row["category"], row["category"])), row["n"], row["stations"]
        )
        for row in incidents.values("category")
        .annotate(n=Count("id"), stations=Count("station", distinct=True))
        .order_by("-n", "category")
    ]
