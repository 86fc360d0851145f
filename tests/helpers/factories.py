"""Small factories for test data: explicit, no fixture files."""

import datetime
import itertools

from missions.models import Meeting, Member, Mission, Role, Team, User
from polling.models import Area, PollingStation

_seq = itertools.count(1)

PASSWORD = "correct-horse-battery-42"


def make_user(email: str | None = None, *, name: str = "", password: str = PASSWORD, **extra) -> User:
    n = next(_seq)
    return User.objects.create_user(
        email=email or f"user{n}@example.org", password=password, name=name or f"User {n}", **extra
    )


def make_mission(code: str | None = None, **fields) -> Mission:
    n = next(_seq)
    defaults = {
        "code": code or f"mission-{n}",
        "name": f"Test Mission {n}",
        "organization": "Organization of Turkic States",
        "election": "Early Presidential Election",
        "country": "Azerbaijan",
        "election_date": datetime.date(2024, 2, 7),
        "observation_start": datetime.date(2024, 2, 4),
        "observation_end": datetime.date(2024, 2, 7),
        "area_levels": ["Region", "City"],
        "statement_level": 2,
    }
    defaults.update(fields)
    return Mission.objects.create(**defaults)


def make_member(
    mission: Mission,
    role: str = Role.OBSERVER,
    *,
    user: User | None = None,
    team: Team | None = None,
    country: str = "",
    **extra,
) -> Member:
    return Member.objects.create(
        mission=mission, user=user or make_user(), role=role, team=team, country=country, **extra
    )


def make_team(mission: Mission, name: str | None = None, **extra) -> Team:
    return Team.objects.create(mission=mission, name=name or f"Group {next(_seq)}", **extra)


def make_area(mission: Mission, path: str) -> Area:
    """The area at `path` ("Baku > Nasimi"), creating its ancestors as needed."""
    parent = None
    names = [part.strip() for part in path.split(">")]
    for depth, _name in enumerate(names, start=1):
        sub = " > ".join(names[:depth])
        parent, _ = Area.objects.get_or_create(
            mission=mission, path=sub, defaults={"parent": parent, "name": names[depth - 1], "depth": depth}
        )
    return parent


def make_station(
    mission: Mission, code: str | None = None, *, area: Area | str | None = None, **extra
) -> PollingStation:
    if isinstance(area, str):
        area = make_area(mission, area)
    n = next(_seq)
    return PollingStation.objects.create(
        mission=mission, code=code or f"PS-{n}", name=extra.pop("name", f"School {n}"), area=area, **extra
    )


def make_meeting(mission: Mission, **fields) -> Meeting:
    defaults = {
        "date": datetime.date(2024, 2, 5),
        "counterpart": "H.E. Jeyhun Bayramov",
        "title": "Minister of Foreign Affairs",
        "category": Meeting.Category.GOVERNMENT,
    }
    defaults.update(fields)
    return Meeting.objects.create(mission=mission, **defaults)
