"""Choosing a language: the browser's before login, the person's own after, the inviter's for an invitation;
right to left for Arabic; dates with the month as a word."""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation

from missions.models import Invitation, Role, User
from tests.conftest import client_for
from tests.helpers.factories import make_member, make_station
from tests.helpers.visits import make_checklist, payload

pytestmark = pytest.mark.django_db

LOGIN_HEADING = {"en": "Log in", "ru": "Вход", "ar": "تسجيل الدخول"}


def test_before_login_the_browser_language_decides(client):
    page = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="ru,en;q=0.5")
    assert page.headers["Content-Language"] == "ru"
    text = page.content.decode()
    assert '<html lang="ru" dir="ltr">' in text
    # The menu offers every language, each in its own words.
    for name in ("English", "Русский", "Français", "Español", "العربيّة", "Português", "Türkçe"):
        assert name in text


def test_arabic_pages_read_right_to_left_with_bootstraps_rtl_build(client):
    text = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="ar").content.decode()
    assert '<html lang="ar" dir="rtl">' in text
    assert "bootstrap.rtl.min.css" in text and "bootstrap.min.css" not in text
    english = client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert 'dir="ltr"' in english and "bootstrap.rtl.min.css" not in english


def test_the_menu_sets_the_language_for_the_next_pages_before_login(client):
    response = client.post(
        reverse("missions:language_set"),
        {"language": "fr", "next": reverse("account_login")},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302 and response["Location"] == reverse("account_login")
    assert response.cookies["django_language"].value == "fr"
    assert client.get(reverse("account_login"), HTTP_ACCEPT_LANGUAGE="en").headers["Content-Language"] == "fr"


def test_the_menu_refuses_an_unknown_language_and_a_foreign_next(client):
    assert client.post(reverse("missions:language_set"), {"language": "xx"}).status_code == 400
    response = client.post(
        reverse("missions:language_set"), {"language": "ru", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"


def test_a_logged_in_persons_choice_is_kept_on_their_account_for_every_device(client, mission, observer):
    client_for(client, observer)
    client.post(reverse("missions:language_set"), {"language": "tr", "next": "/"})
    observer.user.refresh_from_db()
    assert observer.user.language == "tr"
    client.cookies.clear()  # another browser, set to English, once logged in
    client.force_login(observer.user)
    page = client.get(reverse("missions:detail", args=[mission.code]), HTTP_ACCEPT_LANGUAGE="en")
    assert page.headers["Content-Language"] == "tr"


def test_an_invitation_goes_out_in_the_language_the_inviter_picks(client, mission, secretariat):
    client_for(client, secretariat)
    response = client.post(
        reverse("missions:member_invite", args=[mission.code]),
        {"email": "olga@example.org", "name": "Olga", "role": Role.OBSERVER, "language": "ru"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 302
    (email,) = mail.outbox
    assert email.subject.startswith("Приглашение")
    assert "Olga" in email.body and "Invitation" not in email.body
    invitation = Invitation.objects.get(email="olga@example.org")
    assert invitation.language == "ru"

    # The invitee opens the link in a fresh browser set to English: the page is in Russian,
    # and the account they make keeps Russian.
    link = email.body.split("http://testserver", 1)[1].split()[0]
    client.logout()
    client.cookies.clear()
    page = client.get(link, HTTP_ACCEPT_LANGUAGE="en")
    assert page.headers["Content-Language"] == "ru"
    client.post(
        link, {"name": "Olga", "password1": "a-long-passphrase-9", "password2": "a-long-passphrase-9"}
    )
    assert User.objects.get(email="olga@example.org").language == "ru"


def test_the_invitation_form_starts_with_the_inviters_language(client, mission, secretariat):
    client_for(client, secretariat)
    with translation.override("es"):
        page = client.get(reverse("missions:member_invite", args=[mission.code]), HTTP_ACCEPT_LANGUAGE="es")
    assert '<option value="es" selected>' in page.content.decode()


@pytest.mark.parametrize(
    "language, date",
    [
        ("en", "7 February 2024"),
        ("ru", "7 февраля 2024 г."),
        ("fr", "7 février 2024"),
        ("es", "7 de febrero de 2024"),
        ("pt", "7 de Fevereiro de 2024"),  # Django's Portuguese month names
        ("tr", "7 Şubat 2024"),
        ("ar", "7 فبراير 2024"),
    ],
)
def test_dates_carry_the_month_as_a_word_never_02_07_2024(client, mission, observer, language, date):
    from polling import visits

    version = make_checklist(mission)
    station = make_station(mission, "001")
    visit, _ = visits.visit_submit(mission=mission, member=observer, payload=payload(version, station))
    make_member(mission, Role.HEAD_OF_MISSION)
    client_for(client, observer)
    text = client.get(
        reverse("polling:visit_detail", args=[mission.code, visit.uuid]), HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()
    assert date in text
    assert "02/07/2024" not in text and "07/02/2024" not in text and "Feb. 7" not in text
    with translation.override(language):
        from django.utils.formats import date_format

        assert date_format(datetime.date(2024, 2, 7), "SHORT_DATE_FORMAT") == date
        assert "2024" in date_format(timezone.now().replace(year=2024), "SHORT_DATETIME_FORMAT")
