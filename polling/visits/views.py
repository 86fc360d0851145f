"""Election day's pages: the visit and incident lists, a visit, review and bulk import of visits."""

import uuid
from pathlib import PurePath

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from missions.access import MissionAccess, get_mission_for
from polling import visits as service
from polling.models import Visit
from polling.visits import importing as visit_import
from polling.visits import selectors
from polling.visits.forms import IncidentForm, ReviewForm, VisitFilterForm, VisitMappingForm, VisitUploadForm

VISITS_PER_PAGE = 50
INCIDENTS_PER_PAGE = 50
ERRORS_SHOWN = 500
UPLOAD_SESSION_KEY = "visit-import:{}"


# ---------------------------------------------------------------------------
# Visit pages
# ---------------------------------------------------------------------------


@login_required
def visit_list(request, code):
    access = get_mission_for(request.user, code)
    form = VisitFilterForm(request.GET or None, access=access)
    visits = selectors.visit_list(access, **form.filters())
    page = Paginator(visits, VISITS_PER_PAGE).get_page(request.GET.get("page"))
    can_import = access.can_change_setup and not access.mission.is_closed
    return render(
        request,
        "polling/visits/visit_list.html",
        access.page_context(form=form, page=page, can_import=can_import),
    )


def _edit_url(access: MissionAccess, visit: Visit) -> str:
    """The filing page's correction form, when this member may still correct the visit."""
    if not service.can_edit_visit(access.member, visit) or service.visit_lock_reason(visit, access.mission):
        return ""
    return reverse("polling:visit_edit", kwargs={"code": access.mission.code, "visit": visit.uuid})


def _detail(request, access: MissionAccess, visit: Visit, review_form=None, status=200):
    can_review = service.can_review_visit(access.member, visit) and not access.mission.is_closed
    context = access.page_context(
        visit=visit,
        lines=selectors.visit_answer_lines(visit),
        history=selectors.visit_history(visit),
        incidents=selectors.incidents_visible_to(access).filter(visit=visit).select_related("station"),
        can_review=can_review,
        review_form=review_form or ReviewForm(),
        edit_url=_edit_url(access, visit),
        lock_reason=service.visit_lock_reason(visit, access.mission),
    )
    return render(request, "polling/visits/visit_detail.html", context, status=status)


@login_required
def visit_detail(request, code, visit):
    access = get_mission_for(request.user, code)
    return _detail(request, access, selectors.get_visit_for(access, visit))


@login_required
@require_POST
def visit_review(request, code, visit):
    access = get_mission_for(request.user, code)
    visit = selectors.get_visit_for(access, visit)
    if not service.can_review_visit(access.member, visit):
        raise PermissionDenied(
            _("Only the team's leader, the secretariat and the head of mission review visits.")
        )
    form = ReviewForm(request.POST)
    if not form.is_valid():
        return _detail(request, access, visit, review_form=form, status=400)
    try:
        if form.cleaned_data["action"] == ReviewForm.REVIEWED:
            service.visit_mark_reviewed(visit=visit, by=access.member, request=request)
            messages.success(request, _("Visit marked as reviewed."))
        else:
            service.visit_flag_follow_up(
                visit=visit, by=access.member, comment=form.cleaned_data["comment"], request=request
            )
            messages.success(request, _("Visit flagged for follow-up."))
    except service.VisitLocked as locked:
        messages.error(request, locked.message)
    return redirect("polling:visit_detail", code=code, visit=visit.uuid)


# ---------------------------------------------------------------------------
# Incidents
# ---------------------------------------------------------------------------


@login_required
def incident_list(request, code):
    access = get_mission_for(request.user, code)
    incidents = (
        selectors.incidents_visible_to(access)
        .select_related("station__area", "observer__user", "team", "visit")
        .order_by("-created_at", "-pk")
    )
    page = Paginator(incidents, INCIDENTS_PER_PAGE).get_page(request.GET.get("page"))
    template = (
        "polling/visits/_incident_rows.html"
        if request.headers.get("HX-Request")
        else "polling/visits/incident_list.html"
    )
    return render(request, template, access.page_context(page=page))


