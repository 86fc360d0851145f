"""What the filing browser tests share: opening the page, filling the opening checklist, reading the outbox."""

from playwright.sync_api import expect


def filing_url(live_server, mission, checklist="opening"):
    return f"{live_server.url}/m/{mission.code}/file/{checklist}/"


def open_filing_page(page, live_server, mission):
    page.goto(filing_url(live_server, mission))
    # The service worker has kept the pages: from now on they open without a network.
    # A function, not an expression: Playwright would eval() an expression, which the CSP refuses.
    page.wait_for_function("() => window.ObservaOutbox && window.ObservaOutbox.offlineReady")


def choose(page, code, value):
    page.click(f"#q-{code} label.choice:has(input[value='{value}'])")


def file_visit(page, station, *, members, late=False, sealed="yes", saved=True):
    page.click(f".station-option[data-code='{station}']")
    choose(page, "A1", "no" if late else "yes")
    if late:
        expect(page.locator("#q-A5")).to_be_visible()  # shown by its rule
        page.fill("[name=q-A5]", "07:40")
    else:
        expect(page.locator("#q-A5")).to_be_hidden()
    page.fill("[name=q-A3]", str(members))
    choose(page, "A6", sealed)
    page.click("#filing-form button[type=submit]")
    if saved:
        expect(page.locator("[data-form-done]")).to_be_visible()


def outbox_uuids(page) -> list[str]:
    return page.evaluate(
        """() => new Promise((resolve, reject) => {
             const open = indexedDB.open("observa", 1);
             open.onsuccess = () => {
               const all = open.result.transaction("outbox").objectStore("outbox").getAll();
               all.onsuccess = () => resolve(all.result.sort((a, b) => a.created - b.created).map(e => e.uuid));
             };
             open.onerror = () => reject(open.error);
           })"""
    )
