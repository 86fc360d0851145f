"""Importing and exporting checklists: our JSON, XLSForm, Vote Monitor (the Poland 2023 forms), commands."""

import json
import os
import re
from io import BytesIO, StringIO
from pathlib import Path

import openpyxl
import pytest
from django.core.management import CommandError, call_command

from polling import checklists
from polling.checklists import ChecklistError
from polling.checklists.xlsform import read_xlsform, write_xlsform
from polling.models import Checklist, Option, Question
from tests.helpers.factories import make_mission
from tests.helpers.paths import REPO
from tests.polling.checklists.test_checklists_services import make_opening, opening_data

pytestmark = pytest.mark.django_db

ROOT = REPO
FORMS = Path(os.environ.get("OBSERVA_FORMS_DIR", "/work/shared/data/forms"))
POLAND = {"A": 11, "B": 27, "C": 37}


def export(checklist: Checklist) -> dict:
    checklist.refresh_from_db()
    return checklists.checklist_to_json(version=checklist.current_version)


def nothing_written() -> bool:
    return not Checklist.objects.exists() and not Question.objects.exists() and not Option.objects.exists()


# Our JSON format


def test_exporting_an_imported_checklist_gives_back_every_field(mission):
    assert export(make_opening(mission)) == opening_data()


def test_json_export_then_import_gives_the_same_json(mission):
    first = export(make_opening(mission))
    content = json.dumps(first).encode()
    again = checklists.checklist_from_json(mission=make_mission("ots-kg-2025"), data=content)
    assert export(again) == first


def test_the_export_has_the_mission_bundle_shape_plus_the_finding(mission):
    """Question.definition() is what the mission bundle and the filing page read; we add only `finding`."""
    checklist = make_opening(mission)
    exported = export(checklist)["questions"]
    for question, data in zip(checklist.current_version.questions.order_by("order"), exported, strict=True):
        assert {k: v for k, v in data.items() if k not in ("finding", "min", "max")} == {
            k: v for k, v in question.definition().items() if k not in ("min", "max")
        }


def test_missing_optional_fields_get_their_defaults(mission):
    data = {
        "code": "short",
        "name": "Short",
        "questions": [
            {"code": "Q1", "text": "Open on time?", "type": "yes_no"},
            {"code": "Q2", "text": "Delay?", "type": "time", "show_if": {"question": "Q1", "equals": "no"}},
            {
                "code": "Q3",
                "text": "Overall",
                "type": "rating",
                "options": [{"value": "bad", "flagged": True}],
            },
        ],
    }
    questions = export(checklists.checklist_from_json(mission=mission, data=data))["questions"]
    assert [o["value"] for o in questions[0]["options"]] == ["yes", "no"]
    assert questions[1]["required"] is False and questions[1]["section"] == ""
    assert questions[2]["options"] == [
        {"value": "bad", "label": "Bad", "flagged": True, "severity": "minor", "negative": False}
    ]


def test_every_problem_is_listed_with_its_json_path_and_nothing_is_written(mission):
    data = opening_data()
    data["questions"][1]["type"] = "choice"
    data["questions"][2]["options"][1]["value"] = "ballots"
    data["questions"][0]["show_if"] = {"question": "B1", "equals": "yes"}
    data["questions"][5]["finding"]["some"] = "{count} of {totals}"
    data["questions"][2]["options"][2]["severity"] = "serious"
    data["questions"][3]["requried"] = True
    data["questions"][4]["code"] = "A 5"
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_json(mission=mission, data=data)
    assert {p.where for p in raised.value.problems} == {
        "questions[1].type",
        "questions[2].options[1].value",
        "questions[0].show_if.question",
        "questions[5].finding.some",
        "questions[2].options[2].severity",
        "questions[3].requried",
        "questions[4].code",
    }
    assert "7 problems" in raised.value.message
    assert nothing_written()


def test_broken_json_is_reported_with_line_and_column(mission):
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_json(mission=mission, data=b'{\n  "code": "x",\n  "name": }')
    assert raised.value.problems[0].where == "line 3, column 11"
    assert nothing_written()


