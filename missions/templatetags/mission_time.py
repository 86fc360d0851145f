"""Times with their place named: `{{ moment|mission_time:mission }}` -> "7 February 2024, 14:32 (Asia/Baku, UTC+04:00)".

A page inside a mission shows times on the mission's clock already (missions.access); a page that is
not (the public verification page, a file, an e-mail) or a reader in another country needs the zone said.
"""

from django import template
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

register = template.Library()


def _offset(moment) -> str:
    total = int(moment.utcoffset().total_seconds() // 60)
    sign = "+" if total >= 0 else "-"
    hours, minutes = divmod(abs(total), 60)
    return f"{sign}{hours:02d}:{minutes:02d}"


@register.filter
def mission_time(value, mission) -> str:
    """`value` on `mission`'s clock, in the reader's language, with the zone and its UTC offset named."""
    if not value:
        return ""
    local = timezone.localtime(value, mission.tzinfo)
    return _("%(moment)s (%(zone)s, UTC%(offset)s)") % {
        "moment": date_format(local, "DATETIME_FORMAT"),
        "zone": mission.time_zone,
        "offset": _offset(local),
    }
