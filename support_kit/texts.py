"""The catalogue of texts (``data/texts.toml``) and date formats.

The desk reads German or English (:data:`LANGUAGES`); sellers read their own language
(:data:`CUSTOMER_LANGUAGES`). The French, Italian and Spanish tables hold what a seller
reads (:data:`SELLER_KEYS`); a desk text asked for in them is the English one.
"""

from __future__ import annotations

import datetime as dt
import tomllib
from functools import cache
from importlib.resources import files
from typing import Any

import pandas as pd

LANGUAGES = ("de", "en")
DEFAULT_LANGUAGE = "de"
#: What sellers may read: another code gets English, an empty one the desk's default
#: (``SUPPORT_KIT_CUSTOMER_LANGUAGE``, default German).
CUSTOMER_LANGUAGES = ("de", "en", "fr", "it", "es")
DEFAULT_CUSTOMER_LANGUAGE = DEFAULT_LANGUAGE  # SUPPORT_KIT_CUSTOMER_LANGUAGE overrides it
#: The catalogue's keys (dotted prefixes) a seller reads: present in every customer
#: language with the same placeholders (tests/test_customer_languages.py checks it).
SELLER_KEYS = ("app_name", "support_contact", "date", "reply", "renewal", "gap.reply",
               "gap.link_after", "situation.*.subject", "situation.*.reply_lead",
               "situation.*.reply_todo", "consent_error.*.seller", "authorizations")


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


def customer_language(value: object, default: str = DEFAULT_CUSTOMER_LANGUAGE) -> str:
    """The language a seller reads: one of :data:`CUSTOMER_LANGUAGES`, English for another
    code, ``default`` (the desk's ``SUPPORT_KIT_CUSTOMER_LANGUAGE``) when empty.

    >>> [customer_language(" FR "), customer_language("nl"), customer_language(""),
    ...  customer_language(None, "es")]
    ['fr', 'en', 'de', 'es']
    """
    code = str(value if value is not None else "").strip().lower()
    if code in ("", "nan", "<na>", "none"):
        return default if default in CUSTOMER_LANGUAGES else DEFAULT_CUSTOMER_LANGUAGE
    return code if code in CUSTOMER_LANGUAGES else "en"


def _table(lang: str) -> str:
    code = str(lang or "").strip().lower()
    return code if code in CUSTOMER_LANGUAGES else language(code)


def entry(lang: str, key: str) -> Any:
    """The raw catalogue entry at a dotted ``key`` (a string, a list or a table).

    A seller's language without the key (a desk text in French) gives the English one.

    >>> entry("fr", "reply.greeting"), entry("fr", "ui.search")
    ('Bonjour,', 'Find customer')
    """
    table = _table(lang)
    try:
        return _walk(catalogue()[table], key)
    except KeyError:
        if table in LANGUAGES:
            raise
        return _walk(catalogue()["en"], key)


def _walk(node: Any, key: str) -> Any:
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
    """A date as the desk writes it: German ``dd.mm.yyyy``, English ``3 May 2024``; for a
    seller in French, Italian or Spanish, their way.

    >>> format_date(dt.date(2024, 5, 3), "de"), format_date(dt.date(2024, 5, 3), "en")
    ('03.05.2024', '3 May 2024')
    >>> format_date(dt.date(2024, 5, 3), "it"), format_date(dt.date(2024, 5, 3), "es")
    ('3 maggio 2024', '3 de mayo de 2024')
    """
    if value is None:
        return ""
    form = entry(lang, "date")
    return form["format"].format(  # de: 03.05.2024, fr: 1er mai 2024, es: 3 de mayo de 2024
        day=form["first"] if value.day == 1 else value.day, dd=f"{value.day:02d}",
        mm=f"{value.month:02d}", year=value.year, month=form["months"][value.month - 1])


def format_dates(values: pd.Series, lang: str) -> pd.Series:
    """:func:`format_date` over a column of dates, vectorised (missing stays empty).

    >>> format_dates(pd.Series(pd.to_datetime(["2024-05-03", None])), "en").tolist()
    ['3 May 2024', '']
    """
    codes, days = pd.factorize(pd.to_datetime(values))  # few distinct days: format each once
    shown = [format_date(day.date(), lang) for day in days] + [""]
    return pd.Series(pd.array(shown, dtype="str").take(codes), index=values.index)
