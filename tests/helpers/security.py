"""Two missions full of objects, one logged-in client per role, and the URLconf walked: for the attack tests.

Every name, e-mail and free text of a mission carries its mission's tag ("xalphax", "xbravox"), and the
team's work carries its team's tag too, so that a response can be searched for what its reader must not
learn (`leaked`).
"""

from __future__ import annotations

import datetime
import hashlib
import json
import uuid
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from allauth.account.internal.flows.login import record_authentication
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction
from django.test import Client, RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from missions.models import Invitation, Member, Mission, Role, Team
from polling.models import (
    Channel,
    Checklist,
    Incident,
    PollingStation,
    Question,
    StationUpload,
    Visit,
    VisitRevision,
)
from polling.stations.importing import CANONICAL_HEADER
from reports.models import Export, StatementRender, StatementVersion
from reports.statements import drafting
from reports.statements import services as statement_services
from tests.helpers.factories import (
    make_meeting,
    make_member,
    make_mission,
    make_station,
    make_team,
    make_user,
)
from tests.helpers.results import file_visit, make_incident
from tests.helpers.statements import approve
from tests.helpers.visits import make_checklist

# The people of a mission. "outsider" is the secretariat of the other mission; "former" was this one's
# secretariat until removed (an inactive member).
ROLES = (
    "anon",
    "secretariat",
    "head",
    "leader_a",
    "observer_a",
    "leader_b",
    "observer_b",
    "outsider",
    "former",
)
MEMBERS = frozenset({"secretariat", "head", "leader_a", "observer_a", "leader_b", "observer_b"})
SETUP = frozenset({"secretariat", "head"})
TEAM_A = frozenset({"secretariat", "head", "leader_a", "observer_a"})
TEAM_B = frozenset({"secretariat", "head", "leader_b", "observer_b"})
RESULTS = frozenset({"secretariat", "head", "leader_a", "leader_b"})
LOGGED_IN = frozenset(ROLES) - {"anon"}
EVERYONE = frozenset(ROLES)

PDF = b"%PDF-1.7 statement"
UPLOAD_SESSION_KEY = "visit-import:{}"  # polling.visits.views.UPLOAD_SESSION_KEY


@dataclass
class World:
    """One mission's objects, keyed by what the URLs name."""

    tag: str
    mission: Mission
    members: dict[str, Member]
    team_a: Team
    team_b: Team
    station_a: PollingStation
    checklist: Checklist
    question: Question
    visit_a: Visit
    visit_b: Visit
    incident_a: Incident
    meeting: Any
    invitation: Invitation
    invitation_token: str
    station_upload: StationUpload
    visit_upload: uuid.UUID
    visit_upload_session: dict
    export_a: Export
    export_all: Export
    published: StatementVersion
    draft: StatementVersion
    figure: str
    # Text that only some roles may read: marker -> the roles entitled to it.
    secrets: dict[str, frozenset[str]] = field(default_factory=dict)

    @property
    def code(self) -> str:
        return self.mission.code


def _visit(member, version, station, tag: str) -> Visit:
    """A filed visit with its first revision, as the filing service stores it."""
    answers = {"A1": "yes", "A3": 7, "A4": f"{tag} answer of {member.user.name}", "A6": "yes"}
    visit = file_visit(
        version, station, member, arrived=election_day(), answers=answers, notes=f"{tag} notes"
    )
    VisitRevision.objects.create(
        visit=visit,
        number=1,
        user=member.user,
        channel=Channel.WEB,
        content={"answers": answers, "notes": visit.notes, "station": station.code},
    )
    return visit


