"""A statement version as a document: title block, numbered sections, annex, signature.

`build_document` turns a version and a snapshot into plain JSON types (strings,
numbers, lists, dicts), so the same structure feeds the web page, the PDF
template (in a child process) and the plain-text command. Prose stays text:
templates escape it, nothing here is marked safe.
"""

from __future__ import annotations

import base64
import datetime
import io
import mimetypes

from django.conf import settings
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from reports.statements import drafting, tokens
from reports.statements.language import long_date


def title_line(organization: str) -> str:
    if organization.lower().startswith("the "):
        return _("International Election Observation Mission of %(organization)s") % {
            "organization": organization
        }
    return _("International Election Observation Mission of the %(organization)s") % {
        "organization": organization
    }


def _parts(paragraph, link) -> list[dict]:
    out = []
    for part in paragraph:
        if part.is_figure:
            out.append(
                {
                    "figure": True,
                    "text": part.text,
                    "name": part.name,
                    "label": part.label,
                    "href": link(part.name) if link and part.visit_set else "",
                }
            )
        elif part.is_unknown:
            out.append({"unknown": True, "text": part.text, "name": part.name})
        else:
            out.append({"text": part.text})
    return out


def sections(version, snapshot: dict, *, link=None) -> list[dict]:
    """The version's non-empty sections, numbered by heading (findings share one heading)."""
    figures = snapshot.get("figures", {})
    out, number, last_heading = [], 0, None
    current_variants = {f["key"]: f["variant"] for f in snapshot.get("findings", [])}
    current_variants[drafting.OVERALL] = snapshot.get("overall", "none")
    for section in version.sections:
        paragraphs = tokens.paragraphs(section.get("text", ""), figures)
        if not paragraphs:
            continue
        heading = drafting.heading(section["key"])
        show_heading = heading != last_heading
        if show_heading:
            number += 1
            last_heading = heading
        variant = section.get("variant") or ""
        out.append(
            {
                "key": section["key"],
                "number": number,
                "heading": heading,
                "show_heading": show_heading,
                "edited": bool(section.get("edited")),
                "stale": bool(variant and current_variants.get(section["key"], variant) != variant),
                "paragraphs": [_parts(p, link) for p in paragraphs],
            }
        )
    return out


def _qr_data_uri(url: str) -> str:
    import qrcode
    import qrcode.image.svg

    image = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10, border=1)
    buffer = io.BytesIO()
    image.save(buffer)
    return "data:image/svg+xml;base64," + base64.b64encode(buffer.getvalue()).decode()


def _logo_data_uri(statement) -> str:
    if not statement.logo:
        return ""
    try:
        with statement.logo.open("rb") as handle:
            data = handle.read()
    except OSError:
        return ""
    mime = mimetypes.guess_type(statement.logo.name)[0] or "image/png"
    return f"data:{mime};base64,{base64.b64encode(data).decode()}"


def build_document(version, *, snapshot: dict | None = None, for_pdf: bool = False, link=None) -> dict:
    """Everything a template needs to print `version`, resolved against `snapshot`.

    A frozen version always uses its own frozen snapshot; an open one the snapshot
    given, or the mission's data as it is now.
    """
    from reports.statements import figures as figures_module

    statement = version.statement
    mission = statement.mission
    if version.is_frozen:
        snapshot = version.snapshot
    elif snapshot is None:
        snapshot = figures_module.collect(mission, visit_sets=False)
    facts = snapshot["mission"]
    election_date = datetime.date.fromisoformat(facts["election_date"])
    document = {
        "language": get_language() or settings.LANGUAGE_CODE,
        "title": title_line(facts["organization"]),
        "organization": facts["organization"],
        "election": facts["election"],
        "country": facts["country"],
        "election_date": long_date(election_date),
        "version": version.number,
        "status": version.status,
        "status_label": str(version.get_status_display()),
        "is_draft": not version.is_frozen,
        "sections": sections(version, snapshot, link=link),
        "annex": snapshot.get("annex", {}),
        "logo": _logo_data_uri(statement) if for_pdf else "",
        "signatory": None,
        "verify": None,
        "generated": date_format(timezone.localtime(timezone=mission.tzinfo), "j F Y, H:i"),
    }
    if version.is_frozen and version.approved_at:
        document["signatory"] = {
            "name": version.signatory_name,
            "role": _("Head of Mission"),
            "date": long_date(timezone.localtime(version.approved_at, mission.tzinfo).date()),
        }
        document["verify"] = {
            "url": version.verify_url,
            "snapshot_sha256": version.snapshot_sha256,
            "qr": _qr_data_uri(version.verify_url) if for_pdf and version.verify_url else "",
        }
    return document


def plain_text(document: dict) -> str:
    """The document as plain text (the draft_statement command prints this)."""
    lines = [
        document["title"],
        document["election"],
        document["country"],
        document["election_date"],
        "",
        _("STATEMENT"),
    ]
    if document["is_draft"]:
        lines.append(_("Draft, version %(number)s") % {"number": document["version"]})
    for section in document["sections"]:
        if section["show_heading"]:
            lines += ["", f"{section['number']}. {section['heading']}"]
        for paragraph in section["paragraphs"]:
            lines += ["", "".join(part["text"] for part in paragraph)]
    if document["signatory"]:
        s = document["signatory"]
        lines += ["", s["name"], s["role"], s["date"]]
    return "\n".join(lines) + "\n"


class UnsavedDraft:
    """A first draft that exists only on screen or on paper (nothing is saved): what the mission's data
    gives today, in the active language."""

    number = 0
    status = "draft"
    is_frozen = False
    approved_at = None

    def __init__(self, mission, sections):
        from reports.models import Statement

        self.statement = Statement(mission=mission)
        self.sections = sections

    def get_status_display(self):
        return _("Draft")


def fresh_draft_document(mission, *, for_pdf: bool = False) -> dict:
    """The statement the data would give today, drafted in the active language, without saving it.

    `draft_statement CODE --language ru` and `render_statement CODE --language ru` show it, so that a
    mission can read its statement in a language before it adds that language."""
    from reports.statements import figures as figures_module

    snapshot = figures_module.collect(mission, visit_sets=False)
    return build_document(
        UnsavedDraft(mission, drafting.default_sections(snapshot)), snapshot=snapshot, for_pdf=for_pdf
    )
