"""Django's and allauth's authentication backends, with the user of a session read by one prepared statement.

Every logged-in request loads its user. Through the ORM (`User.objects.get(pk=...)`) that composed the
same SELECT in Python every time, a large share of an election-day filing (bench/filing_cpu.py); here it is
written once from the model's fields and prepared on the connection (config/db.py). Authentication
itself (password, e-mail login) is unchanged.
"""

from functools import cache

from allauth.account.auth_backends import AuthenticationBackend as AllauthBackend
from django.contrib.auth import backends, get_user_model
from django.core.exceptions import ValidationError

from config.db import prepared_cursor
from missions.access import model_columns, model_instance


@cache
def _user_query():
    model = get_user_model()
    columns, names, converters = model_columns(model, "u")
    sql = f'SELECT {", ".join(columns)} FROM {model._meta.db_table} u WHERE u."{model._meta.pk.column}" = %s'  # noqa: S608 (names only)
    return model, sql, names, converters


def user_by_id(user_id):
    """The user with primary key `user_id` (as a session stores it), or None."""
    model, sql, names, converters = _user_query()
    try:
        pk = model._meta.pk.to_python(user_id)
    except ValidationError:
        return None
    with prepared_cursor() as cursor:
        cursor.execute(sql, [pk])
        row = cursor.fetchone()
    return None if row is None else model_instance(model, names, converters, row)


class _SessionUserMixin:
    def get_user(self, user_id):
        user = user_by_id(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


class ModelBackend(_SessionUserMixin, backends.ModelBackend):
    """django.contrib.auth's ModelBackend."""


class AuthenticationBackend(_SessionUserMixin, AllauthBackend):
    """allauth's backend (log in by e-mail, rate limits)."""