def build_world(tag: str) -> World:
    """A mission with two teams (A and B), each with a leader and an observer, and one of everything."""
    mission = make_mission(f"{tag}-mission", name=f"{tag} Mission Name")
    team_a, team_b = make_team(mission, f"{tag} Team A"), make_team(mission, f"{tag} Team B")
    people = {
        "secretariat": (Role.SECRETARIAT, None),
        "head": (Role.HEAD_OF_MISSION, None),
        "leader_a": (Role.TEAM_LEADER, team_a),
        "observer_a": (Role.OBSERVER, team_a),
        "leader_b": (Role.TEAM_LEADER, team_b),
        "observer_b": (Role.OBSERVER, team_b),
    }
    members = {}
    for key, (role, team) in people.items():
        user = make_user(f"{key}.{tag}@example.org", name=f"{tag} {key} Person")
        members[key] = make_member(mission, role, user=user, team=team, country=f"{tag} Land")
    former = make_user(f"former.{tag}@example.org", name=f"{tag} former Person")
    members["former"] = make_member(mission, Role.SECRETARIAT, user=former, is_active=False)
    team_a.leader, team_b.leader = members["leader_a"], members["leader_b"]
    team_a.save(update_fields=["leader"])
    team_b.save(update_fields=["leader"])
    station_a = make_station(mission, f"{tag}-PS/1", name=f"{tag} School A", area=f"{tag} City > Centre")
    station_b = make_station(mission, f"{tag}-PS/2", name=f"{tag} School B", area=f"{tag} City > Centre")
    team_a.stations.add(station_a)
    team_b.stations.add(station_b)
    version = make_checklist(mission, code=f"{tag}-open", name=f"{tag} Opening checklist")
    visit_a = _visit(members["observer_a"], version, station_a, f"{tag} team-a")
    visit_b = _visit(members["observer_b"], version, station_b, f"{tag} team-b")
    incident_a = make_incident(visit_a, description=f"{tag} team-a incident described")
    meeting = make_meeting(mission, counterpart=f"{tag} Counterpart")
    invitation = Invitation(
        mission=mission,
        email=f"invitee.{tag}@example.org",
        name=f"{tag} Invitee",
        role=Role.OBSERVER,
        team=team_a,
        invited_by=members["secretariat"].user,
    )
    token = invitation.issue_token()
    invitation.save()
    station_upload = StationUpload(mission=mission, original_name="stations.csv")
    csv = f"{CANONICAL_HEADER}\n{tag}-PS/9,{tag} New School,,{tag} City > Centre,,,100\n"
    station_upload.file.save(f"{station_upload.uuid}.csv", ContentFile(csv.encode()), save=True)
    visit_upload = uuid.uuid4()
    path = default_storage.save(
        f"visit-uploads/{mission.code}/{visit_upload}.csv",
        ContentFile(f"station,arrived,A1\n{station_a.code},2024-02-07 08:00,yes\n".encode()),
    )
    export_a = Export.objects.create(
        mission=mission,
        kind=Export.Kind.VISITS,
        format=Export.Format.CSV,
        checklist=version.checklist,
        team=team_a,
        requested_by=members["leader_a"].user,
        status=Export.Status.DONE,
    )
    export_a.file.save("visits.csv", ContentFile(f"{tag} team-a export row\n".encode()), save=True)
    export_all = Export.objects.create(
        mission=mission,
        kind=Export.Kind.RESULTS,
        format=Export.Format.CSV,
        requested_by=members["head"].user,
        status=Export.Status.DONE,
    )
    export_all.file.save("results.csv", ContentFile(f"{tag} whole-mission export row\n".encode()), save=True)
    published, draft, figure = _statement(mission, members)
    world = World(
        tag=tag,
        mission=mission,
        members=members,
        team_a=team_a,
        team_b=team_b,
        station_a=station_a,
        checklist=version.checklist,
        question=version.questions.get(code="A4"),
        visit_a=visit_a,
        visit_b=visit_b,
        incident_a=incident_a,
        meeting=meeting,
        invitation=invitation,
        invitation_token=token,
        station_upload=station_upload,
        visit_upload=visit_upload,
        visit_upload_session={"path": path, "name": "visits.csv", "checklist": version.checklist.code},
        export_a=export_a,
        export_all=export_all,
        published=published,
        draft=draft,
        figure=figure,
    )
    everyone_here = MEMBERS
    world.secrets = {
        f"{tag} Mission Name": everyone_here,
        f"{tag} Team A": everyone_here,
        f"{tag} Counterpart": everyone_here,
        f"{tag} School A": everyone_here,
        f"{tag} Opening checklist": everyone_here,
        f"observer_a.{tag}@example.org": everyone_here,
        f"{tag} team-a notes": TEAM_A,
        f"{tag} team-a answer": TEAM_A,
        f"{tag} team-a incident": TEAM_A,
        f"{tag} team-a export": frozenset({"secretariat", "head", "leader_a"}),
        f"{tag} whole-mission export": SETUP,
        f"{tag} team-b notes": TEAM_B,
        f"{tag} team-b answer": TEAM_B,
        f"invitee.{tag}@example.org": SETUP,
        # Identifiers in links: a visit, an incident, an export are named only to those who may see them.
        str(visit_a.uuid): TEAM_A,
        str(visit_b.uuid): TEAM_B,
        str(incident_a.uuid): TEAM_A,
        str(export_a.uuid): frozenset({"secretariat", "head", "leader_a"}),
        str(invitation.uuid): SETUP,
    }
    return world


