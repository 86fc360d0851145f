"""Our message catalogs as the tests read them (with polib)."""

import re

import polib

from tests.helpers.paths import REPO

# What a translation must keep of its msgid: Python and brace placeholders, and statement [[figures]].
PLACEHOLDER = re.compile(r"%\([a-zA-Z_0-9]+\)[sdifr]|%[sdif]|\{[a-zA-Z_0-9]*\}|\[\[[a-z_|]+\]\]")


def catalog(language: str) -> polib.POFile:
    return polib.pofile(str(REPO / "locale" / language / "LC_MESSAGES" / "django.po"))