@login_required
@require_http_methods(["GET", "POST"])
def incident_report(request, code):
    access = get_mission_for(request.user, code)
    if access.mission.is_closed:
        raise PermissionDenied(_("The mission is closed: incidents can no longer be reported."))
    initial = {}
    visit_uuid = request.GET.get("visit")
    if visit_uuid and service.parse_uuid(visit_uuid):
        visit = selectors.get_visit_for(access, visit_uuid)
        initial = {"visit": visit.uuid, "station": visit.station.code}
    form = IncidentForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            service.incident_report(
                mission=access.mission,
                member=access.member,
                payload=form.payload(),
                visible_visits=selectors.visits_visible_to(access),
                request=request,
            )
        except service.VisitInvalid as invalid:
            for name, errors in invalid.errors.items():
                for error in errors:
                    form.add_error(name if name in form.fields else None, error)
        except service.VisitConflict as conflict:
            form.add_error(None, conflict.message)
        else:
            messages.success(request, _("Incident reported: the head of mission sees it now."))
            return redirect("polling:incident_list", code=code)
    return render(request, "polling/visits/incident_form.html", access.page_context(form=form))


# ---------------------------------------------------------------------------
# Bulk import (secretariat and head of mission)
# ---------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def visit_import_upload(request, code):
    access = get_mission_for(request.user, code, write=True)
    form = VisitUploadForm(request.POST or None, request.FILES or None, mission=access.mission)
    if request.method == "POST" and form.is_valid():
        upload = uuid.uuid4()
        file = form.cleaned_data["file"]
        suffix = PurePath(file.name).suffix.lower()
        visit_import.visit_uploads_purge(mission=access.mission)
        path = default_storage.save(f"{visit_import.visit_upload_dir(access.mission)}/{upload}{suffix}", file)
        request.session[UPLOAD_SESSION_KEY.format(upload)] = {
            "path": path,
            "name": file.name,
            "checklist": form.cleaned_data["checklist"].code,
        }
        return redirect("polling:visit_import_map", code=code, upload=upload)
    return render(request, "polling/visits/import_upload.html", access.page_context(form=form))


def _uploaded(request, access: MissionAccess, upload):
    """The file this user uploaded (kept in their session, so nobody else can reach it) and its checklist."""
    stored = request.session.get(UPLOAD_SESSION_KEY.format(upload))
    if not stored or not default_storage.exists(stored["path"]):
        raise Http404(_("This upload has expired: upload the file again."))
    checklist = (
        access.mission.checklists.select_related("current_version").filter(code=stored["checklist"]).first()
    )
    if checklist is None or checklist.current_version is None:
        raise Http404
    with default_storage.open(stored["path"], "rb") as file:
        table = visit_import.read_table(file, stored["name"])
    return stored, checklist, table


@login_required
@require_http_methods(["GET", "POST"])
def visit_import_map(request, code, upload):
    access = get_mission_for(request.user, code, write=True)
    try:
        stored, checklist, table = _uploaded(request, access, upload)
    except visit_import.VisitImportInvalid as invalid:
        messages.error(request, "; ".join(str(error) for error in invalid.errors))
        return redirect("polling:visit_import", code=code)
    spec = service.version_spec(checklist.current_version)
    form = VisitMappingForm(request.POST or None, table=table, spec=spec, mission=access.mission)
    errors = []
    if request.method == "POST" and form.is_valid():
        try:
            result = visit_import.visit_import(
                mission=access.mission,
                version=checklist.current_version,
                table=table,
                mapping=form.mapping(),
                user=request.user,
                request=request,
            )
        except visit_import.VisitImportInvalid as invalid:
            errors = invalid.errors
        except service.VisitForbidden as forbidden:
            raise PermissionDenied(forbidden.message) from None
        else:
            default_storage.delete(stored["path"])
            del request.session[UPLOAD_SESSION_KEY.format(upload)]
            messages.success(
                request,
                _("%(created)s visits imported; %(duplicates)s were already stored.")
                % {"created": result.created, "duplicates": result.duplicates},
            )
            return redirect("polling:visit_list", code=code)
    context = access.page_context(
        form=form,
        file_name=stored["name"],
        checklist=checklist,
        table=table,
        preview=table.rows[:5],
        errors=errors[:ERRORS_SHOWN],
        error_count=len(errors),
    )
    return render(request, "polling/visits/import_map.html", context, status=400 if errors else 200)
