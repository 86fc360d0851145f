"""Geometry for the dashboard's server-drawn SVG charts (the templates only place what is computed here).

Pure functions of the selectors' dataclasses: no database, no external library,
no tiles. Coordinates are in the SVG's own viewBox units.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from django.utils import timezone
from django.utils.safestring import mark_safe

from reports.results.selectors.dashboard import StationMap
from reports.results.selectors.types import HourCount

HOURS_SLOT, HOURS_HEIGHT, HOURS_BASE = 30, 152, 118
HOUR_PARAMETER = "%Y-%m-%dT%H:%MZ"  # a bar's link to its visits: the hour's start as a UTC moment
MAP_WIDTH = 600


@dataclass(frozen=True)
class Bar:
    x: float
    y: float
    width: float
    height: float
    label: str
    count: int
    key: str  # the hour as the visits page takes it
    day: str = ""  # set on the first hour of each day when the hours span several days


def hour_bars(hours: list[HourCount]) -> dict:
    """Vertical bars, one per hour of arrival, labelled in local time.

    Each hour gets a 30-unit slot and the drawing is at most 1.4 times that size on screen, so
    the labels stay readable from a phone (scaled down) to a desktop (scaled up a little).
    """
    if not hours:
        return {"bars": [], "width": HOURS_SLOT, "height": HOURS_HEIGHT}
    top = max(h.visits for h in hours) or 1
    days = {timezone.localtime(h.hour).date() for h in hours}
    bars, previous_day = [], None
    for i, h in enumerate(hours):
        local = timezone.localtime(h.hour)
        day = local.strftime("%d.%m") if len(days) > 1 and local.date() != previous_day else ""
        previous_day = local.date()
        height = (HOURS_BASE - 16) * h.visits / top
        bars.append(
            Bar(
                i * HOURS_SLOT + 4,
                round(HOURS_BASE - height, 1),
                HOURS_SLOT - 8,
                round(height, 1),
                local.strftime("%H"),
                h.visits,
                h.hour.astimezone(datetime.UTC).strftime(HOUR_PARAMETER),
                day,
            )
        )
    width = HOURS_SLOT * len(hours)
    return {
        "bars": bars,
        "width": width,
        "height": HOURS_HEIGHT,
        "max_px": round(width * 1.4),
        "label_every": 1 if len(hours) <= 16 else 2,
    }


@dataclass(frozen=True)
class Dot:
    cx: float
    cy: float
    r: float
    tone: str  # "visited" (all planned stations visited), "partly", "planned" (none yet)
    stations: int
    visited: int


def map_dots(station_map: StationMap) -> dict:
    """Equirectangular within the stations' bounding box; a dot per grid cell, its area ~ the stations in it."""
    margin = 8
    width = MAP_WIDTH
    height = round(width * station_map.aspect)
    inner_w, inner_h = width - 2 * margin, height - 2 * margin
    biggest = max((c.stations for c in station_map.cells), default=1)
    dots = []
    for c in station_map.cells:
        tone = "visited" if c.visited == c.stations else ("partly" if c.visited else "planned")
        r = 2.2 + 4.5 * (c.stations / biggest) ** 0.5
        dots.append(
            Dot(
                round(margin + c.x * inner_w, 1),
                round(margin + c.y * inner_h, 1),
                round(r, 1),
                tone,
                c.stations,
                c.visited,
            )
        )
    # Thousands of dots: drawn here rather than by a template loop (numbers and fixed class names only).
    svg = mark_safe(  # noqa: S308
        "".join(f'<circle class="{d.tone}" cx="{d.cx}" cy="{d.cy}" r="{d.r}"/>' for d in dots)
    )
    return {
        "dots": dots,
        "svg": svg,
        "width": width,
        "height": height,
        "stations": station_map.stations,
        "visited": station_map.visited,
    }
