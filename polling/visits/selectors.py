"""Read-side queries for election day: who sees which visits and incidents, and what the pages show."""

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _

from missions.access import MissionAccess
from missions.models import Team
from polling import visits as visit_service
from polling.models import Answer, Assessment, Channel, Incident, PollingStation, Question, Visit

PICKER_LIMIT = 30


def _team_scope(access: MissionAccess) -> Q:
    """Observers and team leaders see their team's work (and their own, should they change team)."""
    member = access.member
    if member.team_id is None:
        return Q(observer=member)
    return Q(team_id=member.team_id) | Q(observer=member)


def visits_visible_to(access: MissionAccess) -> QuerySet[Visit]:
    visits = Visit.objects.filter(mission=access.mission)
    return visits if access.sees_all_teams else visits.filter(_team_scope(access))


def incidents_visible_to(access: MissionAccess) -> QuerySet[Incident]:
    incidents = Incident.objects.filter(mission=access.mission)
    return incidents if access.sees_all_teams else incidents.filter(_team_scope(access))


def get_visit_for(access: MissionAccess, visit_uuid) -> Visit:
    """A visit the member may see; any other (another team's, another mission's) is a 404."""
    return get_object_or_404(
        visits_visible_to(access).select_related(
            "station__area", "observer__user", "team", "checklist_version__checklist", "reviewed_by"
        ),
        uuid=visit_uuid,
    )


def visit_list(
    access: MissionAccess,
    *,
    team: Team | None = None,
    station: str = "",
    checklist: str = "",
    review: str = "",
) -> QuerySet[Visit]:
    """The visit list page: newest arrival first, with the number of flagged answers of each visit."""
    visits = visits_visible_to(access)
    if team is not None:
        visits = visits.filter(team=team)
    if station:
        visits = visits.filter(station__code=station)
    if checklist:
        visits = visits.filter(checklist_version__checklist__code=checklist)
    if review:
        visits = visits.filter(review_status=review)
    # A correlated subquery, not a JOIN + GROUP BY over every answer: it runs for the 50 visits of the page
    # only, and the paginator's COUNT leaves it out.
    flagged = (
        Answer.objects.filter(visit=OuterRef("pk"), option__flagged=True)
        .order_by()
        .values("visit")
        .annotate(n=Count("*"))
        .values("n")
    )
    return (
        visits.select_related("station", "observer__user", "team", "checklist_version__checklist")
        .annotate(flagged_count=Coalesce(Subquery(flagged[:1]), Value(0)))
        .order_by("-arrived_at", "-pk")
    )


# ---------------------------------------------------------------------------
# The visit page: answers in checklist order, and the history.
# ---------------------------------------------------------------------------


@dataclass
class AnswerLine:
    question: visit_service.QuestionSpec
    section_starts: bool
    display: str
    answered: bool
    flagged: bool
    severity: str = ""


def _display(question: visit_service.QuestionSpec, value) -> str:
    if value is None or value == []:
        return ""
    if isinstance(value, list):
        return ", ".join(_label(question, item) for item in value)
    if question.has_options:
        return _label(question, value)
    return str(value)


def _label(question: visit_service.QuestionSpec, value: str) -> str:
    option = question.options.get(value)
    return option.label if option else value


def visit_answer_lines(visit: Visit) -> list[AnswerLine]:
    """Every question the form showed for this visit, in checklist order, with the answer given.

    Read from the stored Answer rows (what the results count), not from the revision's JSON.
    """
    spec = visit_service.version_spec(visit.checklist_version)
    by_question: dict[int, list[Answer]] = {}
    for answer in visit.answers.all():
        by_question.setdefault(answer.question_id, []).append(answer)
    values: dict[str, Any] = {}
    for question in spec.questions:
        rows = by_question.get(question.pk, [])
        if not rows:
            continue
        option_values = {option.pk: value for value, option in question.options.items()}
        if question.type == Question.Type.MULTIPLE:
            values[question.code] = sorted(option_values[row.option_id] for row in rows)
        elif question.has_options:
            values[question.code] = option_values[rows[0].option_id]
        elif question.type == Question.Type.NUMBER:
            values[question.code] = visit_service.decimal_str(rows[0].number or Decimal(0))
        else:
            values[question.code] = rows[0].text
    shown = visit_service.shown_questions(spec, values)
    lines, section = [], None
    for question in spec.questions:
        value = values.get(question.code)
        if not shown[question.code] and value is None:
            continue
        chosen = value if isinstance(value, list) else [value]
        flagged = [
            question.options[v] for v in chosen if v in question.options and question.options[v].flagged
        ]
        lines.append(
            AnswerLine(
                question=question,
                section_starts=question.section != section,
                display=_display(question, value),
                answered=value is not None,
                flagged=bool(flagged),
                severity=next((o.severity for o in flagged if o.severity), ""),
            )
        )
        section = question.section
    return lines


