"""Checking a whole bundle before anything is written.

Every section is read, every problem is collected with its JSON path, and only a bundle without a
single problem becomes a `Plan` for the writer. The rules are the application's own wherever it has
them: a checklist (and each older version of it) goes through the checklist importer's
`clean_definition`, a visit's times, notes, assessment and answers through the filing service's
`clean_fields` and `validate_answers`, so a bundle cannot hold a checklist the builder would refuse or
a visit the filing page would refuse (a required question left out, a hidden question answered, a
number above its maximum). What only a bundle has (members, teams, references between sections) is
checked here.
"""

import uuid
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator
from django.utils.translation import gettext as _

from config.jsoncheck import JsonChecker, duplicate
from missions.models import (
    AREA_LEVEL_SEPARATOR,
    Meeting,
    Mission,
    Role,
    Team,
    User,
    default_time_zone,
    mission_code_validator,
    validate_time_zone,
)
from polling.checklists.definition import clean_definition
from polling.models import Area, Incident, PollingStation, Visit
from polling.visits import build_content, clean_fields, content_hash, spec_from_definition, validate_answers
from polling.visits.validation import NOTES_MAX, Window

from .errors import FORMAT, TOP_KEYS, BundleInvalid, Path, json_path

MISSION_KEYS = (
    "code",
    "name",
    "organization",
    "election",
    "country",
    "election_date",
    "observation_start",
    "observation_end",
    "area_levels",
    "statement_level",
)
MISSION_OPTIONAL = ("status", "time_zone")
MEMBER_KEYS = ("email", "name", "role", "country", "team")
MEMBER_OPTIONAL = ("active",)
TEAM_KEYS = ("name", "leader", "stations")
STATION_KEYS = ("code", "name", "address", "area")
STATION_OPTIONAL = ("latitude", "longitude", "registered_voters")
CHECKLIST_KEYS = ("code", "name", "questions")
CHECKLIST_OPTIONAL = ("description", "order", "active", "version", "versions")
VERSION_KEYS = ("number", "questions")
MEETING_KEYS = ("date", "counterpart", "title", "category", "notes")
VISIT_KEYS = (
    "uuid",
    "checklist",
    "station",
    "observer",
    "team",
    "arrived_at",
    "departed_at",
    "answers",
    "notes",
)
VISIT_OPTIONAL = ("version", "assessment", "review")
REVIEW_KEYS = ("status", "comment", "by", "at")
INCIDENT_KEYS = ("uuid", "station", "observer", "time", "category", "description")
INCIDENT_OPTIONAL = ("team", "visit")

MAX_VOTERS = 2_147_483_647  # PositiveIntegerField on PostgreSQL
MAX_ORDER = 32_767  # PositiveSmallIntegerField


def _max_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


@dataclass
class ChecklistPlan:
    code: str
    name: str
    description: str
    order: int
    active: bool
    current: int | None
    versions: dict[int, list[dict]]  # number -> clean_definition's questions


@dataclass
class VisitPlan:
    uuid: uuid.UUID
    checklist: str
    version: int
    station: str
    observer: str
    team: str | None
    fields: dict[str, Any]  # arrived_at, departed_at, notes, assessment as clean_fields gives them
    answers: dict[str, Any]  # validate_answers' cleaned values
    content: dict  # what the filing service keeps in a revision
    digest: str
    review: dict | None


@dataclass
class Plan:
    """A checked bundle, in the writer's terms: emails lower-cased, dates and times parsed, decimals exact."""

    mission: dict[str, Any]
    members: list[dict]
    teams: list[dict]
    stations: list[dict]
    checklists: list[ChecklistPlan]
    meetings: list[dict]
    visits: list[VisitPlan]
    incidents: list[dict]


