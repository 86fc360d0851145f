"""The checklist pages through the client: who may see and do what, and the builder's flows."""

import json
from io import BytesIO

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from missions.models import Role
from polling.checklists import checklist_to_json, checklist_to_xlsform
from polling.models import Checklist, Option, Question
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_mission
from tests.polling.checklists.test_checklists_services import file_visit, make_opening, opening_data

pytestmark = pytest.mark.django_db

CHECKLIST_PAGES = [
    "checklist_detail",
    "checklist_edit",
    "checklist_delete",
    "checklist_export_json",
    "checklist_export_xlsx",
    "question_create",
]
QUESTION_PAGES = ["question_edit", "question_delete"]
MISSION_PAGES = ["checklist_create", "checklist_import", "checklist_copy"]


@pytest.fixture
def opening(mission):
    return make_opening(mission)


def setup_urls(mission) -> list[str]:
    """Every page that only set-up roles may open."""
    return (
        [reverse(f"polling:{name}", args=[mission.code]) for name in MISSION_PAGES]
        + [reverse(f"polling:{name}", args=[mission.code, "opening"]) for name in CHECKLIST_PAGES]
        + [reverse(f"polling:{name}", args=[mission.code, "opening", "A4"]) for name in QUESTION_PAGES]
    )


def read_urls(mission) -> list[str]:
    return [
        reverse("polling:checklist_list", args=[mission.code]),
        reverse("polling:checklist_preview", args=[mission.code, "opening"]),
    ]


def move_url(mission, code="A4") -> str:
    return reverse("polling:question_move", args=[mission.code, "opening", code])


def builder_url(mission, checklist="opening") -> str:
    return reverse("polling:checklist_detail", args=[mission.code, checklist])


def question_post(fields: dict, options: list[dict], **extra) -> dict:
    """The question form as the browser posts it (options: label, value, flagged, severity, ORDER, DELETE)."""
    data = {
        "section": "",
        "code": "",
        "text": "",
        "type": "",
        "help_text": "",
        "min_value": "",
        "max_value": "",
        "show_if": "",
        "finding_none": "",
        "finding_some": "",
        "options-TOTAL_FORMS": str(len(options)),
        "options-INITIAL_FORMS": "0",
        "options-MIN_NUM_FORMS": "0",
        "options-MAX_NUM_FORMS": "1000",
    }
    data.update(fields)
    data.update(extra)
    for i, option in enumerate(options):
        for key, value in option.items():
            if value is True:
                data[f"options-{i}-{key}"] = "on"
            elif value not in (False, None):
                data[f"options-{i}-{key}"] = str(value)
    return data


def edit_post(question: Question, **changes) -> dict:
    """question_edit's form as the browser would post it unchanged, with `changes` to fields."""
    fields = {
        "section": question.section,
        "code": question.code,
        "text": question.text,
        "type": question.type,
        "help_text": question.help_text,
        "min_value": "" if question.min_value is None else str(question.min_value),
        "max_value": "" if question.max_value is None else str(question.max_value),
        "finding_none": question.finding_none,
        "finding_some": question.finding_some,
        "show_if": f"{question.show_if_question.code}={question.show_if_value}"
        if question.show_if_question
        else "",
    }
    if question.required:
        fields["required"] = "on"
    options = [
        {"label": o.label, "value": o.value, "flagged": o.flagged, "severity": o.severity, "negative": o.negative,
         "ORDER": o.order}
        for o in question.options.all()
    ]  # fmt: skip
    data = question_post(fields, options)
    data["options-INITIAL_FORMS"] = str(len(options))
    data.update(changes)
    return data


def current(mission, code: str) -> Question:
    checklist = Checklist.objects.get(mission=mission, code="opening")
    return checklist.current_version.questions.get(code=code)


# Who may do what


def test_anonymous_is_sent_to_login(client, mission, opening):
    for url in [*setup_urls(mission), *read_urls(mission), move_url(mission)]:
        response = client.get(url)
        assert response.status_code == 302, url
        assert response["Location"].startswith(reverse("account_login"))


def test_an_outsider_gets_404_everywhere(client, mission, opening, outsider):
    client = client_for(client, outsider)
    for url in [*setup_urls(mission), *read_urls(mission)]:
        assert client.get(url).status_code == 404, url
        assert client.post(url, {}).status_code == 404, url
    assert client.post(move_url(mission), {"direction": "up"}).status_code == 404


