"""The small rules of statement English: numbers in words, lists, dates, percentages.

Every phrase goes through gettext so a translated statement follows the same rules
with its own words.
"""

from collections.abc import Sequence
from datetime import date

from django.utils.formats import date_format, number_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

_WORDS = {
    0: lambda: pgettext("number in words", "zero"),
    1: lambda: pgettext("number in words", "one"),
    2: lambda: pgettext("number in words", "two"),
    3: lambda: pgettext("number in words", "three"),
    4: lambda: pgettext("number in words", "four"),
    5: lambda: pgettext("number in words", "five"),
    6: lambda: pgettext("number in words", "six"),
    7: lambda: pgettext("number in words", "seven"),
    8: lambda: pgettext("number in words", "eight"),
    9: lambda: pgettext("number in words", "nine"),
    10: lambda: pgettext("number in words", "ten"),
}


def number_in_words(n: int) -> str:
    """Whole numbers from zero to ten in words, larger ones in figures ("three", "22", "1,250").

    Statements follow the common style rule: small counts read as words.
    """
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"a whole number is needed, not {n!r}")
    if n in _WORDS:
        return _WORDS[n]()
    return number_format(n, force_grouping=True)


def number_in_digits(n: int) -> str:
    return number_format(n, force_grouping=True)


def join_list(items: Sequence[str]) -> str:
    """Join as English does: "Baku", "Baku and Shusha", "Baku, Shusha, Hankendi and Khojaly".

    Items that contain commas themselves ("Mr X, Chairman") are separated by semicolons
    so the list stays readable.
    """
    items = [str(item) for item in items if str(item).strip()]
    if not items:
        return ""
    if len(items) == 1:
        return items[0]
    separator = "; " if any("," in item for item in items) else ", "
    if len(items) == 2:
        if separator == "; ":
            return _("%(first)s; and %(last)s") % {"first": items[0], "last": items[1]}
        return _("%(first)s and %(last)s") % {"first": items[0], "last": items[1]}
    head = separator.join(items[:-1])
    if separator == "; ":
        return _("%(first)s; and %(last)s") % {"first": head, "last": items[-1]}
    return _("%(first)s and %(last)s") % {"first": head, "last": items[-1]}


def long_date(value: date) -> str:
    """7 February 2024, 7 февраля 2024 г., 7 de febrero de 2024: the language's own (config/formats/)."""
    return date_format(value, "DATE_FORMAT")


def date_range(start: date, end: date) -> str:
    """ "from 4 to 7 February 2024", "from 28 January to 7 February 2024" (localised)."""
    if start == end:
        return _("on %(date)s") % {"date": long_date(start)}
    if (start.year, start.month) == (end.year, end.month):
        first = date_format(start, "j")
    elif start.year == end.year:
        first = date_format(start, "MONTH_DAY_FORMAT")
    else:
        first = long_date(start)
    return _("from %(start)s to %(end)s") % {"start": first, "end": long_date(end)}


_DEFINITE = ("republic", "kingdom", "federation", "united", "states", "islands", "emirates", "netherlands")


def country_phrase(country: str) -> str:
    """ "the Republic of Azerbaijan", but "Azerbaijan"."""
    lowered = country.lower()
    if lowered.startswith("the ") or not any(word in lowered.split() for word in _DEFINITE):
        return country
    return _("the %(country)s") % {"country": country}