def bundle_check(data) -> Plan:
    """The bundle as a Plan, or BundleInvalid with every problem in it; reads the database, never writes."""
    check = JsonChecker()
    if not isinstance(data, dict):
        raise BundleInvalid(
            [
                (
                    "$",
                    _("A mission bundle is a JSON object with the keys %(keys)s.")
                    % {"keys": ", ".join(TOP_KEYS)},
                )
            ]
        )
    for key in TOP_KEYS:
        if key not in data:
            check.add((key,), _("This key is missing."))
    for key in data:
        if key not in TOP_KEYS:
            check.add(
                (str(key),),
                _("Unknown key “%(key)s”; a bundle has exactly the keys %(keys)s.")
                % {"key": key, "keys": ", ".join(TOP_KEYS)},
            )
    if "format" in data and data["format"] != FORMAT:
        check.add(
            ("format",),
            _("Unknown format “%(value)s”; this version of Observa reads %(format)s.")
            % {"value": data["format"], "format": FORMAT},
        )

    holding_nul = list(_paths_holding_nul(data))
    if (
        holding_nul
    ):  # PostgreSQL text cannot store it, and the checks below query the database with the values
        message = _("Remove the NUL character (\\u0000): text cannot hold it.")
        raise BundleInvalid([(json_path(path), message) for path in holding_nul[:100]])

    reader = _Reader(check)
    mission = reader.mission(data["mission"]) if "mission" in data else {}
    teams = reader.teams(check.items(data, "teams"))
    members = reader.members(check.items(data, "members"))
    stations = reader.stations(check.items(data, "stations"))
    reader.team_references(teams)
    checklists = reader.checklists(check.items(data, "checklists"))
    meetings = reader.meetings(check.items(data, "meetings"))
    visits = reader.visits(check.items(data, "visits"))
    incidents = reader.incidents(check.items(data, "incidents"))
    reader.database()
    if check.problems:
        raise BundleInvalid([(json_path(path), message) for path, message in check.problems])
    return Plan(mission, members, teams, stations, checklists, meetings, visits, incidents)


def _paths_holding_nul(value, path: Path = ()):
    if isinstance(value, str):
        if "\x00" in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if "\x00" in str(key):
                yield path + (str(key),)
            yield from _paths_holding_nul(item, path + (str(key),))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _paths_holding_nul(item, path + (index,))


