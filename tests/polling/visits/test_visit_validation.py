"""The checklist's rules enforced on the server: show-if, required, ranges, options, times; the content hash."""

from decimal import Decimal

import pytest

from polling import visits
from polling.models import Visit
from tests.helpers.factories import make_station
from tests.helpers.visits import make_checklist


@pytest.fixture
def version(mission):
    return make_checklist(mission)


def _valid(**changes):
    answers = {"A1": "yes", "A3": 7}
    answers.update(changes)
    return {code: value for code, value in answers.items() if value is not None}


def test_valid_answers_are_cleaned_in_checklist_order(version):
    cleaned, errors = visits.validate_answers(
        version, {"A6": " yes ", "A3": "7.50", "A1": "yes", "A2": ["seals", "ballots"]}
    )
    assert errors == {}
    assert list(cleaned) == ["A1", "A2", "A3", "A6"]
    assert cleaned["A2"] == ["ballots", "seals"]
    assert cleaned["A3"] == Decimal("7.50")
    assert cleaned["A6"] == "yes"


def test_answer_to_a_hidden_question_is_refused(version):
    cleaned, errors = visits.validate_answers(version, _valid(A5="07:30"))
    assert "A5" in errors and "only asked when A1" in errors["A5"][0]
    assert "A5" not in cleaned


def test_null_or_empty_answer_to_a_hidden_question_is_accepted(version):
    for empty in (None, "", []):
        _cleaned, errors = visits.validate_answers(version, {**_valid(), "A5": empty})
        assert errors == {}


def test_required_question_that_is_shown_must_be_answered(version):
    _cleaned, errors = visits.validate_answers(version, _valid(A1="no"))
    assert errors == {"A5": ["This question must be answered."]}
    cleaned, errors = visits.validate_answers(version, _valid(A1="no", A5="7:05"))
    assert errors == {} and cleaned["A5"] == "07:05"


def test_required_question_hidden_by_its_rule_is_not_required(version):
    _cleaned, errors = visits.validate_answers(version, _valid(A6="yes"))
    assert errors == {}
    _cleaned, errors = visits.validate_answers(version, _valid(A6="no"))
    assert errors == {"A7": ["This question must be answered."]}


def test_required_questions_without_rules_must_be_answered(version):
    _cleaned, errors = visits.validate_answers(version, {})
    assert set(errors) == {"A1", "A3"}


def test_show_if_rules_chain(mission):
    version = make_checklist(
        mission,
        "chain",
        [
            {"code": "P", "type": "yes_no", "options": [("yes", "Yes", False), ("no", "No", False)]},
            {
                "code": "C",
                "type": "yes_no",
                "options": [("yes", "Yes", False), ("no", "No", False)],
                "show_if": ("P", "yes"),
            },
            {"code": "G", "type": "text", "required": True, "show_if": ("C", "yes")},
        ],
    )
    assert visits.validate_answers(version, {"P": "no"})[1] == {}
    # C is hidden, so G is hidden too, even though C's answer would show it.
    assert "G" in visits.validate_answers(version, {"P": "no", "C": "yes", "G": "x"})[1]
    assert visits.validate_answers(version, {"P": "yes", "C": "yes"})[1] == {
        "G": ["This question must be answered."]
    }


def test_show_if_on_a_multiple_choice_question_means_chosen(mission):
    version = make_checklist(
        mission,
        "multi",
        [
            {"code": "M", "type": "multiple", "options": [("a", "A", False), ("b", "B", False)]},
            {"code": "T", "type": "text", "required": True, "show_if": ("M", "b")},
        ],
    )
    assert visits.validate_answers(version, {"M": ["a"]})[1] == {}
    assert visits.validate_answers(version, {"M": ["a", "b"]})[1] == {
        "T": ["This question must be answered."]
    }


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (-1, "The smallest allowed value is 0."),
        (31, "The largest allowed value is 30."),
        ("7.125", "Use at most two decimal places."),
        ("seven", "“seven” is not a number."),
        (True, "Send a number."),
        ("NaN", "This number is out of range."),
    ],
)
def test_numbers_respect_min_max_and_precision(version, value, message):
    _cleaned, errors = visits.validate_answers(version, _valid(A3=value))
    assert errors == {"A3": [message]}


def test_number_bounds_are_inclusive(version):
    assert visits.validate_answers(version, _valid(A3=0))[1] == {}
    assert visits.validate_answers(version, _valid(A3=30.0))[1] == {}