def test_a_checklist_needs_a_code_a_name_and_questions(mission):
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_json(mission=mission, data={"questions": []})
    assert {p.where for p in raised.value.problems} == {"code", "name", "questions"}


def test_importing_refuses_a_code_the_mission_has_unless_another_is_given(mission):
    make_opening(mission)
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_json(mission=mission, data=opening_data())
    assert raised.value.problems[0].where == "code"
    other = checklists.checklist_from_json(
        mission=mission, data=opening_data(), code="opening2", name="Opening 2"
    )
    assert (other.code, other.name) == ("opening2", "Opening 2")


def test_the_example_in_the_format_documentation_imports(mission):
    text = (ROOT / "docs" / "checklist-format.md").read_text()
    example = re.search(r"```json\n(.*?)\n```", text, re.DOTALL).group(1)
    checklist = checklists.checklist_from_json(mission=mission, data=example.encode())
    assert export(checklist) == {**json.loads(example), "version": 1}


# XLSForm


def workbook(survey: list[list], choices: list[list], settings: list[list] | None = None) -> bytes:
    book = openpyxl.Workbook()
    book.active.title = "survey"
    for row in survey:
        book.active.append(row)
    sheet = book.create_sheet("choices")
    for row in choices:
        sheet.append(row)
    if settings is not None:
        sheet = book.create_sheet("settings")
        for row in settings:
            sheet.append(row)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


KOBO_SURVEY = [
    [
        "type",
        "name",
        "label::English (en)",
        "label::Russian (ru)",
        "hint::English (en)",
        "required",
        "relevant",
        "constraint",
        "appearance",
    ],
    ["start", "start", "", "", "", "", "", "", ""],
    ["begin_group", "opening", "Opening procedures", "", "", "", "", "", ""],
    [
        "select_one yn",
        "A1",
        "Did the polling station open on time?",
        "Открылся вовремя?",
        "At 8:00",
        "yes",
        "",
        "",
        "",
    ],
    ["select_one delay", "A2", "If not, what was the delay?", "", "", "", "${A1} = 'no'", "", ""],
    ["select_multiple materials", "A3", "Which materials were missing?", "", "", "false()", "", "", ""],
    ["integer", "A4", "How many PEC members were present?", "", "", "TRUE", "", ". >= 0 and . <= 30", ""],
    ["time", "A5", "First voter at", "", "", "", "", "", ""],
    ["end_group", "", "", "", "", "", "", "", ""],
    [
        "text",
        "B1",
        "What happened to the ballots?",
        "",
        "",
        "",
        "selected(${A3}, 'ballots')",
        "",
        "multiline",
    ],
    ["select_one grade", "B2", "Overall?", "", "", "", "", "", "likert"],
    ["decimal", "B3", "Minutes per voter", "", "", "", "", ". >= 0.5", ""],
]
KOBO_CHOICES = [
    ["list_name", "name", "label::English (en)", "flagged", "severity"],
    ["yn", "yes", "Yes", "", ""],
    ["yn", "no", "No", "yes", "serious"],
    ["delay", "lt15", "Less than 15 minutes", "", ""],
    ["delay", "gt15", "More", "TRUE", ""],
    ["materials", "ballots", "Ballots", "", ""],
    ["materials", "seals", "Seals", "", ""],
    ["grade", "good", "Good", "", ""],
    ["grade", "bad", "Bad", "", ""],
]