class _Reader:
    """Reads the sections in order; what a later section refers to (team names, member e-mails, station
    codes, checklist versions, visit UUIDs) is remembered as it is read."""

    def __init__(self, check: JsonChecker):
        self.check = check
        self.window: Window | None = None  # the mission's observation period, once read
        self.team_names: set[str] = set()
        self.team_keys: dict[str, Path] = {}  # lower-cased name -> where it first appears
        self.area_levels: list[str] = []
        self.member_emails: dict[str, Path] = {}
        self.member_team: dict[str, str | None] = {}
        self.station_codes: dict[str, Path] = {}
        # checklist code -> (current version number, {number: spec}, whether the checklist has errors)
        self.checklist_specs: dict[str, tuple[int | None, dict, bool]] = {}
        self.visit_uuids: dict[uuid.UUID, Path] = {}
        self.visit_station: dict[uuid.UUID, str] = {}
        self.incident_uuids: dict[uuid.UUID, Path] = {}
        self.mission_code: str | None = None

    # The mission.

    def mission(self, data) -> dict:
        check, path = self.check, ("mission",)
        data = check.obj(data, path, MISSION_KEYS, MISSION_OPTIONAL)
        if data is None:
            return {}
        code = check.text(data, "code", path, blank=False, max_length=_max_length(Mission, "code"))
        if code is not None:
            try:
                mission_code_validator(code)
                self.mission_code = code
            except ValidationError as error:
                check.add(path + ("code",), " ".join(error.messages))
        fields: dict[str, Any] = {"code": code}
        for key in ("name", "organization", "election", "country"):
            fields[key] = check.text(data, key, path, blank=False, max_length=_max_length(Mission, key))
        for key in ("election_date", "observation_start", "observation_end"):
            fields[key] = check.date(data, key, path)
        start, end, election = fields["observation_start"], fields["observation_end"], fields["election_date"]
        if start and end and end < start:
            check.add(path + ("observation_end",), _("The observation period cannot end before it starts."))
        elif start and end and election and not start <= election <= end:
            check.add(
                path + ("election_date",), _("The election date must fall within the observation period.")
            )
        levels = data.get("area_levels", [])
        if not isinstance(levels, list) or not all(
            isinstance(level, str) and level.strip() for level in levels
        ):
            check.add(path + ("area_levels",), _("Must be a list of level names, largest first."))
            levels = None
        elif len(set(levels)) != len(levels):
            check.add(path + ("area_levels",), _("A level name is there twice."))
            levels = None
        fields["area_levels"] = levels
        self.area_levels = levels or []
        fields["statement_level"] = 1
        if "statement_level" in data and levels is not None:
            level = data["statement_level"]
            if level is None and not levels:
                pass
            elif level in levels:
                fields["statement_level"] = levels.index(level) + 1
            else:
                check.add(
                    path + ("statement_level",),
                    _("Must be one of the area levels (%(levels)s).") % {"levels": ", ".join(levels)}
                    if levels
                    else _("Must be null: the mission has no area levels."),
                )
        fields["status"] = check.choice(
            data, "status", path, Mission.Status.values, default=Mission.Status.SETUP
        )
        fields["time_zone"] = check.text(data, "time_zone", path, blank=False, default=default_time_zone())
        if fields["time_zone"] is not None:
            try:
                validate_time_zone(fields["time_zone"])
            except ValidationError as error:
                check.add(path + ("time_zone",), " ".join(error.messages))
            else:
                if start and end and not end < start:
                    self.window = Window.for_period(start, end, zoneinfo.ZoneInfo(fields["time_zone"]))
        return fields

    # Teams, members and stations refer to one another: teams are read first (names), then members
    # (their team must exist), stations, and last the teams' leaders and planned stations.

    def teams(self, items: list) -> list[dict]:
        check, teams = self.check, []
        for i, item in enumerate(items):
            path = ("teams", i)
            data = check.obj(item, path, TEAM_KEYS)
            if data is None:
                continue
            name = check.text(data, "name", path, blank=False, max_length=_max_length(Team, "name"))
            if name is not None:
                self.team_names.add(name)
                duplicate(
                    check,
                    self.team_keys,
                    name.lower(),
                    path + ("name",),
                    _("Another team is called “%(name)s” (team names ignore case).") % {"name": name},
                )
            teams.append({"path": path, "name": name, "data": data})
        return teams

    def members(self, items: list) -> list[dict]:
        check, members = self.check, []
        validate_email = EmailValidator()
        for i, item in enumerate(items):
            path = ("members", i)
            data = check.obj(item, path, MEMBER_KEYS, MEMBER_OPTIONAL)
            if data is None:
                continue
            email = check.text(data, "email", path, blank=False, max_length=_max_length(User, "email"))
            if email is not None:
                try:
                    validate_email(email)
                    email = email.lower()
                except ValidationError:
                    check.add(
                        path + ("email",), _("“%(email)s” is not an e-mail address.") % {"email": email}
                    )
                    email = None
            if email is not None:
                duplicate(
                    check,
                    self.member_emails,
                    email,
                    path + ("email",),
                    _("%(email)s is a member twice (addresses ignore case).") % {"email": email},
                )
            team = self._team(data, "team", path)
            if email is not None:
                self.member_team.setdefault(email, team)
            members.append(
                {
                    "email": email,
                    "name": check.text(data, "name", path, max_length=_max_length(User, "name")),
                    "role": check.choice(data, "role", path, Role.values),
                    "country": check.text(data, "country", path, max_length=100),
                    "team": team,
                    "active": check.boolean(data, "active", path, default=True),
                }
            )
        return members

    def _team(self, data: dict, key: str, path: Path, *, default=None) -> str | None:
        name = self.check.text(data, key, path, null=True, default=default)
        if name is not None and name not in self.team_names:
            self.check.add(path + (key,), _("There is no team “%(name)s” in teams.") % {"name": name})
        return name

    def _member(self, data: dict, key: str, path: Path, *, null=False) -> str | None:
        email = self.check.text(data, key, path, null=null, default=None)
        if email is None:
            return None
        if email.lower() not in self.member_emails:
            self.check.add(path + (key,), _("%(email)s is not in members.") % {"email": email})
        return email.lower()

    def _station(self, data: dict, key: str, path: Path) -> str | None:
        code = self.check.text(data, key, path, default=None)
        if code is not None and code not in self.station_codes:
            self.check.add(
                path + (key,), _("There is no polling station “%(code)s” in stations.") % {"code": code}
            )
        return code

    def stations(self, items: list) -> list[dict]:
        check, stations = self.check, []
        levels = self.area_levels
        name_max, path_max = _max_length(Area, "name"), _max_length(Area, "path")
        for i, item in enumerate(items):
            path = ("stations", i)
            data = check.obj(item, path, STATION_KEYS, STATION_OPTIONAL)
            if data is None:
                continue
            code = check.text(data, "code", path, blank=False, max_length=_max_length(PollingStation, "code"))
            if code is not None:
                duplicate(
                    check,
                    self.station_codes,
                    code,
                    path + ("code",),
                    _("Another polling station has the code “%(code)s”.") % {"code": code},
                )
            area = data.get("area", [])
            if not isinstance(area, list) or not all(isinstance(name, str) for name in area):
                check.add(path + ("area",), _("Must be a list of area names, largest level first."))
                area = []
            elif any(not name.strip() or ">" in name or len(name) > name_max for name in area):
                check.add(
                    path + ("area",),
                    _("Each area name must be non-empty, without “>” and at most %(max)s characters.")
                    % {"max": name_max},
                )
                area = []
            elif levels and len(area) > len(levels):
                check.add(
                    path + ("area",),
                    _("The area has %(depth)s levels but the mission has %(levels)s (%(names)s).")
                    % {"depth": len(area), "levels": len(levels), "names": AREA_LEVEL_SEPARATOR.join(levels)},
                )
                area = []
            elif len(AREA_LEVEL_SEPARATOR.join(area)) > path_max:
                check.add(
                    path + ("area",),
                    _("The area path is longer than %(max)s characters.") % {"max": path_max},
                )
                area = []
            stations.append(
                {
                    "code": code,
                    "name": check.text(
                        data, "name", path, blank=False, max_length=_max_length(PollingStation, "name")
                    ),
                    "address": check.text(
                        data, "address", path, max_length=_max_length(PollingStation, "address")
                    ),
                    "area": tuple(area),
                    "latitude": check.coordinate(data, "latitude", path, 90),
                    "longitude": check.coordinate(data, "longitude", path, 180),
                    "registered_voters": check.integer(
                        data, "registered_voters", path, low=0, high=MAX_VOTERS, null=True
                    ),
                }
            )
        return stations

    def team_references(self, teams: list[dict]) -> None:
        check = self.check
        for team in teams:
            path, data = team["path"], team.pop("data")
            team["leader"] = self._member(data, "leader", path, null=True)
            codes = data.get("stations", [])
            if not isinstance(codes, list) or not all(isinstance(code, str) for code in codes):
                check.add(path + ("stations",), _("Must be a list of polling station codes."))
                codes = []
            seen: dict[str, Path] = {}
            for j, code in enumerate(codes):
                here = path + ("stations", j)
                if code not in self.station_codes:
                    check.add(here, _("There is no polling station “%(code)s” in stations.") % {"code": code})
                else:
                    duplicate(check, seen, code, here, _("“%(code)s” is planned twice.") % {"code": code})
            team["stations"] = list(dict.fromkeys(codes))
            del team["path"]

    # Checklists: the current version under `questions`, older (and draft) ones under `versions`.

    def checklists(self, items: list) -> list[ChecklistPlan]:
        check, checklists, codes = self.check, [], {}
        for i, item in enumerate(items):
            path = ("checklists", i)
            before = len(check.problems)
            data = check.obj(item, path, CHECKLIST_KEYS, CHECKLIST_OPTIONAL)
            if data is None:
                continue
            definition = {
                key: data[key] for key in ("code", "name", "description", "questions") if key in data
            }
            clean, problems = clean_definition(definition)
            for where, message in problems:
                if where and where[0] not in definition:
                    continue  # a missing key, already reported
                if where == ("questions",) and data.get("questions") == []:
                    continue  # a checklist just created has no questions yet
                check.add(path + tuple(where), message)
            code = clean.get("code") if isinstance(data.get("code"), str) else None
            if code:
                duplicate(
                    check,
                    codes,
                    code,
                    path + ("code",),
                    _("Another checklist has the code %(code)s.") % {"code": code},
                )
            current = check.integer(data, "version", path, low=1, high=2**31 - 1, default=1, null=True)
            if current is None and "version" in data and data["version"] is None and data.get("questions"):
                check.add(path + ("version",), _("A checklist without a current version has no questions."))
            versions: dict[int, list[dict]] = {}
            if current is not None:
                versions[current] = clean.get("questions", [])
            versions.update(self._older_versions(data, path, clean, current))
            specs = {
                number: spec_from_definition(
                    {"checklist": code or "", "version": number, "questions": questions}
                )
                for number, questions in versions.items()
            }
            if code:
                broken = len(check.problems) > before
                self.checklist_specs.setdefault(code, (current, specs, broken))
            checklists.append(
                ChecklistPlan(
                    code=code,
                    name=clean.get("name"),
                    description=clean.get("description", ""),
                    order=check.integer(data, "order", path, low=0, high=MAX_ORDER, default=i),
                    active=check.boolean(data, "active", path, default=True),
                    current=current,
                    versions=versions,
                )
            )
        return checklists

    def _older_versions(
        self, data: dict, path: Path, clean: dict, current: int | None
    ) -> dict[int, list[dict]]:
        check, versions = self.check, {}
        items = data.get("versions", [])
        if not isinstance(items, list):
            check.add(path + ("versions",), _("Must be a list of versions."))
            return {}
        for j, item in enumerate(items):
            here = path + ("versions", j)
            version = check.obj(item, here, VERSION_KEYS)
            if version is None:
                continue
            number = check.integer(version, "number", here, low=1, high=2**31 - 1)
            if number is not None and (number == current or number in versions):
                check.add(here + ("number",), _("Version %(number)s is there twice.") % {"number": number})
                number = None
            if "questions" not in version:
                continue
            cleaned, problems = clean_definition(
                {
                    "code": clean.get("code") or "x",
                    "name": clean.get("name") or "x",
                    "questions": version["questions"],
                }
            )
            for where, message in problems:
                if where[:1] == ("questions",) and not (
                    where == ("questions",) and version["questions"] == []
                ):
                    check.add(here + tuple(where), message)
            if number is not None:
                versions[number] = cleaned.get("questions", [])
        return versions

    def meetings(self, items: list) -> list[dict]:
        check, meetings = self.check, []
        for i, item in enumerate(items):
            path = ("meetings", i)
            data = check.obj(item, path, MEETING_KEYS)
            if data is None:
                continue
            meetings.append(
                {
                    "date": check.date(data, "date", path),
                    "counterpart": check.text(
                        data, "counterpart", path, blank=False, max_length=_max_length(Meeting, "counterpart")
                    ),
                    "title": check.text(data, "title", path, max_length=_max_length(Meeting, "title")),
                    "category": check.choice(data, "category", path, Meeting.Category.values),
                    "notes": check.text(data, "notes", path),
                }
            )
        return meetings

    # Visits and incidents.

    def visits(self, items: list) -> list[VisitPlan]:
        check, visits = self.check, []
        for i, item in enumerate(items):
            path = ("visits", i)
            data = check.obj(item, path, VISIT_KEYS, VISIT_OPTIONAL)
            if data is None:
                continue
            visit_uuid = check.uuid(data, "uuid", path)
            if visit_uuid is not None and not duplicate(
                check, self.visit_uuids, visit_uuid, path + ("uuid",), _("Another visit has this UUID.")
            ):
                self.visit_station[visit_uuid] = data.get("station")
            spec = self._version(data, path)
            station = self._station(data, "station", path)
            observer = self._member(data, "observer", path)
            team = self._team(data, "team", path)
            fields, field_errors = clean_fields(data, window=self.window)
            for key, messages in field_errors.items():
                if key in data:  # a missing key is already reported
                    for message in messages:
                        check.add(path + (key,), message)
            answers, content, digest = {}, None, None
            if spec is not None and "answers" in data:
                answers, answer_errors = validate_answers(spec, data["answers"])
                for code, messages in answer_errors.items():
                    where = path + ("answers",) if code == "answers" else path + ("answers", code)
                    for message in messages:
                        check.add(where, message)
                if station is not None and fields["arrived_at"] is not None:
                    content = build_content(spec, station=station, fields=fields, answers=answers)
                    digest = content_hash(content)
            visits.append(
                VisitPlan(
                    uuid=visit_uuid,
                    checklist=spec.checklist if spec else None,
                    version=spec.number if spec else None,
                    station=station,
                    observer=observer,
                    team=team,
                    fields=fields,
                    answers=answers,
                    content=content,
                    digest=digest,
                    review=self._review(data, path),
                )
            )
        return visits

    def _version(self, data: dict, path: Path):
        """The filing service's spec of the checklist version the visit was filed against."""
        code = self.check.text(data, "checklist", path, default=None)
        if code is None:
            return None
        if code not in self.checklist_specs:
            self.check.add(
                path + ("checklist",), _("There is no checklist %(code)s in checklists.") % {"code": code}
            )
            return None
        current, specs, broken = self.checklist_specs[code]
        if broken:
            # Not checked against a checklist that is itself wrong: the errors would repeat the checklist's.
            return None
        number = self.check.integer(data, "version", path, low=1, high=2**31 - 1, default=current)
        if number is None:
            if "version" not in data:
                self.check.add(
                    path + ("version",),
                    _("Checklist %(code)s has no current version: name one.") % {"code": code},
                )
            return None
        if number not in specs:
            self.check.add(
                path + ("version",),
                _("Checklist %(code)s has no version %(number)s.") % {"code": code, "number": number},
            )
            return None
        if current is None or number > current:
            self.check.add(
                path + ("version",),
                _(
                    "Version %(number)s of checklist %(code)s is a draft: visits are filed against published versions."
                )
                % {"code": code, "number": number},
            )
            return None
        return specs[number]

    def _review(self, data: dict, path: Path) -> dict | None:
        if data.get("review") is None:
            return None
        path = path + ("review",)
        review = self.check.obj(data["review"], path, REVIEW_KEYS)
        if review is None:
            return None
        return {
            "status": self.check.choice(review, "status", path, Visit.Review.values),
            "comment": self.check.text(review, "comment", path),
            "by": self._member(review, "by", path, null=True),
            "at": self.check.moment(review, "at", path, null=True),
        }

    def incidents(self, items: list) -> list[dict]:
        check, incidents = self.check, []
        for i, item in enumerate(items):
            path = ("incidents", i)
            data = check.obj(item, path, INCIDENT_KEYS, INCIDENT_OPTIONAL)
            if data is None:
                continue
            incident_uuid = check.uuid(data, "uuid", path)
            if incident_uuid is not None:
                duplicate(
                    check,
                    self.incident_uuids,
                    incident_uuid,
                    path + ("uuid",),
                    _("Another incident has this UUID."),
                )
            station = self._station(data, "station", path)
            observer = self._member(data, "observer", path)
            visit = check.uuid(data, "visit", path, null=True)
            if visit is not None:
                if visit not in self.visit_uuids:
                    check.add(path + ("visit",), _("There is no visit %(uuid)s in visits.") % {"uuid": visit})
                elif station is not None and self.visit_station.get(visit) != station:
                    check.add(path + ("station",), _("The incident must be at its visit's polling station."))
            has_team = "team" in data
            team = self._team(data, "team", path) if has_team else self.member_team.get(observer)
            incidents.append(
                {
                    "uuid": incident_uuid,
                    "station": station,
                    "observer": observer,
                    "occurred_at": check.moment(data, "time", path),
                    "category": check.choice(data, "category", path, Incident.Category.values),
                    "description": check.text(data, "description", path, blank=False, max_length=NOTES_MAX),
                    "team": team,
                    "visit": visit,
                }
            )
        return incidents

    # What the database already holds.

    def database(self) -> None:
        check = self.check
        if self.mission_code and Mission.objects.filter(code=self.mission_code).exists():
            check.add(
                ("mission", "code"),
                _("A mission with the code %(code)s already exists; nothing was imported.")
                % {"code": self.mission_code},
            )
        messages = {
            Visit: _("A visit with the UUID %(uuid)s is already in the database."),
            Incident: _("An incident with the UUID %(uuid)s is already in the database."),
        }
        for model, seen in ((Visit, self.visit_uuids), (Incident, self.incident_uuids)):
            taken = set(model.objects.filter(uuid__in=list(seen)).values_list("uuid", flat=True))
            for value in sorted(taken, key=str):
                check.add(seen[value], messages[model] % {"uuid": value})
