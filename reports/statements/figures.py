"""The data snapshot: every figure, list and table a statement shows, as plain JSON.

Figures come from the result selectors (reports.results.selectors), the one place where
the mission's visits are aggregated; this module only names them and writes them
down. A snapshot is canonical JSON, so its SHA-256 identifies the data an approved
statement was based on, and comparing two snapshots says which figures moved.
"""

import hashlib
import json
from decimal import Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _

from missions.models import Member, Mission, Role
from reports.results import selectors
from reports.statements.language import join_list

SCHEMA = 1
ALL_VISITS = "all"


def finding_key(checklist_code: str, question_code: str) -> str:
    return f"finding:{checklist_code}:{question_code}"


def _count(value: int, label: str, visits: str | None = None, link: dict | None = None) -> dict:
    return {"kind": "count", "value": int(value), "label": label, "visits": visits, "link": link}


def _text(value: str, label: str, visits: str | None = None, link: dict | None = None) -> dict:
    return {"kind": "text", "value": value, "label": label, "visits": visits, "link": link}


def _percent(value: int, label: str, visits: str | None = None, link: dict | None = None) -> dict:
    return {"kind": "percent", "value": int(value), "label": label, "visits": visits, "link": link}


def _plain(value):
    if isinstance(value, Decimal):
        return str(value.normalize()) if value == value.to_integral() else str(value)
    return value


def collect(mission: Mission, *, annex: bool = True, visit_sets: bool = True) -> dict:
    """The snapshot of `mission` as it is now (a dict of JSON types only).

    `annex=False` leaves out the per-question tables and `visit_sets=False` the UUIDs of
    the visits behind each figure: drafting prose needs neither, and they are the most
    expensive parts (approval always takes both; the figure pages and the list of data
    changes need the visit sets).
    """
    coverage = selectors.coverage(mission)
    findings = selectors.findings(mission, with_uuids=visit_sets)
    serious = selectors.serious_irregularities(mission, with_uuids=visit_sets)
    results = selectors.question_results(mission) if annex else []

    figures: dict[str, dict] = {}
    sets: dict[str, list[str]] = {}

    figures.update(_mission_figures(mission))
    all_link: dict = {}
    figures["teams_count"] = _count(coverage.teams, _("teams on election day"), ALL_VISITS, all_link)
    figures["stations_visited"] = _count(
        coverage.stations_visited, _("polling stations visited"), ALL_VISITS, all_link
    )
    figures["visits_count"] = _count(coverage.visits, _("visits"), ALL_VISITS, all_link)
    figures["places"] = _text(join_list(coverage.places), _("places visited"), ALL_VISITS, all_link)
    if visit_sets:
        sets[ALL_VISITS] = sorted(
            str(u) for u in selectors.visits_for(mission).values_list("uuid", flat=True)
        )

    finding_rows = []
    for finding in findings:
        key = finding_key(finding.checklist_code, finding.question_code)
        link = {"checklist": finding.checklist_code, "question": finding.question_code, "flagged": "1"}
        if visit_sets:
            sets[key] = sorted(str(u) for u in finding.figure.visit_uuids)
        question = finding.text if len(finding.text) <= 60 else finding.text[:57] + "…"
        figures[f"{key}:count"] = _count(
            finding.figure.count,
            _("%(question)s: polling stations reporting it") % {"question": question},
            key,
            link,
        )
        figures[f"{key}:total"] = _count(
            finding.figure.total,
            _("%(question)s: polling stations that answered") % {"question": question},
            key,
            link,
        )
        figures[f"{key}:percent"] = _percent(
            finding.figure.percent,
            _("%(question)s: per cent reporting it") % {"question": question},
            key,
            link,
        )
        finding_rows.append(
            {
                "key": key,
                "checklist": finding.checklist_code,
                "question": finding.question_code,
                "text": finding.text,
                "severity": finding.severity,
                "variant": "some" if finding.figure.count else "none",
                "finding_none": finding.finding_none,
                "finding_some": finding.finding_some,
            }
        )

    serious_link = {"serious": "1"}
    if visit_sets:
        sets["serious"] = sorted(str(u) for u in serious.visit_uuids)
    figures["serious:count"] = _count(
        serious.count, _("polling stations with serious irregularities"), "serious", serious_link
    )
    figures["serious:total"] = _count(serious.total, _("polling stations visited"), "serious", serious_link)
    figures["serious:percent"] = _percent(
        serious.percent, _("per cent of stations with serious irregularities"), "serious", serious_link
    )

    return {
        "schema": SCHEMA,
        "mission": _mission_facts(mission),
        "figures": figures,
        "visit_sets": sets,
        "findings": finding_rows,
        "overall": "some" if serious.count else "none",
        "meetings": _meetings(mission),
        "annex": {
            "by_area": [_coverage_row(row) for row in coverage.by_area],
            "by_team": [_coverage_row(row) for row in coverage.by_team],
            "area_level": mission.statement_level_name,
            "questions": [_question_row(result) for result in results if result.answered],
        },
    }