def test_an_xlsform_from_kobo_is_read_with_types_groups_show_if_required_hints_and_flags(mission):
    content = workbook(
        KOBO_SURVEY, KOBO_CHOICES, [["form_title", "form_id"], ["Opening (Kobo)", "kobo-opening"]]
    )
    checklist = checklists.checklist_from_xlsform(mission=mission, file=content)
    data = export(checklist)
    assert (data["code"], data["name"]) == ("kobo-opening", "Opening (Kobo)")
    questions = {q["code"]: q for q in data["questions"]}
    assert list(questions) == ["A1", "A2", "A3", "A4", "A5", "B1", "B2", "B3"]
    assert [q["type"] for q in questions.values()] == [
        "yes_no", "single", "multiple", "number", "time", "long_text", "rating", "number",
    ]  # fmt: skip
    assert questions["A1"]["text"] == "Did the polling station open on time?"  # English, not Russian
    assert (questions["A1"]["help_text"], questions["A1"]["required"]) == ("At 8:00", True)
    assert (questions["A3"]["required"], questions["A4"]["required"]) == (False, True)
    assert questions["A1"]["section"] == "Opening procedures" and questions["B1"]["section"] == ""
    assert questions["A2"]["show_if"] == {"question": "A1", "equals": "no"}
    assert questions["B1"]["show_if"] == {"question": "A3", "equals": "ballots"}
    assert (questions["A4"]["min"], questions["A4"]["max"]) == (0, 30)
    assert (questions["B3"]["min"], questions["B3"]["max"]) == (0.5, None)
    assert questions["A1"]["options"][1] == {
        "value": "no", "label": "No", "flagged": True, "severity": "serious", "negative": False,
    }  # fmt: skip
    assert questions["A2"]["options"][1]["severity"] == "minor"


def test_xlsform_problems_are_located_by_sheet_row_and_column_and_nothing_is_written(mission):
    survey = [row[:] for row in KOBO_SURVEY]
    survey[4][6] = "${A1} = 'no' and ${A4} > 3"  # row 5: not a single comparison
    survey[7][0] = "geopoint"  # row 8: A5 cannot be read
    survey[9][6] = "${B2} = 'good'"  # row 10: B1 depends on a later question
    survey[10][0] = "select_one grades"  # row 11: no such list
    survey.append(["text", "B4", "Notes", "", "", "maybe", "", "", ""])  # row 13
    choices = [row[:] for row in KOBO_CHOICES]
    choices[4][3] = "sometimes"  # row 5
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_xlsform(
            mission=mission, file=workbook(survey, choices), code="kobo", name="Kobo"
        )
    assert [p.where for p in raised.value.problems] == [
        "choices, row 5, column flagged (D)",
        "survey, row 5, column relevant (G)",
        "survey, row 8, column type (A)",
        "survey, row 11, column type (A)",
        "survey, row 13, column required (F)",
        "survey, row 10, column relevant (G)",
    ]
    assert "earlier" in raised.value.problems[-1].message
    assert nothing_written()


def test_an_xlsform_without_settings_needs_a_code_and_name_and_says_where(mission):
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_xlsform(mission=mission, file=workbook(KOBO_SURVEY, KOBO_CHOICES))
    assert [p.where for p in raised.value.problems] == [
        "settings, row 2, column form_id",
        "settings, row 2, column form_title",
    ]
    checklist = checklists.checklist_from_xlsform(
        mission=mission, file=workbook(KOBO_SURVEY, KOBO_CHOICES), code="kobo", name="Kobo"
    )
    assert checklist.current_version.questions.count() == 8


def test_a_file_that_is_not_a_workbook_is_refused(mission):
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_from_xlsform(mission=mission, file=b"PK\x03\x04 not really a zip")
    assert raised.value.problems[0].where == "file"


def test_xlsform_export_then_import_gives_the_same_checklist(mission):
    source = export(make_opening(mission))
    content = checklists.checklist_to_xlsform(version=Checklist.objects.get().current_version)
    again = checklists.checklist_from_xlsform(mission=make_mission("ots-kg-2025"), file=content)
    assert export(again) == source


