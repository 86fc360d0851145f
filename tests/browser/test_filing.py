"""An observer files visits on a phone, with and without a network, through the real API.

Chromium at 390 px against the live server: the show-if rule in the browser, the outbox in IndexedDB,
the service worker serving the pages offline, sending in order once the network returns, a session that
ends and a login that brings a new CSRF token, the warning at logout, corrections and incidents.
"""

import re

import pytest
from playwright.sync_api import expect

from missions.accounts.security import user_sessions_end
from missions.models import Role
from polling.models import Checklist, Incident, Visit, VisitRevision
from tests.browser.conftest import login, screenshot
from tests.helpers.factories import PASSWORD, make_member
from tests.helpers.filing_browser import choose, file_visit, filing_url, open_filing_page, outbox_uuids
from tests.helpers.visits import payload

pytestmark = pytest.mark.browser

SENT = "Everything has been sent."


def answers(visit) -> dict:
    """The stored answers: option values (a list for multiple choice), numbers, texts and times."""
    result = {}
    rows = visit.answers.select_related("question", "option").order_by("question__order", "option__order")
    for row in rows:
        value = row.option.value if row.option else (row.text or row.number)
        if row.question.type == "multiple":
            result.setdefault(row.question.code, []).append(value)
        else:
            result[row.question.code] = value
    return result


def test_visits_filed_offline_reach_the_server_once_each_when_the_network_returns(
    page, context, live_server, mission, observer_day
):
    login(page, live_server, observer_day.user.email, PASSWORD)
    open_filing_page(page, live_server, mission)
    counter = page.locator("[data-outbox-count]")

    # Online: A1 "no" reveals A5; the visit goes straight to the server.
    file_visit(page, "0001", members=7, late=True)
    expect(page.locator("[data-form-done-status]")).to_contain_text("Sent to the server.")
    first = Visit.objects.get()
    assert (first.station.code, answers(first)) == ("0001", {"A1": "no", "A5": "07:40", "A3": 7, "A6": "yes"})

    # Offline: two more visits, kept on the phone; the pages come from the service worker.
    context.set_offline(True)
    page.click("text=File another visit")
    file_visit(page, "0002", members=5)
    expect(page.locator("[data-form-done-status]")).to_contain_text("Saved on this phone")
    expect(counter).to_have_text("Waiting to be sent: 1")
    screenshot(page, "filing-saved-offline-390", full_page=False)
    page.click("text=File another visit")
    file_visit(page, "0001", members=3, sealed="partly")
    expect(counter).to_have_text("Waiting to be sent: 2")

    assert page.reload().from_service_worker
    expect(counter).to_have_text("Waiting to be sent: 2")
    expect(page.locator("[data-outbox-badge]")).to_have_text("2")
    waiting = outbox_uuids(page)
    assert len(waiting) == 2 and str(first.uuid) not in waiting
    assert Visit.objects.count() == 1

    # Online again: sent in the order they were filed, and nothing twice.
    context.set_offline(False)
    expect(counter).to_have_text(SENT, timeout=15_000)
    visits = list(Visit.objects.order_by("created_at"))
    assert [str(v.uuid) for v in visits] == [str(first.uuid), *waiting]
    assert [(v.station.code, answers(v)["A3"]) for v in visits] == [("0001", 7), ("0002", 5), ("0001", 3)]
    assert answers(visits[2])["A6"] == "partly" and "A5" not in answers(visits[1])
    channels = dict(VisitRevision.objects.values_list("visit__uuid", "channel"))
    assert [channels[v.uuid] for v in visits] == ["web", "offline", "offline"]
    assert VisitRevision.objects.count() == 3


def test_visits_left_by_an_ended_session_are_sent_after_logging_in_again(
    page, context, live_server, mission, observer_day
):
    login(page, live_server, observer_day.user.email, PASSWORD)
    open_filing_page(page, live_server, mission)
    # The session ends (logged out elsewhere), through the engine whatever it is (Redis + database).
    assert user_sessions_end(user=observer_day.user) == 1

    file_visit(page, "0002", members=4)
    note = page.locator("[data-outbox-note]")
    expect(note).to_contain_text("log in again")
    expect(page.locator("[data-outbox-count]")).to_have_text("Waiting to be sent: 1")
    assert not Visit.objects.exists()

    # Logging in (here in a second tab) rotates the CSRF token; the first tab, whose page still holds
    # the old one, sends with the new cookie.
    other = context.new_page()
    login(other, live_server, observer_day.user.email, PASSWORD)
    page.click("[data-outbox-send]")
    expect(page.locator("[data-outbox-count]")).to_have_text(SENT)
    visit = Visit.objects.get()
    assert (visit.station.code, visit.observer) == ("0002", observer_day)


