"""Prepared statements for the few queries every election-day request runs.

Django binds parameters on the client and never prepares (its psycopg backend turns that off so that
connection poolers keep working), so PostgreSQL parses and plans each statement every time it comes.
For the queries of the filing's hot path that costs more than running them (bench/filing_cpu.py
measures it). `prepared_cursor()` gives a cursor of
Django's connection whose statements are bound on the server and prepared the first time a connection
sees them (settings.py sets the connection's prepare_threshold to 0 for this; Django's own cursors bind
on the client and never prepare); later executions send only the parameters.

DATABASE_PREPARED_STATEMENTS=false turns this off (a plain Django cursor then): for a connection pooler
that cannot follow prepared statements, such as PgBouncer in transaction mode before version 1.21.
"""

from contextlib import contextmanager

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, connection, connections

try:
    import psycopg
except ImportError:  # pragma: no cover (psycopg is a dependency; SQLite needs none of this)
    psycopg = None
else:

    class _PreparedCursor(psycopg.Cursor):
        """psycopg's server-binding cursor, keeping the statement it converted where Django's query log
        (DEBUG, CaptureQueriesContext) looks for it; psycopg keeps it only for executemany."""

        def _convert_query(self, query, params=None):
            self._query = super()._convert_query(query, params)
            return self._query


def on_postgresql(db=None) -> bool:
    """The one switch between PostgreSQL and the SQLite file of `make run` (the laptop demo).

    On PostgreSQL the fast paths run their own SQL (docs/architecture.md); on SQLite the same services
    take the ORM's path and the dashboard counts live. Every such branch asks here, so the demo's
    differences are found by searching for one name.
    """
    return (connection if db is None else db).vendor == "postgresql"


def prepared_statements(db=None) -> bool:
    db = connection if db is None else db
    return (
        psycopg is not None and on_postgresql(db) and getattr(settings, "DATABASE_PREPARED_STATEMENTS", True)
    )


@contextmanager
def prepared_cursor():
    """A cursor on Django's connection (its transaction, its query logging and execute wrappers) whose
    statements are prepared. One SQL statement per execute: a prepared statement cannot hold two."""
    db = connections[DEFAULT_DB_ALIAS]  # once: each use of the `connection` proxy looks it up again
    if not prepared_statements(db):
        with db.cursor() as cursor:
            yield cursor
        return
    db.ensure_connection()
    # _prepare_cursor is what connection.cursor() wraps its own cursors with: the debug wrapper when
    # queries are logged, the thread check, the execute wrappers.
    with db._prepare_cursor(_PreparedCursor(db.connection)) as cursor:
        yield cursor
