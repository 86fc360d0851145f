"""The checklist builder's services: questions, show-if rules, findings, copy-on-write versions, copies."""

import copy
import json
import uuid

import pytest
from django.utils import timezone

from missions.models import Role
from polling import checklists
from polling.checklists import ChecklistError
from polling.models import Answer, Checklist, ChecklistVersion, Option, Question, Visit
from tests.helpers.factories import make_member, make_mission, make_station
from tests.helpers.paths import FIXTURES

pytestmark = pytest.mark.django_db

FIXTURES = FIXTURES / "checklists"


def opening_data() -> dict:
    return json.loads((FIXTURES / "opening.json").read_text())


def make_opening(mission, **overrides) -> Checklist:
    return checklists.checklist_from_json(mission=mission, data={**opening_data(), **overrides})


def file_visit(version: ChecklistVersion, observer, answers: dict) -> Visit:
    """A visit filed against `version` the way the filing page stores it: one Answer per chosen option."""
    visit = Visit.objects.create(
        uuid=uuid.uuid4(),
        mission=version.checklist.mission,
        checklist_version=version,
        station=make_station(version.checklist.mission),
        observer=observer,
        arrived_at=timezone.now(),
        content_hash="0" * 64,
    )
    for code, value in answers.items():
        question = version.questions.get(code=code)
        for chosen in value if isinstance(value, list) else [value]:
            Answer.objects.create(visit=visit, question=question, option=question.options.get(value=chosen))
    return visit


def question_data(checklist: Checklist, code: str) -> tuple[dict, list[dict]]:
    """A question's fields and options in our format, as the builder's form would send them back."""
    data = checklists.checklist_to_json(version=checklist.current_version)
    found = copy.deepcopy(next(q for q in data["questions"] if q["code"] == code))
    return found, found.pop("options")


def codes(checklist: Checklist) -> list[str]:
    checklist.refresh_from_db()
    return list(checklist.current_version.questions.order_by("order").values_list("code", flat=True))


def new_question(code: str, kind: str, **fields) -> dict:
    data = {
        "code": code,
        "section": "",
        "text": f"Question {code}?",
        "type": kind,
        "required": False,
        "help_text": "",
        "min": None,
        "max": None,
        "show_if": None,
        "finding": None,
    }
    data.update(fields)
    return data


# Creating and adding


def test_a_new_checklist_starts_with_an_empty_version_1(mission):
    checklist = checklists.checklist_create(mission=mission, code="voting", name="Voting")
    assert checklist.current_version.number == 1
    assert checklist.current_version.questions.count() == 0


@pytest.mark.parametrize("code", ["opening", "new", "import", "copy", "incident", "has space"])
def test_a_checklist_code_must_be_free_valid_and_not_reserved(mission, code):
    make_opening(mission)
    with pytest.raises(ChecklistError):
        checklists.checklist_create(mission=mission, code=code, name="Another")
    assert mission.checklists.count() == 1


def test_a_yes_no_question_gets_yes_and_no(mission):
    checklist = checklists.checklist_create(mission=mission, code="voting", name="Voting")
    question = checklists.question_save(
        checklist=checklist, code=None, data=new_question("V1", "yes_no"), options=[]
    )
    assert [(o.value, o.label, o.negative) for o in question.options.all()] == [
        ("yes", "Yes", False),
        ("no", "No", False),
    ]


def test_a_rating_gets_four_grades_with_bad_and_very_bad_negative(mission):
    checklist = checklists.checklist_create(mission=mission, code="voting", name="Voting")
    question = checklists.question_save(
        checklist=checklist, code=None, data=new_question("V1", "rating"), options=[]
    )
    assert [(o.value, o.negative) for o in question.options.all()] == [
        ("very_good", False),
        ("good", False),
        ("bad", True),
        ("very_bad", True),
    ]


def test_a_yes_no_question_cannot_have_other_options(mission):
    checklist = checklists.checklist_create(mission=mission, code="voting", name="Voting")
    options = [{"value": "yes", "label": "Yes"}, {"value": "maybe", "label": "Maybe"}]
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(
            checklist=checklist, code=None, data=new_question("V1", "yes_no"), options=options
        )
    assert raised.value.problems[0].path == ("options",)
    assert not Question.objects.exists()


def test_a_new_question_goes_after_the_one_asked_for(mission):
    checklist = make_opening(mission)
    checklists.question_save(
        checklist=checklist, code=None, data=new_question("A2b", "text"), options=[], after="A2"
    )
    assert codes(checklist)[:4] == ["A1", "A2", "A2b", "A3"]
    orders = list(checklist.current_version.questions.order_by("order").values_list("order", flat=True))
    assert orders == list(range(1, 12))


