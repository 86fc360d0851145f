"""missions/accounts/backends.py: a session's user, read by one prepared statement, is the user the ORM gives."""

import pytest
from django.db import connection
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from missions.accounts.backends import user_by_id
from missions.models import User
from tests.helpers.factories import PASSWORD, make_user

pytestmark = pytest.mark.django_db


def test_the_user_is_loaded_as_the_orm_loads_it(django_assert_num_queries):
    user = make_user(name="Nino Beridze", is_staff=True)
    with django_assert_num_queries(1):
        loaded = user_by_id(str(user.pk))
    expected = User.objects.get(pk=user.pk)
    assert type(loaded) is User and loaded.pk == user.pk
    assert model_to_dict(loaded) == model_to_dict(expected)
    assert (loaded.password, loaded.date_joined, loaded.last_login) == (
        expected.password,
        expected.date_joined,
        expected.last_login,
    )
    assert not loaded._state.adding


@pytest.mark.parametrize("user_id", ["0", "not a number", "", "1e9"])
def test_no_user_for_an_unknown_or_malformed_id(user_id):
    make_user()
    assert user_by_id(user_id) is None


def test_a_logged_in_user_stays_logged_in_and_a_deactivated_one_is_logged_out(client):
    """The session's user comes from the prepared statement, not the ORM's query."""
    user = make_user()
    assert client.login(email=user.email, password=PASSWORD)
    page = reverse("missions:list")
    with CaptureQueriesContext(connection) as queries:
        assert client.get(page).status_code == 200
    user_queries = [
        q["sql"] for q in queries.captured_queries if "missions_user" in q["sql"].split(" WHERE")[0]
    ]
    assert user_queries and all(sql.startswith('SELECT u."id"') for sql in user_queries), user_queries
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.get(page)
    assert response.status_code == 302 and reverse("account_login") in response["Location"]
