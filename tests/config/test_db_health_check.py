"""The health check of config.postgresql: an idle connection is checked on its socket, not with SELECT 1.

A second psycopg connection watches pg_stat_activity.query, the last statement the checked connection's
backend received, to see whether a check went to the server.
"""

import select

import psycopg
import pytest
from django.conf import settings
from django.db import connection, connections, transaction

from config.postgresql.base import IDLE, DatabaseWrapper

pytestmark = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's own backend")

LAST_QUERY = "SELECT 'the last query before the check'"


@pytest.fixture
def idle_db(db):
    """A connection of its own, outside the test's transaction: idle between queries, as a gunicorn
    worker's persistent connection is between requests."""
    own = connection.copy()
    own.ensure_connection()
    yield own
    own.close()


@pytest.fixture
def observer(django_db_setup):
    """A separate psycopg connection to the test database."""
    named = {"dbname": "NAME", "user": "USER", "password": "PASSWORD", "host": "HOST", "port": "PORT"}
    params = {key: connection.settings_dict[name] for key, name in named.items()}
    with psycopg.connect(autocommit=True, **{key: value for key, value in params.items() if value}) as conn:
        yield conn


def _run(db, sql: str) -> list[tuple]:
    with db.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchall() if cursor.description else []


def _last_query(observer: psycopg.Connection, pid: int) -> str:
    return observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()[0]


def _readable(db, seconds: float) -> bool:
    return bool(select.select([db.connection.fileno()], [], [], seconds)[0])


def test_an_idle_healthy_connection_is_usable_without_a_query(idle_db, observer):
    pid = idle_db.connection.info.backend_pid
    _run(idle_db, LAST_QUERY)
    assert idle_db.connection.info.transaction_status == IDLE

    assert idle_db.is_usable() is True
    assert idle_db.is_usable() is True
    assert _last_query(observer, pid) == LAST_QUERY


def test_an_idle_connection_the_server_wrote_to_is_checked_with_a_query(idle_db, observer):
    """A notification makes the socket readable without ending the session: the check asks the server,
    which reads the message, and the next check is silent again."""
    pid = idle_db.connection.info.backend_pid
    _run(idle_db, "LISTEN observa_health_check")
    _run(idle_db, LAST_QUERY)
    observer.execute("NOTIFY observa_health_check")
    assert _readable(idle_db, 5)

    assert idle_db.is_usable() is True
    assert _last_query(observer, pid) == "SELECT 1"

    _run(idle_db, LAST_QUERY)
    assert not _readable(idle_db, 0)
    assert idle_db.is_usable() is True
    assert _last_query(observer, pid) == LAST_QUERY


def test_a_terminated_connection_is_unusable(idle_db, observer):
    observer.execute("SELECT pg_terminate_backend(%s)", [idle_db.connection.info.backend_pid])
    assert _readable(idle_db, 5)

    assert idle_db.is_usable() is False
    assert idle_db.is_usable() is False  # psycopg now knows it is broken


def test_the_first_query_after_a_terminated_connection_runs_on_a_new_one(idle_db, observer):
    """What a request does when the server restarted since the last one: request_started calls
    close_if_unusable_or_obsolete(), whose health check then runs at the first cursor."""
    pid = idle_db.connection.info.backend_pid
    observer.execute("SELECT pg_terminate_backend(%s)", [pid])
    assert _readable(idle_db, 5)

    idle_db.close_if_unusable_or_obsolete()
    assert idle_db.health_check_enabled and not idle_db.health_check_done
    [(new_pid,)] = _run(idle_db, "SELECT pg_backend_pid()")

    assert new_pid != pid
    assert new_pid == idle_db.connection.info.backend_pid


@pytest.mark.django_db
def test_a_connection_inside_a_transaction_is_checked_with_a_query(observer):
    with transaction.atomic():
        _run(connection, LAST_QUERY)
        assert connection.connection.info.transaction_status != IDLE

        assert connection.is_usable() is True
        assert _last_query(observer, connection.connection.info.backend_pid) == "SELECT 1"


@pytest.mark.django_db
def test_no_connection_or_a_closed_one_is_unusable():
    own = connection.copy()
    assert own.connection is None
    assert own.is_usable() is False

    own.ensure_connection()
    own.connection.close()
    assert own.is_usable() is False
    own.close()


def test_the_configured_backend_is_ours_and_still_postgresql():
    assert settings.DATABASES["default"]["ENGINE"] == "config.postgresql"
    assert isinstance(connections["default"], DatabaseWrapper)
    assert connection.vendor == "postgresql"
    # settings.py still recognises PostgreSQL: the filing's statements are prepared (config/db.py).
    if settings.DATABASE_PREPARED_STATEMENTS:
        assert settings.DATABASES["default"]["OPTIONS"]["prepare_threshold"] == 0