def _statement(mission: Mission, members: dict[str, Member]):
    """v1 approved, rendered and published; v2 a draft. Returns (v1, v2, a figure of v1 with visits)."""
    render = approve(mission, editor=members["secretariat"], head=members["head"])
    render.status = StatementRender.Status.DONE
    render.path = f"statements/{mission.code}-v1.pdf"
    render.sha256, render.size = hashlib.sha256(PDF).hexdigest(), len(PDF)
    render.certificate_pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    render.save()
    default_storage.save(render.path, ContentFile(PDF))
    published = render.version
    statement_services.statement_publish(version=published, user=members["secretariat"].user)
    draft = statement_services.statement_new_version(
        statement=published.statement, user=members["secretariat"].user
    )
    published.refresh_from_db()
    figure = next(name for name, f in published.snapshot["figures"].items() if f.get("visits"))
    return published, draft, figure


def conclusion_key() -> str:
    return drafting.CONCLUSION


# ---------------------------------------------------------------------------
# Clients
# ---------------------------------------------------------------------------


def login(client: Client, user) -> Client:
    """Log in, and record a password entry just now, as allauth does: no page asks to re-authenticate."""
    client.force_login(user)
    session = client.session
    request = RequestFactory().get("/")
    request.user, request.session = user, session
    record_authentication(request, user, method="password", reauthenticated=True)
    session.save()
    return client


def clients_for(world: World, other: World, *, enforce_csrf_checks: bool = False) -> dict[str, Client]:
    """One client per role of `world`; "outsider" is the secretariat of `other`."""
    clients = {"anon": Client(enforce_csrf_checks=enforce_csrf_checks)}
    for role, member in world.members.items():
        clients[role] = login(Client(enforce_csrf_checks=enforce_csrf_checks), member.user)
    clients["outsider"] = login(
        Client(enforce_csrf_checks=enforce_csrf_checks), other.members["secretariat"].user
    )
    return clients


def leaked(body: str, role: str, world: World, other: World) -> list[str]:
    """The secrets in `body` that `role` may not read (the outsider is entitled to the other mission's)."""
    found = []
    for marker, entitled in world.secrets.items():
        if role not in entitled and marker in body:
            found.append(marker)
    for marker, entitled in other.secrets.items():
        as_other = "secretariat" if role == "outsider" else None
        if as_other not in entitled and marker in body:
            found.append(marker)
    return found


# ---------------------------------------------------------------------------
# The URLconf
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Route:
    key: str  # "namespace:name", or the route itself for an unnamed pattern
    route: str
    pattern: URLPattern
    namespace: str


def all_routes() -> list[Route]:
    """Every URL pattern of the project, walked from the root resolver."""

    def walk(resolver, prefix: str, namespace: str):
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = ":".join(filter(None, [namespace, p.namespace]))
                yield from walk(p, prefix + str(p.pattern), ns)
            else:
                route = prefix + str(p.pattern)
                key = ":".join(filter(None, [namespace, p.name])) if p.name else route
                yield Route(key=key, route=route, pattern=p, namespace=namespace)

    return list(walk(get_resolver(), "", ""))


def send(
    client: Client,
    method: str,
    url: str,
    *,
    data: dict | None = None,
    query: dict | None = None,
    session: dict | None = None,
    json_body: bool = False,
    headers: dict | None = None,
    check=None,
):
    """One request in a savepoint rolled back afterwards: returns (status, Location, body text).

    `check()`, when given, runs after the request and before the rollback (to see what it changed).
    """
    if query:
        url += "?" + urlencode(query)
    with transaction.atomic():
        if session:
            stored = client.session
            stored.update(session)
            stored.save()
        if method == "GET":
            response = client.get(url, headers=headers)
        elif json_body:
            response = client.generic(
                method, url, json.dumps(data or {}), content_type="application/json", headers=headers
            )
        else:
            response = client.generic(
                method,
                url,
                urlencode(data or {}, doseq=True),
                content_type="application/x-www-form-urlencoded",
                headers=headers,
            )
        # Reading a streamed body to the end closes it; calling close() again would close the connection.
        body = b"".join(response.streaming_content) if response.streaming else response.content
        if check is not None:
            check()
        transaction.set_rollback(True)
    return response.status_code, response.get("Location", ""), body.decode("utf-8", "replace")


def election_day() -> datetime.datetime:
    return datetime.datetime(2024, 2, 7, 8, 0, tzinfo=datetime.UTC)
