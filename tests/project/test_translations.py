"""Every word of ours in every language Observa speaks: complete catalogs, current with the code, and no
visible string left unmarked.

1. Each catalog in locale/ translates every msgid, has no fuzzy entry, and keeps every placeholder,
   HTML tag and [[figure]] of its msgid.
2. The catalogs are current: a fresh `makemessages` over the code finds exactly their msgids.
3. Nothing visible is unmarked: the main pages are crawled in a pseudo-language whose catalog wraps
   every translation in ⟦ ⟧; the data is written in Greek, so a word in Latin letters outside the
   wrapping is a string of ours that never went through gettext. Django's and allauth's own strings
   are translated by their catalogs in the real languages, so they are allowed (their msgids).
"""

import json
import re
import shutil
import subprocess
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import translation

from tests.helpers.catalogs import PLACEHOLDER, catalog
from tests.helpers.paths import REPO

LANGUAGES = [code for code, _name in settings.LANGUAGES if code != "en"]
TAG = re.compile(r"</?[a-zA-Z][a-zA-Z0-9]*")
SOURCES = ("config", "missions", "polling", "reports", "demo", "templates", "manage.py")


def catalog_problems(po: polib.POFile) -> list[str]:
    nplurals = int(re.search(r"nplurals=(\d+)", po.metadata["Plural-Forms"]).group(1))
    problems = []

    def compare(entry, source: str, translated: str) -> None:
        for pattern, what in ((PLACEHOLDER, "placeholders"), (TAG, "HTML tags")):
            if sorted(pattern.findall(source)) != sorted(pattern.findall(translated)):
                problems.append(f"line {entry.linenum}: {what} differ in {translated!r}")

    for entry in po:
        if entry.obsolete:
            continue
        if "fuzzy" in entry.flags:
            problems.append(f"line {entry.linenum}: fuzzy {entry.msgid!r}")
        if entry.msgid_plural:
            forms = entry.msgstr_plural
            if len(forms) != nplurals or not all(forms.values()):
                problems.append(f"line {entry.linenum}: {nplurals} plural forms wanted for {entry.msgid!r}")
                continue
            for form in forms.values():
                compare(entry, entry.msgid_plural, form)
        elif not entry.msgstr:
            problems.append(f"line {entry.linenum}: untranslated {entry.msgid!r}")
        else:
            compare(entry, entry.msgid, entry.msgstr)
    return problems


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_msgid_is_translated_with_its_placeholders(language):
    po = catalog(language)
    assert len(po) > 1000
    assert catalog_problems(po) == []


def test_the_check_catches_what_a_translator_can_get_wrong():
    po = polib.POFile()
    po.metadata = {"Plural-Forms": "nplurals=2; plural=(n != 1);"}
    po.append(polib.POEntry(msgid="Hello %(name)s", msgstr="Bonjour"))
    po.append(polib.POEntry(msgid="Go <a href='%(url)s'>here</a>", msgstr="Allez ici %(url)s"))
    po.append(polib.POEntry(msgid="Untranslated", msgstr=""))
    po.append(polib.POEntry(msgid="Fuzzy", msgstr="Flou", flags=["fuzzy"]))
    po.append(
        polib.POEntry(msgid="%(n)s visit", msgid_plural="%(n)s visits", msgstr_plural={0: "%(n)s visite"})
    )
    assert len(catalog_problems(po)) == 5


def test_every_language_has_a_glossary():
    for language in LANGUAGES:
        glossary = REPO / "docs" / "glossary" / f"{language}.md"
        assert glossary.read_text(encoding="utf-8").count("\n|") >= 40, glossary


def test_the_catalogs_hold_exactly_the_strings_the_code_marks(tmp_path):
    """A fresh makemessages over a copy of the code finds the catalogs' msgids, no more, no fewer."""
    for name in SOURCES:
        source = REPO / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, tmp_path / name)
    (tmp_path / "locale").mkdir()
    subprocess.run(
        [
            str(Path(REPO / ".venv" / "bin" / "python")),
            "manage.py",
            "makemessages",
            "-l",
            "ru",
            "--no-location",
        ],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"PATH": "/usr/bin:/bin", "DJANGO_SETTINGS_MODULE": "config.settings", "HOME": str(tmp_path)},
    )
    fresh = polib.pofile(str(tmp_path / "locale" / "ru" / "LC_MESSAGES" / "django.po"))
    ours = catalog("ru")

    def keys(po):
        return {(entry.msgctxt, entry.msgid) for entry in po if not entry.obsolete}

    assert keys(fresh) - keys(ours) == set(), "run `python manage.py makemessages` and translate what it adds"
    assert keys(ours) - keys(fresh) == set(), "strings no longer in the code: run makemessages --no-obsolete"