@dataclass
class Change:
    label: str
    before: str
    after: str


@dataclass
class HistoryEntry:
    number: int
    user: Any
    created_at: Any
    channel: str
    is_first: bool
    changes: list[Change] = field(default_factory=list)


FIELD_LABELS = {
    "checklist": lambda: _("Checklist"),
    "version": lambda: _("Checklist version"),
    "station": lambda: _("Polling station"),
    "arrived_at": lambda: _("Arrival"),
    "departed_at": lambda: _("Departure"),
    "notes": lambda: _("Notes"),
    "assessment": lambda: _("Overall assessment"),
    "review_status": lambda: _("Review"),
    "review_comment": lambda: _("Review comment"),
}


def _field_display(name: str, value) -> str:
    if value in (None, ""):
        return "—"
    if name == "assessment":
        return str(dict(Assessment.choices).get(value, value))
    if name == "review_status":
        return str(dict(Visit.Review.choices).get(value, value))
    return str(value)


def visit_history(visit: Visit) -> list[HistoryEntry]:
    """Every revision, oldest first: who, when, through which channel, and each change before → after."""
    spec = visit_service.version_spec(visit.checklist_version)
    channels = dict(Channel.choices)
    entries = []
    for revision in visit.revisions.select_related("user").order_by("number"):
        entry = HistoryEntry(
            number=revision.number,
            user=revision.user,
            created_at=revision.created_at,
            channel=str(channels.get(revision.channel, revision.channel)),
            is_first=revision.number == 1,
        )
        changes = revision.changes or {}
        for name in FIELD_LABELS:
            if name in changes:
                before, after = changes[name]
                entry.changes.append(
                    Change(
                        str(FIELD_LABELS[name]()), _field_display(name, before), _field_display(name, after)
                    )
                )
        for question in spec.questions:
            key = visit_service.ANSWER_CHANGE_PREFIX + question.code
            if key in changes:
                before, after = changes[key]
                entry.changes.append(
                    Change(
                        f"{question.code}. {question.text}",
                        _display(question, before) or "—",
                        _display(question, after) or "—",
                    )
                )
        entries.append(entry)
    return entries


# ---------------------------------------------------------------------------
# The station picker of the filing page.
# ---------------------------------------------------------------------------


def stations_for_picker(access: MissionAccess, query: str = "") -> list[dict]:
    """Up to 30 stations matching a code prefix or part of the name, the member's team's planned ones first.

    Two indexed queries instead of one sorted by “planned”: sorting 176,623 stations by a computed
    flag would read them all.
    """
    query = query.strip()[:100]
    stations = access.mission.stations.select_related("area").order_by("code")
    if query:
        stations = stations.filter(Q(code__istartswith=query) | Q(name__icontains=query))
    team_id = access.member.team_id
    planned: list[PollingStation] = []
    if team_id is not None:
        in_plan = Team.stations.through.objects.filter(team_id=team_id, pollingstation_id=OuterRef("pk"))
        planned = list(stations.filter(Exists(in_plan))[:PICKER_LIMIT])
    others = list(stations.exclude(pk__in=[s.pk for s in planned])[: PICKER_LIMIT - len(planned)])
    return [
        {
            "code": station.code,
            "name": station.name,
            "area": station.area.path if station.area_id else "",
            "planned": is_planned,
        }
        for stations_, is_planned in ((planned, True), (others, False))
        for station in stations_
    ]
