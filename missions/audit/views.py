"""The mission's audit trail, for its head of mission and secretariat: browse, filter, download."""

import csv
import datetime
import json

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import OuterRef, Subquery
from django.http import StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from config.pagination import TwoEndedPaginator
from config.spreadsheets import escape_cell
from missions.access import MissionAccess, get_mission_for
from missions.audit.forms import SUBJECTS, AuditFilterForm, action_label
from missions.audit_trail import GENESIS, entry_digest
from missions.models import AuditEntry, Role

PER_PAGE = 50
READER_ROLES = frozenset({Role.HEAD_OF_MISSION, Role.SECRETARIAT})
SHORT_CHANGE = 3  # entries with more changed fields than this show them folded


def get_trail_access(user, code: str) -> MissionAccess:
    """404 for a non-member (through get_mission_for), 403 for observers and team leaders."""
    access = get_mission_for(user, code)
    if access.role not in READER_ROLES:
        raise PermissionDenied(_("Only the head of mission and the secretariat may read the audit trail."))
    return access


@login_required
@require_GET
def audit_trail(request, code):
    access = get_trail_access(request.user, code)
    form = AuditFilterForm(request.GET or None, mission=access.mission)
    entries = form.filter(AuditEntry.objects.filter(mission=access.mission).order_by("-created_at", "-id"))
    if request.GET.get("download") == "csv":
        return _csv_response(access.mission, entries)
    page = TwoEndedPaginator(entries, PER_PAGE).get_page(request.GET.get("page"))
    rows = [_row(entry) for entry in _with_previous_hash(page)]
    context = {
        "access": access,
        "mission": access.mission,
        "form": form,
        "page": page,
        "rows": rows,
        "broken": sum(1 for row in rows if not row["intact"]),
        "filtered": any(form.data.get(name) for name in form.fields),
    }
    return render(request, "missions/audit/trail.html", context)


def _with_previous_hash(page) -> list[AuditEntry]:
    """The page's entries, each with the hash of the entry before it in the whole chain (any mission).

    Looked up for these 50 entries only, once the page is known: as an annotation of the paged query,
    PostgreSQL would also run it for every row an OFFSET skips.
    """
    previous = AuditEntry.objects.filter(id__lt=OuterRef("id")).order_by("-id").values("entry_hash")[:1]
    hashes = dict(
        AuditEntry.objects.filter(id__in=[entry.pk for entry in page])
        .annotate(previous_hash=Subquery(previous))
        .values_list("id", "previous_hash")
    )
    for entry in page:
        entry.previous_hash = hashes.get(entry.pk)
    return list(page)


def _row(entry: AuditEntry) -> dict:
    """One entry as the page shows it; `intact` checks its own hash and its link to the entry before it."""
    changes = [
        {"field": name.replace("_", " "), "before": _readable(pair[0]), "after": _readable(pair[1])}
        if isinstance(pair, list) and len(pair) == 2
        else {"field": name.replace("_", " "), "before": "", "after": _readable(pair)}
        for name, pair in entry.changes.items()
    ]
    return {
        "entry": entry,
        "label": action_label(entry.action),
        "subject": SUBJECTS.get(entry.action.split(".", 1)[0], ""),
        "changes": changes,
        "folded": len(changes) > SHORT_CHANGE,
        "intact": entry_digest(entry) == entry.entry_hash
        and entry.prev_hash == (entry.previous_hash or GENESIS),
    }


def _readable(value) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, list) and all(isinstance(item, str | int | float) for item in value):
        return ", ".join(str(item) for item in value)
    if isinstance(value, list | dict):
        return json.dumps(value, ensure_ascii=False, indent=1)
    return str(value)


class _Echo:
    def write(self, value):
        return value


HEADER = [
    "time_utc",
    "actor_email",
    "action",
    "action_label",
    "object_type",
    "object_id",
    "object",
    "changes",
    "ip_address",
    "user_agent",
    "entry_hash",
]


def _csv_response(mission, entries) -> StreamingHttpResponse:
    """Every filtered entry, streamed; cells a spreadsheet would run as a formula are escaped."""
    writer = csv.writer(_Echo())

    def lines():
        yield writer.writerow(HEADER)
        for entry in entries.iterator(chunk_size=2000):
            yield writer.writerow(
                [
                    escape_cell(value)
                    for value in (
                        entry.created_at.astimezone(datetime.UTC).isoformat(),
                        entry.actor_email,
                        entry.action,
                        action_label(entry.action),
                        entry.target_type,
                        entry.target_id,
                        entry.target_repr,
                        json.dumps(entry.changes, ensure_ascii=False, sort_keys=True),
                        entry.ip_address or "",
                        entry.user_agent,
                        entry.entry_hash,
                    )
                ]
            )

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{mission.code}-{stamp}.csv"'
    return response
