"""Default statement text, written from a data snapshot.

Each section is prose with figure tokens (see tokens.py), so the numbers stay
bound to the data after someone rewrites the words around them. Sections that
depend on the data in more than their numbers (a finding is either the "none" or
the "some" sentence) remember which `variant` they were written for, so a redraft
can tell an editor when edited prose no longer matches the data.
"""

import datetime
import re

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from missions.models import Meeting
from reports.statements.language import country_phrase, date_range, join_list, long_date
from reports.statements.tokens import neutralise, token

INTRODUCTION = "introduction"
LEGAL_BASIS = "legal_basis"
MEETINGS = "meetings"
ELECTION_DAY = "election_day"
OVERALL = "overall"
CONCLUSION = "conclusion"
FINDING_PREFIX = "finding:"

_PLACEHOLDER_RE = re.compile(r"\{(count|total|percent)\}")

# How a meeting category reads in "The Mission met representatives of ...".
_CATEGORY_PHRASES = {
    Meeting.Category.GOVERNMENT: lambda: _("the government"),
    Meeting.Category.ELECTION_ADMINISTRATION: lambda: _("the election administration"),
    Meeting.Category.CANDIDATES: lambda: _("candidates and political parties"),
    Meeting.Category.INTERNATIONAL_OBSERVERS: lambda: _("other international observers"),
    Meeting.Category.CIVIL_SOCIETY: lambda: _("civil society"),
    Meeting.Category.MEDIA: lambda: _("the media"),
}


def heading(key: str) -> str:
    """The heading a section is printed under ('' for findings after the first)."""
    if key.startswith(FINDING_PREFIX) or key == OVERALL:
        return _("Findings on election day")
    return {
        INTRODUCTION: _("Introduction"),
        LEGAL_BASIS: _("Legal basis"),
        MEETINGS: _("Pre-election meetings"),
        ELECTION_DAY: _("Election day"),
        CONCLUSION: _("Conclusion"),
    }.get(key, "")


def section_label(key: str, snapshot: dict) -> str:
    """What the editor calls a section: its heading, or the question for a finding."""
    if key.startswith(FINDING_PREFIX):
        finding = next((f for f in snapshot.get("findings", []) if f["key"] == key), None)
        return _("Finding: %(question)s") % {
            "question": finding["text"] if finding else key[len(FINDING_PREFIX) :]
        }
    if key == OVERALL:
        return _("Findings: overall assessment")
    return heading(key)


def default_sections(snapshot: dict) -> list[dict]:
    """Every section of a fresh draft, in document order."""
    sections = [
        _section(INTRODUCTION, introduction(snapshot)),
        _section(LEGAL_BASIS, legal_basis(snapshot)),
        _section(MEETINGS, meetings(snapshot)),
        _section(ELECTION_DAY, election_day(snapshot)),
    ]
    for finding in snapshot.get("findings", []):
        text = finding_text(finding)
        if text:
            sections.append(_section(finding["key"], text, variant=finding["variant"]))
    sections.append(_section(OVERALL, overall(snapshot), variant=snapshot.get("overall", "none")))
    sections.append(_section(CONCLUSION, conclusion(snapshot)))
    return sections


# A date that ends in an abbreviation ("7 февраля 2024 г.") at the end of a sentence takes no second stop.
_DOUBLE_STOP = re.compile(r"(?<=\w\.)\.(?=\s|$)")


def _section(key: str, text: str, *, variant: str = "") -> dict:
    return {"key": key, "text": _DOUBLE_STOP.sub("", text), "edited": False, "variant": variant}


def _date(value: str) -> datetime.date:
    return datetime.date.fromisoformat(value)


def introduction(snapshot: dict) -> str:
    m = snapshot["mission"]
    figures = snapshot["figures"]
    first = _(
        "At the invitation of the authorities of %(country)s, the %(organization)s deployed an International "
        "Election Observation Mission to observe the %(election)s held on %(date)s."
    ) % {
        "country": country_phrase(m["country"]),
        "organization": m["organization"],
        "election": m["election"],
        "date": long_date(_date(m["election_date"])),
    }
    parts = [first]
    if figures["head_of_mission"]["value"]:
        parts.append(_("The Mission was headed by %(head)s.") % {"head": token("head_of_mission")})
    period = date_range(_date(m["observation_start"]), _date(m["observation_end"]))
    parts.append(_("It observed the electoral process %(period)s.") % {"period": period})
    if figures["countries_count"]["value"]:
        parts.append(
            ngettext(
                "The Mission comprised %(members)s members from %(countries)s country or delegation.",
                "The Mission comprised %(members)s members from %(countries)s countries or delegations.",
                figures["countries_count"]["value"],
            )
            % {"members": token("members_total"), "countries": token("countries_count")}
        )
    else:
        parts.append(_("The Mission comprised %(members)s members.") % {"members": token("members_total")})
    return " ".join(parts)


