"""The support desk's working context: settings, customers, the day, the store, and Amazon.

The desk's own renewals (from the store) are laid over the customer list, so every view
uses a renewal as soon as it is confirmed; every step an agent takes is recorded.
In demo mode the desk starts a sandbox in-process when it first needs Amazon.

>>> desk = Desk.open(as_of="2026-12-01", store="sqlite://")
>>> desk.demo, desk.customers.rows_loaded, desk.search("bluedepot")[0]
(True, 200, 'C100005')
>>> desk.close()
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

import pandas as pd

from . import rules
from .config import Secret, Settings, load_settings
from .confirmation import Confirmation, code_hash, confirm_renewal, live_detail
from .customers import CustomerList, load, source_for
from .diagnosis import Diagnosis, from_row
from .errors import SupportKitError
from .live_check import LiveResult, check_one
from .renewal import CallbackResult, RenewalLink, renewal_link, verify_callback
from .replies import ReplyDraft, reply_draft
from .store import Event, Store, Timeline
from .store.authorizations import with_desk_renewals
from .texts import text

SEARCH_COLUMNS = ("customer_id", "shop_name", "seller_id", "contact_email")
LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")  # as urlsplit gives the host


@dataclass
class Desk:
    """Everything a panel needs; plain Python, so it is tested without Jupyter.

    ``listed`` is the customer list as loaded; ``customers`` the same with the desk's
    renewals laid over it (what every view shows).
    """

    settings: Settings
    listed: CustomerList
    as_of: dt.date | None = None
    store: Store | None = None
    customers: CustomerList = field(init=False, repr=False)
    _sandbox: object | None = field(default=None, repr=False)
    _search_keys: pd.Series | None = field(default=None, repr=False)
    _laid_over: tuple[int, dt.date] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        self.store = self.store or Store.open(settings=self.settings)
        self.refresh()

    @classmethod
    def open(cls, customers: str | Path | CustomerList | None = None,
             as_of: str | dt.date | None = None, settings: Settings | None = None,
             store: str | Store | None = None) -> Desk:
        """Open the desk on a customer file (default: the setting, else the demo data) and
        the store (default: ``SUPPORT_KIT_STORE``, else the user's SQLite file)."""
        settings = settings or load_settings()
        if not isinstance(customers, CustomerList):
            customers = load(source_for(customers or None, settings.customers))
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of) if as_of.strip() else None
        if not isinstance(store, Store):
            store = Store.open(store, settings)
        return cls(settings, customers, as_of, store)

    def refresh(self) -> None:
        """Lay the store's renewals over the list again (after a renewal elsewhere)."""
        seen = (self.store.renewals_done(), self.today)
        self.customers = with_desk_renewals(self.listed, self.store, self.settings, self.today)
        self._search_keys = None
        self._laid_over = seen

    def current(self) -> CustomerList:
        """The customers with every renewal kept so far, by any agent: laid over again only
        when the store holds a new one or the day has changed (a page open since yesterday)."""
        if self._laid_over != (self.store.renewals_done(), self.today):
            self.refresh()
        return self.customers

    @property
    def demo(self) -> bool:
        return self.settings.demo

    @property
    def agent(self) -> str:
        return self.settings.agent

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

    def amazon_for(self, callback: CallbackResult) -> Settings:
        """Where to exchange a callback's code: in demo mode the sandbox that issued it
        (e.g. ``support-kit sandbox`` in another terminal) when it still runs."""
        parts = urlsplit(callback.redirect_uri or "")
        if self.demo and parts.hostname in LOCAL_HOSTS and parts.port:
            base = f"{parts.scheme}://{parts.netloc}"
            if _is_sandbox(base):
                from dataclasses import replace

                return replace(self.settings, spapi_endpoint=base, seller_central_url=base,
                               lwa_endpoint=f"{base}/auth/o2/token")
        return self.amazon()

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
        frame = rules.evaluate(self.current().find(customer_id), self.today,
                               self.settings.timezone)
        return frame.iloc[0]

    def diagnose(self, customer_id: str, lang: str = "de") -> Diagnosis:
        return from_row(self.evaluated(customer_id), self.today, lang)

    def live_check(self, customer_id: str) -> LiveResult:
        from .amazon import AmazonClient

        with AmazonClient(self.amazon()) as client:
            token = self.current().refresh_tokens.get(customer_id)
            result = check_one(client, self.evaluated(customer_id), token)
        self.record("live_checked", customer_id, live_detail(result))
        return result

    def link(self, customer_id: str, lang: str | None = None,
             message_lang: str | None = None) -> RenewalLink:
        link = renewal_link(self.current(), customer_id, self.amazon(), lang=lang,
                            message_lang=message_lang)
        self.record("link_made", customer_id, link_detail(link))
        return link

    def reply(self, customer_id: str, link: RenewalLink | None) -> ReplyDraft:
        return reply_draft(self.evaluated(customer_id), link)

    def verify(self, url: str, lang: str = "de", customer_id: str | None = None
               ) -> CallbackResult:
        """Check a callback; with ``customer_id`` (the one on screen) only for that customer."""
        result = verify_callback(url, self.customers, self.amazon(), lang=lang,
                                 customer_id=customer_id)
        self.record_callback(result, customer_id)
        return result

    def record_callback(self, result: CallbackResult, on_screen: str | None = None) -> None:
        """Record a callback check (``callback_verified`` or ``callback_rejected``); a second
        look at a callback whose renewal is already kept records nothing new."""
        if result.ok and result.code is not None:
            known = self.store.renewal(code_hash(result))
            if known is not None and known.done:
                return
        kind = "callback_verified" if result.ok else "callback_rejected"
        self.record(kind, str(result.customer_id or on_screen or ""),
                    {"problems": list(result.problems), "seller_new": result.seller_new,
                     "selling_partner_id": result.selling_partner_id},
                    seller_id=result.selling_partner_id)

    def confirm(self, callback: CallbackResult, lang: str = "de") -> Confirmation:
        """Exchange the verified callback's code once, keep the token, check it live."""
        confirmation = confirm_renewal(callback, self.listed, self.settings,
                                       self.amazon_for(callback), self.store, lang=lang,
                                       as_of=self.as_of)
        self.refresh()
        return confirmation

    # --- the desk's memory ----------------------------------------------------------------
    def record_live_checks(self, results: list[LiveResult]) -> int:
        """Record a run of live checks, one ``live_checked`` event per customer."""
        frame = self.customers.customers
        sellers = dict(zip(frame["customer_id"], frame["seller_id"], strict=True))
        return self.store.record_many(
            Event("live_checked", r.customer_id, str(sellers.get(r.customer_id) or "") or None,
                  live_detail(r), self.agent) for r in results)

    def record(self, kind: str, customer_id: str, detail: dict | None = None,
               seller_id: str | None = None) -> Event:
        """Record one step for ``customer_id`` as the current agent."""
        if seller_id is None and customer_id:
            rows = self.customers.customers
            found = rows.loc[rows["customer_id"] == customer_id, "seller_id"]
            seller_id = str(found.iloc[0]) if len(found) and str(found.iloc[0]) else None
        return self.store.record(Event(kind, customer_id, seller_id, detail or {}, self.agent))

    def refresh_token(self, customer_id: str) -> Secret | None:
        """The customer's newest refresh token (the desk's renewal, else the list's), for the
        integration: a :class:`~support_kit.config.Secret`, never shown."""
        customers = self.current()
        customers.find(customer_id)  # a clear error for an unknown id
        return customers.refresh_tokens.get(customer_id)

    def history(self, customer_id: str, lang: str = "de") -> Timeline:
        """The customer's events, newest first."""
        self.customers.find(customer_id)  # a clear error for an unknown id
        return Timeline(customer_id, tuple(self.store.history(customer_id)), lang,
                        self.settings.timezone)

    def note(self, customer_id: str, note: str, contacted: bool = False,
             lang: str = "de") -> Event:
        """Keep a note; ``contacted`` records it as a ``contacted`` event."""
        self.customers.find(customer_id)
        if not note.strip():
            raise SupportKitError(text(lang, "desk.note_empty"))
        return self.record("contacted" if contacted else "note", customer_id,
                           {"text": note.strip()})


def link_detail(link: RenewalLink) -> dict:
    """A link as an event's detail: where it points and until when (not the link itself)."""
    return {"host": link.host, "region": link.region, "lang": link.lang,
            "valid_until": link.state_expires_at.date().isoformat()}


def _is_sandbox(base: str) -> bool:
    import requests

    try:
        page = requests.get(base + "/", timeout=2)
    except requests.RequestException:
        return False
    return page.ok and "support_kit sandbox" in page.text
