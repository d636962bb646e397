"""The catalogue of German and English texts (``data/texts.toml``) and date formats."""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
_EN_MONTHS = (
    "January", "February", "March", "April", "May", "June", "July", "August", "September",
    "October", "November", "December",
)


@cache
def catalogue() -> dict[str, Any]:
    """The whole catalogue, ``{"de": {...}, "en": {...}}``."""
    with (files("support_kit") / "data" / "texts.toml").open("rb") as fh:
        return tomllib.load(fh)


def language(value: object) -> str:
    """A supported language code for ``value``, German when empty or unknown.

    >>> language(" EN "), language(None), language("fr")
    ('en', 'de', 'de')
    """
    code = str(value or "").strip().lower()
    return code if code in LANGUAGES else DEFAULT_LANGUAGE


def entry(lang: str, key: str) -> Any:
    """The raw catalogue entry at a dotted ``key`` (a string, a list or a table)."""
    node: Any = catalogue()[language(lang)]
    for part in key.split("."):
        node = node[part]
    return node


def text(lang: str, key: str, **fields: object) -> str:
    """The text at ``key`` in ``lang`` with ``{placeholders}`` filled in.

    ``app_name`` and ``support_contact`` are always available as placeholders.

    >>> text("en", "consequence.since", date="3 May 2024")
    'since 3 May 2024'
    """
    return _fill(lang, entry(lang, key), fields)


def texts(lang: str, key: str, **fields: object) -> list[str]:
    """A list entry (preparations, steps) with placeholders filled in.

    >>> len(texts("de", "renewal.steps"))
    4
    """
    return [_fill(lang, item, fields) for item in entry(lang, key)]


def _fill(lang: str, template: str, fields: dict[str, object]) -> str:
    base = {"app_name": entry(lang, "app_name"), "support_contact": entry(lang, "support_contact")}
    return template.format(**(base | fields))


def value_label(lang: str, field: str, value: object) -> str:
    """How the desk names a stored value (``selling_plan``, ``account_type``), not its id.

    >>> value_label("de", "account_type", "seller_central"), value_label("en", "selling_plan", "")
    ('Seller Central', 'not on file')
    """
    shown = "" if value is None or (not isinstance(value, str) and pd.isna(value)) else str(value)
    if not shown.strip():
        return text(lang, "value.empty")
    labels = entry(lang, "value").get(field, {})
    return labels.get(shown.strip().lower(), shown)


def days_text(days_left: int | None, lang: str) -> str:
    """Days left as words: "noch 12 Tage", "heute abgelaufen", "38 Tage überfällig".

    >>> days_text(-38, "de"), days_text(1, "en"), days_text(None, "en")
    ('38 Tage überfällig', '1 day left', '–')
    """
    if days_left is None:
        return "–"
    if days_left == 0:
        return text(lang, "days.today")
    key = "days.left" if days_left > 0 else "days.overdue"
    return text(lang, key + ("_one" if abs(days_left) == 1 else ""), n=abs(days_left))


def format_date(value: dt.date | None, lang: str) -> str:
    """A date as the desk writes it: German ``dd.mm.yyyy``, English ``3 May 2024``.

    >>> format_date(dt.date(2024, 5, 3), "de"), format_date(dt.date(2024, 5, 3), "en")
    ('03.05.2024', '3 May 2024')
    """
    if value is None:
        return ""
    if language(lang) == "de":
        return f"{value.day:02d}.{value.month:02d}.{value.year}"
    return f"{value.day} {_EN_MONTHS[value.month - 1]} {value.year}"


def format_dates(values: pd.Series, lang: str) -> pd.Series:
    """:func:`format_date` over a column of dates, vectorised (missing stays empty).

    >>> format_dates(pd.Series(pd.to_datetime(["2024-05-03", None])), "en").tolist()
    ['3 May 2024', '']
    """
    codes, days = pd.factorize(pd.to_datetime(values))  # few distinct days: format each once
    shown = [format_date(day.date(), lang) for day in days] + [""]
    return pd.Series(pd.array(shown, dtype="str").take(codes), index=values.index)
