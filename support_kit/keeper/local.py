"""The keeper in the desk's own process: today's behaviour for one machine.

It holds the settings (with the secrets), the store and the full customer list with its
refresh tokens; in demo mode it starts the local sandbox when Amazon is first needed. The
keeper service runs one of these for the whole team, with the agent set per request.

>>> from support_kit.config import load_settings
>>> from support_kit.customers import demo_path, load
>>> from support_kit.store import Store
>>> keeper = LocalKeeper(load_settings({}), Store.open("sqlite://"), load(demo_path()))
>>> keeper.renewal_link("C100005", dt.date(2026, 12, 1)).region  # signed on the sandbox
'EU'
>>> [(e.kind, e.agent == keeper.agent) for e in keeper.history("C100005")]
[('link_made', True)]
>>> keeper.close()
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlsplit

import pandas as pd

from .. import dates, rules
from ..config import Secret, Settings
from ..confirmation import Confirmation, code_hash, confirm_renewal, live_detail
from ..customers import CustomerList
from ..live_check import DEFAULT_CONCURRENCY, LiveCheckRun, LiveResult, check_one, live_check
from ..renewal import (
    DEFAULT_VALID_DAYS,
    CallbackResult,
    RenewalLink,
    renewal_link,
    verify_callback,
)
from ..store import Event, Store
from ..store.authorizations import with_desk_renewals
from ..store.sends import SendClaim
from ..texts import DEFAULT_LANGUAGE

LOCAL_HOSTS = ("127.0.0.1", "localhost", "::1")  # as urlsplit gives the host


@dataclass
class _Shared:
    """What every agent's view of one keeper shares: the sandbox and the laid-over list."""

    lock: threading.RLock = field(default_factory=threading.RLock)
    sandbox: object | None = None
    laid_over: tuple[int, int, dt.date, CustomerList] | None = None


@dataclass(frozen=True)
class RunningSandbox:
    """A sandbox another process runs (``support-kit sandbox``): used, never stopped here."""

    url: str

    def client_settings(self, base: Settings) -> Settings:
        return dataclasses.replace(base, spapi_endpoint=self.url, seller_central_url=self.url,
                                   lwa_endpoint=f"{self.url}/auth/o2/token")

    def stop(self) -> None:
        return None