def canonical_json(snapshot: dict) -> bytes:
    return json.dumps(snapshot, sort_keys=True, ensure_ascii=False, separators=(",", ":")).encode()


def sha256(snapshot: dict) -> str:
    return hashlib.sha256(canonical_json(snapshot)).hexdigest()


def review_digest(version, snapshot: dict) -> str:
    """What the head of mission reads before approving, as a SHA-256: the version, its sections' text and
    the value of every figure. The approve form carries it; approval is refused if it changed meanwhile
    (the text returned to draft and edited, or new visits moving a figure)."""
    shown = {
        "version": [version.pk, version.number],
        "sections": [[section["key"], section["text"]] for section in version.sections],
        "figures": {name: figure["value"] for name, figure in sorted(snapshot["figures"].items())},
    }
    return hashlib.sha256(canonical_json(shown)).hexdigest()


def changed_figures(frozen: dict, fresh: dict) -> list[dict]:
    """The figures of `frozen` whose value, or the visits behind them, differ in `fresh`."""
    changes = []
    old_sets, new_sets = frozen.get("visit_sets", {}), fresh.get("visit_sets", {})
    for name, old in frozen.get("figures", {}).items():
        new = fresh.get("figures", {}).get(name)
        if new is None:
            changes.append({"name": name, "label": old.get("label", ""), "old": old, "new": None})
            continue
        visits_moved = old.get("visits") and old_sets.get(old["visits"]) != new_sets.get(new.get("visits"))
        if old.get("value") != new.get("value") or visits_moved:
            changes.append(
                {
                    "name": name,
                    "label": old.get("label", ""),
                    "old": old,
                    "new": new,
                    "value_changed": old.get("value") != new.get("value"),
                }
            )
    return changes


def _mission_figures(mission: Mission) -> dict:
    members = Member.objects.filter(mission=mission, is_active=True).aggregate(
        total=Count("pk"),
        countries=Count("country", distinct=True, filter=~Q(country="")),
    )
    head = (
        Member.objects.filter(mission=mission, is_active=True, role=Role.HEAD_OF_MISSION)
        .select_related("user")
        .order_by("joined_at", "pk")
        .first()
    )
    return {
        "members_total": _count(members["total"], _("members of the mission")),
        "countries_count": _count(members["countries"], _("countries or delegations")),
        "meetings_count": _count(mission.meetings.count(), _("meetings before election day")),
        "head_of_mission": _text(str(head.user) if head else "", _("head of mission")),
    }


def _mission_facts(mission: Mission) -> dict:
    return {
        "code": mission.code,
        "name": mission.name,
        "organization": mission.organization,
        "election": mission.election,
        "country": mission.country,
        "election_date": mission.election_date.isoformat(),
        "observation_start": mission.observation_start.isoformat(),
        "observation_end": mission.observation_end.isoformat(),
    }


def _meetings(mission: Mission) -> list[dict]:
    return [
        {
            "date": m["date"].isoformat(),
            "category": m["category"],
            "counterpart": m["counterpart"],
            "title": m["title"],
        }
        for m in mission.meetings.order_by("date", "created_at", "pk").values(
            "date", "category", "counterpart", "title"
        )
    ]


def _coverage_row(row) -> dict:
    return {
        "label": row.label,
        "planned": row.planned,
        "visited": row.visited,
        "visits": row.visits,
        "share": str(row.share.percent_1) if row.planned else "",
    }


def _question_row(result) -> dict:
    row = {
        "checklist": result.checklist_code,
        "code": result.code,
        "text": result.text,
        "section": result.section,
        "answered": result.answered,
        "options": [
            {
                "label": option.label,
                "count": option.share.count,
                "percent": str(option.share.percent_1),
                "flagged": option.flagged,
                "severity": option.severity,
            }
            for option in result.options
        ],
        "numbers": None,
    }
    if result.numbers is not None:
        row["numbers"] = {
            "count": result.numbers.count,
            "minimum": _plain(result.numbers.minimum),
            "median": _plain(result.numbers.median),
            "maximum": _plain(result.numbers.maximum),
        }
    return row