def test_the_exported_xlsform_is_what_kobo_reads(mission):
    make_opening(mission)
    content = checklists.checklist_to_xlsform(version=Checklist.objects.get().current_version)
    book = openpyxl.load_workbook(BytesIO(content))
    survey = [[c or "" for c in row] for row in book["survey"].iter_rows(values_only=True)]
    assert survey[0][:7] == ["type", "name", "label", "hint", "required", "relevant", "constraint"]
    assert survey[1][:3] == ["begin_group", "section_1", "Opening procedures"]
    by_name = {row[1]: row for row in survey[1:]}
    assert by_name["A1"][:5] == ["select_one A1", "A1", "Did the polling station open on time?", "", "yes"]
    assert by_name["A2"][5] == "${A1} = 'no'"
    assert by_name["B2"][5] == "selected(${A3}, 'ballots')"
    assert by_name["A4"][:1] + by_name["A4"][6:7] == ["decimal", ". >= 0 and . <= 30"]
    assert by_name["B4"][7] == "likert"
    assert [c or "" for c in list(book["choices"].iter_rows(values_only=True))[2]] == [
        "A1",
        "no",
        "No",
        "yes",
        "serious",
        "",
    ]


def test_text_starting_with_an_equals_sign_is_written_as_text_not_a_formula():
    definition = {
        "code": "x",
        "name": "=HYPERLINK(\"http://example.org\")",
        "questions": [
            {"code": "Q1", "section": "", "text": "=1+1", "type": "text", "required": False, "help_text": "",
             "min": None, "max": None, "show_if": None, "finding": None, "options": []},
        ],
    }  # fmt: skip
    reading = read_xlsform(write_xlsform(definition))
    assert reading.definition["name"] == '=HYPERLINK("http://example.org")'
    assert reading.definition["questions"][0]["text"] == "=1+1"


# Vote Monitor (code4ro): the Poland 2023 forms


def poland(letter: str) -> Path:
    path = FORMS / f"code4ro_poland2023_EN-{letter}.json"
    if not path.exists():
        pytest.skip(f"{path} is not here (set OBSERVA_FORMS_DIR)")
    return path


@pytest.mark.parametrize("letter", sorted(POLAND))
def test_the_poland_2023_forms_import_whole(mission, letter):
    path = poland(letter)
    source = json.loads(path.read_text())
    checklist = checklists.checklist_import(mission=mission, content=path.read_bytes(), filename=path.name)
    assert (checklist.code, checklist.name) == (f"EN-{letter}", f"EN-{letter}")
    questions = list(checklist.current_version.questions.prefetch_related("options").order_by("order"))
    assert len(questions) == POLAND[letter]
    originals = [
        q for s in source["formSections"] for q in sorted(s["questions"], key=lambda q: q["orderNumber"])
    ]
    for question, original in zip(questions, originals, strict=True):
        assert question.code == f"{letter}{original['code']}"
        assert question.text == original["text"].strip()
        assert question.section == letter
        wanted = sorted(original["optionsToQuestions"], key=lambda o: o["orderNumber"])
        options = list(question.options.all())
        assert [o.label for o in options] == [o["text"].strip() for o in wanted]
        assert [o.flagged for o in options] == [o["isFlagged"] for o in wanted]
        assert all(o.severity == ("minor" if o.flagged else "") for o in options)
        expected = {"multiple"} if original["questionType"] in (0, 3) else {"single", "yes_no", "rating"}
        assert question.type in expected


def test_the_poland_voting_form_keeps_its_three_flagged_answers(mission):
    path = poland("B")
    checklist = checklists.checklist_import(mission=mission, content=path.read_bytes(), filename=path.name)
    flagged = Option.objects.filter(question__version=checklist.current_version, flagged=True)
    assert sorted(flagged.values_list("question__code", "value", "label")) == [
        ("B19", "yes_describe", "Yes (describe)"),
        ("B20", "yes_describe", "Yes (describe)"),
        ("B21", "yes_describe", "Yes (describe)"),
    ]