def test_a_missing_csrf_cookie_is_fetched_again_before_sending(
    page, context, live_server, mission, observer_day
):
    login(page, live_server, observer_day.user.email, PASSWORD)
    open_filing_page(page, live_server, mission)
    context.clear_cookies(name="csrftoken")  # refused by the CSRF check: a page is fetched for a new one
    file_visit(page, "0001", members=3)
    expect(page.locator("[data-form-done-status]")).to_contain_text("Sent to the server.")
    assert Visit.objects.get().station.code == "0001"
    assert any(cookie["name"] == "csrftoken" for cookie in context.cookies())


def test_logging_out_with_a_refused_visit_warns_and_the_visit_is_fixed_later(
    page, context, live_server, mission, observer_day
):
    login(page, live_server, observer_day.user.email, PASSWORD)
    open_filing_page(page, live_server, mission)
    Checklist.objects.filter(code="opening").update(is_active=False)  # closed while the page was open

    file_visit(page, "0001", members=6, saved=False)
    # Refused (400): the form is back with the server's reason, and the visit waits.
    expect(page.locator("[data-form-errors]")).to_contain_text("closed for filing")
    expect(page.locator("[data-outbox-count]")).to_contain_text("Need your attention: 1")
    waiting = outbox_uuids(page)
    screenshot(page, "filing-refused-390", full_page=False)

    dialogs = []

    def answer_dialog(dialog, accept):
        dialogs.append(dialog.message)
        dialog.accept() if accept else dialog.dismiss()

    page.once("dialog", lambda dialog: answer_dialog(dialog, accept=False))
    page.click(".navbar-toggler")
    page.click("#main-nav .dropdown-toggle")
    page.click("#logout-form button")
    assert "Not yet sent from this phone: 1" in dialogs[0]
    expect(page.locator("[data-outbox-count]")).to_contain_text("Waiting to be sent: 1")  # still logged in

    page.once("dialog", lambda dialog: answer_dialog(dialog, accept=True))
    with page.expect_navigation():
        page.click("#logout-form button")
    page.wait_for_url(re.compile("/accounts/login/"))
    assert len(dialogs) == 2
    assert outbox_uuids(page) == waiting  # logging out keeps it on the phone

    # Back the next day: the checklist reopens, the observer opens the visit, corrects and sends it.
    Checklist.objects.filter(code="opening").update(is_active=True)
    login(page, live_server, observer_day.user.email, PASSWORD, next_url=f"/m/{mission.code}/file/")
    page.click("text=Open and correct")
    expect(page.locator("[data-form-note]")).to_be_visible()
    expect(page.locator("[data-station-chosen-code]")).to_have_text("0001")
    expect(page.locator("[name=q-A3]")).to_have_value("6")
    page.fill("[name=q-A3]", "8")
    page.click("#filing-form button[type=submit]")
    expect(page.locator("[data-outbox-count]")).to_have_text(SENT)
    visit = Visit.objects.get()
    assert str(visit.uuid) == waiting[0] and answers(visit)["A3"] == 8


def test_the_browser_checks_the_answers_before_saving(page, live_server, mission, observer_day):
    login(page, live_server, observer_day.user.email, PASSWORD)
    page.goto(filing_url(live_server, mission))
    choose(page, "A1", "no")
    page.fill("[name=q-A3]", "31")
    page.click("#filing-form button[type=submit]")
    expect(page.locator("[data-error-for=station]")).to_have_text("Choose the polling station.")
    expect(page.locator("[data-error-for=A5]")).to_have_text("This question must be answered.")
    expect(page.locator("[data-error-for=A3]")).to_have_text("The largest allowed value is 30.")
    # Hidden again, A5 is no longer asked; the form is not saved while anything is wrong.
    choose(page, "A1", "yes")
    expect(page.locator("#q-A5")).to_be_hidden()
    assert page.evaluate("window.ObservaOutbox.count") == 0
    assert not Visit.objects.exists()


