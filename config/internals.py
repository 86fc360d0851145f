"""Every private or internal API of Django and of our libraries that Observa relies on, in one list.

The fast paths and a few integrations reach past the documented APIs (docs/architecture.md says why
for each). An upgrade may change such a name without notice; tests/config/test_internals.py checks
every entry below against the installed versions, so the upgrade fails loudly in `make test`, naming
the place that relies on it, instead of failing in production. Add an entry with any new reach-in.
"""

import importlib
import inspect
from dataclasses import dataclass


@dataclass(frozen=True)
class Internal:
    target: str  # "module:attribute.path"
    used_by: str  # where we rely on it
    parameters: tuple[str, ...] | None = None  # the callable's parameter names, in order (None: not checked)
    source_has: str = ""  # a line the callable's source must still contain (for what it sets on self)

    def resolve(self):
        module, _, path = self.target.partition(":")
        obj = importlib.import_module(module)
        for name in path.split("."):
            obj = getattr(obj, name)
        return obj

    def problem(self) -> str | None:
        """What no longer holds, or None."""
        try:
            obj = self.resolve()
        except (ImportError, AttributeError) as exc:
            return f"{self.target} is gone ({exc}); used by {self.used_by}"
        if self.parameters is not None:
            try:
                names = tuple(inspect.signature(obj).parameters)
            except (TypeError, ValueError):
                return f"{self.target} is no longer a callable with a signature; used by {self.used_by}"
            if names != self.parameters:
                return f"{self.target} takes {names}, not {self.parameters}; used by {self.used_by}"
        if self.source_has and self.source_has not in inspect.getsource(obj):
            return f"{self.target} no longer does `{self.source_has}`; used by {self.used_by}"
        return None


INTERNALS = (
    Internal(
        "django.db.backends.base.base:BaseDatabaseWrapper._prepare_cursor",
        "config/db.py (prepared_cursor wraps its psycopg cursor the way Django wraps its own)",
        ("self", "cursor"),
    ),
    Internal(
        "psycopg:Cursor._convert_query",
        "config/db.py (_PreparedCursor keeps the converted statement for Django's query log)",
        ("self", "query", "params"),
    ),
    Internal(
        "django.core.cache.backends.redis:RedisCacheClient._get_connection_pool",
        "config/cache.py (one redis-py client per connection pool)",
        ("self", "write"),
    ),
    Internal(
        "django.core.cache.backends.redis:RedisCacheClient.__init__",
        "config/cache.py (self._client is the redis.Redis class the client builds)",
        ("self", "servers", "serializer", "pool_class", "parser_class", "options"),
        source_has="self._client = self._lib.Redis",
    ),
    Internal(
        "django.core.cache.backends.redis:RedisCache.__init__",
        "config/cache.py (the cache builds its client from self._class)",
        ("self", "server", "params"),
        source_has="self._class = RedisCacheClient",
    ),
    Internal(
        "django.db.models:Model.from_db",
        "missions/access.py and missions/accounts/backends.py (rows of a prepared statement as instances)",
        ("db", "field_names", "values"),
    ),
    Internal(
        "django.db.models:Field.get_db_converters",
        "missions/access.py (model_columns: each column's converters)",
        ("self", "connection"),
    ),
    Internal(
        "django.db.models:Field.get_col",
        "missions/access.py (model_columns: the column expression the backend converts)",
        ("self", "alias", "output_field"),
    ),
    Internal(
        "django.db.backends.base.operations:BaseDatabaseOperations.get_db_converters",
        "missions/access.py (model_columns: the backend's converters)",
        ("self", "expression"),
    ),
    Internal(
        "django.core.paginator:Paginator._get_page",
        "config/pagination.py (a page read backwards)",
        ("self", "args", "kwargs"),
    ),
    Internal(
        "django.db.backends.postgresql.base:DatabaseWrapper.is_usable",
        "config/postgresql/base.py (the health check without a round trip)",
        ("self",),
    ),
    Internal(
        "csp.middleware:CSPMiddleware._csp_nonce_post_response",
        "config/middleware.py (a nonce asked for after the header is sent is an error)",
        (),
    ),
    Internal(
        "allauth.account.internal.flows.login:get_authentication_records",
        "missions/accounts/adapters.py (when the password was last given)",
        ("request", "user"),
    ),
    Internal(
        "allauth.account.internal.flows.login:record_authentication",
        "missions/accounts/security.py (setting up an authenticator counts as passing it in that session)",
        ("request", "user", "method", "extra_data"),
    ),
    Internal(
        "allauth.account.internal.flows.reauthentication:did_recently_reauthenticate",
        "reports/statements/services.py (approval needs a fresh password)",
        ("request",),
    ),
    Internal(
        "allauth.mfa.totp.internal.auth:TOTP.validate_code",
        "missions/accounts/security.py (a TOTP code is accepted once)",
        ("self", "code"),
    ),
)


def internals_problems() -> list[str]:
    return [problem for internal in INTERNALS if (problem := internal.problem()) is not None]
