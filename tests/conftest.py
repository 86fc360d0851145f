import pytest

from missions.models import Role
from tests.helpers.factories import make_member, make_mission, make_team


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix):
    """The test database's sessions may TRUNCATE the audit trail: Django empties every table that way
    between tests (missions/migrations/0007_audit_trail_no_truncate.py refuses it everywhere else)."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"].endswith("postgresql"):
        options = database.setdefault("OPTIONS", {})
        options["options"] = (options.get("options", "") + " -c observa.audit_truncate=allowed").strip()


@pytest.fixture(autouse=True)
def _second_factor_not_enforced(settings):
    """Secretariat and heads of mission must set up an authenticator app before anything else
    (missions/accounts/security.py). Tests of other features log them in with force_login and skip that step;
    tests/missions/accounts/test_accounts_mfa.py turns it back on."""
    settings.MFA_REQUIRED_FOR_SETUP_ROLES = False


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
