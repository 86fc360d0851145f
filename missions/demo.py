"""The demo mission: modelled on the Organization of Turkic States' observation of
Azerbaijan's early presidential election of 7 February 2024.

`load_demo` builds it; running it again changes nothing that is already there.
Visits and the statement are added by their own modules when they exist.
"""

import datetime

from django.db import transaction

from missions.models import Meeting, Member, Mission, Role, Team, User
from polling.models import Area, PollingStation

DEMO_CODE = "ots-az-2024"
DEMO_PASSWORD = "observa-demo-2024"  # noqa: S105 - printed to the person trying the demo

# (email, name, role, country, team index or None)
PEOPLE = [
    ("secretariat@demo.observa.test", "Aigerim Sadykova", Role.SECRETARIAT, "Kazakhstan", None),
    ("hom@demo.observa.test", "Kubanychbek Omuraliev", Role.HEAD_OF_MISSION, "Kyrgyzstan", None),
    ("leader1@demo.observa.test", "Mehmet Yılmaz", Role.TEAM_LEADER, "Türkiye", 0),
    ("leader2@demo.observa.test", "Nurlan Abdrakhmanov", Role.TEAM_LEADER, "Kazakhstan", 1),
    ("leader3@demo.observa.test", "Dilshod Rakhimov", Role.TEAM_LEADER, "Uzbekistan", 2),
    ("observer@demo.observa.test", "Ayşe Demir", Role.OBSERVER, "Türkiye", 0),
    ("observer2@demo.observa.test", "Aibek Toktogulov", Role.OBSERVER, "Kyrgyzstan", 0),
    ("observer3@demo.observa.test", "Gulnara Ismailova", Role.OBSERVER, "Uzbekistan", 1),
    ("observer4@demo.observa.test", "Zsolt Kovács", Role.OBSERVER, "Hungary", 1),
    ("observer5@demo.observa.test", "Berdi Annayev", Role.OBSERVER, "Turkmenistan", 2),
    ("observer6@demo.observa.test", "Askar Zhumabekov", Role.OBSERVER, "Kazakhstan", 2),
]

TEAMS = ["Group 1 (Baku)", "Group 2 (Baku)", "Group 3 (Karabakh)"]

# (code, name, address, area path, lat, lon, registered voters, team index)
STATIONS = [
    (
        "21-005",
        "School No. 6",
        "Nasimi district, 28 May street 12",
        "Baku > Nasimi",
        "40.3777",
        "49.8468",
        1184,
        0,
    ),
    (
        "21-012",
        "School No. 23",
        "Nasimi district, Samad Vurgun street 34",
        "Baku > Nasimi",
        "40.3801",
        "49.8392",
        1342,
        0,
    ),
    (
        "21-019",
        "Lyceum No. 7",
        "Nasimi district, Azadlig avenue 77",
        "Baku > Nasimi",
        "40.3869",
        "49.8331",
        1520,
        0,
    ),
    (
        "22-003",
        "School No. 132",
        "Yasamal district, Sharifzade street 5",
        "Baku > Yasamal",
        "40.3795",
        "49.8137",
        987,
        0,
    ),
    (
        "22-017",
        "School No. 189",
        "Yasamal district, Hasan bey Zardabi avenue 62",
        "Baku > Yasamal",
        "40.3842",
        "49.8015",
        1410,
        0,
    ),
    (
        "23-008",
        "School No. 20",
        "Sabail district, Neftchilar avenue 104",
        "Baku > Sabail",
        "40.3657",
        "49.8402",
        1102,
        0,
    ),
    (
        "23-021",
        "Music School No. 1",
        "Sabail district, Istiglaliyyat street 8",
        "Baku > Sabail",
        "40.3669",
        "49.8348",
        743,
        0,
    ),
    (
        "24-004",
        "School No. 158",
        "Narimanov district, Tabriz street 41",
        "Baku > Narimanov",
        "40.4021",
        "49.8710",
        1265,
        1,
    ),
    (
        "24-015",
        "School No. 46",
        "Narimanov district, Ataturk avenue 33",
        "Baku > Narimanov",
        "40.4065",
        "49.8673",
        1398,
        1,
    ),
    (
        "25-011",
        "School No. 220",
        "Khatai district, Babek avenue 19",
        "Baku > Khatai",
        "40.3849",
        "49.9021",
        1476,
        1,
    ),
    (
        "25-026",
        "School No. 246",
        "Khatai district, Khojaly avenue 55",
        "Baku > Khatai",
        "40.3911",
        "49.9120",
        1533,
        1,
    ),
    (
        "26-007",
        "School No. 174",
        "Binagadi district, 8th microdistrict",
        "Baku > Binagadi",
        "40.4281",
        "49.8312",
        1205,
        1,
    ),
    (
        "26-013",
        "School No. 291",
        "Binagadi district, Rasulzade settlement",
        "Baku > Binagadi",
        "40.4390",
        "49.8187",
        1187,
        1,
    ),
    (
        "27-002",
        "School No. 117",
        "Surakhani district, Hovsan settlement",
        "Baku > Surakhani",
        "40.3744",
        "50.0180",
        1099,
        1,
    ),
    (
        "27-009",
        "Culture House",
        "Surakhani district, Amirjan settlement",
        "Baku > Surakhani",
        "40.4279",
        "49.9842",
        865,
        1,
    ),
    (
        "121-001",
        "Shusha City School No. 1",
        "Shusha, Ganjavi street 2",
        "Shusha > Shusha city",
        "39.7580",
        "46.7494",
        412,
        2,
    ),
    (
        "121-002",
        "Shusha Vocational Lyceum",
        "Shusha, Vagif street 15",
        "Shusha > Shusha city",
        "39.7611",
        "46.7470",
        389,
        2,
    ),
    (
        "121-003",
        "Shusha Culture Centre",
        "Shusha, Natavan square",
        "Shusha > Shusha city",
        "39.7598",
        "46.7528",
        274,
        2,
    ),
    (
        "122-001",
        "Hankendi School No. 3",
        "Hankendi, Azadlig street 10",
        "Hankendi > Hankendi city",
        "39.8153",
        "46.7519",
        205,
        2,
    ),
    (
        "122-002",
        "Hankendi Administrative Building",
        "Hankendi, Heydar Aliyev avenue 1",
        "Hankendi > Hankendi city",
        "39.8177",
        "46.7605",
        168,
        2,
    ),
    (
        "123-001",
        "Khojaly School No. 1",
        "Khojaly, Central street 4",
        "Khojaly > Khojaly city",
        "39.9133",
        "46.7936",
        311,
        2,
    ),
    (
        "123-002",
        "Khojaly Culture House",
        "Khojaly, Victory street 9",
        "Khojaly > Khojaly city",
        "39.9149",
        "46.7891",
        197,
        2,
    ),
    (
        "123-003",
        "Khojaly Youth Centre",
        "Khojaly, Garabagh street 17",
        "Khojaly > Khojaly city",
        "39.9118",
        "46.7962",
        143,
        None,
    ),
    (
        "25-031",
        "School No. 252",
        "Khatai district, Ahmadli",
        "Baku > Khatai",
        "40.3869",
        "49.9523",
        1612,
        None,
    ),
]

