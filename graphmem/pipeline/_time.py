"""Dates and periods named in a query, as ``[start, end)`` windows of ISO-8601 UTC strings.

The most specific form found wins: a day ("2026-01-09", "9 January 2026", "January 9, 2026"), a
month of a year ("January 2026"), a season of a year ("summer 2021": northern hemisphere, by
whole months), a year ("in 2025"), then periods relative to now ("yesterday", "last week", "last
year"). A month or season without a year ("in June", "during the summer") names that period in
each of the last :data:`YEARS_BACK` years, so it gives several windows (the current year's even
when still to come: memories may carry any timestamp).
"""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from graphmem.models import format_time

#: How many years (this one included) a month or season without a year may fall in.
YEARS_BACK = 10

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTHS["sept"] = 9
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_FULL_MONTH = "(" + "|".join(m.lower() for m in calendar.month_name if m) + ")"
#: Months of each season (northern hemisphere); winter starts in the December before the year.
_SEASONS = {"spring": (3, 6), "summer": (6, 9), "autumn": (9, 12), "fall": (9, 12), "winter": (0, 3)}
_SEASON = "(" + "|".join(_SEASONS) + ")"

_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?{_MONTH},?\s*(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s*(\d{{4}})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?:of\s+)?(\d{{4}})\b", re.I)
_SEASON_YEAR = re.compile(rf"\b{_SEASON}\s+(?:of\s+)?((?:19|20)\d{{2}})\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|of|since)\s+((?:19|20)\d{2})\b", re.I)
# Without a year a month needs a preposition, so the verb "may" or "march" names no month.
_MONTH_ALONE = re.compile(rf"\b(?:in|during|since|until|by|early|mid|late|of)\s+{_FULL_MONTH}\b", re.I)
_SEASON_ALONE = re.compile(rf"\b(?:in|during|over)\s+(?:the\s+)?{_SEASON}\b", re.I)
_RELATIVE = {
    "today": (0, 1),
    "yesterday": (-1, 0),
    "this week": (-7, 1),
    "last week": (-14, -7),
    "last weekend": (-9, -1),
    "this month": (-31, 1),
    "last month": (-62, -31),
}

Window = tuple[datetime, datetime]


def _day(y: int, m: int, d: int) -> Window | None:
    try:
        start = datetime(y, m, d, tzinfo=UTC)
    except ValueError:
        return None
    return start, start + timedelta(days=1)


def _months(y: int, first: int, end: int) -> Window:
    """Months ``first`` up to (not including) ``end`` of year ``y``; a month below 1 is last year's."""

    def start_of(month: int) -> datetime:
        year, index = divmod(y * 12 + month - 1, 12)
        return datetime(year, index + 1, 1, tzinfo=UTC)

    return start_of(first), start_of(end)


def _years(now: datetime) -> range:
    return range(now.year, now.year - YEARS_BACK, -1)


def time_windows(query: str, now: datetime | None = None) -> list[tuple[str, str]]:
    """The windows of the most specific date or period the query names; ``[]`` if none."""
    now = now or datetime.now(UTC)
    windows: list[Window | None] = []
    if m := _ISO.search(query):
        windows = [_day(int(m[1]), int(m[2]), int(m[3]))]
    elif m := _DAY_MONTH_YEAR.search(query):
        windows = [_day(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))]
    elif m := _MONTH_DAY_YEAR.search(query):
        windows = [_day(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))]
    elif m := _MONTH_YEAR.search(query):
        month = _MONTHS[m[1].lower()]
        windows = [_months(int(m[2]), month, month + 1)]
    elif m := _SEASON_YEAR.search(query):
        windows = [_months(int(m[2]), *_SEASONS[m[1].lower()])]
    elif m := _YEAR.search(query):
        windows = [_months(int(m[1]), 1, 13)]
    elif m := _MONTH_ALONE.search(query):
        month = _MONTHS[m[1].lower()]
        windows = [_months(y, month, month + 1) for y in _years(now)]
    elif m := _SEASON_ALONE.search(query):
        first, end = _SEASONS[m[1].lower()]
        windows = [_months(y, first, end) for y in _years(now)]
    else:
        lowered = query.lower()
        today = now.replace(hour=0, minute=0, second=0, microsecond=0)
        for phrase, (a, b) in _RELATIVE.items():
            if re.search(rf"\b{phrase}\b", lowered):
                windows = [(today + timedelta(days=a), today + timedelta(days=b))]
                break
        else:
            if re.search(r"\blast year\b", lowered):
                windows = [_months(now.year - 1, 1, 13)]
            elif re.search(r"\bthis year\b", lowered):
                windows = [_months(now.year, 1, 13)]
    return [(format_time(a), format_time(b)) for w in windows if w is not None for a, b in [w]]


def time_window(query: str, now: datetime | None = None) -> tuple[str, str] | None:
    """The first window of :func:`time_windows`, or ``None``."""
    found = time_windows(query, now)
    return found[0] if found else None
