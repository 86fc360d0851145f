"""The questions of a mission's checklists, merged across versions by question code.

Results compare a question by its code across all versions of a checklist. The
wording, type and options shown are those of the newest version that has the
code; options that only older versions had follow, so no counted answer is lost.
Two queries, whatever the number of versions.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.db.models import F

from polling.models import Checklist, Option, Question


@dataclass
class OptionMeta:
    value: str
    label: str
    flagged: bool
    severity: str
    negative: bool


@dataclass
class QuestionMeta:
    checklist_code: str
    checklist_name: str
    code: str
    text: str
    type: str
    section: str
    finding_none: str
    finding_some: str
    options: list[OptionMeta] = field(default_factory=list)

    @property
    def key(self) -> tuple[str, str]:
        return (self.checklist_code, self.code)

    @property
    def has_flagged(self) -> bool:
        return any(o.flagged for o in self.options)

    @property
    def severity(self) -> str:
        flagged = [o.severity for o in self.options if o.flagged]
        if not flagged:
            return ""
        return Option.Severity.SERIOUS if Option.Severity.SERIOUS in flagged else (Option.Severity.MINOR)


def question_meta(mission, *, checklist: Checklist | str | None = None) -> list[QuestionMeta]:
    """Every question code of the mission's checklists, in checklist order then question order."""
    questions = Question.objects.filter(version__checklist__mission=mission)
    options = Option.objects.filter(question__version__checklist__mission=mission)
    if checklist is not None:
        code = checklist if isinstance(checklist, str) else checklist.code
        questions = questions.filter(version__checklist__code=code)
        options = options.filter(question__version__checklist__code=code)
    rows = questions.annotate(
        cl_code=F("version__checklist__code"),
        cl_name=F("version__checklist__name"),
        cl_order=F("version__checklist__order"),
        vnum=F("version__number"),
    ).order_by("cl_order", "cl_name", "cl_code", "-vnum", "order", "pk")
    metas: dict[tuple[str, str], QuestionMeta] = {}
    sort: dict[tuple[str, str], tuple] = {}
    first_version: dict[str, int] = {}
    for q in rows.values(
        "cl_code",
        "cl_name",
        "cl_order",
        "vnum",
        "code",
        "text",
        "type",
        "section",
        "order",
        "finding_none",
        "finding_some",
    ):
        key = (q["cl_code"], q["code"])
        if key in metas:
            continue
        newest = first_version.setdefault(q["cl_code"], q["vnum"])
        metas[key] = QuestionMeta(
            q["cl_code"],
            q["cl_name"],
            q["code"],
            q["text"],
            q["type"],
            q["section"],
            q["finding_none"],
            q["finding_some"],
        )
        # Codes of the newest version in its order; codes dropped since go after, newest first.
        sort[key] = (q["cl_order"], q["cl_name"], q["cl_code"], newest - q["vnum"], q["order"])
    seen: set[tuple[str, str, str]] = set()
    for o in options.order_by("-question__version__number", "order", "pk").values(
        "question__version__checklist__code",
        "question__code",
        "value",
        "label",
        "flagged",
        "severity",
        "negative",
    ):
        key = (o["question__version__checklist__code"], o["question__code"])
        if key not in metas or (*key, o["value"]) in seen:
            continue
        seen.add((*key, o["value"]))
        metas[key].options.append(
            OptionMeta(o["value"], o["label"], o["flagged"], o["severity"] or "", o["negative"])
        )
    return [metas[k] for k in sorted(metas, key=sort.__getitem__)]