# ---------------------------------------------------------------------------
# 3. The pseudo-language crawl.
# ---------------------------------------------------------------------------

PSEUDO = "xx"
OPEN, CLOSE = "⟦", "⟧"
WRAPPED = re.compile(f"{OPEN}[^{OPEN}{CLOSE}]*{CLOSE}")
EMAIL = re.compile(r"[\w.+-]+@[\w.-]+")
LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
# Names that are the same in every language: ours, file formats, standards.
NAMES = {
    "Observa",
    "CSV",
    "XLSX",
    "JSON",
    "PDF",
    "UTC",
    "TOTP",
    "XLSForm",
    "WebAuthn",
    "OpenRosa",
    "ODK",
    "QR",
}


def _pseudo_catalog(directory: Path) -> None:
    source = catalog("ru")
    po = polib.POFile()
    po.metadata = {
        "Content-Type": "text/plain; charset=UTF-8",
        "Plural-Forms": "nplurals=2; plural=(n != 1);",
    }
    for entry in source:
        if entry.obsolete:
            continue
        if entry.msgid_plural:
            forms = {0: OPEN + entry.msgid + CLOSE, 1: OPEN + entry.msgid_plural + CLOSE}
            po.append(
                polib.POEntry(
                    msgctxt=entry.msgctxt,
                    msgid=entry.msgid,
                    msgid_plural=entry.msgid_plural,
                    msgstr_plural=forms,
                )
            )
        else:
            po.append(
                polib.POEntry(msgctxt=entry.msgctxt, msgid=entry.msgid, msgstr=OPEN + entry.msgid + CLOSE)
            )
    target = directory / PSEUDO / "LC_MESSAGES"
    target.mkdir(parents=True)
    po.save_as_mofile(str(target / "django.mo"))


def _library_msgids() -> list[str]:
    """Every string Django and allauth translate themselves (in the real languages their catalogs do)."""
    import allauth
    import django

    msgids = set()
    for root in (Path(django.__file__).parent, Path(allauth.__file__).parent):
        for path in root.glob("**/locale/ru/LC_MESSAGES/django*.po"):
            for entry in polib.pofile(str(path)):
                msgids.update(m for m in (entry.msgid, entry.msgid_plural) if m)
    return sorted(msgids, key=len, reverse=True)


def allowed_pattern(msgids, extra=()) -> re.Pattern:
    """Text that is not ours to translate: library strings (their placeholders match anything), IANA time
    zone names, [[figure]] tokens, addresses, UUIDs and hashes."""
    import zoneinfo

    library = [
        PLACEHOLDER_ANY.sub(".+?", re.escape(m))
        for m in msgids
        if re.search("[A-Za-z]{3,}", PLACEHOLDER.sub("", m))
    ]
    zones = [re.escape(z) for z in sorted(zoneinfo.available_timezones(), key=len, reverse=True)]
    fixed = [r"\[\[[^\]]+\]\]", r"[0-9a-f]{8}-[0-9a-f-]{27}", r"\b[0-9a-f]{32,}\b", *extra]
    return re.compile("|".join([*zones, *fixed, *library, r"/[\w/.?=&%-]+"]))


PLACEHOLDER_ANY = re.compile(r"%\\\(\w+\\\)[sdif]|%[sdif]|\\\{\w*\\\}")


