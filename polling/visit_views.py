"""Election day: the filing API (docs/visit-api.md), the visit and incident pages, review and bulk import."""

import json
import re
import uuid
from functools import lru_cache, wraps
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.core.paginator import Paginator
from django.http import Http404, JsonResponse
from django.shortcuts import redirect, render
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from missions.access import MissionAccess, get_mission_for
from polling import selectors, visit_import
from polling import visits as service
from polling.models import Channel, Visit
from polling.visit_forms import IncidentForm, ReviewForm, VisitFilterForm, VisitMappingForm, VisitUploadForm

VISITS_PER_PAGE = 50
INCIDENTS_PER_PAGE = 50
ERRORS_SHOWN = 500
UPLOAD_SESSION_KEY = "visit-import:{}"


def _context(access: MissionAccess, **extra) -> dict:
    return {"access": access, "mission": access.mission, **extra}


# ---------------------------------------------------------------------------
# The JSON API
# ---------------------------------------------------------------------------


def _problem(status: int, kind: str, message: str, **extra) -> JsonResponse:
    return JsonResponse({"status": kind, "message": message, **extra}, status=status)


def json_api(*methods: str):
    """JSON in, JSON out, for every outcome: 401 (not a login redirect) for an expired session, 404 for a
    non-member, 403 for a refusal, 405 for a wrong method. CSRF stays enforced by the middleware."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if request.method not in methods:
                response = _problem(
                    405, "method_not_allowed", _("Use %(methods)s.") % {"methods": ", ".join(methods)}
                )
                response["Allow"] = ", ".join(methods)
                return response
            if not request.user.is_authenticated:
                return JsonResponse(
                    {"status": "login_required", "login_url": reverse("account_login")}, status=401
                )
            try:
                return view(request, *args, **kwargs)
            except Http404:
                return _problem(404, "not_found", _("Not found."))
            except PermissionDenied as denied:
                return _problem(403, "forbidden", str(denied) or _("You may not do this."))
            except service.VisitInvalid as invalid:
                return JsonResponse({"status": "invalid", "errors": invalid.errors}, status=400)
            except service.VisitForbidden as forbidden:
                return _problem(403, "forbidden", forbidden.message)
            except service.VisitConflict as conflict:
                return _problem(409, "conflict", conflict.message)

        return wrapper

    return decorator


# Text PostgreSQL cannot store: NUL, and lone surrogates (UTF-8 cannot encode them). In a JSON body they
# come only from a \u escape or, as json.loads decodes bytes with surrogatepass, from the bytes of an
# encoded surrogate (ED A0-BF): a body without these needs no walk through its values. (An escaped
# backslash before "u0000" matches too; the walk then finds nothing.)
_UNSTORABLE_HINT = re.compile(rb"\\u0000|\\u[dD][89a-fA-F]|\xed[\xa0-\xbf]")


def _body(request) -> dict:
    body = request.body
    try:
        payload = json.loads(body or b"null")
    except (ValueError, UnicodeDecodeError):
        raise service.VisitInvalid({"__all__": [_("The request body is not valid JSON.")]}) from None
    if not isinstance(payload, dict):
        raise service.VisitInvalid({"__all__": [_("Send a JSON object.")]})
    if _UNSTORABLE_HINT.search(body):
        errors = {}
        for key, value in payload.items():
            if _holds(_has_nul, key) or _holds(_has_nul, value):
                # PostgreSQL text cannot store it: refuse here rather than fail in the database
                errors[key] = [_("Remove the NUL character (\\u0000): text cannot hold it.")]
            elif _holds(_has_surrogate, key) or _holds(_has_surrogate, value):
                errors[key] = [
                    _("Remove the unpaired surrogate (\\ud800-\\udfff): text must be valid Unicode.")
                ]
        if errors:
            raise service.VisitInvalid(errors)
    return payload


def _has_nul(text: str) -> bool:
    return "\x00" in text


def _has_surrogate(text: str) -> bool:
    try:
        text.encode()
    except UnicodeEncodeError:
        return True
    return False


def _holds(test, value) -> bool:
    if isinstance(value, str):
        return test(value)
    if isinstance(value, dict):
        return any(_holds(test, key) or _holds(test, item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds(test, item) for item in value)
    return False


def _channel(request) -> str:
    return (
        Channel.OFFLINE if request.headers.get("X-Observa-Channel", "").lower() == "offline" else Channel.WEB
    )


_SAMPLE_CODE, _SAMPLE_UUID = "c0de", uuid.UUID(int=0)


@lru_cache(maxsize=16)
def _visit_url_parts(script_prefix: str, urlconf: str | None, root_urlconf: str) -> tuple[str, str, str]:
    """A visit page's URL from reverse(), split around the mission code and the visit's UUID."""
    url = reverse("polling:visit_detail", kwargs={"code": _SAMPLE_CODE, "visit": _SAMPLE_UUID})
    head, after = url.rsplit(str(_SAMPLE_UUID), 1)
    before, between = head.rsplit(_SAMPLE_CODE, 1)
    return before, between, after


def _visit_url(mission, visit) -> str:
    """reverse() of the visit's page, which every filing answers with: 10 us, where reverse() took 25-42 us.
    A mission code is a slug and a UUID is hex and dashes: neither needs quoting."""
    before, between, after = _visit_url_parts(get_script_prefix(), get_urlconf(), settings.ROOT_URLCONF)
    return f"{before}{mission.code}{between}{visit.uuid}{after}"


@json_api("POST")
def api_visit_submit(request, code):
    try:
        payload = _body(request)
    except service.VisitInvalid:
        get_mission_for(request.user, code)  # a non-member learns nothing, not even that the body was wrong
        raise
    access, lookup = service.filing_access(request.user, code, payload)
    visit, created = service.visit_submit(
        mission=access.mission,
        member=access.member,
        payload=payload,
        channel=_channel(request),
        request=request,
        lookup=lookup,
    )
    body = {
        "status": "created" if created else "duplicate",
        "uuid": str(visit.uuid),
        "url": _visit_url(access.mission, visit),
    }
    return JsonResponse(body, status=201 if created else 200)


@json_api("PUT")
def api_visit_update(request, code, visit):
    access = get_mission_for(request.user, code)
    visit = selectors.get_visit_for(access, visit)
    payload = _body(request)
    visit, changed = service.visit_update(
        visit=visit,
        member=access.member,
        payload=payload,
        base_revision=payload.get("revision"),
        channel=_channel(request),
        request=request,
    )
    body = {"status": "updated", "revision": visit.revision, "changed": changed, "uuid": str(visit.uuid)}
    return JsonResponse({**body, "url": _visit_url(access.mission, visit)})


@json_api("POST")
def api_incident_report(request, code):
    access = get_mission_for(request.user, code)
    incident, created = service.incident_report(
        mission=access.mission,
        member=access.member,
        payload=_body(request),
        visible_visits=selectors.visits_visible_to(access),
        request=request,
    )
    url = reverse("polling:incident_list", kwargs={"code": code}) + f"#incident-{incident.uuid}"
    body = {"status": "created" if created else "duplicate", "uuid": str(incident.uuid), "url": url}
    return JsonResponse(body, status=201 if created else 200)


@json_api("GET")
def api_stations(request, code):
    access = get_mission_for(request.user, code)
    return JsonResponse(selectors.stations_for_picker(access, request.GET.get("q", "")), safe=False)


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
        _context(access, form=form, page=page, can_import=can_import),
    )


def _edit_url(access: MissionAccess, visit: Visit) -> str:
    """The filing page's correction form, when this member may still correct the visit."""
    if not service.can_edit_visit(access.member, visit) or service.visit_lock_reason(visit, access.mission):
        return ""
    return reverse("polling:visit_edit", kwargs={"code": access.mission.code, "visit": visit.uuid})


def _detail(request, access: MissionAccess, visit: Visit, review_form=None, status=200):
    can_review = service.can_review_visit(access.member, visit) and not access.mission.is_closed
    context = _context(
        access,
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
    return render(request, template, _context(access, page=page))


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
    return render(request, "polling/visits/incident_form.html", _context(access, form=form))


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
    return render(request, "polling/visits/import_upload.html", _context(access, form=form))


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
    context = _context(
        access,
        form=form,
        file_name=stored["name"],
        checklist=checklist,
        table=table,
        preview=table.rows[:5],
        errors=errors[:ERRORS_SHOWN],
        error_count=len(errors),
    )
    return render(request, "polling/visits/import_map.html", context, status=400 if errors else 200)
