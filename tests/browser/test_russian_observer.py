"""An observer who reads Russian, on a phone whose browser is set to English: from the invitation to visits
filed online and offline, no English string of ours on the way (the checklist's own text is the mission's).
"""

import re

import pytest
from django.core import mail
from playwright.sync_api import expect

from missions import services
from missions.models import Role, User
from polling.models import Visit
from tests.browser.conftest import screenshot
from tests.helpers.catalogs import PLACEHOLDER, catalog
from tests.helpers.filing_browser import file_visit, open_filing_page

pytestmark = pytest.mark.browser


def english_fragments() -> list[str]:
    """Pieces of our English msgids long enough to be recognised on a page (their Russian differs)."""
    fragments = set()
    for entry in catalog("ru"):
        translated = entry.msgstr or " ".join(entry.msgstr_plural.values())
        for source in filter(None, (entry.msgid, entry.msgid_plural)):
            if source in translated:
                continue
            for piece in PLACEHOLDER.split(re.sub(r"<[^>]+>", " ", source)):
                piece = piece.strip(" .,:;()«»“”")
                if len(piece) >= 12 and " " in piece:
                    fragments.add(piece)
    return sorted(fragments)


def english_on(page, fragments) -> list[str]:
    text = page.evaluate("() => document.body.innerText")
    return [fragment for fragment in fragments if fragment in text]


def test_a_russian_observer_joins_and_files_online_and_offline(
    page, context, live_server, mission, team, secretariat, observer_day
):
    fragments = english_fragments()
    assert len(fragments) > 500
    page.goto(f"{live_server.url}/accounts/login/")  # the check sees English: this browser asks for it
    assert english_on(page, fragments)
    seen = {}

    def look(name: str) -> None:
        assert page.locator("html").get_attribute("lang") == "ru", name
        if found := english_on(page, fragments):
            seen[name] = found

    services.invitation_send(
        mission=mission,
        actor=secretariat.user,
        email="olga@example.org",
        name="Ольга Петрова",
        role=Role.OBSERVER,
        team=team,
        language="ru",
        link_for=lambda token: f"{live_server.url}/invitations/{token}/",
    )
    (email,) = mail.outbox
    assert not [f for f in fragments if f in email.subject + email.body]
    link = re.search(r"http://\S+/invitations/\S+/", email.body).group(0)

    page.goto(link)  # the phone's browser is set to English (locale en-GB): the invitation's language wins
    look("invitation")
    screenshot(page, "ru-invitation-390", full_page=False)
    page.fill("input[name=password1]", "a-long-passphrase-9")
    page.fill("input[name=password2]", "a-long-passphrase-9")
    with page.expect_navigation():
        page.click("main form button[type=submit]")
    look("mission page")
    assert User.objects.get(email="olga@example.org").language == "ru"

    open_filing_page(page, live_server, mission)
    look("filing page")
    file_visit(page, "0001", members=7)
    expect(page.locator("[data-form-done-status]")).to_contain_text("Отправлено на сервер")
    look("sent online")

    context.set_offline(True)
    page.click("text=Внести другое посещение")
    file_visit(page, "0002", members=5)
    expect(page.locator("[data-form-done-status]")).to_contain_text("Сохранено на этом телефоне")
    expect(page.locator("[data-outbox-count]")).to_have_text("Ожидают отправки: 1")
    look("saved offline")
    screenshot(page, "ru-filing-offline-390", full_page=False)

    context.set_offline(False)
    expect(page.locator("[data-outbox-count]")).to_have_text("Всё отправлено.", timeout=15_000)
    look("sent after reconnecting")
    assert Visit.objects.filter(observer__user__email="olga@example.org").count() == 2
    assert seen == {}
