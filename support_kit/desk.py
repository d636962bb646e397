"""The support desk's working context: settings, customers, the day, and Amazon to ask.

In demo mode the desk starts a sandbox in-process when it first needs Amazon, and every
link, live check and code exchange goes there.

>>> desk = Desk.open(as_of="2026-12-01")
>>> desk.demo, desk.customers.rows_loaded, desk.search("bluedepot")[0]
(True, 200, 'C100005')
>>> desk.close()
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from . import rules
from .config import Settings, load_settings
from .customers import CustomerList, load, source_for
from .diagnosis import Diagnosis, from_row
from .live_check import LiveResult, check_one, confirm_renewal
from .renewal import CallbackResult, RenewalLink, renewal_link, verify_callback
from .replies import ReplyDraft, reply_draft

SEARCH_COLUMNS = ("customer_id", "shop_name", "seller_id", "contact_email")


@dataclass
class Desk:
    """Everything a panel needs; plain Python, so it is tested without Jupyter."""

    settings: Settings
    customers: CustomerList
    as_of: dt.date | None = None
    _sandbox: object | None = field(default=None, repr=False)
    _search_keys: pd.Series | None = field(default=None, repr=False)

    @classmethod
    def open(cls, customers: str | Path | CustomerList | None = None,
             as_of: str | dt.date | None = None, settings: Settings | None = None) -> Desk:
        """Open the desk on a customer file (default: the setting, else the demo data)."""
        settings = settings or load_settings()
        if not isinstance(customers, CustomerList):
            customers = load(source_for(customers or None, settings.customers))
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of) if as_of.strip() else None
        return cls(settings, customers, as_of)

    @property
    def demo(self) -> bool:
        return self.settings.demo

    @property
    def today(self) -> dt.date:
        return self.as_of or rules.today(self.settings.timezone)

    def amazon(self) -> Settings:
        """Settings to reach Amazon: the real ones, or an in-process sandbox in demo mode."""
        if not self.demo:
            return self.settings
        if self._sandbox is None:
            from .sandbox import Sandbox

            self._sandbox = Sandbox(self.customers, self.settings, as_of=self.today).start()
        return self._sandbox.client_settings(self.settings)

    def close(self) -> None:
        if self._sandbox is not None:
            self._sandbox.stop()
            self._sandbox = None

    # --- finding a customer ---------------------------------------------------------------
    def search(self, query: str, limit: int = 10) -> list[str]:
        """Customer ids matching ``query`` in id, shop name, seller id or e-mail; exact first.

        Case-insensitive; one vectorised pass over a prepared key, fast on 100k customers.
        """
        needle = query.strip().lower()
        if not needle:
            return []
        frame = self.customers.customers
        if self._search_keys is None:
            key = pd.Series("\x1f", index=frame.index, dtype="str")
            for column in SEARCH_COLUMNS:
                key = key + frame[column].astype("str").fillna("") + "\x1f"
            self._search_keys = key.str.lower()
        exact = self._search_keys.str.contains(f"\x1f{needle}\x1f", regex=False)
        hits = self._search_keys.str.contains(needle, regex=False)
        order = pd.concat([frame.loc[exact, "customer_id"], frame.loc[hits & ~exact,
                                                                       "customer_id"]])
        return order.head(limit).tolist()

    def label(self, customer_id: str) -> str:
        row = self.customers.find(customer_id).iloc[0]
        return f"{row['customer_id']} · {row['shop_name']} · {row['contact_email']}"

    # --- what the agent does --------------------------------------------------------------
    def evaluated(self, customer_id: str) -> pd.Series:
        frame = rules.evaluate(self.customers.find(customer_id), self.today,
                               self.settings.timezone)
        return frame.iloc[0]

    def diagnose(self, customer_id: str, lang: str = "de") -> Diagnosis:
        return from_row(self.evaluated(customer_id), self.today, lang)

    def live_check(self, customer_id: str) -> LiveResult:
        from .amazon import AmazonClient

        with AmazonClient(self.amazon()) as client:
            token = self.customers.refresh_tokens.get(customer_id)
            return check_one(client, self.evaluated(customer_id), token)

    def link(self, customer_id: str, lang: str | None = None,
             message_lang: str | None = None) -> RenewalLink:
        return renewal_link(self.customers, customer_id, self.amazon(), lang=lang,
                            message_lang=message_lang)

    def reply(self, customer_id: str, link: RenewalLink | None) -> ReplyDraft:
        return reply_draft(self.evaluated(customer_id), link)

    def verify(self, url: str, lang: str = "de") -> CallbackResult:
        return verify_callback(url, self.customers, self.amazon(), lang=lang)

    def confirm(self, callback: CallbackResult) -> LiveResult:
        live, _token = confirm_renewal(callback, self.customers, self.amazon(), self.today)
        return live