def legal_basis(snapshot: dict) -> str:
    m = snapshot["mission"]
    return _(
        "The Mission observed the election on the basis of the invitation it received, the legislation of "
        "%(country)s and the commitments and internationally recognised standards for democratic elections. "
        "Its observers acted impartially and did not interfere in the electoral process. The Mission's "
        "findings rest on what its own observers saw and reported."
    ) % {"country": country_phrase(m["country"])}


def meetings(snapshot: dict) -> str:
    rows = snapshot.get("meetings", [])
    if not rows:
        return ""
    order = list(Meeting.Category.values)
    by_category: dict[str, list[str]] = {}
    for row in sorted(rows, key=lambda r: order.index(r["category"]) if r["category"] in order else 99):
        person = f"{row['counterpart']}, {row['title']}" if row["title"] else row["counterpart"]
        by_category.setdefault(row["category"], []).append(neutralise(person))
    groups = [_CATEGORY_PHRASES[c]() if c in _CATEGORY_PHRASES else c for c in by_category]
    paragraphs = [
        ngettext(
            "Before election day, the Mission held %(count)s meeting with representatives of %(groups)s.",
            "Before election day, the Mission held %(count)s meetings with representatives of %(groups)s.",
            len(rows),
        )
        % {"count": token("meetings_count"), "groups": join_list(groups)}
    ]
    for category, people in by_category.items():
        phrase = _CATEGORY_PHRASES[category]() if category in _CATEGORY_PHRASES else category
        paragraphs.append(
            _("From %(group)s, the Mission met %(people)s.") % {"group": phrase, "people": join_list(people)}
        )
    return "\n\n".join(paragraphs)


def election_day(snapshot: dict) -> str:
    figures = snapshot["figures"]
    if not figures["visits_count"]["value"]:
        return _("On election day, the Mission observed the voting.")
    values = {
        "teams": token("teams_count"),
        "stations": token("stations_visited"),
        "places": token("places"),
    }
    stations = figures["stations_visited"]["value"]
    if figures["teams_count"]["value"] > 1:
        return (
            ngettext(
                "On election day, the Mission was divided into %(teams)s groups and visited %(stations)s polling "
                "station in %(places)s.",
                "On election day, the Mission was divided into %(teams)s groups and visited %(stations)s polling "
                "stations in %(places)s.",
                stations,
            )
            % values
        )
    return (
        ngettext(
            "On election day, the Mission visited %(stations)s polling station in %(places)s.",
            "On election day, the Mission visited %(stations)s polling stations in %(places)s.",
            stations,
        )
        % values
    )


def finding_text(finding: dict) -> str:
    """The question's own statement wording, its placeholders turned into live figures."""
    wording = finding["finding_some"] if finding["variant"] == "some" else finding["finding_none"]
    wording = neutralise((wording or "").strip())
    key = finding["key"]
    return _PLACEHOLDER_RE.sub(lambda m: token(f"{key}:{m.group(1)}"), wording)


def overall(snapshot: dict) -> str:
    if snapshot.get("overall") != "some":
        return _("The Mission observed no significant irregularities.")
    return _(
        "Serious irregularities were reported in %(count)s of the %(total)s polling stations visited "
        "(%(percent)s%%)."
    ) % {
        "count": token("serious:count"),
        "total": token("serious:total"),
        "percent": token("serious:percent"),
    }


def conclusion(snapshot: dict) -> str:
    m = snapshot["mission"]
    return _(
        "The Mission thanks the authorities of %(country)s and the election administration for their invitation "
        "and cooperation, and the election officials and voters it met for their openness. The %(organization)s "
        "will continue to follow the electoral process."
    ) % {"country": country_phrase(m["country"]), "organization": m["organization"]}


def redraft(current: list[dict], fresh: list[dict]) -> tuple[list[dict], list[str]]:
    """Merge freshly drafted sections into a version's sections.

    1. A section nobody edited is replaced by its fresh text.
    2. An edited section keeps its prose (its figures are live anyway). If the data
       now calls for the other sentence (a finding went from none to some), the
       section keeps its old variant and a warning names it.
    3. An edited section the data no longer produces (a question lost its wording)
       is kept where it was, with a warning; unedited ones simply go.
    Returns (sections, warnings).
    """
    old = {s["key"]: s for s in current}
    merged, warnings = [], []
    fresh_keys = {s["key"] for s in fresh}
    for section in fresh:
        previous = old.get(section["key"])
        if previous and previous.get("edited"):
            merged.append(previous)
            if section["variant"] and previous.get("variant") and previous["variant"] != section["variant"]:
                warnings.append(section["key"])
        else:
            merged.append(section)
    for index, section in enumerate(current):
        if section["key"] not in fresh_keys and section.get("edited"):
            merged.insert(min(index, len(merged)), section)
            warnings.append(section["key"])
    return merged, warnings
