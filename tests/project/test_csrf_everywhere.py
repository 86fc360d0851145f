"""No write without a CSRF token, on any URL of the project.

The URLs come from the URLconf, so a new endpoint is covered the day it is added. Each one gets POST,
PUT, PATCH and DELETE from a logged-in user who may use it (the access matrix's rightful user, with the
matrix's valid form or JSON; the secretariat elsewhere), holding a CSRF cookie as a browser would but
sending no token, as a forged cross-site request does. Each must be refused with 403 and change nothing
in the tables below. The same request with the token gets through (the 403 was CSRF's, not the view's),
but not when it comes from another site's page (Origin). And no GET writes anything.
"""

from __future__ import annotations

import re
import uuid

import pytest
from django.conf import settings
from django.db import connection, transaction
from django.middleware.csrf import _get_new_csrf_string
from django.test.utils import override_settings
from django.urls import resolve, reverse

from missions.models import AuditEntry, Invitation, Meeting, Member, Mission, Team, User
from polling.models import (
    Answer,
    Checklist,
    ChecklistVersion,
    Incident,
    PollingStation,
    Question,
    StationUpload,
    Visit,
    VisitRevision,
)
from reports.models import Export, Statement, StatementVersion
from tests.helpers.security import ROLES, Route, World, all_routes, build_world, clients_for, send
from tests.project.test_access_matrix import MATRIX, Entry

WRITES = ("POST", "PUT", "PATCH", "DELETE")
WATCHED = [
    Mission,
    User,
    Member,
    Team,
    Invitation,
    Meeting,
    AuditEntry,
    PollingStation,
    StationUpload,
    Checklist,
    ChecklistVersion,
    Question,
    Visit,
    VisitRevision,
    Answer,
    Incident,
    Export,
    Statement,
    StatementVersion,
]
# Values for the arguments of URLs outside the matrix (allauth, admin): any that resolve will do.
FILL = {"app_label": "missions", "uidb36": "1", "object_id": "1", "content_type_id": "1", "id": "1"}


def fingerprint() -> dict[str, str]:
    """Every watched table's rows, hashed: one query."""
    parts = [
        f"(SELECT md5(coalesce(string_agg(t::text, ',' ORDER BY t::text), '')) FROM {m._meta.db_table} t)"  # noqa: S608 (model tables)
        for m in WATCHED
    ]
    with connection.cursor() as cursor:
        cursor.execute("SELECT " + ", ".join(parts))
        return dict(zip([m.__name__ for m in WATCHED], cursor.fetchone(), strict=True))


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("csrf")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        override_settings(
            MEDIA_ROOT=root / "media", PRIVATE_MEDIA_ROOT=root / "private", PASSWORD_HASHERS=hashers
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        alpha, bravo = build_world("xalphax"), build_world("xbravox")
        clients = clients_for(alpha, bravo, enforce_csrf_checks=True)
        secret = _get_new_csrf_string()
        for client in clients.values():
            client.cookies[settings.CSRF_COOKIE_NAME] = secret  # the browser holds the cookie
        yield alpha, clients, secret
        transaction.set_rollback(True)


def _generic_url(route: str, world: World) -> str:
    """A concrete path for a route outside the matrix: each argument filled with something that resolves."""

    def value(name: str, converter: str = "str") -> str:
        if name == "code":
            return world.code
        if converter == "uuid":
            return str(uuid.uuid4())
        if converter == "int":
            return "1"
        return FILL.get(name, "x")

    path = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: value(m.group(1)), route)
    path = re.sub(r"<(?:(\w+):)?(\w+)>", lambda m: value(m.group(2), m.group(1) or "str"), path)
    return "/" + path.replace("^", "").replace("$", "")


def _requests(world: World) -> list[tuple[str, Route, str, str, Entry]]:
    """(URL key, route, path, rightful role, matrix entry) for every route of the URLconf."""
    found = []
    for route in all_routes():
        entries = MATRIX.get(route.key)
        if entries is None:
            found.append((route.key, route, _generic_url(route.route, world), "secretariat", Entry()))
            continue
        for entry in entries if isinstance(entries, tuple) else (entries,):
            allowed = set().union(*entry.may.values())
            role = next((r for r in ROLES if r in allowed and r != "anon"), "secretariat")
            path = reverse(route.key, kwargs=entry.kwargs(world))
            found.append((route.key, route, path, role, entry))
    return found