def test_poland_question_types_are_recognised(mission):
    path = poland("A")
    checklist = checklists.checklist_import(mission=mission, content=path.read_bytes(), filename=path.name)
    version = checklist.current_version
    kinds = dict(version.questions.values_list("code", "type"))
    assert kinds["A1"] == "yes_no"  # SingleOption Yes/No
    assert kinds["A4"] == "single"  # "Yes" / "No (reason?)", a free-text option
    assert kinds["A7"] == "multiple"  # MultipleOptionWithText
    assert kinds["A9"] == "rating"  # Very good / Good / Bad / Very bad
    rating = version.questions.get(code="A9")
    assert [(o.value, o.label, o.negative) for o in rating.options.all()] == [
        ("very_good", "Very good", False),
        ("good", "Good", False),
        ("bad", "Bad", True),
        ("very_bad", "Very bad", True),
    ]
    assert list(version.questions.get(code="A5").options.values_list("value", flat=True)) == [
        "15_min", "15_30_min", "30_min_1h", "1h",
    ]  # fmt: skip


def test_a_vote_monitor_form_with_problems_is_located_in_its_own_terms(mission):
    form = {
        "form": {
            "code": "EN-X",
            "description": "Broken",
            "formSections": [
                {"code": "X", "questions": [
                    {"code": "1", "questionType": 7, "text": "?", "optionsToQuestions": []},
                    {"code": "2", "questionType": 1, "text": "", "optionsToQuestions": [{"text": "A"}]},
                ]},
            ],
        }
    }  # fmt: skip
    with pytest.raises(ChecklistError) as raised:
        checklists.checklist_import(mission=mission, content=json.dumps(form).encode(), filename="x.json")
    assert [p.where for p in raised.value.problems] == [
        "form.formSections[0].questions[0].questionType",
        "form.formSections[0].questions[1].text",
    ]
    assert nothing_written()


def test_formats_are_recognised_from_the_file(mission):
    assert checklists.detect_format("opening.xlsx", b"") == "xlsform"
    assert checklists.detect_format("upload", b"PK\x03\x04...") == "xlsform"
    assert checklists.detect_format("a.json", json.dumps({"formSections": []}).encode()) == "votemonitor"
    assert checklists.detect_format("a.json", json.dumps(opening_data()).encode()) == "json"
    assert checklists.detect_format("a.json", b"{broken") == "json"


# Commands


def test_import_checklist_command_loads_the_poland_counting_form(mission):
    path = poland("C")
    out = StringIO()
    call_command(
        "import_checklist", mission.code, str(path), "--code", "counting", "--name", "Counting", stdout=out
    )
    checklist = mission.checklists.get(code="counting")
    assert checklist.name == "Counting"
    assert checklist.current_version.questions.count() == 37
    assert "37 questions" in out.getvalue()


def test_import_checklist_command_lists_every_problem_and_writes_nothing(mission, tmp_path):
    data = opening_data()
    data["questions"][1]["show_if"] = {"question": "A1", "equals": "maybe"}
    data["questions"][3]["type"] = "integer"
    path = tmp_path / "opening.json"
    path.write_text(json.dumps(data))
    with pytest.raises(CommandError) as raised:
        call_command("import_checklist", mission.code, str(path), "--format", "json")
    assert "questions[1].show_if.equals" in str(raised.value)
    assert "questions[3].type" in str(raised.value)
    assert nothing_written()


def test_import_checklist_command_refuses_an_unknown_mission(db, tmp_path):
    with pytest.raises(CommandError, match="No mission"):
        call_command("import_checklist", "nowhere", str(tmp_path / "x.json"))


def test_export_checklist_command_writes_json_and_xlsform(mission, tmp_path):
    make_opening(mission)
    out = StringIO()
    call_command("export_checklist", mission.code, "opening", stdout=out)
    assert json.loads(out.getvalue()) == opening_data()
    target = tmp_path / "opening.xlsx"
    call_command(
        "export_checklist",
        mission.code,
        "opening",
        "--format",
        "xlsform",
        "-o",
        str(target),
        stderr=StringIO(),
    )
    again = checklists.checklist_from_xlsform(mission=make_mission("ots-kg-2025"), file=target.read_bytes())
    assert export(again) == opening_data()
