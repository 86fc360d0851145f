"""The filing API of election day (docs/visit-api.md): visits, incidents and the station picker, in JSON."""

import json
import re
import uuid
from functools import lru_cache, wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.http import Http404, JsonResponse
from django.urls import get_script_prefix, get_urlconf, reverse
from django.utils.translation import gettext as _

from missions.access import get_mission_for
from polling import visits as service
from polling.models import Channel
from polling.visits import selectors

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
    except (ValueError, UnicodeDecodeError, RecursionError):  # RecursionError: JSON nested too deep
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
    """reverse() of the visit's page, which every filing answers with, without reverse()'s work each time
    (bench/filing_cpu.py).
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