def test_observers_may_list_and_preview_checklists(client, mission, opening, observer):
    client = client_for(client, observer)
    for url in read_urls(mission):
        assert client.get(url).status_code == 200, url
    listing = client.get(read_urls(mission)[0])
    assert reverse("polling:checklist_preview", args=[mission.code, "opening"]) in listing.text
    assert reverse("polling:checklist_create", args=[mission.code]) not in listing.text


@pytest.mark.parametrize("role", [Role.OBSERVER, Role.TEAM_LEADER])
def test_observers_and_team_leaders_get_403_on_every_setup_page_and_change_nothing(
    client, mission, opening, role
):
    client = client_for(client, make_member(mission, role))
    before = checklist_to_json(version=opening.current_version)
    for url in setup_urls(mission):
        assert client.get(url).status_code == 403, url
        assert (
            client.post(url, question_post({"code": "Z9", "text": "?", "type": "text"}, [])).status_code
            == 403
        )
    assert client.post(move_url(mission), {"direction": "up"}).status_code == 403
    opening.refresh_from_db()
    assert checklist_to_json(version=opening.current_version) == before
    assert Checklist.objects.count() == 1


def test_a_head_of_mission_may_build_checklists(client, mission, opening, head_of_mission):
    client = client_for(client, head_of_mission)
    assert client.get(builder_url(mission)).status_code == 200
    response = client.post(move_url(mission), {"direction": "up"})
    assert response.status_code == 302
    assert list(opening.current_version.questions.order_by("order").values_list("code", flat=True))[2] == "A4"


# The list and the builder


def test_the_list_counts_questions_and_visits(client, mission, opening, secretariat, observer):
    file_visit(opening.current_version, observer, {"A1": "yes"})
    response = client_for(client, secretariat).get(reverse("polling:checklist_list", args=[mission.code]))
    [row] = response.context["checklists"]
    assert (row.question_count, row.visit_count) == (10, 1)
    assert "10 questions" in response.text and "1 visit filed" in response.text


def test_the_builder_shows_sections_questions_options_flags_and_show_if(
    client, mission, opening, secretariat
):
    response = client_for(client, secretariat).get(builder_url(mission))
    assert response.status_code == 200
    assert [section for section, _questions in response.context["sections"]] == [
        "Opening procedures",
        "Environment",
    ]
    text = response.text
    assert "Did the polling station open on time?" in text
    assert 'id="q-A2"' in text and 'href="#q-A1">A1</a> = No' in text
    assert "q-option is-flagged" in text and "serious" in text
    assert "{count} of {total} polling stations observed ({percent}%) opened late." in text
    assert "No visits filed against v1 yet" in text


def test_the_builder_says_how_many_visits_are_filed_against_the_version(
    client, mission, opening, secretariat, observer
):
    file_visit(opening.current_version, observer, {"A1": "yes"})
    file_visit(opening.current_version, observer, {"A1": "no"})
    response = client_for(client, secretariat).get(builder_url(mission))
    assert "2 visits filed against v1." in response.text
    assert "makes version 2" in response.text


# Checklists


