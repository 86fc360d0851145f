"""The observer's filing pages: choose a checklist, file or correct a visit, report an incident.

The pages are rendered on the server (one column, big targets) and work offline: static/js/outbox.js
keeps what the observer saves in the browser (IndexedDB) and sends it to the JSON API of
docs/visit-api.md; static/js/sw.js, served at /sw.js so that its scope covers /m/, keeps the pages
and their assets for when there is no network. Nothing is stored by these views themselves.
"""

import hashlib
import json
from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import gettext as _

from missions.access import MissionAccess, get_mission_for
from polling import visits as service
from polling.models import Assessment, Checklist, Incident, PollingStation, Question
from polling.visits import selectors

# What the service worker keeps from the first visit on: every asset a filing page loads.
PRECACHED_ASSETS = (
    "vendor/bootstrap/bootstrap.min.css",
    "css/observa.css",
    "css/filing.css",
    "js/outbox.js",
    "js/filing.js",
)
# How each question type is asked.
INPUTS = {
    Question.Type.YES_NO: "radio",
    Question.Type.SINGLE: "radio",
    Question.Type.RATING: "radio",
    Question.Type.MULTIPLE: "checkbox",
    Question.Type.NUMBER: "number",
    Question.Type.TIME: "time",
    Question.Type.TEXT: "text",
    Question.Type.LONG_TEXT: "textarea",
}
# Planned stations embedded in the page for the picker; more are found by searching.
PLANNED_LIMIT = 300


# ---------------------------------------------------------------------------
# What every filing page carries: the outbox's configuration and its messages.
# ---------------------------------------------------------------------------


def _messages() -> dict[str, str]:
    """Every sentence the scripts show, translated here: the scripts hold no text of their own."""
    return {
        "waiting": _("Waiting to be sent: %(count)s"),
        "attention": _("Need your attention: %(count)s"),
        "nothing_waiting": _("Everything has been sent."),
        "offline": _("Offline: what you save stays on this phone and is sent when the network returns."),
        "sending": _("Sending…"),
        "network_error": _("No connection to the server; trying again shortly."),
        "server_error": _("The server did not answer properly (%(status)s); trying again shortly."),
        "login_required": _("Your session has ended: log in again to send what is waiting."),
        "invalid": _("The server refused it: open it, correct the marked answers and save again."),
        "open_to_fix": _("Open and correct"),
        "discard": _("Discard"),
        "discard_confirm": _("Discard this for good? It has not been sent and cannot be recovered."),
        "send_now": _("Send now"),
        "logout_warning": _(
            "Not yet sent from this phone: %(count)s. They stay on this phone and are sent after you "
            "log in here again. Log out anyway?"
        ),
        "visit": _("Visit"),
        "incident": _("Incident"),
        "correction": _("Correction"),
        "saved_offline": _("Saved on this phone. It will be sent when the network returns."),
        "saved_sending": _("Saved on this phone; sending…"),
        "sent": _("Sent to the server."),
        "view_sent": _("See it"),
        "required": _("This question must be answered."),
        "required_field": _("This field is required."),
        "choose_station": _("Choose the polling station."),
        "not_a_number": _("Enter a number."),
        "two_decimals": _("Use at most two decimal places."),
        "min": _("The smallest allowed value is %(min)s."),
        "max": _("The largest allowed value is %(max)s."),
        "departure_before_arrival": _("The departure cannot be before the arrival."),
        "fix_errors": _("Please correct the marked answers."),
        "no_station_found": _("No polling station found."),
        "offline_search": _("Offline: searching only the stations on this phone."),
        "planned": _("planned"),
        "reopened": _("This was saved on this phone but not sent yet. Correct it and save again."),
        "unsupported": _("This browser cannot keep visits offline; use a recent Chrome, Firefox or Safari."),
    }


def _page_context(request, access: MissionAccess, **extra) -> dict:
    """The context of every filing page: the navbar's mission and the outbox configuration."""
    code = access.mission.code
    get_token(request)  # the scripts read the CSRF cookie afresh before each send
    home = reverse("polling:filing", kwargs={"code": code})
    incident = reverse("polling:filing_incident", kwargs={"code": code})
    config = {
        "mission": code,
        "user": request.user.pk,
        "csrfCookie": settings.CSRF_COOKIE_NAME,
        "swUrl": reverse("polling:service_worker"),
        "loginUrl": reverse("account_login") + "?next=" + request.path,
        "homeUrl": home,
        "stationsUrl": reverse("polling:api_stations", kwargs={"code": code}),
        # Kept for offline use: this page, and from any page the checklists and the incident form.
        "cacheUrls": list(dict.fromkeys([request.path, home, incident])),
    }
    config.update(extra.pop("config", {}))
    return {
        "access": access,
        "mission": access.mission,
        "config": config,
        "messages_js": _messages(),
        **extra,
    }


# ---------------------------------------------------------------------------
# The pages
# ---------------------------------------------------------------------------


def _filable_checklists(access: MissionAccess):
    return access.mission.checklists.filter(is_active=True, current_version__isnull=False)


@login_required
def filing(request, code):
    """Choose the checklist; the pages of every checklist are kept for offline use from here."""
    access = get_mission_for(request.user, code)
    checklists = list(_filable_checklists(access).only("code", "name", "description"))
    pages = [
        reverse("polling:filing_checklist", kwargs={"code": code, "checklist": c.code}) for c in checklists
    ]
    context = _page_context(request, access, checklists=checklists)
    context["config"]["cacheUrls"] += pages
    return render(request, "polling/filing/choose.html", context)


def _refuse_if_closed(access: MissionAccess) -> None:
    if access.mission.is_closed:
        raise PermissionDenied(_("The mission is closed: visits can no longer be filed."))