class _Text(HTMLParser):
    """The text a person sees or hears: text nodes, labels in attributes, and the messages the scripts show.

    An element marked translate="no" (HTML's own mark for content that is not to be translated: codes,
    hashes, sample files) is passed over with what it holds."""

    ATTRIBUTES = {"title", "placeholder", "aria-label", "alt", "data-confirm"}
    VOID = {
        "area",
        "base",
        "br",
        "col",
        "embed",
        "hr",
        "img",
        "input",
        "link",
        "meta",
        "source",
        "track",
        "wbr",
    }

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.chunks, self._stack = [], []

    def _hidden(self) -> bool:
        return any(kind in ("skip", "no") for kind, _tag in self._stack)

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag in self.VOID:
            if not self._hidden():
                self._attributes(tag, attrs)
            return
        if tag in ("script", "style"):
            kind = "json" if "messages" in (attrs.get("id") or "") else "skip"
        elif attrs.get("translate") == "no":
            kind = "no"
        else:
            kind = "show"
        if not self._hidden():
            self._attributes(tag, attrs)
        self._stack.append((kind, tag))

    def _attributes(self, tag, attrs):
        self.chunks += [value for name, value in attrs.items() if name in self.ATTRIBUTES and value]
        if tag == "input" and attrs.get("type") in ("submit", "button") and attrs.get("value"):
            self.chunks.append(attrs["value"])

    def handle_endtag(self, tag):
        for i in range(len(self._stack) - 1, -1, -1):
            if self._stack[i][1] == tag:
                del self._stack[i:]
                break

    def handle_data(self, data):
        if self._stack and self._stack[-1][0] == "json":
            if data.strip():
                self.chunks += list(_strings(json.loads(data)))
        elif not self._hidden():
            self.chunks.append(data)


def _strings(value):
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for item in value.values():
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


def unmarked(html: str, allowed: re.Pattern | None = None, words: frozenset = frozenset()) -> list[str]:
    """The pieces of `html`'s visible text that went through no translation of ours.

    Translations are taken out of the page first, so one that holds markup (a <strong> inside a
    sentence) goes whole; `allowed` matches text that is not ours, `words` single words that are not."""
    while WRAPPED.search(html):
        html = WRAPPED.sub(" ", html)
    parser = _Text()
    parser.feed(html)
    found = []
    for chunk in parser.chunks:
        text = EMAIL.sub(" ", WRAPPED.sub(" ", chunk))
        if allowed is not None:
            text = allowed.sub(" ", text)
        if [w for w in LATIN_WORD.findall(text) if w not in NAMES and w not in words]:
            found.append(chunk.strip()[:120])
    return found


def test_the_crawl_finds_an_unmarked_string():
    html = (
        f"<p>{OPEN}Visits <strong>today</strong>{CLOSE}</p><p>Unmarked words</p><button title='Close it'>x</button>"
        '<script type="application/json" id="filing-messages">{"a": "Sent later"}</script>'
        '<script type="application/json" id="filing-config">{"url": "/m/x/api/visits/", "method": "POST"}</script>'
        '<p>Οδηγός a@b.org Observa</p><code translate="no">opening</code><p>This field is required.</p>'
        "<p>Ensure this value is less than or equal to 30.</p><p>Europe/Paris [[stations_visited]]</p>"
    )
    allowed = allowed_pattern(
        ["This field is required.", "Ensure this value is less than or equal to %(limit_value)s."]
    )
    assert unmarked(html, allowed) == ["Unmarked words", "Close it", "Sent later"]