def test_option_values_must_exist(version):
    assert visits.validate_answers(version, _valid(A6="maybe"))[1] == {
        "A6": ["“maybe” is not an option of this question."]
    }
    assert "A2" in visits.validate_answers(version, _valid(A2=["seals", "pens"]))[1]
    assert visits.validate_answers(version, _valid(A2="seals"))[1] == {
        "A2": ["Send a list of the chosen option values."]
    }
    assert visits.validate_answers(version, _valid(A1="Yes"))[1] == {
        "A1": ["“Yes” is not an option of this question."]
    }


@pytest.mark.parametrize("value", ["24:00", "7.30", "07:60", "0730", 730, "7:5"])
def test_times_are_hh_mm(version, value):
    _cleaned, errors = visits.validate_answers(version, _valid(A1="no", A5=value))
    assert errors == {"A5": ["Give a time of day as HH:MM, e.g. 07:30."]}


def test_unknown_question_codes_are_refused(version):
    _cleaned, errors = visits.validate_answers(version, _valid(Z9="yes"))
    assert errors == {"Z9": ["This checklist version has no question Z9."]}


def test_answers_must_be_an_object(version):
    assert visits.validate_answers(version, ["A1"])[1] == {
        "answers": ["Send the answers as an object of question codes and values."]
    }


def test_text_length_is_limited(version):
    assert "A4" in visits.validate_answers(version, _valid(A4="x" * 1001))[1]
    assert visits.validate_answers(version, _valid(A6="no", A7="x" * 5000))[1] == {}


def test_the_definition_the_filing_page_holds_validates_the_same(version):
    definition = version.definition()
    for answers in (
        _valid(),
        _valid(A5="07:30"),
        _valid(A1="no"),
        _valid(A3=99),
        _valid(A6="no", A7="broken"),
    ):
        assert visits.validate_answers(definition, answers) == visits.validate_answers(version, answers)


def test_content_hash_ignores_presentation(version, mission):
    station = make_station(mission, "0001")
    spec = visits.version_spec(version)

    def digest(arrived, answers):
        fields, errors = visits.clean_fields({"arrived_at": arrived, "notes": "  ", "assessment": "good"})
        cleaned, answer_errors = visits.validate_answers(spec, answers)
        assert not errors and not answer_errors
        return visits.content_hash(
            visits.build_content(spec, station=station.code, fields=fields, answers=cleaned)
        )

    first = digest("2024-02-07T07:55:00+04:00", {"A1": "yes", "A3": 7, "A2": ["seals", "ballots"]})
    assert first == digest("2024-02-07T03:55:00Z", {"A2": ["ballots", "seals"], "A3": "7.00", "A1": "yes"})
    assert first != digest("2024-02-07T07:55:00+04:00", {"A1": "yes", "A3": 8, "A2": ["seals", "ballots"]})
    assert first != digest("2024-02-07T07:56:00+04:00", {"A1": "yes", "A3": 7, "A2": ["seals", "ballots"]})


def test_times_need_an_offset_and_departure_follows_arrival():
    _fields, errors = visits.clean_fields({"arrived_at": "2024-02-07T07:55:00"})
    assert "UTC offset" in errors["arrived_at"][0]
    _fields, errors = visits.clean_fields(
        {"arrived_at": "2024-02-07T07:55:00+04:00", "departed_at": "2024-02-07T07:00:00+04:00"}
    )
    assert errors == {"departed_at": ["The departure cannot be before the arrival."]}
    _fields, errors = visits.clean_fields({"arrived_at": "2024-02-07T07:55:00+04:00", "assessment": "superb"})
    assert list(errors) == ["assessment"]


def test_a_version_is_cached_only_once_it_has_visits(version, mission, observer, django_assert_num_queries):
    """A version still being built is read afresh (the builder may change it); once a visit is filed
    against it, its questions are read once per process."""
    from tests.helpers.visits import payload

    spec = visits.version_spec(version)
    question = version.questions.get(code="A4")
    question.required = True
    question.save()
    assert not spec.by_code["A4"].required
    assert visits.version_spec(version).by_code["A4"].required  # re-read: no visit yet
    station = make_station(mission, "0001")
    visits.visit_submit(mission=mission, member=observer, payload=payload(version, station), channel="web")
    assert Visit.objects.count() == 1
    visits.version_spec(version)  # loaded once more, and cached now that it has a visit
    with django_assert_num_queries(0):
        visits.version_spec(version)
