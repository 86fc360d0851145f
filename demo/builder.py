"""The demo mission: modelled on the Organization of Turkic States' observation of
Azerbaijan's early presidential election of 7 February 2024.

`load_demo` sets it up (members, teams, stations, meetings); `load_demo_election_day`
adds the checklists and the visits; the load_demo command runs both. Running them
again changes nothing that is already there. Checklists and visits go through the
same services as an import and a filing (checklist_from_definition, visit_submit),
so the demo statement is drafted from data shaped like a real mission's: three
groups, 22 polling stations in Baku, Shusha, Hankendi and Khojaly, no serious
irregularity.
"""

import datetime
import uuid

from django.db import transaction

from missions.models import AREA_LEVEL_SEPARATOR, Meeting, Member, Mission, Role, Team, User
from polling.checklists.importing import checklist_from_definition
from polling.models import PollingStation, Visit
from polling.stations.importing.service import ensure_areas
from polling.visits.filing import visit_submit

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
        "the heads of the international observation missions present in Baku",
        "",
        Meeting.Category.INTERNATIONAL_OBSERVERS,
        "A coordination meeting on the deployment of observers on election day.",
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
            "time_zone": "Asia/Baku",
            "area_levels": ["City", "District"],
            "statement_level": 1,
        },
    )
    teams = [Team.objects.get_or_create(mission=mission, name=name)[0] for name in TEAMS]

    area_ids, _count = ensure_areas(
        mission, {tuple(path.split(AREA_LEVEL_SEPARATOR)) for *_s, path, _la, _lo, _v, _t in STATIONS}
    )
    stations = {}
    for code, name, address, path, lat, lon, voters, _team in STATIONS:
        stations[code], _ = PollingStation.objects.get_or_create(
            mission=mission,
            code=code,
            defaults={
                "name": name,
                "address": address,
                "area_id": area_ids[tuple(path.split(AREA_LEVEL_SEPARATOR))],
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


# Election-day checklists, in the import format (polling/checklists/definition.py). The finding
# sentences are the statement's own wording: {count}, {total} and {percent} become live figures.


def _yes_no(code, section, text, *, flag="no", severity="minor", none="", some="", **extra) -> dict:
    options = [
        {
            "value": value,
            "label": label,
            "flagged": value == flag,
            "severity": severity if value == flag else "",
        }
        for value, label in (("yes", "Yes"), ("no", "No"))
    ]
    finding = {"none": none, "some": some} if none or some else None
    question = {"code": code, "section": section, "text": text, "type": "yes_no", "required": True}
    return {**question, "options": options, "finding": finding, **extra}


VOTING = {
    "format": "observa.checklist/1",
    "code": "voting",
    "name": "Voting",
    "description": "Filled in at every polling station visited during the voting.",
    "questions": [
        _yes_no(
            "V1",
            "Polling station",
            "Was the polling station open, and did the voting proceed without interruption?",
            none="The polling stations visited opened on time and the voting proceeded without interruption.",
            some="The voting was interrupted in {count} of the {total} polling stations visited ({percent}%).",
        ),
        _yes_no(
            "V2",
            "Polling station",
            "Were all the necessary election materials present?",
            severity="serious",
            none="The polling stations visited were provided with all the necessary election materials, "
            "including ballot papers, voter lists and ballot boxes.",
            some="Election materials were missing in {count} of the {total} polling stations visited "
            "({percent}%).",
        ),
        _yes_no(
            "V3",
            "Polling station",
            "Were the ballot boxes properly sealed?",
            severity="serious",
            none="Ballot boxes were properly sealed in all the polling stations visited.",
            some="Ballot boxes were not properly sealed in {count} of the {total} polling stations visited "
            "({percent}%).",
        ),
        _yes_no(
            "V4",
            "Polling station",
            "Were web cameras installed and working?",
            none="Web cameras were installed and working in the polling stations visited.",
            some="Web cameras were missing or not working in {count} of the {total} polling stations visited "
            "({percent}%).",
        ),
        _yes_no(
            "V5",
            "Polling station",
            "Was the polling station accessible to voters with disabilities?",
            none="All the polling stations visited were accessible to voters with disabilities.",
            some="In {count} of the {total} polling stations visited ({percent}%), the premises were not fully "
            "accessible to voters with disabilities, mostly because voting took place on an upper floor.",
        ),
        _yes_no(
            "V6",
            "Voting procedures",
            "Did the polling station staff check each voter's identity document and mark the voter's finger?",
            severity="serious",
            none="Polling station staff checked the identity documents of voters and marked their fingers "
            "with ink, as the law requires.",
            some="Identity documents were not checked, or fingers not marked, in {count} of the {total} "
            "polling stations visited ({percent}%).",
        ),
        _yes_no(
            "V7",
            "Voting procedures",
            "Was the secrecy of the vote respected?",
            severity="serious",
            none="The secrecy of the vote was respected in all the polling stations visited.",
            some="The secrecy of the vote was not fully respected in {count} of the {total} polling stations "
            "visited ({percent}%).",
        ),
        _yes_no(
            "V8",
            "Voting procedures",
            "Were campaign materials present in or near the polling station?",
            flag="yes",
            none="The Mission did not identify any campaign materials in or near the polling stations visited.",
            some="Campaign materials were seen in or near {count} of the {total} polling stations visited "
            "({percent}%).",
        ),
        _yes_no(
            "V9",
            "Voting procedures",
            "Were candidates' proxies or citizen observers present?",
            flag="",
        ),
        {
            "code": "V10",
            "section": "Voting procedures",
            "text": "How was the atmosphere in and around the polling station?",
            "type": "single",
            "required": True,
            "options": [
                {"value": "calm", "label": "Calm and orderly"},
                {"value": "tense", "label": "Tense", "flagged": True, "severity": "minor"},
                {
                    "value": "unrest",
                    "label": "Unrest or intimidation",
                    "flagged": True,
                    "severity": "serious",
                },
            ],
            "finding": {
                "none": "The voting took place in a calm and peaceful atmosphere in all the polling stations "
                "visited.",
                "some": "The atmosphere was tense in {count} of the {total} polling stations visited "
                "({percent}%).",
            },
        },
        {
            "code": "V11",
            "section": "Voting procedures",
            "text": "How many voters were waiting to vote when you arrived?",
            "type": "number",
            "min": 0,
            "max": 1000,
        },
    ],
}

COUNTING = {
    "format": "observa.checklist/1",
    "code": "counting",
    "name": "Closing and counting",
    "description": "Filled in where a group stays from the close of the polls to the results protocol.",
    "questions": [
        _yes_no(
            "C1",
            "Counting",
            "Were the unused ballot papers counted and cancelled before the ballot box was opened?",
            severity="serious",
            none="In the {total} polling stations where the Mission observed the count, unused ballot papers "
            "were counted and cancelled before the ballot boxes were opened.",
            some="Unused ballot papers were not cancelled before the count in {count} of the {total} polling "
            "stations observed ({percent}%).",
        ),
        _yes_no(
            "C2",
            "Counting",
            "Was the count conducted transparently, in view of the observers present?",
            severity="serious",
            none="The count was conducted transparently and in view of the observers present.",
            some="The count was not transparent in {count} of the {total} polling stations observed "
            "({percent}%).",
        ),
        _yes_no(
            "C3",
            "Counting",
            "Was a copy of the results protocol posted for public display?",
            none="A copy of the results protocol was posted for public display in every polling station where "
            "the count was observed.",
            some="The results protocol was not posted in {count} of the {total} polling stations observed "
            "({percent}%).",
        ),
    ],
}

# Stations where the answer departs from the usual one: older school buildings without ramps,
# and the two stations where no proxy or citizen observer was present.
NOT_ACCESSIBLE = {"22-003", "26-013", "27-009"}
NO_PROXIES = {"121-003", "123-002"}
COUNTED = {0: "21-019", 1: "25-011", 2: "121-001"}  # one count observed by each group
POLLS_OPEN = datetime.datetime(2024, 2, 7, 4, 0, tzinfo=datetime.UTC)  # 08:00 in Baku
POLLS_CLOSE = datetime.datetime(2024, 2, 7, 15, 0, tzinfo=datetime.UTC)  # 19:00 in Baku


@transaction.atomic
def load_demo_election_day(mission: Mission) -> list[Visit]:
    """The demo's checklists and election-day visits (once); returns the visits."""
    load_demo_checklists(mission)
    return load_demo_visits(mission)


def load_demo_checklists(mission: Mission) -> None:
    """The voting and the counting checklists, imported as a secretariat would (once)."""
    for definition in (VOTING, COUNTING):
        if not mission.checklists.filter(code=definition["code"]).exists():
            checklist_from_definition(mission=mission, data=definition)


def _visit_uuid(mission: Mission, checklist: str, station: str) -> uuid.UUID:
    """The same demo visit gets the same UUID every time, so loading twice files nothing twice."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"observa-demo:{mission.code}:{checklist}:{station}")


def _demo_payloads(mission: Mission):
    """(member email, payload) for each demo visit: every group's stations in turn, its members filing by turns."""
    filers = {
        team: [email for email, _n, role, _c, index in PEOPLE if index == team and role != Role.SECRETARIAT]
        for team in range(len(TEAMS))
    }
    by_team: dict[int, list[str]] = {}
    for code, *_rest, team_index in STATIONS:
        if team_index is not None:
            by_team.setdefault(team_index, []).append(code)
    for team_index, codes in sorted(by_team.items()):
        for order, code in enumerate(codes):
            arrived = POLLS_OPEN + datetime.timedelta(minutes=35 + 50 * order + 7 * team_index)
            answers = {f"V{n}": "yes" for n in range(1, 8)}
            answers.update(
                V5="no" if code in NOT_ACCESSIBLE else "yes",
                V8="no",
                V9="no" if code in NO_PROXIES else "yes",
                V10="calm",
                V11=(order * 7 + team_index * 3) % 15,
            )
            yield (
                filers[team_index][order % len(filers[team_index])],
                {
                    "uuid": str(_visit_uuid(mission, "voting", code)),
                    "checklist": "voting",
                    "version": 1,
                    "station": code,
                    "arrived_at": arrived.isoformat(),
                    "departed_at": (arrived + datetime.timedelta(minutes=30)).isoformat(),
                    "assessment": "good",
                    "answers": answers,
                },
            )
        code = COUNTED[team_index]
        yield (
            filers[team_index][0],
            {
                "uuid": str(_visit_uuid(mission, "counting", code)),
                "checklist": "counting",
                "version": 1,
                "station": code,
                "arrived_at": (POLLS_CLOSE - datetime.timedelta(minutes=20)).isoformat(),
                "departed_at": (POLLS_CLOSE + datetime.timedelta(minutes=100)).isoformat(),
                "assessment": "good",
                "answers": {"C1": "yes", "C2": "yes", "C3": "yes"},
            },
        )


def load_demo_visits(mission: Mission) -> list[Visit]:
    """File the demo's election-day visits through the filing service; those already filed are left alone."""
    members = {m.user.email: m for m in mission.members.select_related("user")}
    payloads = list(_demo_payloads(mission))
    filed = set(
        Visit.objects.filter(uuid__in=[p["uuid"] for _e, p in payloads]).values_list("uuid", flat=True)
    )
    for email, payload in payloads:
        if uuid.UUID(payload["uuid"]) not in filed:
            visit_submit(mission=mission, member=members[email], payload=payload)
    return list(Visit.objects.filter(mission=mission, uuid__in=[p["uuid"] for _e, p in payloads]))
