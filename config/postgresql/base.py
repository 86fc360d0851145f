"""Django's PostgreSQL backend, with a health check that costs no round trip.

Why: with persistent connections (CONN_MAX_AGE) and CONN_HEALTH_CHECKS (config/dburl.py), Django checks
the connection at the first query of every request by sending `SELECT 1`: one round trip, parsed and
planned by the server, for every request: a share of the web process's CPU (and the database's) that
bench/submit_visits.py shows on the election-day filing API, larger still on a trivial view.

What `is_usable()` sees without sending anything:
1. psycopg already knows the connection is gone (closed, or broken by an earlier error): unusable.
2. The connection is idle (no transaction, nothing in flight), so the server has nothing to tell us
   unless it is ending the session. A server that stops the backend (restart, shutdown,
   pg_terminate_backend, idle_session_timeout) sends an error message and closes the socket, and a
   backend process that dies has its socket closed by the kernel: either way the socket becomes
   readable. Idle with nothing to read (a zero-timeout poll) is therefore usable.
3. Anything else (something to read, a transaction open, the poll failing) is Django's own check, the
   `SELECT 1`, which reads what the server sent and tells the truth. Something to read is not always
   a dead session (a NOTIFY, a NOTICE, a changed server parameter): the fallback then finds it healthy.

What it cannot see: a server gone silently, without closing the TCP connection (host powered off, a
network partition). `SELECT 1` did not catch that quickly either: it waited on TCP's own timeouts.
Nor can either check see a backend that ends between the check and the request's first query.

The package is named after the vendor, like Django's: settings.py recognises a PostgreSQL engine by its
name ending in ".postgresql".
"""

import select

import psycopg
from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper

IDLE = psycopg.pq.TransactionStatus.IDLE


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed:
            return False
        if connection.info.transaction_status == IDLE and not _server_has_spoken(connection):
            return True
        return super().is_usable()


def _server_has_spoken(connection: psycopg.Connection) -> bool:
    """Whether the socket has something to read (a message, the end of the stream). True when unsure:
    the caller then asks the server."""
    if not hasattr(select, "poll"):  # Windows: no poll(2), always ask the server
        return True
    try:
        poller = select.poll()
        poller.register(connection.fileno(), select.POLLIN)
        return bool(poller.poll(0))
    except (OSError, psycopg.Error):
        return True