def _send(client, method, path, entry: Entry, world: World, *, token: str = "", origin: str = "", check=None):
    headers = ({"X-CSRFToken": token} if token else {}) | ({"Origin": origin} if origin else {})
    return send(
        client,
        method,
        path,
        data=entry.data(world) if entry.data else {},
        session=entry.session(world) if entry.session else {},
        json_body=entry.json,
        headers=headers or None,
        check=check,
    )


@pytest.mark.django_db
def test_no_url_takes_a_write_without_the_csrf_token(worlds, capsys):
    alpha, clients, _secret = worlds
    before = fingerprint()
    problems, count = [], 0
    for key, route, path, role, entry in _requests(alpha):
        match = resolve(path)
        if (match.func, match.url_name) != (route.pattern.callback, route.pattern.name):
            problems.append(f"{key}: {path} is not this route's address")
        for method in WRITES:
            changed = {}

            def compare(path=path, method=method, changed=changed):
                after = fingerprint()
                changed.update({k: v for k, v in after.items() if v != before[k]})

            status, _location, _body = _send(clients[role], method, path, entry, alpha, check=compare)
            count += 1
            if status != 403:
                problems.append(f"{method} {path} ({key}) as {role} without a token: {status}, not 403")
            if changed:
                problems.append(
                    f"{method} {path} ({key}) as {role} without a token changed {sorted(changed)}"
                )
    with capsys.disabled():
        print(f"\nCSRF: {count} writes without a token to {len(_requests(alpha))} URLs")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_with_the_token_the_rightful_writes_get_through(worlds):
    """The control: the matrix's writes, with the token, are not refused, so the 403s above were CSRF's."""
    alpha, clients, secret = worlds
    problems, count = [], 0
    for key, _route, path, role, entry in _requests(alpha):
        for method, allowed in entry.may.items():
            if method == "GET" or role not in allowed:
                continue
            status, _location, body = _send(clients[role], method, path, entry, alpha, token=secret)
            count += 1
            if status == 403 or status >= 500:
                problems.append(f"{method} {path} ({key}) as {role} with the token: {status} {body[:200]}")
    assert count >= 35
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_a_token_sent_from_another_site_is_refused(worlds):
    """Even with the token (leaked, say), a write whose Origin is another site is refused."""
    alpha, clients, secret = worlds
    problems = []
    for key, _route, path, role, entry in _requests(alpha):
        for method, allowed in entry.may.items():
            if method == "GET" or role not in allowed:
                continue
            status, _location, _body = _send(
                clients[role], method, path, entry, alpha, token=secret, origin="https://observa.example.net"
            )
            if status != 403:
                problems.append(f"{method} {path} ({key}) from another site: {status}, not 403")
    assert not problems, "\n".join(problems)


def test_no_view_is_csrf_exempt():
    exempt = [r.key for r in all_routes() if getattr(r.pattern.callback, "csrf_exempt", False)]
    assert exempt == []


@pytest.mark.django_db
def test_a_get_changes_nothing(worlds):
    """A link or an <img> on another site can make a browser GET anything: no GET may write."""
    alpha, clients, _secret = worlds
    before = fingerprint()
    problems = []
    for key, _route, path, role, entry in _requests(alpha):
        if entry.may and "GET" not in entry.may:
            continue  # a matrix URL that takes no GET; the others (allauth, admin) are all tried
        changed = {}

        def compare(changed=changed):
            changed.update({k: v for k, v in fingerprint().items() if v != before[k]})

        status, _location, _body = send(
            clients[role],
            "GET",
            path,
            query=entry.query(alpha) if entry.query else None,
            session=entry.session(alpha) if entry.session else None,
            check=compare,
        )
        if changed:
            problems.append(f"GET {path} ({key}) as {role}: {status}, changed {sorted(changed)}")
    assert not problems, "\n".join(problems)