def test_observer_corrects_a_visit(page, live_server, mission, observer_day):
    from polling import visits as service

    version = Checklist.objects.get(code="opening").current_version
    station = mission.stations.get(code="0001")
    visit, _ = service.visit_submit(mission=mission, member=observer_day, payload=payload(version, station))
    login(page, live_server, observer_day.user.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{mission.code}/visits/{visit.uuid}/edit/")
    expect(page.locator("[name=q-A3]")).to_have_value("7")
    expect(page.locator("#q-A5")).to_be_hidden()
    choose(page, "A1", "no")
    page.fill("[name=q-A5]", "08:05")
    page.fill("[name=q-A3]", "9")
    page.click("#filing-form button[type=submit]")
    expect(page.locator("[data-form-done-status]")).to_contain_text("Sent to the server.")
    visit.refresh_from_db()
    assert visit.revision == 2
    assert answers(visit) == {
        "A1": "no", "A2": ["ballots", "seals"], "A3": 9, "A4": "calm", "A5": "08:05", "A6": "yes", "A8": "2",
    }  # fmt: skip
    changes = visit.revisions.get(number=2).changes
    assert changes["answers.A3"] == ["7", "9"] and changes["answers.A5"] == [None, "08:05"]
    assert "arrived_at" not in changes  # the untouched arrival is sent back as it was


def test_a_correction_based_on_an_old_revision_is_refused_and_can_be_discarded(
    page, live_server, mission, team, observer_day
):
    from polling import visits as service

    version = Checklist.objects.get(code="opening").current_version
    station = mission.stations.get(code="0001")
    visit, _ = service.visit_submit(mission=mission, member=observer_day, payload=payload(version, station))
    login(page, live_server, observer_day.user.email, PASSWORD)
    page.goto(f"{live_server.url}/m/{mission.code}/visits/{visit.uuid}/edit/")
    # Meanwhile a teammate corrects it (revision 2).
    teammate = make_member(mission, Role.OBSERVER, team=team)
    body = payload(version, station, uuid=str(visit.uuid), notes="Seen by both of us.")
    service.visit_update(visit=visit, member=teammate, payload=body, base_revision=1)

    page.fill("[name=q-A3]", "9")
    page.click("#filing-form button[type=submit]")
    expect(page.locator("[data-form-errors]")).to_contain_text("after you opened it (revision 1)")
    expect(page.locator("[data-outbox-count]")).to_contain_text("Need your attention: 1")
    page.once("dialog", lambda dialog: dialog.accept())
    page.click("[data-outbox-list] button:has-text('Discard')")
    expect(page.locator("[data-outbox-count]")).to_have_text(SENT)
    visit.refresh_from_db()
    assert (visit.revision, visit.notes, answers(visit)["A3"]) == (2, "Seen by both of us.", 7)


def test_an_incident_reported_offline_from_a_visit_is_sent_after_it(
    page, context, live_server, mission, observer_day
):
    login(page, live_server, observer_day.user.email, PASSWORD)
    open_filing_page(page, live_server, mission)
    context.set_offline(True)
    file_visit(page, "0002", members=5)
    page.click("text=Report an incident at this station")
    expect(page.locator("[data-visit-note]")).to_be_visible()
    expect(page.locator("[data-station-chosen-code]")).to_have_text("0002")
    page.click("label.choice:has(input[value=obstruction])")
    page.fill("[name=description]", "The chairperson asked us to leave during the count.")
    page.click("#filing-form button[type=submit]")
    expect(page.locator("[data-outbox-count]")).to_have_text("Waiting to be sent: 2")
    assert not Incident.objects.exists()

    context.set_offline(False)
    expect(page.locator("[data-outbox-count]")).to_have_text(SENT, timeout=15_000)
    incident = Incident.objects.select_related("visit", "station").get()
    assert (incident.category, incident.station.code) == ("obstruction", "0002")
    assert incident.visit == Visit.objects.get()


def test_visits_wait_for_the_observer_who_filed_them(page, context, live_server, mission, observer_day):
    login(page, live_server, observer_day.user.email, PASSWORD)
    open_filing_page(page, live_server, mission)
    context.set_offline(True)
    file_visit(page, "0001", members=2)
    context.clear_cookies()  # logged out, network back: nothing can be sent (401)
    context.set_offline(False)
    expect(page.locator("[data-outbox-note]")).to_contain_text("log in again")

    # A colleague logs in on the same phone: the visit is not sent as theirs, nor counted.
    colleague = make_member(mission, Role.OBSERVER, team=observer_day.team)
    login(page, live_server, colleague.user.email, PASSWORD, next_url=f"/m/{mission.code}/file/")
    page.evaluate("window.ObservaOutbox.flush()")
    expect(page.locator("[data-outbox-count]")).to_have_text(SENT)
    assert not Visit.objects.exists()
    assert len(outbox_uuids(page)) == 1

    # Its observer logs in again: it goes, as theirs.
    context.clear_cookies()
    login(page, live_server, observer_day.user.email, PASSWORD, next_url=f"/m/{mission.code}/file/")
    expect(page.locator("[data-outbox-count]")).to_have_text(SENT)
    assert Visit.objects.get().observer == observer_day