def test_a_flagged_option_is_minor_unless_told_otherwise_and_only_flagged_ones_have_a_severity(mission):
    checklist = checklists.checklist_create(mission=mission, code="voting", name="Voting")
    options = [{"value": "a", "label": "A", "flagged": True}, {"value": "b", "label": "B"}]
    question = checklists.question_save(
        checklist=checklist, code=None, data=new_question("V1", "single"), options=options
    )
    assert [(o.flagged, o.severity) for o in question.options.all()] == [(True, "minor"), (False, "")]
    options[1]["severity"] = "serious"
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(
            checklist=checklist, code="V1", data=new_question("V1", "single"), options=options
        )
    assert raised.value.problems[0].path == ("options", 1, "severity")


def test_min_and_max_belong_to_number_questions_only(mission):
    checklist = checklists.checklist_create(mission=mission, code="voting", name="Voting")
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(
            checklist=checklist, code=None, data=new_question("V1", "text", min=1), options=[]
        )
    assert raised.value.problems[0].path == ("min",)
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(
            checklist=checklist, code=None, data=new_question("V1", "number", min=5, max=1), options=[]
        )
    assert raised.value.problems[0].path == ("max",)


# Show-if


def test_show_if_must_point_at_an_earlier_question(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A1")
    data["show_if"] = {"question": "B1", "equals": "yes"}
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code="A1", data=data, options=options)
    assert raised.value.problems[0].path == ("show_if", "question")
    assert "earlier" in raised.value.problems[0].message
    assert Question.objects.get(code="A1").show_if_question is None


def test_show_if_cannot_point_at_the_question_itself(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A1")
    data["show_if"] = {"question": "A1", "equals": "yes"}
    with pytest.raises(ChecklistError):
        checklists.question_save(checklist=checklist, code="A1", data=data, options=options)


def test_show_if_must_point_at_a_choice_question(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "B1")
    data["show_if"] = {"question": "A4", "equals": "3"}  # A4 is a number
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code="B1", data=data, options=options)
    assert raised.value.problems[0].path == ("show_if", "question")
    assert "choice" in raised.value.problems[0].message


def test_show_if_value_must_be_one_of_the_options(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A2")
    data["show_if"] = {"question": "A1", "equals": "No"}  # the label, not the value
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code="A2", data=data, options=options)
    assert raised.value.problems[0].path == ("show_if", "equals")
    assert "yes, no" in raised.value.problems[0].message


def test_show_if_to_an_earlier_choice_question_is_saved_as_a_link(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "B3")
    data["show_if"] = {"question": "B1", "equals": "yes"}
    question = checklists.question_save(checklist=checklist, code="B3", data=data, options=options)
    question.refresh_from_db()
    assert (question.show_if_question.code, question.show_if_value) == ("B1", "yes")
    assert question.show_if_question.version_id == question.version_id


def test_removing_the_option_a_show_if_uses_is_refused_naming_the_dependent(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A1")
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(
            checklist=checklist, code="A1", data={**data, "type": "single"}, options=options[:1]
        )
    assert any(p.where == "A2" and "no" in p.message for p in raised.value.problems)
    assert Option.objects.filter(question__code="A1", value="no").exists()


def test_turning_a_show_if_target_into_a_number_is_refused(mission):
    checklist = make_opening(mission)
    data, _options = question_data(checklist, "A1")
    data.update(type="number", finding=None)
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code="A1", data=data, options=[])
    assert [p.where for p in raised.value.problems] == ["A2"]
    assert Question.objects.get(code="A1").type == "yes_no"


def test_renaming_a_question_keeps_the_questions_that_depend_on_it(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A1")
    checklists.question_save(checklist=checklist, code="A1", data={**data, "code": "OPEN1"}, options=options)
    dependent = Question.objects.get(code="A2")
    assert (dependent.show_if_question.code, dependent.show_if_value) == ("OPEN1", "no")


def test_two_questions_cannot_share_a_code(mission):
    checklist = make_opening(mission)
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code=None, data=new_question("A1", "text"), options=[])
    assert raised.value.problems[0].path == ("code",)


# Findings


@pytest.mark.parametrize(
    "sentence",
    ["{count} of {totals}", "{count:d} stations", "{percent!r}%", "{0} stations", "Unclosed {count", "{}"],
)
def test_a_finding_may_use_only_count_total_and_percent(mission, sentence):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "B1")
    data["finding"] = {"none": "None.", "some": sentence}
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code="B1", data=data, options=options)
    assert raised.value.problems[0].path == ("finding", "some")


