"""The access matrix: every URL of the project, every role, every method the view takes.

MATRIX maps each URL name to how its arguments are built from the two missions' objects, who may use it
with which method, and what to send. Everyone else must be refused (403, 404; an anonymous visitor is
sent to the login page, or gets 401 from the JSON API; a member of another mission, or a removed member,
always gets 404) and
the refusal must not carry the mission's or the team's names, e-mails or answers. A URL added to the
URLconf without a line here (or a reasoned exemption in EXEMPT) fails test_every_url_is_in_the_matrix.

One dataset for the whole module (two missions, built once in a transaction rolled back at the end);
each request runs in a savepoint rolled back after it, so a delete by the rightful user changes nothing
for the next request.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import pytest
from django.db import transaction
from django.test import Client
from django.test.utils import override_settings
from django.urls import reverse

from tests.helpers.security import (
    EVERYONE,
    LOGGED_IN,
    MEMBERS,
    RESULTS,
    ROLES,
    SETUP,
    TEAM_A,
    UPLOAD_SESSION_KEY,
    World,
    all_routes,
    build_world,
    clients_for,
    conclusion_key,
    leaked,
    send,
)
from tests.helpers.visits import payload

NOBODY: frozenset[str] = frozenset()
TEAM_A_FILERS = frozenset({"leader_a", "observer_a"})
TEAM_A_REVIEWERS = frozenset({"secretariat", "head", "leader_a"})
TEAM_A_RESULTS = frozenset({"secretariat", "head", "leader_a"})
MISSION_CREATORS = frozenset({"secretariat", "outsider"})  # secretariat staff of any mission


@dataclass(frozen=True)
class Entry:
    """One way of calling a URL: its arguments, and per method the roles that may use it."""

    kwargs: Callable[[World], dict] = lambda w: {}
    may: dict[str, frozenset[str]] = field(default_factory=dict)
    data: Callable[[World], dict] | None = None  # form fields of a POST, or the JSON of the API
    query: Callable[[World], dict] | None = None
    json: bool = False  # the JSON API: 401 for the anonymous, JSON bodies
    public: bool = False  # open to anyone by design: the refusals are 404, the pages are not searched
    session: Callable[[World], dict] | None = None  # what the rightful user's session holds

    def methods(self) -> list[str]:
        return list(self.may)


def mission(**may) -> Entry:
    return Entry(kwargs=lambda w: {"code": w.code}, may=may)


def on(kwargs: Callable[[World], dict], **options) -> Entry:
    return Entry(kwargs=lambda w: {"code": w.code, **kwargs(w)}, **options)


def _visit_json(w: World) -> dict:
    return payload(w.checklist.current_version, w.station_a, uuid=str(uuid.uuid4()))


def _visit_correction(w: World) -> dict:
    body = payload(w.checklist.current_version, w.station_a, uuid=str(w.visit_a.uuid), notes="corrected")
    return {**body, "revision": 1}


def _incident_json(w: World) -> dict:
    return {
        "uuid": str(uuid.uuid4()),
        "station": w.station_a.code,
        "occurred_at": "2024-02-07T09:00:00+04:00",
        "category": "other",
        "description": "Seen on the way",
    }


def _visit_upload(w: World) -> dict:
    return {UPLOAD_SESSION_KEY.format(w.visit_upload): w.visit_upload_session}


GET_POST = ("GET", "POST")


def setup_page(kwargs=None) -> Entry:
    """A set-up page (GET shows the form, POST writes): the secretariat and the head of mission only."""
    may = dict.fromkeys(GET_POST, SETUP)
    return on(kwargs, may=may) if kwargs else mission(**may)


MATRIX: dict[str, Entry | tuple[Entry, ...]] = {
    # Missions: the list and the form are the user's own, not a mission's.
    "missions:list": Entry(may={"GET": LOGGED_IN}),
    "missions:create": Entry(may=dict.fromkeys(GET_POST, MISSION_CREATORS)),
    "missions:detail": mission(GET=MEMBERS),
    "missions:edit": setup_page(),
    "missions:member_list": mission(GET=MEMBERS),
    "missions:member_invite": setup_page(),
    "missions:member_edit": setup_page(lambda w: {"member": w.members["observer_a"].uuid}),
    "missions:member_remove": setup_page(lambda w: {"member": w.members["observer_a"].uuid}),
    "missions:invitation_revoke": setup_page(lambda w: {"invitation": w.invitation.uuid}),
    # The link in the e-mail: whoever holds the token sees the invitation (and may sign up with it).
    "missions:invitation_accept": Entry(
        kwargs=lambda w: {"token": w.invitation_token}, may=dict.fromkeys(GET_POST, EVERYONE), public=True
    ),
    "missions:team_list": mission(GET=MEMBERS),
    "missions:team_create": setup_page(),
    "missions:team_detail": on(lambda w: {"team": w.team_a.uuid}, may={"GET": TEAM_A}),
    "missions:team_edit": setup_page(lambda w: {"team": w.team_a.uuid}),
    "missions:team_delete": setup_page(lambda w: {"team": w.team_a.uuid}),
    "polling:team_stations": setup_page(lambda w: {"team": w.team_a.uuid}),
    "missions:meeting_list": mission(GET=MEMBERS),
    "missions:meeting_create": setup_page(),
    "missions:meeting_edit": setup_page(lambda w: {"meeting": w.meeting.uuid}),
    "missions:meeting_delete": setup_page(lambda w: {"meeting": w.meeting.uuid}),
    "missions:audit_trail": (
        mission(GET=SETUP),
        on(lambda w: {}, may={"GET": SETUP}, query=lambda w: {"download": "csv"}),
    ),
    # Polling stations
    "polling:station_list": mission(GET=MEMBERS),
    "polling:station_import": setup_page(),
    "polling:station_import_map": setup_page(lambda w: {"upload": w.station_upload.uuid}),
    "polling:station_detail": on(lambda w: {"station": w.station_a.code}, may={"GET": MEMBERS}),
    # Checklists: every member lists and previews them; the set-up roles build them.
    "polling:checklist_list": mission(GET=MEMBERS),
    "polling:checklist_create": setup_page(),
    "polling:checklist_import": setup_page(),
    "polling:checklist_copy": setup_page(),
    "polling:checklist_detail": on(lambda w: {"checklist": w.checklist.code}, may={"GET": SETUP}),
    "polling:checklist_edit": setup_page(lambda w: {"checklist": w.checklist.code}),
    "polling:checklist_delete": setup_page(lambda w: {"checklist": w.checklist.code}),
    "polling:checklist_preview": on(
        lambda w: {"checklist": w.checklist.code}, may={"GET": MEMBERS}, query=lambda w: {"version": "1"}
    ),
    "polling:checklist_export_json": on(lambda w: {"checklist": w.checklist.code}, may={"GET": SETUP}),
    "polling:checklist_export_xlsx": on(lambda w: {"checklist": w.checklist.code}, may={"GET": SETUP}),
    "polling:question_create": setup_page(lambda w: {"checklist": w.checklist.code}),
    "polling:question_edit": setup_page(lambda w: {"checklist": w.checklist.code, "question": "A4"}),
    "polling:question_delete": setup_page(lambda w: {"checklist": w.checklist.code, "question": "A4"}),
    "polling:question_move": on(
        lambda w: {"checklist": w.checklist.code, "question": "A4"},
        may={"POST": SETUP},
        data=lambda w: {"direction": "up"},
    ),
    # The filing API (JSON)
    "polling:api_visit_submit": Entry(
        kwargs=lambda w: {"code": w.code}, may={"POST": MEMBERS}, data=_visit_json, json=True
    ),
    "polling:api_visit_update": on(
        lambda w: {"visit": w.visit_a.uuid}, may={"PUT": TEAM_A_FILERS}, data=_visit_correction, json=True
    ),
    "polling:api_incident_report": Entry(
        kwargs=lambda w: {"code": w.code}, may={"POST": MEMBERS}, data=_incident_json, json=True
    ),
    "polling:api_stations": Entry(
        kwargs=lambda w: {"code": w.code}, may={"GET": MEMBERS}, query=lambda w: {"q": "School"}, json=True
    ),
    # Visits and incidents: a team's work is seen by the team and the set-up roles.
    "polling:visit_list": (
        mission(GET=MEMBERS),
        # Asking for the other team's visits: the set-up roles get them, the others their own only.
        on(lambda w: {}, may={"GET": MEMBERS}, query=lambda w: {"team": str(w.team_b.uuid)}),
    ),
    "polling:visit_import": setup_page(),
    "polling:visit_import_map": Entry(
        kwargs=lambda w: {"code": w.code, "upload": w.visit_upload},
        may={"GET": SETUP},
        session=_visit_upload,
    ),
    "polling:visit_detail": on(lambda w: {"visit": w.visit_a.uuid}, may={"GET": TEAM_A}),
    "polling:visit_review": on(
        lambda w: {"visit": w.visit_a.uuid},
        may={"POST": TEAM_A_REVIEWERS},
        data=lambda w: {"action": "reviewed"},
    ),
    "polling:incident_list": mission(GET=MEMBERS),
    "polling:incident_report": (
        mission(GET=MEMBERS, POST=MEMBERS),
        # Reporting from a visit names the visit: only those who see it.
        on(lambda w: {}, may={"GET": TEAM_A}, query=lambda w: {"visit": str(w.visit_a.uuid)}),
    ),
    # The observer's filing pages
    "polling:filing": mission(GET=MEMBERS),
    "polling:filing_incident": mission(GET=MEMBERS),
    "polling:filing_checklist": on(lambda w: {"checklist": w.checklist.code}, may={"GET": MEMBERS}),
    "polling:visit_edit": on(lambda w: {"visit": w.visit_a.uuid}, may={"GET": TEAM_A_FILERS}),
    # Results: the set-up roles see the mission, team leaders their team; observers none.
    "reports:results": mission(GET=RESULTS),
    "reports:results_panel": (
        mission(GET=RESULTS),
        on(lambda w: {}, may={"GET": RESULTS}, query=lambda w: {"team": str(w.team_b.uuid)}),
    ),
    "reports:figure_visits": (
        mission(GET=RESULTS),
        # A team leader asking for the other team's visits still sees only their own team's.
        on(lambda w: {}, may={"GET": RESULTS}, query=lambda w: {"team": str(w.team_b.uuid)}),
    ),
    "reports:exports": mission(GET=RESULTS, POST=RESULTS),
    "reports:export_status": (
        on(lambda w: {"export": w.export_a.uuid}, may={"GET": TEAM_A_RESULTS}),
        on(lambda w: {"export": w.export_all.uuid}, may={"GET": SETUP}),
    ),
    "reports:export_download": (
        on(lambda w: {"export": w.export_a.uuid}, may={"GET": TEAM_A_RESULTS}),
        # The whole mission's results: not for a team leader.
        on(lambda w: {"export": w.export_all.uuid}, may={"GET": SETUP}),
    ),
    # The statement: editors see drafts, every member the published versions, only the head approves.
    "reports:statement": mission(GET=MEMBERS),
    "reports:statement_start": mission(POST=SETUP),
    "reports:statement_save": mission(POST=SETUP),
    "reports:statement_preview": on(
        lambda w: {}, may={"POST": SETUP}, data=lambda w: {"section__conclusion": "We visited."}
    ),
    "reports:statement_approve": mission(POST=frozenset({"head"})),
    "reports:statement_settings": setup_page(),
    "reports:statement_reset": on(lambda w: {"key": conclusion_key()}, may={"POST": SETUP}),
    "reports:statement_action": on(lambda w: {"action": "redraft"}, may={"POST": SETUP}),
    "reports:statement_version": (
        on(lambda w: {"number": w.published.number}, may={"GET": MEMBERS}),
        on(lambda w: {"number": w.draft.number}, may={"GET": SETUP}),
    ),
    "reports:statement_pdf": on(lambda w: {"number": w.published.number}, may={"GET": MEMBERS}),
    "reports:statement_render_status": on(lambda w: {"number": w.published.number}, may={"GET": MEMBERS}),
    "reports:statement_figure": (
        on(lambda w: {"number": w.published.number, "name": w.figure}, may={"GET": MEMBERS}),
        # The visits behind a figure of the draft: its editors only.
        on(lambda w: {"number": w.draft.number, "name": w.figure}, may={"GET": SETUP}),
    ),
    # Public verification of an approved statement (where its QR code points); a draft is not there.
    "reports:verify_version": (
        Entry(kwargs=lambda w: {"uuid": w.published.uuid}, may={"GET": EVERYONE}, public=True),
        Entry(kwargs=lambda w: {"uuid": w.draft.uuid}, may={"GET": NOBODY}, public=True),
    ),
    "reports:verify_certificate": (
        Entry(kwargs=lambda w: {"uuid": w.published.uuid}, may={"GET": EVERYONE}, public=True),
        Entry(kwargs=lambda w: {"uuid": w.draft.uuid}, may={"GET": NOBODY}, public=True),
    ),
}

# URLs that name no object of a mission, with the reason they are not in the matrix.
EXEMPT = {
    "home": "redirects to the mission list; names nothing",
    "set_language": "sets the visitor's language cookie; names nothing",
    "missions:language_set": "the language menu: keeps the choice on the account and in a cookie; names nothing",
    "polling:service_worker": "public script holding no data (its scope must cover /m/)",
    "reports:verify": "public form checking an uploaded PDF or a hash; names nothing",
    "account_*": "allauth: the logged-in person's own account, or a one-time key sent by e-mail",
    "mfa_*": "allauth: the logged-in person's own second factor",
    "usersessions_list": "allauth: the logged-in person's own sessions",
    "admin:*": "Django admin: staff only, tested by test_admin_refuses_every_member",
    "admin/*": "Django admin (unnamed redirects and the catch-all): staff only, as above",
    "^media/*": "DEBUG-only serving of MEDIA_ROOT (never mounted in production)",
}


def _exempt(key: str) -> bool:
    return any(key == name or (name.endswith("*") and key.startswith(name[:-1])) for name in EXEMPT)


def _cases(name: str) -> list[Entry]:
    entry = MATRIX[name]
    return list(entry) if isinstance(entry, tuple) else [entry]


# ---------------------------------------------------------------------------
# The dataset and the clients, once per module
# ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def worlds(django_db_setup, django_db_blocker, tmp_path_factory):
    root = tmp_path_factory.mktemp("access-matrix")
    hashers = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    with (
        override_settings(
            MEDIA_ROOT=root / "media", PRIVATE_MEDIA_ROOT=root / "private", PASSWORD_HASHERS=hashers
        ),
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        alpha, bravo = build_world("xalphax"), build_world("xbravox")
        yield alpha, bravo, clients_for(alpha, bravo)
        transaction.set_rollback(True)


def _send(client, method: str, url: str, entry: Entry, world: World):
    return send(
        client,
        method,
        url,
        data=entry.data(world) if entry.data else {},
        query=entry.query(world) if entry.query else {},
        session=entry.session(world) if entry.session else {},
        json_body=entry.json,
    )


def _refusal_problem(role: str, status: int, location: str, entry: Entry, scoped: bool) -> str:
    """'' when this is a proper refusal for `role`, else what is wrong with it."""
    if role == "anon" and not entry.public:
        if entry.json:
            return "" if status == 401 else f"anonymous got {status}, not 401"
        if status == 302 and location.startswith(reverse("account_login")):
            return ""
        return f"anonymous got {status} {location}, not the login page"
    if role in ("outsider", "former") and scoped and not entry.public:
        return "" if status == 404 else f"a non-member ({role}) got {status}, not 404"
    return "" if status in (403, 404) else f"got {status}, not 403/404"


def _check(name: str, entry: Entry, world: World, other: World, clients) -> list[str]:
    kwargs = entry.kwargs(world)
    url = reverse(name, kwargs=kwargs)
    problems = []
    for method, allowed in entry.may.items():
        for role in ROLES:
            status, location, body = _send(clients[role], method, url, entry, world)
            where = f"{method} {url} as {role}"
            if role in allowed:
                if not 200 <= status < 400:
                    problems.append(f"{where}: may, but got {status}")
            else:
                problem = _refusal_problem(role, status, location, entry, "code" in kwargs)
                if problem:
                    problems.append(f"{where}: {problem}")
            secrets = [] if entry.public else leaked(body, role, world, other)
            if secrets:
                problems.append(f"{where}: leaks {secrets}")
            if role == "outsider" and "code" in kwargs and role not in allowed:
                problems += _same_as_no_mission(name, entry, world, clients[role], method, (status, body))
    return problems


def _same_as_no_mission(name, entry, world, client, method, seen) -> list[str]:
    """An outsider cannot tell our mission from one that does not exist: same status, same page."""
    url = reverse(name, kwargs={**entry.kwargs(world), "code": "no-such-mission"})
    status, _location, body = _send(client, method, url, entry, world)
    if (status, body.replace("no-such-mission", world.code)) != seen:
        return [f"{method} {url}: an outsider tells our mission from no mission ({seen[0]} / {status})"]
    return []


def _foreign_kwargs(entry: Entry, world: World, other: World) -> dict | None:
    """This mission's code with the other mission's object: None when the URL names no such object."""
    own, theirs = entry.kwargs(world), entry.kwargs(other)
    if "code" not in own:
        return None
    mixed = {**theirs, "code": own["code"]}
    return None if mixed == own else mixed


def _check_foreign(name: str, entry: Entry, world: World, other: World, clients) -> list[str]:
    """The other mission's object under this mission's address: 404 for the people of this mission."""
    kwargs = _foreign_kwargs(entry, world, other)
    if kwargs is None:
        return []
    url = reverse(name, kwargs=kwargs)
    problems = []
    for method, allowed in entry.may.items():
        for role in sorted(allowed - {"anon", "outsider"}):
            status, _location, body = _send(clients[role], method, url, entry, world)
            if status != 404:
                problems.append(f"{method} {url} as {role}: another mission's object gave {status}, not 404")
            secrets = leaked(body, role, world, other)
            if secrets:
                problems.append(f"{method} {url} as {role}: leaks {secrets}")
    return problems


# ---------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------


def test_every_url_is_in_the_matrix():
    routes = all_routes()
    missing = [r.route for r in routes if r.key not in MATRIX and not _exempt(r.key)]
    assert not missing, f"URLs with neither a matrix line nor an exemption: {missing}"
    names = {r.key for r in routes}
    assert not [name for name in MATRIX if name not in names], "matrix lines for URLs that are gone"


def test_matrix_size(capsys):
    cases = [(name, entry) for name in MATRIX for entry in _cases(name)]
    methods = sum(len(entry.methods()) for _name, entry in cases)
    checks = methods * len(ROLES)
    with capsys.disabled():
        print(
            f"\naccess matrix: {len(MATRIX)} URLs, {len(cases)} cases, {methods} case x method pairs, "
            f"x {len(ROLES)} roles = {checks} requests (plus another mission's objects under this one's code)"
        )
    assert len(MATRIX) >= 70 and checks >= 800


@pytest.mark.django_db
@pytest.mark.parametrize("name", sorted(MATRIX))
def test_only_the_rightful_get_through(worlds, name):
    alpha, bravo, clients = worlds
    problems = []
    for entry in _cases(name):
        problems += _check(name, entry, alpha, bravo, clients)
        problems += _check_foreign(name, entry, alpha, bravo, clients)
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_admin_refuses_every_member(worlds):
    """Members, even the secretariat, are not staff: every admin page sends them to the login (or, the
    login page itself, refuses them)."""
    alpha, bravo, clients = worlds
    fill = {"object_id": str(alpha.mission.pk), "content_type_id": "1", "id": "1", "app_label": "missions"}
    problems = []
    for route in all_routes():
        if not route.route.startswith("admin/"):
            continue
        converters = route.pattern.pattern.converters if hasattr(route.pattern.pattern, "converters") else {}
        names = list(converters) or list(route.pattern.pattern.regex.groupindex)
        kwargs = {n: fill.get(n, "missions") for n in names}
        if route.pattern.name:
            url = reverse(route.key, kwargs=kwargs)
        else:
            url = "/" + route.route.replace("<path:object_id>", kwargs.get("object_id", "1"))
            url = url.replace("(?P<url>.*)$", "nothing/").lstrip("^")
        for role in ("anon", "secretariat"):
            status, location, body = send(clients[role], "GET", url)
            to_login = status == 302 and location.startswith(("/admin/", reverse("account_login")))
            if not (to_login or (status == 403 and role != "anon")):
                problems.append(f"GET {url} as {role}: {status} {location}")
            elif leaked(body, role, alpha, bravo):
                problems.append(f"GET {url} as {role}: leaks")
    assert not problems, "\n".join(problems)


@pytest.mark.django_db
def test_the_secrets_searched_for_are_on_the_pages_of_those_entitled(worlds):
    """The leak search can fail: each secret it looks for is shown to someone who may read it."""
    alpha, bravo, clients = worlds
    code = alpha.code
    pages = [
        ("observer_a", reverse("polling:visit_detail", kwargs={"code": code, "visit": alpha.visit_a.uuid})),
        ("leader_b", reverse("polling:visit_detail", kwargs={"code": code, "visit": alpha.visit_b.uuid})),
        ("observer_a", reverse("polling:incident_list", kwargs={"code": code})),
        ("secretariat", reverse("missions:member_list", kwargs={"code": code})),
        ("head", reverse("missions:meeting_list", kwargs={"code": code})),
        ("head", reverse("missions:team_detail", kwargs={"code": code, "team": alpha.team_a.uuid})),
        ("observer_b", reverse("missions:list")),
        ("observer_b", reverse("polling:checklist_list", kwargs={"code": code})),
        ("observer_b", reverse("polling:station_list", kwargs={"code": code})),
        ("leader_a", reverse("reports:exports", kwargs={"code": code})),
        ("head", reverse("reports:export_download", kwargs={"code": code, "export": alpha.export_all.uuid})),
        (
            "leader_a",
            reverse("reports:export_download", kwargs={"code": code, "export": alpha.export_a.uuid}),
        ),
    ]
    shown = "".join(send(clients[role], "GET", url)[2] for role, url in pages)
    names = {str(v.uuid): k for k, v in vars(alpha).items() if hasattr(v, "uuid")}
    assert [names.get(m, m) for m in alpha.secrets if m not in shown] == []


@pytest.mark.django_db
def test_only_the_head_of_mission_is_asked_for_their_password_to_approve(worlds):
    """Approving asks the head of mission to re-enter their password; anyone else is refused outright
    (403, or 404 outside the mission) rather than sent to a password page for an act they may not do."""
    alpha, bravo, _clients = worlds
    url = reverse("reports:statement_approve", kwargs={"code": alpha.code})
    expected = {"head": 302, "secretariat": 403, "observer_b": 403, "former": 404, "outsider": 404}
    got = {}
    for role in expected:
        user = (
            (bravo if role == "outsider" else alpha)
            .members["secretariat" if role == "outsider" else role]
            .user
        )
        client = Client()
        client.force_login(user)  # logged in, but no password entered lately
        status, location, _body = send(client, "POST", url)
        got[role] = status
        if role == "head":
            assert location.startswith(reverse("account_reauthenticate"))
    assert got == expected


# Rows of one mission that point at another mission's: none may ever exist.
CROSS_MISSION_LINKS = {
    "member in another mission's team": "SELECT count(*) FROM missions_member m JOIN missions_team t "
    "ON t.id = m.team_id WHERE t.mission_id <> m.mission_id",
    "team led by another mission's member": "SELECT count(*) FROM missions_team t JOIN missions_member m "
    "ON m.id = t.leader_id WHERE t.mission_id <> m.mission_id",
    "station planned by another mission's team": "SELECT count(*) FROM missions_team_stations ts "
    "JOIN missions_team t ON t.id = ts.team_id JOIN polling_pollingstation s ON s.id = ts.pollingstation_id "
    "WHERE t.mission_id <> s.mission_id",
    "invitation to another mission's team": "SELECT count(*) FROM missions_invitation i JOIN missions_team t "
    "ON t.id = i.team_id WHERE t.mission_id <> i.mission_id",
    "export of another mission's checklist": "SELECT count(*) FROM reports_export e JOIN polling_checklist c "
    "ON c.id = e.checklist_id WHERE c.mission_id <> e.mission_id",
    "visit at another mission's station": "SELECT count(*) FROM polling_visit v JOIN polling_pollingstation s "
    "ON s.id = v.station_id WHERE s.mission_id <> v.mission_id",
    "incident on another mission's visit": "SELECT count(*) FROM polling_incident i JOIN polling_visit v "
    "ON v.id = i.visit_id WHERE v.mission_id <> i.mission_id",
}


def _cross_mission_links() -> dict[str, int]:
    from django.db import connection

    found = {}
    with connection.cursor() as cursor:
        for what, sql in CROSS_MISSION_LINKS.items():
            cursor.execute(sql)
            if count := cursor.fetchone()[0]:
                found[what] = count
    return found


def _foreign_form_posts(a: World, b: World) -> list[tuple[str, str, dict, bool]]:
    """(URL, method, data, JSON?) that name the other mission's objects in the body, sent by our secretariat."""
    code = a.code
    team = {"code": code, "team": a.team_a.uuid}
    theirs = b.members["observer_a"]
    visit = _visit_json(a) | {"station": b.station_a.code}
    return [
        (
            reverse("missions:team_edit", kwargs=team),
            "POST",
            {"action": "add", "members": [theirs.uuid]},
            False,
        ),
        (
            reverse("missions:team_edit", kwargs=team),
            "POST",
            {"action": "leader", "members": [theirs.uuid]},
            False,
        ),
        (
            reverse("missions:team_edit", kwargs=team),
            "POST",
            {"name": "Renamed", "members": [theirs.uuid], "leader": theirs.uuid},
            False,
        ),
        (
            reverse("missions:team_create", kwargs={"code": code}),
            "POST",
            {"name": "Poached", "members": [theirs.uuid], "leader": theirs.uuid},
            False,
        ),
        (
            reverse("polling:team_stations", kwargs=team),
            "POST",
            {"action": "add_selected", "stations": [b.station_a.pk]},
            False,
        ),
        (
            reverse("missions:member_invite", kwargs={"code": code}),
            "POST",
            {"email": "new@example.org", "name": "New", "role": "observer", "team": b.team_a.pk},
            False,
        ),
        (
            reverse("missions:member_edit", kwargs={"code": code, "member": a.members["observer_a"].uuid}),
            "POST",
            {"role": "observer", "country": "", "team": b.team_a.pk},
            False,
        ),
        (
            reverse("reports:exports", kwargs={"code": code}),
            "POST",
            {"kind": "visits", "format": "csv", "checklist": b.checklist.code},
            False,
        ),
        (
            reverse("polling:checklist_copy", kwargs={"code": code}),
            "POST",
            {"source": b.checklist.pk, "code": "copied-across"},
            False,
        ),
        (reverse("polling:api_visit_submit", kwargs={"code": code}), "POST", visit, True),
        (
            reverse("polling:api_incident_report", kwargs={"code": code}),
            "POST",
            _incident_json(a) | {"visit": str(b.visit_a.uuid), "station": b.station_a.code},
            True,
        ),
    ]


@pytest.mark.django_db
def test_another_missions_objects_named_in_a_form_are_refused(worlds):
    """Ids of the other mission's members, teams, stations, checklists and visits in a form or JSON body
    link nothing across missions, and nothing is copied from a mission the user is not in."""
    alpha, bravo, clients = worlds
    problems = []
    for url, method, data, is_json in _foreign_form_posts(alpha, bravo):
        seen = {}

        def look(seen=seen):
            seen.update(_cross_mission_links())
            copied = alpha.mission.checklists.filter(code="copied-across").exists()
            seen.update({"checklist copied from another mission": 1} if copied else {})

        status, _location, body = send(
            clients["secretariat"], method, url, data=data, json_body=is_json, check=look
        )
        if seen:
            problems.append(f"{method} {url} {data}: {status}, made {seen}")
        if leaked(body, "secretariat", alpha, bravo):
            problems.append(f"{method} {url}: leaks {leaked(body, 'secretariat', alpha, bravo)}")
    assert not problems, "\n".join(problems)
