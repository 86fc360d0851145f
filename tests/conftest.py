import pytest

from missions.models import Role
from tests.factories import make_member, make_mission, make_team


@pytest.fixture
def mission(db):
    return make_mission("ots-az-2024")


@pytest.fixture
def team(mission):
    return make_team(mission, "Group 1")


@pytest.fixture
def secretariat(mission):
    return make_member(mission, Role.SECRETARIAT, country="Türkiye")


@pytest.fixture
def head_of_mission(mission):
    return make_member(mission, Role.HEAD_OF_MISSION)


@pytest.fixture
def team_leader(mission, team):
    member = make_member(mission, Role.TEAM_LEADER, team=team)
    team.leader = member
    team.save(update_fields=["leader"])
    return member


@pytest.fixture
def observer(mission, team):
    return make_member(mission, Role.OBSERVER, team=team, country="Kazakhstan")


@pytest.fixture
def outsider(db):
    """A member of another mission: must get 404 everywhere in ours."""
    return make_member(make_mission("other-mission"), Role.SECRETARIAT)


def client_for(client, member):
    client.force_login(member.user)
    return client
