"""The bench's URLconf: the app's URLs plus the baseline view, which exists only here."""

import json
import threading

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns
from polling.visits import filing

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


_insert_visit = filing._insert_visit


def _insert_visit_unless_told(visit, clean, *, member, channel, entry):
    """The filing's write, without its audit entry (nor the chain's lock) for requests that carry
    X-Bench-No-Audit: the bench measures what the trail costs in the same run."""
    if getattr(_request, "no_audit", False):
        entry = None
    return _insert_visit(visit, clean, member=member, channel=channel, entry=entry)


filing._insert_visit = _insert_visit_unless_told


urlpatterns = [path("bench/baseline/", baseline), *app_urlpatterns]
