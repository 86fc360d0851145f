"""The private and internal APIs we rely on (config/internals.py) are still there, as we use them."""

import pytest

from config.internals import INTERNALS, Internal, internals_problems


def test_every_internal_we_rely_on_is_still_there():
    assert internals_problems() == []


@pytest.mark.parametrize(
    "internal, expected",
    [
        (Internal("django.db.models:Model.no_such_method", "here"), "is gone"),
        (
            Internal("django.db.models:Model.from_db", "here", ("db", "names")),
            "takes ('db', 'field_names', 'values')",
        ),
        (Internal("django.db.models:Model.from_db", "here", source_has="no such line"), "no longer does"),
    ],
)
def test_a_changed_internal_is_reported_with_who_uses_it(internal, expected):
    problem = internal.problem()
    assert expected in problem and problem.endswith("used by here")


def test_each_entry_names_where_it_is_used():
    assert all(internal.used_by for internal in INTERNALS)
