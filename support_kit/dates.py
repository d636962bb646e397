"""Dates and time zones, in one place: the desk's calendar day of a moment, today, and
the customer list's dates (ISO, ISO with offset, German ``dd.mm.yyyy``).

A leaf: it imports no other module of the kit but :mod:`support_kit.columns` (itself a leaf).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from .columns import as_text

#: The desk's time zone when ``SUPPORT_KIT_TIMEZONE`` is not set.
DEFAULT_TIMEZONE = "Europe/Berlin"

_ISO_DATE = r"\d{4}-\d{2}-\d{2}"
_TIME = r"[T ]\d{2}:\d{2}(?::\d{2}(?:[.,]\d+)?)?"
_OFFSET = r"(?:Z|z|[+-]\d{2}(?::?\d{2})?)"
_GERMAN = r"\d{1,2}\.\d{1,2}\.\d{4}"


@cache
def zone(timezone: str) -> ZoneInfo:
    """The time zone named ``timezone``; ``ValueError`` for a name that is none.

    >>> zone("Europe/Berlin").key
    'Europe/Berlin'
    """
    try:
        return ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{timezone!r} is not a time zone name") from None


def today(timezone: str = DEFAULT_TIMEZONE) -> dt.date:
    """Today's date in the desk's time zone."""
    return dt.datetime.now(zone(timezone)).date()


def local_day(moment: dt.datetime, timezone: str) -> dt.date:
    """The desk's calendar day of a moment (naive moments are UTC).

    >>> local_day(dt.datetime(2026, 12, 1, 23, 30, tzinfo=dt.UTC), "Europe/Berlin")
    datetime.date(2026, 12, 2)
    """
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    return moment.astimezone(zone(timezone)).date()


def parse_dates(raw: pd.Series, timezone: str | ZoneInfo) -> tuple[pd.Series, pd.Series]:
    """Calendar dates in the desk's time zone, and a mask of values that are not dates.

    Accepts ISO dates, ISO datetimes with an offset (converted to ``timezone``) or without
    (taken as local), and German ``dd.mm.yyyy``. Empty values are missing, not bad.

    >>> dates, bad = parse_dates(pd.Series(["2024-05-03T22:30:00Z", "03.05.2024", "", "soon"]),
    ...                          "Europe/Berlin")
    >>> dates.dt.strftime("%Y-%m-%d").tolist(), bad.tolist()
    (['2024-05-04', '2024-05-03', nan, nan], [False, False, False, True])
    """
    tz = timezone if isinstance(timezone, ZoneInfo) else zone(timezone)
    # a list holds few distinct dates: each is parsed once, then laid out over the rows
    codes, distinct = pd.factorize(as_text(raw).str.strip())
    dates, bad = _parse_each(pd.Series(distinct, dtype="str"), tz)
    return (pd.Series(dates.to_numpy()[codes], index=raw.index, dtype="datetime64[s]"),
            pd.Series(bad.to_numpy()[codes], index=raw.index))


def parse_day(value: str, timezone: str) -> dt.date | None:
    """One value as :func:`parse_dates` reads it: the desk's calendar day, or None.

    >>> parse_day("01.05.2027", "Europe/Berlin"), parse_day("soon", "Europe/Berlin")
    (datetime.date(2027, 5, 1), None)
    """
    days, _bad = parse_dates(pd.Series([value]), timezone)
    return None if pd.isna(days.iloc[0]) else days.iloc[0].date()


def _parse_each(text: pd.Series, tz: ZoneInfo) -> tuple[pd.Series, pd.Series]:
    """:func:`parse_dates` of stripped text, value by value."""
    out = pd.Series(pd.NaT, index=text.index, dtype="datetime64[s]")
    iso = text.str.fullmatch(_ISO_DATE)
    out[iso] = pd.to_datetime(text[iso], format="%Y-%m-%d", errors="coerce")
    rest = ~iso & (text != "")
    if rest.any():
        german = rest & text.str.fullmatch(_GERMAN)
        out[german] = pd.to_datetime(text[german], format="%d.%m.%Y", errors="coerce")
        offset = rest & text.str.fullmatch(_ISO_DATE + _TIME + _OFFSET)
        if offset.any():
            moments = pd.to_datetime(text[offset], format="ISO8601", utc=True, errors="coerce")
            out[offset] = moments.dt.tz_convert(tz).dt.tz_localize(None).dt.normalize()
        naive = rest & text.str.fullmatch(_ISO_DATE + _TIME)
        out[naive] = pd.to_datetime(
            text[naive], format="ISO8601", errors="coerce"
        ).dt.normalize()
    return out, (text != "") & out.isna()
