from django.core.management import call_command

from demo.builder import DEMO_CODE, DEMO_PASSWORD, PEOPLE
from missions.models import Meeting, Member, Mission, Role, Team, User
from polling.models import Answer, Area, Checklist, PollingStation, Question, Visit, VisitRevision
from reports.statements import drafting, figures


def _counts():
    return (
        Mission.objects.count(),
        User.objects.count(),
        Member.objects.count(),
        Team.objects.count(),
        PollingStation.objects.count(),
        Area.objects.count(),
        Meeting.objects.count(),
        Team.stations.through.objects.count(),
        Checklist.objects.count(),
        Question.objects.count(),
        Visit.objects.count(),
        Answer.objects.count(),
        VisitRevision.objects.count(),
    )


def test_load_demo_builds_the_ots_azerbaijan_mission(db, capsys):
    call_command("load_demo")
    mission = Mission.objects.get(code=DEMO_CODE)
    assert mission.organization == "Organization of Turkic States"
    assert str(mission.election_date) == "2024-02-07"
    assert (str(mission.observation_start), str(mission.observation_end)) == ("2024-02-04", "2024-02-07")
    assert mission.teams.count() == 3
    cities = set(mission.areas.filter(depth=mission.statement_level).values_list("name", flat=True))
    assert cities == {"Baku", "Shusha", "Hankendi", "Khojaly"}
    hom = mission.members.get(role=Role.HEAD_OF_MISSION)
    assert hom.user.name == "Kubanychbek Omuraliev"
    assert mission.members.values("country").distinct().count() >= 5
    counterparts = list(mission.meetings.values_list("counterpart", flat=True))
    assert "H.E. Jeyhun Bayramov" in counterparts and "Mr. Mazahir Panahov" in counterparts
    # One login per role, printed, and each works with the printed password.
    out = capsys.readouterr().out
    for role in Role:
        email = next(e for e, _n, r, _c, _t in PEOPLE if r == role)
        assert email in out
        assert User.objects.get(email=email).check_password(DEMO_PASSWORD)
    for team in mission.teams.all():
        assert team.leader is not None and team.leader.team_id == team.pk


def test_load_demo_twice_changes_nothing(db):
    call_command("load_demo")
    before = _counts()
    call_command("load_demo")
    assert _counts() == before


def test_demo_statement_reads_like_the_ots_statement_on_azerbaijan(db):
    call_command("load_demo")
    mission = Mission.objects.get(code=DEMO_CODE)
    snapshot = figures.collect(mission)
    assert snapshot["figures"]["teams_count"]["value"] == 3
    assert snapshot["figures"]["stations_visited"]["value"] == 22
    assert snapshot["figures"]["places"]["value"] == "Baku, Shusha, Hankendi and Khojaly"
    assert snapshot["overall"] == "none"
    texts = {s["key"]: s["text"] for s in drafting.default_sections(snapshot)}
    assert texts["election_day"] == (
        "On election day, the Mission was divided into [[teams_count]] groups and visited "
        "[[stations_visited]] polling stations in [[places]]."
    )
    assert texts["overall"] == "The Mission observed no significant irregularities."
    secrecy = texts[figures.finding_key("voting", "V7")]
    assert secrecy == "The secrecy of the vote was respected in all the polling stations visited."
    access = snapshot["figures"]["finding:voting:V5:count"]["value"]
    assert access == 3  # the one minor shortfall the demo data reports
    assert texts["finding:voting:V5"].startswith(
        "In [[finding:voting:V5:count]] of the [[finding:voting:V5:total]] polling stations visited"
    )
