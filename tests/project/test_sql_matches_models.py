"""The hand-written SQL of the fast paths names the models' real tables and columns, and every column a
row needs.

The fast paths (docs/architecture.md) write rows with their own INSERTs, and observa_file_visit() is
PL/pgSQL kept in a migration: a migration that adds a NOT NULL column or renames one would break them
only on election day. This test reads every INSERT of those modules and of the function as PostgreSQL
holds it, and checks each against the model that owns the table.
"""

import re

import pytest
from django.apps import apps
from django.db import connection
from django.db.models import NOT_PROVIDED

from missions import audit_trail
from polling.visits import filing
from reports.results import refresh

INSERT = re.compile(r'INSERT INTO "?(\w+)"?(?: AS \w+)? \(([^)]*)\)', re.IGNORECASE)
FAST_PATH_MODULES = (audit_trail, filing, refresh)


def model_for(table: str):
    for model in apps.get_models(include_auto_created=True):
        if model._meta.db_table == table:
            return model
    return None


def insert_problems(sql: str, where: str) -> list[str]:
    """What an INSERT of `sql` gets wrong about its table: unknown table or column, or a column that the
    model requires (NOT NULL, no default in the database) left out."""
    problems = []
    found = INSERT.findall(sql)
    for table, column_list in found:
        model = model_for(table)
        if model is None:
            problems.append(f"{where}: no model has the table {table}")
            continue
        columns = {field.column: field for field in model._meta.concrete_fields}
        named = [c.strip().strip('"') for c in column_list.split(",") if c.strip()]
        problems += [f"{where}: {table} has no column {c}" for c in named if c not in columns]
        for column, field in columns.items():
            required = not field.null and field.db_default is NOT_PROVIDED and not field.primary_key
            if required and column not in named:
                problems.append(f"{where}: INSERT INTO {table} leaves out {column}, which must have a value")
    return problems


def module_sql(module) -> str:
    """Every SQL text a module keeps at its top level, alone or in a list of statements."""
    texts = []
    for value in vars(module).values():
        for item in value if isinstance(value, list | tuple) else [value]:
            if isinstance(item, str) and "INSERT" in item:
                texts.append(item)
    return "\n".join(texts)


def test_the_fast_paths_insert_into_real_columns_and_leave_no_required_one_out():
    problems, seen = [], 0
    for module in FAST_PATH_MODULES:
        sql = module_sql(module)
        seen += len(INSERT.findall(sql))
        problems += insert_problems(sql, module.__name__)
    assert seen >= 7  # the audit entry, the result counts' writers
    assert problems == []


def test_insert_answers_names_the_answer_columns():
    import inspect

    assert insert_problems(inspect.getsource(filing.insert_answers), "insert_answers") == []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the function exists on PostgreSQL only")
@pytest.mark.django_db
def test_observa_file_visit_matches_the_models():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_get_functiondef('observa_file_visit'::regproc)")
        (definition,) = cursor.fetchone()
    assert len(INSERT.findall(definition)) == 4  # visit, answers, revision, audit entry
    assert insert_problems(definition, "observa_file_visit") == []


@pytest.mark.parametrize(
    "sql, expected",
    [
        ("INSERT INTO polling_answer (visit_id, question_id, option_id, number, text)", []),
        (
            "INSERT INTO polling_answer (visit_id, question_id, option_id, number, txt)",
            ["has no column txt", "leaves out text"],
        ),
        ("INSERT INTO polling_answer (question_id, option_id, number, text)", ["leaves out visit_id"]),
        ("INSERT INTO polling_nothing (a)", ["no model has the table polling_nothing"]),
    ],
)
def test_the_check_finds_what_an_insert_gets_wrong(sql, expected):
    problems = insert_problems(sql, "here")
    assert len(problems) == len(expected) and all(e in p for e, p in zip(expected, problems, strict=True))
