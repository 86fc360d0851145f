"""The bench's URLconf: the app's URLs plus the baseline view, which exists only here."""

import json
import os

from django.db import connection
from django.http import JsonResponse
from django.urls import path

from config.urls import urlpatterns as app_urlpatterns

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
    """Adds X-Queries: the number of SQL statements the request ran, session and authentication included."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        count = 0

        def counter(execute, sql, params, many, context):
            nonlocal count
            count += 1
            return execute(sql, params, many, context)

        with connection.execute_wrapper(counter):
            response = self.get_response(request)
        response["X-Queries"] = str(count)
        return response


if os.environ.get("BENCH_NO_AUDIT") == "1":
    # --no-audit: the filing services skip their audit entries, to measure what the trail costs.
    from polling.visits import filing, incidents

    def _no_audit(**kwargs):
        return None

    filing.audit_record = incidents.audit_record = _no_audit


urlpatterns = [path("bench/baseline/", baseline), *app_urlpatterns]