def test_a_finding_with_the_three_placeholders_and_literal_braces_is_accepted(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "B1")
    data["finding"] = {"none": "No {{materials}}.", "some": "{count} of {total} ({percent}%)."}
    question = checklists.question_save(checklist=checklist, code="B1", data=data, options=options)
    question.refresh_from_db()
    assert question.finding_some == "{count} of {total} ({percent}%)."


def test_a_finding_needs_a_flagged_option(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A2")
    data["finding"] = {"none": "No delays.", "some": "{count} delays."}
    for option in options:
        option.update(flagged=False, severity="")
    with pytest.raises(ChecklistError) as raised:
        checklists.question_save(checklist=checklist, code="A2", data=data, options=options)
    assert raised.value.problems[0].path == ("finding",)


# Deleting and moving


def test_a_question_others_depend_on_cannot_be_deleted(mission):
    checklist = make_opening(mission)
    with pytest.raises(ChecklistError) as raised:
        checklists.question_delete(checklist=checklist, code="A1")
    assert "A2" in raised.value.message
    assert "A1" in codes(checklist)


def test_deleting_a_question_renumbers_the_rest(mission):
    checklist = make_opening(mission)
    checklists.question_delete(checklist=checklist, code="A2")
    assert codes(checklist) == ["A1", "A3", "A4", "A5", "B1", "B2", "B3", "B4", "B5"]
    orders = list(checklist.current_version.questions.order_by("order").values_list("order", flat=True))
    assert orders == list(range(1, 10))


def test_moving_a_question_up_and_down(mission):
    checklist = make_opening(mission)
    checklists.question_move(checklist=checklist, code="A4", direction="up")
    assert codes(checklist)[:5] == ["A1", "A2", "A4", "A3", "A5"]
    checklists.question_move(checklist=checklist, code="A4", direction="down")
    checklists.question_move(checklist=checklist, code="A4", direction="down")
    assert codes(checklist)[:5] == ["A1", "A2", "A3", "A5", "A4"]


def test_the_first_question_cannot_go_higher(mission):
    checklist = make_opening(mission)
    checklists.question_move(checklist=checklist, code="A1", direction="up")
    assert codes(checklist)[0] == "A1"


def test_a_question_cannot_move_above_the_question_its_show_if_depends_on(mission):
    checklist = make_opening(mission)
    with pytest.raises(ChecklistError):
        checklists.question_move(checklist=checklist, code="A2", direction="up")
    with pytest.raises(ChecklistError):
        checklists.question_move(checklist=checklist, code="A1", direction="down")
    assert codes(checklist)[:2] == ["A1", "A2"]


# Copy on write


def test_a_version_without_visits_is_changed_in_place(mission):
    checklist = make_opening(mission)
    data, options = question_data(checklist, "A4")
    checklists.question_save(
        checklist=checklist, code="A4", data={**data, "text": "PEC members present?"}, options=options
    )
    assert checklist.versions.count() == 1
    assert checklist.current_version.questions.get(code="A4").text == "PEC members present?"


def test_editing_a_filed_version_makes_a_new_one_and_the_visit_keeps_its_version(mission, observer):
    checklist = make_opening(mission)
    v1 = checklist.current_version
    visit = file_visit(v1, observer, {"A1": "no", "A2": "gt60", "A3": ["ballots", "seals"], "B4": "bad"})
    data, options = question_data(checklist, "A4")
    checklists.question_save(
        checklist=checklist, code="A4", data={**data, "text": "PEC members present?"}, options=options
    )

    checklist.refresh_from_db()
    v2 = checklist.current_version
    assert v2.number == 2 and v2.pk != v1.pk
    visit.refresh_from_db()
    assert visit.checklist_version_id == v1.pk
    assert v1.questions.get(code="A4").text == "How many PEC members were present?"
    assert v2.questions.get(code="A4").text == "PEC members present?"
    # The whole version was copied: codes, order, options with their flags, show-if links inside v2.
    assert checklists.checklist_to_json(version=v2)["questions"] == [
        q if q["code"] != "A4" else {**q, "text": "PEC members present?"}
        for q in checklists.checklist_to_json(version=v1)["questions"]
    ]
    a2 = v2.questions.get(code="A2")
    assert a2.show_if_question.version_id == v2.pk
    # The answers still point at v1's questions and options.
    assert set(visit.answers.values_list("question__version", flat=True)) == {v1.pk}
    assert set(visit.answers.values_list("option__question__version", flat=True)) == {v1.pk}


def test_the_next_edit_changes_the_new_version_in_place(mission, observer):
    checklist = make_opening(mission)
    file_visit(checklist.current_version, observer, {"A1": "yes"})
    checklists.question_move(checklist=checklist, code="A4", direction="up")
    checklists.question_delete(checklist=checklist, code="B3")
    checklist.refresh_from_db()
    assert list(checklist.versions.values_list("number", flat=True)) == [2, 1]
    assert codes(checklist) == ["A1", "A2", "A4", "A3", "A5", "B1", "B2", "B4", "B5"]
    assert checklist.versions.get(number=1).questions.count() == 10


def test_deleting_from_a_filed_version_leaves_it_whole(mission, observer):
    checklist = make_opening(mission)
    v1 = checklist.current_version
    file_visit(v1, observer, {"B1": "yes"})
    checklists.question_delete(checklist=checklist, code="B1")
    assert "B1" not in codes(checklist)
    assert v1.questions.filter(code="B1").exists()


def test_a_refused_edit_of_a_filed_version_leaves_no_new_version(mission, observer):
    checklist = make_opening(mission)
    file_visit(checklist.current_version, observer, {"A1": "yes"})
    with pytest.raises(ChecklistError):
        checklists.question_delete(checklist=checklist, code="A1")
    checklist.refresh_from_db()
    assert checklist.versions.count() == 1
    assert checklist.current_version.number == 1


def test_checklist_editable_version_copies_only_once_visits_exist(mission, observer):
    checklist = make_opening(mission)
    v1 = checklist.current_version
    assert checklists.checklist_editable_version(checklist=checklist) == v1
    file_visit(v1, observer, {})
    v2 = checklists.checklist_editable_version(checklist=checklist)
    assert (v2.number, checklists.checklist_editable_version(checklist=checklist)) == (2, v2)


# Deleting checklists


def test_a_checklist_without_visits_can_be_deleted(mission):
    checklist = make_opening(mission)
    checklists.checklist_delete(checklist=checklist)
    assert not Checklist.objects.exists() and not Question.objects.exists()


def test_a_filed_checklist_cannot_be_deleted(mission, observer):
    checklist = make_opening(mission)
    file_visit(checklist.current_version, observer, {"A1": "yes"})
    with pytest.raises(ChecklistError):
        checklists.checklist_delete(checklist=checklist)
    assert Checklist.objects.filter(pk=checklist.pk).exists()


# Copying between missions


def test_copying_a_checklist_into_another_mission_keeps_everything(mission):
    source = make_opening(mission)
    target = make_mission("ots-kg-2025")
    copied = checklists.checklist_copy(source=source, mission=target)
    assert copied.mission == target and copied.code == "opening"
    assert checklists.checklist_to_json(version=copied.current_version) == checklists.checklist_to_json(
        version=source.current_version
    )


def test_copying_copies_the_current_version(mission, observer):
    source = make_opening(mission)
    file_visit(source.current_version, observer, {})
    checklists.question_delete(checklist=source, code="B5")
    copied = checklists.checklist_copy(
        source=source, mission=make_mission("ots-kg-2025"), name="Opening (KG)"
    )
    assert copied.name == "Opening (KG)"
    assert copied.current_version.number == 1
    assert copied.current_version.questions.count() == 9


def test_copying_refuses_a_code_the_target_mission_has(mission):
    source = make_opening(mission)
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_copy(source=source, mission=mission)
    assert raised.value.problems[0].path == ("code",)
    copied = checklists.checklist_copy(source=source, mission=mission, code="opening-2")
    assert copied.current_version.questions.count() == 10


def test_only_missions_where_the_user_is_set_up_member_can_be_copied_from(mission, secretariat):
    make_opening(mission)
    observed = make_mission("observed-mission")
    make_opening(observed)
    make_member(observed, Role.OBSERVER, user=secretariat.user)
    left = make_mission("left-mission")
    make_opening(left)
    make_member(left, Role.SECRETARIAT, user=secretariat.user, is_active=False)
    headed = make_mission("headed-mission")
    make_opening(headed)
    make_member(headed, Role.HEAD_OF_MISSION, user=secretariat.user)
    copyable = checklists.checklists_copyable_by(secretariat.user)
    assert sorted(c.mission.code for c in copyable) == ["headed-mission", "ots-az-2024"]