@pytest.fixture
def pseudo_language(settings, tmp_path, monkeypatch):
    from django.conf.locale import LANG_INFO

    _pseudo_catalog(tmp_path)
    monkeypatch.setitem(
        LANG_INFO, PSEUDO, {"bidi": False, "code": PSEUDO, "name": "Ψευδο", "name_local": "Ψευδο"}
    )
    settings.LOCALE_PATHS = [tmp_path, *settings.LOCALE_PATHS]
    settings.LANGUAGES = [*settings.LANGUAGES, (PSEUDO, "Ψευδο")]  # named in Greek, like the data
    yield PSEUDO
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def greek_mission(db):
    """A mission whose data is all in Greek letters, so that any Latin word on a page is ours."""
    from missions.models import Role
    from polling import visits
    from reports.statements import services as statements
    from tests.helpers.factories import (
        make_area,
        make_meeting,
        make_member,
        make_mission,
        make_station,
        make_team,
    )
    from tests.helpers.visits import make_checklist, payload

    mission = make_mission(
        "2024",
        name="Αποστολή παρατήρησης",
        organization="Οργανισμός",
        election="Προεδρικές εκλογές",
        country="Ελλάδα",
        area_levels=["Περιφέρεια", "Πόλη"],
    )
    team = make_team(mission, "Ομάδα")
    people = {
        "secretariat": make_member(mission, Role.SECRETARIAT, country="Ελλάδα"),
        "head": make_member(mission, Role.HEAD_OF_MISSION, country="Ελλάδα"),
        "leader": make_member(mission, Role.TEAM_LEADER, team=team, country="Ελλάδα"),
        "observer": make_member(mission, Role.OBSERVER, team=team, country="Ελλάδα"),
    }
    for member in people.values():
        member.user.name = "Νίκος"
        member.user.save(update_fields=["name"])
    team.leader = people["leader"]
    team.save(update_fields=["leader"])
    station = make_station(
        mission, "01", name="Σχολείο", address="Οδός", area=make_area(mission, "Αττική > Αθήνα")
    )
    team.stations.add(station)
    make_meeting(mission, counterpart="Υπουργός", title="Υπουργείο")
    questions = [
        {
            "code": "q1",
            "type": "yes_no",
            "text": "Άνοιξε;",
            "options": [("1", "Ναι", False), ("0", "Όχι", True)],
        },
        {"code": "q2", "type": "number", "text": "Μέλη", "min": 0, "max": 30},
        {"code": "q3", "type": "text", "text": "Σχόλια"},
    ]
    version = make_checklist(mission, code="c1", name="Έναρξη", questions=questions)
    body = payload(version, station, answers={"q1": "0", "q2": 7, "q3": "Τίποτα"}, notes="Σημειώσεις")
    visit, _created = visits.visit_submit(mission=mission, member=people["observer"], payload=body)
    with translation.override(PSEUDO):  # drafted in the head of mission's language: here, the pseudo one
        statements.statement_start(mission=mission, user=people["head"].user)
    return mission, people, station, team, visit


def test_no_visible_string_of_ours_is_left_unmarked(client, pseudo_language, greek_mission):
    mission, people, station, team, visit = greek_mission
    code = mission.code
    pages = {
        None: [reverse("account_login"), reverse("account_reset_password")],
        "secretariat": [
            reverse("missions:list"),
            reverse("missions:detail", args=[code]),
            reverse("missions:edit", args=[code]),
            reverse("missions:member_list", args=[code]),
            reverse("missions:member_invite", args=[code]),
            reverse("missions:team_list", args=[code]),
            reverse("missions:team_detail", args=[code, team.uuid]),
            reverse("polling:team_stations", args=[code, team.uuid]),
            reverse("missions:meeting_list", args=[code]),
            reverse("missions:meeting_create", args=[code]),
            reverse("polling:station_list", args=[code]),
            reverse("polling:station_detail", args=[code, station.code]),
            reverse("polling:station_import", args=[code]),
            reverse("polling:checklist_list", args=[code]),
            reverse("polling:checklist_detail", args=[code, "c1"]),
            reverse("polling:checklist_create", args=[code]),
            reverse("polling:visit_list", args=[code]),
            reverse("polling:visit_detail", args=[code, visit.uuid]),
            reverse("polling:incident_list", args=[code]),
            reverse("reports:results", args=[code]),
            reverse("reports:exports", args=[code]),
            reverse("missions:audit_trail", args=[code]),
            reverse("account_change_password"),
            reverse("mfa_index"),
            reverse("usersessions_list"),
        ],
        "head": [
            reverse("reports:statement", args=[code]),
            reverse("reports:statement_settings", args=[code]),
        ],
        "observer": [
            reverse("polling:filing", args=[code]),
            reverse("polling:filing_checklist", args=[code, "c1"]),
            reverse("polling:filing_incident", args=[code]),
            reverse("polling:visit_edit", args=[code, visit.uuid]),
        ],
    }
    msgids = _library_msgids()
    allowed, words = allowed_pattern(msgids), frozenset(m for m in msgids if " " not in m)
    found = {}
    for role, urls in pages.items():
        client.logout()
        if role:
            client.force_login(people[role].user)
        for url in urls:
            response = client.get(url, HTTP_ACCEPT_LANGUAGE=PSEUDO, follow=True)
            assert response.status_code == 200, url
            assert response.headers["Content-Language"] == PSEUDO, url
            if strings := unmarked(response.content.decode(), allowed, words):
                found[url] = strings
    assert found == {}, json.dumps(found, ensure_ascii=False, indent=1)