@login_required
def filing_checklist(request, code, checklist):
    """A new visit on the checklist's current version."""
    access = get_mission_for(request.user, code)
    _refuse_if_closed(access)
    checklist = get_object_or_404(
        _filable_checklists(access).select_related("current_version"), code=checklist
    )
    submit_url = reverse("polling:api_visit_submit", kwargs={"code": code})
    return _visit_form(
        request, access, checklist, checklist.current_version, method="POST", submit_url=submit_url
    )


@login_required
def visit_edit(request, code, visit):
    """Correct a visit: the same form, filled from the stored content, sent with its base revision."""
    access = get_mission_for(request.user, code)
    visit = selectors.get_visit_for(access, visit)
    if not service.can_edit_visit(access.member, visit):
        raise PermissionDenied(_("Only the observer and their team can correct this visit."))
    reason = service.visit_lock_reason(visit, access.mission)
    if reason:
        raise PermissionDenied(reason)
    content = visit.revisions.get(number=visit.revision).content
    submit_url = reverse("polling:api_visit_update", kwargs={"code": code, "visit": visit.uuid})
    return _visit_form(
        request,
        access,
        visit.checklist_version.checklist,
        visit.checklist_version,
        method="PUT",
        submit_url=submit_url,
        visit=visit,
        content=content,
    )


def _visit_form(
    request, access, checklist: Checklist, version, *, method, submit_url, visit=None, content=None
):
    definition = version.definition()
    answers = (content or {}).get("answers") or {}
    station = visit.station if visit else None
    form = {
        "uuid": str(visit.uuid) if visit else "",
        "revision": visit.revision if visit else None,
        "method": method,
        "url": submit_url,
        "checklist": checklist.code,
        "version": version.number,
        "label": checklist.name,
    }
    context = _page_context(
        request,
        access,
        checklist=checklist,
        version=version,
        definition=definition,
        form=form,
        visit=visit,
        content=content or {},
        sections=_sections(definition, answers),
        station=station,
        planned=_planned_stations(access, exclude=station),
        assessments=Assessment.choices,
    )
    return render(request, "polling/filing/visit_form.html", context)


@login_required
def filing_incident(request, code):
    """A serious incident, on its own or from a visit (?visit=<uuid>&station=<code>, read by the script
    so that the page kept offline works for any visit)."""
    access = get_mission_for(request.user, code)
    if access.mission.is_closed:
        raise PermissionDenied(_("The mission is closed: incidents can no longer be reported."))
    form = {"method": "POST", "url": reverse("polling:api_incident_report", kwargs={"code": code})}
    context = _page_context(
        request,
        access,
        form=form,
        categories=Incident.Category.choices,
        planned=_planned_stations(access),
    )
    return render(request, "polling/filing/incident_form.html", context)


def _planned_stations(
    access: MissionAccess, *, exclude: PollingStation | None = None
) -> list[PollingStation]:
    """The member's team's planned stations (the picker's first choices), and the visit's own station."""
    stations = []
    if access.member.team_id is not None:
        stations = list(
            PollingStation.objects.filter(mission=access.mission, planned_by_teams=access.member.team_id)
            .select_related("area")
            .order_by("code")[:PLANNED_LIMIT]
        )
    if exclude is not None and exclude not in stations:
        stations.insert(0, exclude)
    return stations


def _sections(definition: dict, answers: dict) -> list[tuple[str, list[dict]]]:
    """The questions grouped by section, each with the answer to show and whether its show-if rule holds.

    The rule is judged by the server's own functions on the stored answers, so a pre-filled form opens
    exactly as the server saw it; the script takes over from there.
    """
    spec = service.spec_from_definition(definition)
    cleaned, _errors = service.validate_answers(spec, answers)
    shown = service.shown_questions(spec, cleaned)
    sections: list[tuple[str, list[dict]]] = []
    for question in definition["questions"]:
        value = answers.get(question["code"])
        chosen = set(value) if isinstance(value, list) else {str(value)} if value is not None else set()
        item = {
            **question,
            "input": INPUTS[question["type"]],
            "value": "" if value is None or isinstance(value, list) else value,
            "shown": shown[question["code"]],
            "options": [{**option, "checked": option["value"] in chosen} for option in question["options"]],
        }
        if not sections or sections[-1][0] != question["section"]:
            sections.append((question["section"], []))
        sections[-1][1].append(item)
    return sections


# ---------------------------------------------------------------------------
# The service worker
# ---------------------------------------------------------------------------


def _read_static(name: str) -> bytes:
    path = finders.find(name)
    if not path:
        raise FileNotFoundError(name)
    return Path(path).read_bytes()


def _service_worker_source() -> str:
    """The worker with its configuration in front. The cache name carries a hash of the worker and of
    every precached asset, so changing any of them installs a new worker that drops the old caches."""
    source = _read_static("js/sw.js")
    digest = hashlib.sha256(source)
    for name in PRECACHED_ASSETS:
        digest.update(_read_static(name))
    config = {
        "version": digest.hexdigest()[:12],
        "staticUrl": settings.STATIC_URL,
        # With hashed names (production) a changed file has a new URL: every asset can be kept for good.
        "hashedStatic": static("css/filing.css") != settings.STATIC_URL + "css/filing.css",
        "precache": [static(name) for name in PRECACHED_ASSETS],
    }
    return f"const CONFIG = {json.dumps(config)};\n{source.decode()}"


_cached_service_worker_source = cache(_service_worker_source)


def service_worker(request):
    """Served from the site's root so that its scope covers every mission's filing pages; public, like
    any script (it holds no data). Re-read on every request while developing."""
    source = _service_worker_source() if settings.DEBUG else _cached_service_worker_source()
    response = HttpResponse(source, content_type="application/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response
