"""Build the report: evaluate every customer once (the model is :mod:`.model`, its files
are written by :mod:`.files`)."""

from __future__ import annotations

import datetime as dt

from .. import dates, rules
from ..customers import CustomerList
from ..dates import DEFAULT_TIMEZONE
from ..texts import DEFAULT_CUSTOMER_LANGUAGE, DEFAULT_LANGUAGE, language
from . import followup
from .memory import give_back_memory
from .model import Report, buckets


def build_report(customers: CustomerList, as_of: dt.date | None = None,
                 timezone: str = DEFAULT_TIMEZONE, lwa_secret_expires: dt.date | None = None,
                 lang: str = DEFAULT_LANGUAGE, customer_language: str = DEFAULT_CUSTOMER_LANGUAGE,
                 roles_changed_on: dt.date | None = None) -> Report:
    """Evaluate all ``customers`` as of ``as_of`` (default: today in ``timezone``); pass
    ``**settings.rules`` for the customers' default language and the roles-changed day.

    >>> from support_kit.customers import load, demo_path
    >>> report = build_report(load(demo_path()), dt.date(2026, 12, 1))
    >>> report.summary()["rows_loaded"]
    200
    """
    as_of = as_of or dates.today(timezone)
    frame = rules.evaluate(customers.customers, as_of, timezone, customer_language,
                           roles_changed_on)
    frame["bucket"] = buckets(frame)
    for name, column in followup.contact_columns(frame["customer_id"]).items():
        frame[name] = column
    give_back_memory()
    return Report(as_of, frame, customers.rejects, customers.source, timezone,
                  lwa_secret_expires, lang=language(lang))