MEETINGS = [
    (
        datetime.date(2024, 2, 5),
        "H.E. Jeyhun Bayramov",
        "Minister of Foreign Affairs of the Republic of Azerbaijan",
        Meeting.Category.GOVERNMENT,
        "The Minister briefed the Mission on the preparations for the early presidential election.",
    ),
    (
        datetime.date(2024, 2, 5),
        "Mr. Mazahir Panahov",
        "Chairman of the Central Election Commission of the Republic of Azerbaijan",
        Meeting.Category.ELECTION_ADMINISTRATION,
        "The Chairman presented the legal framework, the voter register and the election-day procedures.",
    ),
    (
        datetime.date(2024, 2, 6),
        "Heads of international observation missions",
        "Coordination meeting of international observers",
        Meeting.Category.INTERNATIONAL_OBSERVERS,
        "",
    ),
]


@transaction.atomic
def load_demo() -> tuple[Mission, bool]:
    """Create the demo mission (or leave it as it is); returns (mission, created)."""
    mission, created = Mission.objects.get_or_create(
        code=DEMO_CODE,
        defaults={
            "name": "International Election Observation Mission of the Organization of Turkic States",
            "organization": "Organization of Turkic States",
            "election": "Early Presidential Election",
            "country": "Republic of Azerbaijan",
            "election_date": datetime.date(2024, 2, 7),
            "observation_start": datetime.date(2024, 2, 4),
            "observation_end": datetime.date(2024, 2, 7),
            "status": Mission.Status.ACTIVE,
            "area_levels": ["City", "District"],
            "statement_level": 1,
        },
    )
    teams = [Team.objects.get_or_create(mission=mission, name=name)[0] for name in TEAMS]

    stations = {}
    for code, name, address, path, lat, lon, voters, _team in STATIONS:
        area = _area(mission, path)
        stations[code], _ = PollingStation.objects.get_or_create(
            mission=mission,
            code=code,
            defaults={
                "name": name,
                "address": address,
                "area": area,
                "latitude": lat,
                "longitude": lon,
                "registered_voters": voters,
            },
        )
    for code, *_rest, team_index in STATIONS:
        if team_index is not None:
            teams[team_index].stations.add(stations[code])

    for email, name, role, country, team_index in PEOPLE:
        user, user_created = User.objects.get_or_create(email=email, defaults={"name": name})
        if user_created:
            user.set_password(DEMO_PASSWORD)
            user.save(update_fields=["password"])
        team = teams[team_index] if team_index is not None else None
        member, _ = Member.objects.get_or_create(
            mission=mission, user=user, defaults={"role": role, "country": country, "team": team}
        )
        if role == Role.TEAM_LEADER and team and team.leader_id is None:
            team.leader = member
            team.save(update_fields=["leader"])

    for date, counterpart, title, category, notes in MEETINGS:
        Meeting.objects.get_or_create(
            mission=mission,
            date=date,
            counterpart=counterpart,
            defaults={"title": title, "category": category, "notes": notes},
        )
    return mission, created


def _area(mission: Mission, path: str) -> Area:
    parent = None
    names = [part.strip() for part in path.split(">")]
    for depth in range(1, len(names) + 1):
        parent, _ = Area.objects.get_or_create(
            mission=mission,
            path=" > ".join(names[:depth]),
            defaults={"parent": parent, "name": names[depth - 1], "depth": depth},
        )
    return parent
