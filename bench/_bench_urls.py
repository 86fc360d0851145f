"""The bench's URLconf: the app's URLs plus the baseline view, which exists only here."""

import json
import threading

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from missions.audit import audit_record
from polling.visits import filing, incidents

BASELINE_TABLE = "bench_baseline_visit"


def baseline(request):
    """A bare Django view: parse the same JSON body and insert it as one row. Same middleware, same
    session and CSRF checks as the real endpoint; no validation, no answers, no history."""
    payload = json.loads(request.body)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (uuid, payload) VALUES (%s, %s)",  # noqa: S608 (a constant)
            [payload["uuid"], request.body.decode()],
        )
    return JsonResponse({"status": "created", "uuid": payload["uuid"]}, status=201)


class QueryCountMiddleware:
    """Adds X-Queries: the number of SQL statements the request ran, session and authentication included.
    (And notes whether the request asks to skip the audit trail.)"""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        _request.no_audit = request.headers.get("X-Bench-No-Audit") == "1"
        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Queries"] = str(count)
        return response


_request = threading.local()


def _audit_unless_told(**kwargs):
    """The filing services' audit_record, skipped for requests that carry X-Bench-No-Audit: the bench
    measures what the trail costs in the same run."""
    if getattr(_request, "no_audit", False):
        return None
    return audit_record(**kwargs)


filing.audit_record = incidents.audit_record = _audit_unless_told


urlpatterns = [path("bench/baseline/", baseline), *app_urlpatterns]