@dataclass
class LocalKeeper:
    """Settings with secrets, the store and the full customer list, in this process."""

    settings: Settings
    store: Store
    listed: CustomerList
    #: Links point at the settings' Seller Central even in demo mode (``support-kit
    #: sandbox``), not at a sandbox in this process: for a command whose process ends.
    lasting_links: bool = False
    _shared: _Shared = field(default_factory=_Shared, repr=False)

    @property
    def agent(self) -> str:
        return self.settings.agent

    @property
    def demo(self) -> bool:
        return self.settings.demo

    def as_agent(self, agent: str) -> LocalKeeper:
        """The same keeper (store, list, sandbox) recording under ``agent``: the service
        makes one per request, for the hub-verified user."""
        return dataclasses.replace(self, settings=dataclasses.replace(self.settings,
                                                                      agent=agent))

    # --- reads ----------------------------------------------------------------------------
    def history(self, customer_id: str, limit: int = 500) -> list[Event]:
        return self.store.history(customer_id, limit)

    def latest_events(self, kinds: Iterable[str], until: dt.datetime | None = None
                      ) -> pd.DataFrame:
        return self.store.latest_events(kinds, until)

    def latest_renewals(self, until: dt.datetime | None = None,
                        customer_ids: Iterable[str] | None = None) -> pd.DataFrame:
        return self.store.latest_renewals(until, customer_ids).drop(columns="token")

    def renewals_done(self) -> int:
        return self.store.renewals_done()

    def previous_run(self, source: str, as_of: dt.date) -> tuple[dt.date, bytes] | None:
        return self.store.previous_run(source, as_of)

    def lay_over(self, customers: CustomerList, as_of: dt.date) -> CustomerList:
        with self._shared.lock:
            seen = (id(customers), self.renewals_done(), as_of)
            cached = self._shared.laid_over
            if cached is not None and cached[:3] == seen and customers is self.listed:
                return cached[3]
            laid = with_desk_renewals(customers, self.store, self.settings, as_of)
            if customers is self.listed:
                self._shared.laid_over = (*seen, laid)
            return laid

    def current(self, as_of: dt.date | None) -> CustomerList:
        """The keeper's own list with every renewal kept so far."""
        return self.lay_over(self.listed, as_of or self.today())

    def today(self) -> dt.date:
        return dates.today(self.settings.timezone)

    # --- writes ---------------------------------------------------------------------------
    def record(self, event: Event) -> Event:
        """Keep one event under this keeper's agent (whatever name the event carries)."""
        event = dataclasses.replace(event, agent=self.agent)
        return self.store.record(event)

    def record_many(self, batch: Iterable[Event]) -> int:
        return self.store.record_many(dataclasses.replace(e, agent=self.agent) for e in batch)

    def record_run(self, source: str, as_of: dt.date, agent: str, counts: dict,
                   states: bytes, at: dt.datetime | None = None) -> None:
        self.store.record_run(source, as_of, self.agent, counts, states, at)

    # --- send claims (a mail per customer and day, whoever sends it) ------------------------
    def send_claim(self, customer_id: str, day: dt.date) -> SendClaim | None:
        return self.store.send_claim(customer_id, day)

    def claim_send(self, customer_id: str, day: dt.date, agent: str = "",
                   at: dt.datetime | None = None) -> SendClaim | None:
        """Claim a customer's mail of ``day`` for this keeper's agent (``None``: held now)."""
        return self.store.claim_send(customer_id, day, self.agent, at)

    def complete_send(self, customer_id: str, day: dt.date, event: Event) -> None:
        self.store.complete_send(customer_id, day, dataclasses.replace(event, agent=self.agent))

    def release_send(self, customer_id: str, day: dt.date) -> None:
        self.store.release_send(customer_id, day)

    def event(self, kind: str, customer_id: str, detail: dict | None = None,
              seller_id: str | None = None, as_of: dt.date | None = None) -> Event:
        """Record one step; the seller id is looked up in the list when not given."""
        if seller_id is None and customer_id:
            rows = self.current(as_of).customers
            found = rows.loc[rows["customer_id"] == customer_id, "seller_id"]
            seller_id = str(found.iloc[0]) if len(found) and str(found.iloc[0]) else None
        return self.record(Event(kind, customer_id, seller_id, detail or {}, self.agent))

    # --- Amazon ---------------------------------------------------------------------------
    def amazon(self, as_of: dt.date | None = None) -> Settings:
        """Settings to reach Amazon: the real ones; in demo mode the README's sandbox
        (``support-kit sandbox``, which `make app` starts) when it runs, so links outlive
        the page or command that made them; else a sandbox in this process."""
        if not self.demo:
            return self.settings
        with self._shared.lock:
            if self._shared.sandbox is None:
                running = self.settings.seller_central_url or ""
                if urlsplit(running).hostname in LOCAL_HOSTS and _is_sandbox(running):
                    self._shared.sandbox = RunningSandbox(running.rstrip("/"))
                else:
                    from ..sandbox import Sandbox

                    self._shared.sandbox = Sandbox(self.current(as_of), self.settings,
                                                   as_of=as_of or self.today()).start()
            return self._shared.sandbox.client_settings(self.settings)

    def _links(self, as_of: dt.date | None) -> Settings:
        """Settings to sign and check consent links with: in demo mode the sandbox in this
        process, or for links that outlive it the settings' own (``support-kit sandbox``)."""
        return self.settings if self.lasting_links else self.amazon(as_of)

    def amazon_for(self, callback: CallbackResult, as_of: dt.date | None = None) -> Settings:
        """Where to exchange a callback's code: in demo mode the sandbox that issued it
        (e.g. ``support-kit sandbox`` in another terminal) when it still runs."""
        parts = urlsplit(callback.redirect_uri or "")
        if self.demo and parts.hostname in LOCAL_HOSTS and parts.port:
            base = f"{parts.scheme}://{parts.netloc}"
            if _is_sandbox(base):
                return dataclasses.replace(self.settings, spapi_endpoint=base,
                                           seller_central_url=base,
                                           lwa_endpoint=f"{base}/auth/o2/token")
        return self.amazon(as_of)

    def close(self) -> None:
        with self._shared.lock:
            if self._shared.sandbox is not None:
                self._shared.sandbox.stop()
                self._shared.sandbox = None

    # --- what needs a secret --------------------------------------------------------------
    def renewal_link(self, customer_id: str, as_of: dt.date, lang: str | None = None,
                     message_lang: str | None = None, redirect_uri: str | None = None,
                     draft: bool = False, valid_days: int | None = None,
                     region: str | None = None) -> RenewalLink:
        """Sign a consent link for the customer and record ``link_made``."""
        link = renewal_link(self.current(as_of), customer_id, self._links(as_of),
                            redirect_uri=redirect_uri, draft=draft, lang=lang,
                            valid_days=DEFAULT_VALID_DAYS if valid_days is None else valid_days,
                            message_lang=message_lang, region=region)
        self.event("link_made", customer_id, link_detail(link), as_of=as_of)
        return link

    def verify_callback(self, url: str, as_of: dt.date | None, lang: str = DEFAULT_LANGUAGE,
                        customer_id: str | None = None) -> CallbackResult:
        """Check a callback; with ``customer_id`` (the one on screen) only for that one."""
        result = verify_callback(url, self.current(as_of), self._links(as_of), lang=lang,
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
        self.event(kind, str(result.customer_id or on_screen or ""),
                   {"problems": list(result.problems), "seller_new": result.seller_new,
                    "selling_partner_id": result.selling_partner_id},
                   seller_id=result.selling_partner_id)

    def confirm(self, callback: CallbackResult, as_of: dt.date | None,
                lang: str = DEFAULT_LANGUAGE) -> Confirmation:
        """Exchange the verified callback's code once, keep the token, check it live."""
        return confirm_renewal(callback, self.listed, self.settings,
                               self.amazon_for(callback, as_of), self.store, lang=lang,
                               as_of=as_of)

    def live_check(self, customer_id: str, as_of: dt.date | None) -> LiveResult:
        """Ask Amazon about one customer's token; record ``live_checked``."""
        from ..amazon import AmazonClient

        customers = self.current(as_of)
        row = rules.evaluate_one(customers, customer_id, as_of or self.today(),
                                 self.settings.timezone, **self.settings.rules)
        region = row["region"] if isinstance(row["region"], str) else None
        with AmazonClient(self.amazon(as_of)) as client:
            result = check_one(client, row, customers.refresh_tokens.get(customer_id, region))
        self.event("live_checked", customer_id, live_detail(result), as_of=as_of)
        return result

    def live_checks(self, customer_ids: Iterable[str], as_of: dt.date | None,
                    concurrency: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> LiveCheckRun:
        """Live-check several customers (all when none are given), one event each."""
        customers = self.current(as_of)
        run = live_check(customers, self.amazon(as_of), customer_ids, as_of=as_of,
                         concurrency=DEFAULT_CONCURRENCY if concurrency is None else concurrency,
                         progress=progress)
        self.record_live_checks(run.results, customers)
        return run

    def record_live_checks(self, results: list[LiveResult],
                           customers: CustomerList | None = None) -> int:
        """Record a run of live checks, one ``live_checked`` event per customer."""
        frame = (customers or self.current(None)).customers
        sellers = dict(zip(frame["customer_id"], frame["seller_id"], strict=True))
        return self.record_many(
            Event("live_checked", r.customer_id, str(sellers.get(r.customer_id) or "") or None,
                  live_detail(r), self.agent) for r in results)

    def refresh_token(self, customer_id: str, as_of: dt.date | None) -> Secret | None:
        """The customer's newest refresh token (the desk's renewal, else the list's)."""
        customers = self.current(as_of)
        customers.find(customer_id)  # a clear error for an unknown id
        return customers.refresh_tokens.get(customer_id)


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