def test_creating_a_checklist_leads_to_its_first_question(client, mission, secretariat):
    url = reverse("polling:checklist_create", args=[mission.code])
    response = client_for(client, secretariat).post(
        url, {"code": "voting", "name": "Voting", "description": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("polling:question_create", args=[mission.code, "voting"])
    assert mission.checklists.get(code="voting").current_version.number == 1


def test_a_reserved_code_is_refused_on_the_form(client, mission, secretariat):
    url = reverse("polling:checklist_create", args=[mission.code])
    response = client_for(client, secretariat).post(url, {"code": "import", "name": "Import"})
    assert response.status_code == 200
    assert "reserved" in response.context["form"].errors["code"][0]
    assert not mission.checklists.exists()


def test_editing_a_checklist_changes_its_name_and_filing_but_not_its_code(
    client, mission, opening, secretariat
):
    url = reverse("polling:checklist_edit", args=[mission.code, "opening"])
    data = {"code": "hacked", "name": "Opening of the polling station", "description": "", "order": "3"}
    response = client_for(client, secretariat).post(url, data)  # is_active unchecked: closed for filing
    assert response.status_code == 302
    opening.refresh_from_db()
    assert (opening.code, opening.name, opening.is_active, opening.order) == (
        "opening",
        "Opening of the polling station",
        False,
        3,
    )
    assert opening.versions.count() == 1


def test_deleting_a_checklist_asks_first(client, mission, opening, secretariat):
    client = client_for(client, secretariat)
    url = reverse("polling:checklist_delete", args=[mission.code, "opening"])
    assert "Delete the checklist" in client.get(url).text
    assert client.post(url).status_code == 302
    assert not Checklist.objects.exists()


def test_a_filed_checklist_is_not_deleted(client, mission, opening, secretariat, observer):
    file_visit(opening.current_version, observer, {"A1": "yes"})
    response = client_for(client, secretariat).post(
        reverse("polling:checklist_delete", args=[mission.code, "opening"])
    )
    assert response.status_code == 302
    assert Checklist.objects.filter(pk=opening.pk).exists()


# Questions


def test_adding_a_yes_no_question_gives_it_yes_and_no(client, mission, opening, secretariat):
    url = reverse("polling:question_create", args=[mission.code, "opening"])
    fields = {"section": "Environment", "code": "B6", "text": "Was the ballot box sealed?", "type": "yes_no"}
    response = client_for(client, secretariat).post(url, question_post(fields, [{}, {}]))
    assert response.status_code == 302
    assert response["Location"] == builder_url(mission) + "#q-B6"
    question = current(mission, "B6")
    assert list(question.options.values_list("value", "label")) == [("yes", "Yes"), ("no", "No")]
    assert question.order == 11


def test_a_new_question_goes_where_asked_with_values_made_from_its_answers(
    client, mission, opening, secretariat
):
    url = reverse("polling:question_create", args=[mission.code, "opening"])
    fields = {"code": "A2b", "text": "Was there a queue?", "type": "single", "after": "A2", "required": "on"}
    options = [
        {"label": "A very long queue", "flagged": True, "severity": "serious", "ORDER": 2},
        {"label": "No queue", "ORDER": 1},
        {"label": "", "ORDER": ""},  # an empty extra row
    ]
    response = client_for(client, secretariat).post(url, question_post(fields, options))
    assert response.status_code == 302
    question = current(mission, "A2b")
    assert (question.order, question.required) == (3, True)
    assert list(question.options.values_list("value", "flagged", "severity")) == [
        ("no_queue", False, ""),
        ("a_very_long_queue", True, "serious"),
    ]


def test_the_new_question_page_offers_earlier_choice_questions_for_show_if(
    client, mission, opening, secretariat
):
    url = (
        reverse("polling:question_create", args=[mission.code, "opening"])
        + "?after=A3&section=Opening+procedures"
    )
    response = client_for(client, secretariat).get(url)
    form = response.context["form"]
    offered = [value for _group, choices in form.fields["show_if"].choices[1:] for value, _label in choices]
    assert offered == ["A1=yes", "A1=no", "A2=lt15", "A2=15_60", "A2=gt60"] + [
        "A3=ballots", "A3=seals", "A3=ink", "A3=none",
    ]  # fmt: skip
    assert form.initial["section"] == "Opening procedures"


def test_editing_a_question_reorders_renames_flags_adds_and_removes_its_answers(
    client, mission, opening, secretariat
):
    question = current(mission, "A3")
    data = edit_post(question, text="Which materials were missing or insufficient?")
    data.update({
        "options-0-ORDER": "2", "options-1-ORDER": "1",  # seals before ballots
        "options-2-DELETE": "on",  # ink
        "options-3-label": "Nothing", "options-3-flagged": "",  # none: relabelled
        "options-4-label": "Voter lists", "options-4-flagged": "on", "options-4-ORDER": "5",
        "options-TOTAL_FORMS": "5",
    })  # fmt: skip
    url = reverse("polling:question_edit", args=[mission.code, "opening", "A3"])
    response = client_for(client, secretariat).post(url, data)
    assert response.status_code == 302, response.context and response.context["form"].errors
    question = current(mission, "A3")
    assert question.text == "Which materials were missing or insufficient?"
    assert list(question.options.values_list("value", "label", "flagged", "severity")) == [
        ("seals", "Seals", True, "minor"),
        ("ballots", "Ballot papers", True, "serious"),
        ("none", "Nothing", False, ""),
        ("voter_lists", "Voter lists", True, "minor"),
    ]
    assert opening.versions.count() == 1


def test_a_wrong_placeholder_in_a_finding_is_shown_next_to_it(client, mission, opening, secretariat):
    question = current(mission, "B1")
    url = reverse("polling:question_edit", args=[mission.code, "opening", "B1"])
    response = client_for(client, secretariat).post(url, edit_post(question, finding_some="{cnt} stations"))
    assert response.status_code == 200
    assert "{cnt}" in response.context["form"].errors["finding_some"][0]
    assert current(mission, "B1").finding_some.startswith("Campaign materials")


def test_removing_an_answer_another_question_shows_on_is_refused(client, mission, opening, secretariat):
    question = current(mission, "A1")
    data = edit_post(
        question, **{"type": "single", "options-1-DELETE": "on", "finding_none": "", "finding_some": ""}
    )
    url = reverse("polling:question_edit", args=[mission.code, "opening", "A1"])
    response = client_for(client, secretariat).post(url, data)
    assert response.status_code == 200
    assert any("A2" in error for error in response.context["form"].non_field_errors())
    assert current(mission, "A1").options.filter(value="no").exists()
    assert current(mission, "A1").type == "yes_no"


def test_editing_a_filed_checklist_makes_version_2_and_says_so(
    client, mission, opening, secretariat, observer
):
    visit = file_visit(opening.current_version, observer, {"A1": "no", "A2": "lt15"})
    url = reverse("polling:question_edit", args=[mission.code, "opening", "A2"])
    data = edit_post(current(mission, "A2"), text="How late did it open?")
    response = client_for(client, secretariat).post(url, data, follow=True)
    assert "saved in a new version, v2. Visits already filed stay on v1." in response.text
    opening.refresh_from_db()
    assert opening.current_version.number == 2
    visit.refresh_from_db()
    assert visit.checklist_version.number == 1
    assert visit.checklist_version.questions.get(code="A2").text == "If not, what was the delay?"
    assert current(mission, "A2").show_if_question == current(mission, "A1")


def test_deleting_a_question_asks_first_and_refuses_one_others_depend_on(
    client, mission, opening, secretariat
):
    client = client_for(client, secretariat)
    url = reverse("polling:question_delete", args=[mission.code, "opening", "A1"])
    assert "Delete question A1" in client.get(url).text
    response = client.post(url, follow=True)
    assert "A2" in response.text and "change its show-if or delete it first" in response.text
    assert current(mission, "A1")
    client.post(reverse("polling:question_delete", args=[mission.code, "opening", "A5"]))
    assert not opening.current_version.questions.filter(code="A5").exists()


def test_moving_a_question_is_a_post_and_keeps_show_if_rules_in_order(client, mission, opening, secretariat):
    client = client_for(client, secretariat)
    assert client.get(move_url(mission, "B2")).status_code == 405
    assert (
        client.post(move_url(mission, "B2"), {"direction": "down"})["Location"]
        == builder_url(mission) + "#q-B2"
    )
    order = list(opening.current_version.questions.order_by("order").values_list("code", flat=True))
    assert order[6:8] == ["B3", "B2"]
    response = client.post(move_url(mission, "A2"), {"direction": "up"}, follow=True)
    assert "must stay after it" in response.text


def test_an_unknown_question_is_404(client, mission, opening, secretariat):
    url = reverse("polling:question_edit", args=[mission.code, "opening", "Z9"])
    assert client_for(client, secretariat).get(url).status_code == 404


# Preview


def test_the_preview_renders_each_type_with_its_show_if_rule(client, mission, opening, observer):
    response = client_for(client, observer).get(
        reverse("polling:checklist_preview", args=[mission.code, "opening"])
    )
    text = response.text
    assert 'data-code="A2" data-show-if-question="A1" data-show-if-value="no"' in text
    assert 'type="radio" name="q-A1"' in text
    assert 'type="checkbox" name="q-A3"' in text
    assert 'type="number"' in text and 'min="0" max="30"' in text
    assert 'type="time" name="q-A5"' in text
    assert '<textarea class="form-control" rows="4" name="q-B2"' in text
    assert 'class="q-option is-flagged' not in text and "⚑" not in text  # observers do not see the flags


def test_an_older_version_can_be_previewed(client, mission, opening, secretariat, observer):
    file_visit(opening.current_version, observer, {})
    client = client_for(client, secretariat)
    client.post(reverse("polling:question_delete", args=[mission.code, "opening", "B3"]))
    url = reverse("polling:checklist_preview", args=[mission.code, "opening"])
    assert "Name of the PEC chairperson" not in client.get(url).text
    old = client.get(url + "?version=1")
    assert "Name of the PEC chairperson" in old.text and "not the current version" in old.text
    assert client.get(url + "?version=9").status_code == 404


# Export, import, copy


def test_exporting_json_downloads_the_version(client, mission, opening, secretariat):
    response = client_for(client, secretariat).get(
        reverse("polling:checklist_export_json", args=[mission.code, "opening"])
    )
    assert response["Content-Disposition"] == f'attachment; filename="{mission.code}-opening-v1.json"'
    assert json.loads(response.content) == opening_data()


def test_exporting_xlsform_downloads_a_workbook(client, mission, opening, secretariat):
    response = client_for(client, secretariat).get(
        reverse("polling:checklist_export_xlsx", args=[mission.code, "opening"])
    )
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert openpyxl.load_workbook(BytesIO(response.content)).sheetnames == ["survey", "choices", "settings"]


def test_importing_a_json_file(client, mission, secretariat):
    upload = SimpleUploadedFile("opening.json", json.dumps(opening_data()).encode(), "application/json")
    url = reverse("polling:checklist_import", args=[mission.code])
    response = client_for(client, secretariat).post(
        url, {"file": upload, "format": "", "code": "", "name": ""}
    )
    assert response.status_code == 302
    assert response["Location"] == builder_url(mission)
    assert mission.checklists.get(code="opening").current_version.questions.count() == 10


def test_importing_an_xlsform_under_another_code(client, mission, opening, secretariat):
    content = checklist_to_xlsform(version=opening.current_version)
    upload = SimpleUploadedFile("opening.xlsx", content)
    url = reverse("polling:checklist_import", args=[mission.code])
    data = {"file": upload, "format": "xlsform", "code": "opening-2", "name": "Opening, again"}
    response = client_for(client, secretariat).post(url, data)
    assert response["Location"] == builder_url(mission, "opening-2")
    assert mission.checklists.get(code="opening-2").name == "Opening, again"


def test_a_file_with_problems_lists_them_all_and_imports_nothing(client, mission, secretariat):
    data = opening_data()
    data["questions"][1]["show_if"] = {"question": "A9", "equals": "no"}
    data["questions"][2]["options"][0]["severity"] = "fatal"
    upload = SimpleUploadedFile("opening.json", json.dumps(data).encode())
    url = reverse("polling:checklist_import", args=[mission.code])
    response = client_for(client, secretariat).post(url, {"file": upload})
    assert response.status_code == 200
    assert {p.where for p in response.context["problems"]} == {
        "questions[1].show_if.question",
        "questions[2].options[0].severity",
    }
    assert "questions[1].show_if.question" in response.text and "There is no question A9." in response.text
    assert not Checklist.objects.exists() and not Question.objects.exists() and not Option.objects.exists()


def test_copying_a_checklist_from_another_mission_i_set_up(client, mission, secretariat):
    other = make_mission("ots-kg-2025")
    make_member(other, Role.SECRETARIAT, user=secretariat.user)
    source = make_opening(other)
    url = reverse("polling:checklist_copy", args=[mission.code])
    response = client_for(client, secretariat).post(url, {"source": source.pk, "code": "", "name": ""})
    assert response.status_code == 302
    copied = mission.checklists.get(code="opening")
    assert checklist_to_json(version=copied.current_version) == checklist_to_json(
        version=source.current_version
    )


def test_a_checklist_of_a_mission_i_only_observe_cannot_be_copied(client, mission, secretariat):
    other = make_mission("ots-kg-2025")
    make_member(other, Role.OBSERVER, user=secretariat.user)
    source = make_opening(other)
    url = reverse("polling:checklist_copy", args=[mission.code])
    response = client_for(client, secretariat).post(url, {"source": source.pk})
    assert response.status_code == 200
    assert "source" in response.context["form"].errors
    assert not mission.checklists.exists()


def test_copying_under_a_code_the_mission_has_says_so_on_the_code_field(
    client, mission, opening, secretariat
):
    url = reverse("polling:checklist_copy", args=[mission.code])
    response = client_for(client, secretariat).post(url, {"source": opening.pk, "code": "", "name": ""})
    assert response.status_code == 200
    assert "already has a checklist with the code opening" in response.context["form"].errors["code"][0]
    response = client_for(client, secretariat).post(
        url, {"source": opening.pk, "code": "opening-copy", "name": ""}
    )
    assert response["Location"] == builder_url(mission, "opening-copy")


def test_renaming_a_question_in_the_builder_keeps_what_depends_on_it(client, mission, opening, secretariat):
    url = reverse("polling:question_edit", args=[mission.code, "opening", "A1"])
    response = client_for(client, secretariat).post(url, edit_post(current(mission, "A1"), code="OPEN"))
    assert response["Location"] == builder_url(mission) + "#q-OPEN"
    assert current(mission, "A2").show_if_question.code == "OPEN"
    assert not opening.current_version.questions.filter(code="A1").exists()
