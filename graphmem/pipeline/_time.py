"""Dates and periods named in a query, as a ``[start, end)`` window of ISO-8601 UTC strings."""

from __future__ import annotations

import calendar
import re
from datetime import UTC, datetime, timedelta

from graphmem.models import format_time

_MONTHS = {m.lower(): i for i, m in enumerate(calendar.month_name) if m}
_MONTHS.update({m.lower(): i for i, m in enumerate(calendar.month_abbr) if m})
_MONTH = "(" + "|".join(sorted(_MONTHS, key=len, reverse=True)) + r")\.?"
_ISO = re.compile(r"\b(\d{4})-(\d{2})-(\d{2})\b")
_DAY_MONTH_YEAR = re.compile(rf"\b(\d{{1,2}})(?:st|nd|rd|th)?\s+{_MONTH},?\s+(\d{{4}})\b", re.I)
_MONTH_DAY_YEAR = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}})(?:st|nd|rd|th)?,?\s+(\d{{4}})\b", re.I)
_MONTH_YEAR = re.compile(rf"\b{_MONTH}\s+(?:of\s+)?(\d{{4}})\b", re.I)
_YEAR = re.compile(r"\b(?:in|during|of|since)\s+((?:19|20)\d{2})\b", re.I)
_RELATIVE = {
    "today": (0, 1),
    "yesterday": (-1, 0),
    "this week": (-7, 1),
    "last week": (-14, -7),
    "this month": (-31, 1),
    "last month": (-62, -31),
}


def _day(y: int, m: int, d: int) -> tuple[datetime, datetime] | None:
    try:
        start = datetime(y, m, d, tzinfo=UTC)
    except ValueError:
        return None
    return start, start + timedelta(days=1)


def _month(y: int, m: int) -> tuple[datetime, datetime]:
    start = datetime(y, m, 1, tzinfo=UTC)
    end = datetime(y + (m == 12), m % 12 + 1, 1, tzinfo=UTC)
    return start, end


def time_window(query: str, now: datetime | None = None) -> tuple[str, str] | None:
    """The first date or period the query names, most specific form first; ``None`` if none."""
    window: tuple[datetime, datetime] | None = None
    if m := _ISO.search(query):
        window = _day(int(m[1]), int(m[2]), int(m[3]))
    elif m := _DAY_MONTH_YEAR.search(query):
        window = _day(int(m[3]), _MONTHS[m[2].lower()], int(m[1]))
    elif m := _MONTH_DAY_YEAR.search(query):
        window = _day(int(m[3]), _MONTHS[m[1].lower()], int(m[2]))
    elif m := _MONTH_YEAR.search(query):
        window = _month(int(m[2]), _MONTHS[m[1].lower()])
    elif m := _YEAR.search(query):
        y = int(m[1])
        window = (datetime(y, 1, 1, tzinfo=UTC), datetime(y + 1, 1, 1, tzinfo=UTC))
    else:
        lowered = query.lower()
        for phrase, (a, b) in _RELATIVE.items():
            if re.search(rf"\b{phrase}\b", lowered):
                today = (now or datetime.now(UTC)).replace(hour=0, minute=0, second=0, microsecond=0)
                window = (today + timedelta(days=a), today + timedelta(days=b))
                break
    if window is None:
        return None
    return format_time(window[0]), format_time(window[1])
