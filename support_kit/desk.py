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

import dataclasses
import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pandas as pd

from . import dates, rules
from .app_credentials import ClientSecret, client_secret
from .config import Secret, Settings, load_settings
from .confirmation import Confirmation
from .customers import CustomerList, RefreshTokens, file_stamp, load, source_for
from .diagnosis import Diagnosis, from_frame
from .errors import SupportKitError
from .keeper import Keeper, LocalKeeper, RemoteKeeper
from .keeper.local import link_detail
from .live_check import LiveCheckRun, LiveResult
from .renewal import CallbackResult, RenewalLink
from .replies import ReplyDraft, reply_draft
from .store import Event, Store, Timeline
from .texts import DEFAULT_LANGUAGE, customer_language, text

if TYPE_CHECKING:
    from .report.model import Report

__all__ = ["Desk", "link_detail"]

SEARCH_COLUMNS = ("customer_id", "shop_name", "seller_id", "contact_email")


@dataclass
class Desk:
    """Everything a panel needs; plain Python, so it is tested without Jupyter.

    ``listed`` is the customer list as loaded; ``customers`` the same with the desk's
    renewals laid over it (what every view shows). What needs a secret or writes the
    desk's memory goes through ``keeper`` (default: a :class:`LocalKeeper` on ``store``);
    ``store`` is the store of an in-process keeper (kept for local callers).
    """

    settings: Settings
    listed: CustomerList
    as_of: dt.date | None = None
    store: Store | None = None
    keeper: Keeper | None = field(default=None, repr=False)
    #: The customer file ``listed`` was read from, read again when it changes (``reload``).
    source: Path | None = field(default=None, repr=False)
    customers: CustomerList = field(init=False, repr=False)
    _source_stamp: tuple[int, int] | None = field(default=None, repr=False)
    _search_keys: pd.Series | None = field(default=None, repr=False)
    _laid_over: tuple[int, dt.date] | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        if self.keeper is None:
            store = self.store or Store.open(settings=self.settings)
            self.keeper = LocalKeeper(self.settings, store, self.listed)
        if self.store is None:  # the keeper's store; a service's client reads like a store
            self.store = getattr(self.keeper, "store", self.keeper)
        self._source_stamp = file_stamp(self.source)
        self.refresh()

    @classmethod
    def open(cls, customers: str | Path | CustomerList | None = None,
             as_of: str | dt.date | None = None, settings: Settings | None = None,
             store: str | Store | None = None) -> Desk:
        """Open the desk on a customer file (default: the setting, else the demo data) and
        the store (default: ``SUPPORT_KIT_STORE``, else the user's SQLite file)."""
        settings = settings or load_settings()
        if isinstance(as_of, str):
            as_of = dt.date.fromisoformat(as_of) if as_of.strip() else None
        if settings.keeper_url and store is None:
            return cls.on_keeper(RemoteKeeper.from_environment(), settings, customers, as_of)
        source = None
        if not isinstance(customers, CustomerList):
            given = source_for(customers or None, settings.customers)
            customers = load(given)
            path = None if "://" in str(given) else Path(given).expanduser()
            source = path if file_stamp(path) else None
        if not isinstance(store, Store):
            store = Store.open(store, settings)
        return cls(settings, customers, as_of, store, source=source)

    @classmethod
    def on_keeper(cls, keeper: RemoteKeeper, settings: Settings,
                  customers: str | Path | CustomerList | None = None,
                  as_of: dt.date | None = None) -> Desk:
        """A desk whose keeper is the team's service: no secret here, the keeper's customer
        list (a given list is used without its refresh tokens), events under the hub's name."""
        settings = keeper.settings(settings)
        if not customers:
            listed = keeper.customers()
        else:
            if not isinstance(customers, CustomerList):
                customers = load(source_for(customers, None))
            listed = dataclasses.replace(customers, refresh_tokens=RefreshTokens({}))
        return cls(settings, listed, as_of, keeper=keeper)

    def refresh(self) -> None:
        """Lay the store's renewals over the list again (after a renewal elsewhere)."""
        seen = (self.keeper.renewals_done(), self.today)
        self.customers = self.keeper.lay_over(self.listed, self.today)
        self._search_keys = None
        self._laid_over = seen

    def reload(self) -> bool:
        """Read the customer file again if it changed since it was read, then lay the
        store over the list (the refresh button; a preheated page when it is opened).

        True when the file was read again. A file that no longer loads raises the
        problem and the list read before stays."""
        stamp = file_stamp(self.source)
        changed = stamp is not None and stamp != self._source_stamp
        if changed:
            listed = load(self.source)
            self.listed, self._source_stamp = listed, stamp
            if isinstance(self.keeper, LocalKeeper):
                self.keeper.listed = listed
        self.refresh()
        return changed

    def current(self) -> CustomerList:
        """The customers with every renewal kept so far, by any agent: laid over again only
        when the store holds a new one or the day has changed (a page open since yesterday)."""
        if self._laid_over != (self.keeper.renewals_done(), self.today):
            self.refresh()
        return self.customers

    @property
    def demo(self) -> bool:
        return self.settings.demo

    @property
    def agent(self) -> str:
        """Who this desk's events are recorded under: the keeper decides."""
        return self.keeper.agent

    @property
    def today(self) -> dt.date:
        return self.as_of or dates.today(self.settings.timezone)

    @property
    def app_secret(self) -> ClientSecret:
        """The app's own LWA client secret as of the desk's day (every page's banner)."""
        return client_secret(self.settings.lwa_secret_expires, self.today)

    def _local(self, what: str) -> LocalKeeper:
        if not isinstance(self.keeper, LocalKeeper):
            raise SupportKitError(f"{what} is done by the desk's keeper service, not in this "
                                  "session: use the desk's pages (or ask an administrator).")
        return self.keeper

    def amazon(self) -> Settings:
        """Settings to reach Amazon: the real ones, or an in-process sandbox in demo mode."""
        return self._local("Reaching Amazon").amazon(self.today)

    def amazon_for(self, callback: CallbackResult) -> Settings:
        """Where to exchange a callback's code: in demo mode the sandbox that issued it
        (e.g. ``support-kit sandbox`` in another terminal) when it still runs."""
        return self._local("Exchanging a code").amazon_for(callback, self.today)

    def close(self) -> None:
        self.keeper.close()

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
        return order.drop_duplicates().head(limit).tolist()  # a customer once, any regions

    def label(self, customer_id: str) -> str:
        row = self.customers.find(customer_id).iloc[0]
        return f"{row['customer_id']} · {row['shop_name']} · {row['contact_email']}"

    # --- what the agent does --------------------------------------------------------------
    def authorizations(self, customer_id: str) -> pd.DataFrame:
        """The customer's evaluated rows, one per authorization (region)."""
        return rules.authorizations(self.current(), customer_id, self.today,
                                    self.settings.timezone, **self.settings.rules)

    def evaluated(self, customer_id: str) -> pd.Series:
        """The customer's most urgent authorization, evaluated."""
        return rules.most_urgent(self.authorizations(customer_id))

    def diagnose(self, customer_id: str, lang: str = DEFAULT_LANGUAGE) -> Diagnosis:
        return from_frame(self.authorizations(customer_id), self.today, lang)

    def live_check(self, customer_id: str) -> LiveResult:
        """Ask Amazon about the customer's token (recorded as ``live_checked``)."""
        return self.keeper.live_check(customer_id, self.today)

    def live_checks(self, customer_ids: Iterable[str] = (), concurrency: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> LiveCheckRun:
        """Live-check several customers (all when none are given), each one recorded."""
        return self.keeper.live_checks(customer_ids, self.as_of, concurrency, progress)

    def link(self, customer_id: str, lang: str | None = None,
             message_lang: str | None = None, redirect_uri: str | None = None,
             draft: bool = False, valid_days: int | None = None,
             region: str | None = None) -> RenewalLink:
        """The signed consent link with the customer's instructions (``link_made``), for the
        authorization in ``region`` (NA, EU, FE; default: the most urgent one)."""
        return self.keeper.renewal_link(customer_id, self.today, lang=lang,
                                        message_lang=message_lang, redirect_uri=redirect_uri,
                                        draft=draft, valid_days=valid_days, region=region)

    def reply(self, customer_id: str, link: RenewalLink | None,
              rows: pd.DataFrame | None = None) -> ReplyDraft:
        """The reply to the seller with ``link`` (none: the reply without a link); a seller
        with several authorizations reads each one. ``rows``: the customer's evaluated rows
        when the caller has them (a case is evaluated once)."""
        every = self.authorizations(customer_id) if rows is None else rows
        return reply_draft(rules.most_urgent(every), link, every=every)

    def reply_with_link(self, customer_id: str, lang: str | None = None) -> ReplyDraft:
        """The reply in the seller's language (or ``lang``), with a renewal link made and
        recorded (``link_made``) when the customer's situation allows one and links are set
        up; the customer's row is evaluated once.

        >>> desk = Desk.open(as_of="2026-12-01", store="sqlite://")
        >>> draft = desk.reply_with_link("C100006")
        >>> draft.link is not None, [event.kind for event in desk.history("C100006")]
        (True, ['link_made'])
        >>> desk.close()
        """
        every = self.authorizations(customer_id)
        row = rules.most_urgent(every)
        lang = customer_language(lang or row["language"], self.settings.customer_language)
        link = None
        if rules.SITUATIONS[str(row["situation"])].link_allowed and self.settings.app_id \
                and self.settings.state_secret:
            link = self.link(customer_id, lang=lang)
        return reply_draft(row, link, lang, every)

    def verify(self, url: str, lang: str = DEFAULT_LANGUAGE, customer_id: str | None = None
               ) -> CallbackResult:
        """Check a callback; with ``customer_id`` (the one on screen) only for that customer."""
        return self.keeper.verify_callback(url, self.today, lang, customer_id)

    def record_callback(self, result: CallbackResult, on_screen: str | None = None) -> None:
        """Record a callback checked outside :meth:`verify` (``callback_verified`` or
        ``callback_rejected``); a callback whose renewal is already kept records nothing."""
        self._local("Recording a callback check").record_callback(result, on_screen)

    def confirm(self, callback: CallbackResult, lang: str = DEFAULT_LANGUAGE) -> Confirmation:
        """Exchange the verified callback's code once, keep the token, check it live."""
        confirmation = self.keeper.confirm(callback, self.as_of, lang)
        self.refresh()
        return confirmation

    # --- the weekly report ----------------------------------------------------------------
    def report(self, as_of: dt.date | None = None, lang: str = DEFAULT_LANGUAGE,
               stopped_within: int | None = None, quiet_days: int | None = None) -> Report:
        """Every customer evaluated as of ``as_of`` (default: the desk's day) and followed up
        with the desk's memory: changes since the last run, who was contacted, who is due.

        >>> desk = Desk.open(as_of="2026-12-01", store="sqlite://")
        >>> desk.report().changes.counts()["since"] is None  # no run recorded yet
        True
        """
        from .report import build_report, followup

        report = build_report(self.current(), as_of or self.today, self.settings.timezone,
                              self.settings.lwa_secret_expires, lang=lang,
                              **self.settings.rules)
        return report.follow_up(
            self.keeper, followup.STOPPED_WITHIN_DAYS if stopped_within is None
            else stopped_within, followup.QUIET_DAYS if quiet_days is None else quiet_days)

    def write_report(self, report: Report, out: str | Path,
                     progress: Callable[[str], None] = lambda _label: None,
                     record: bool = True) -> list[Path]:
        """Write every file of ``report`` into ``out``, whole or not at all, then record the
        run (only a run whose files were all written; the next report compares with it)."""
        from .report import files

        paths = files.write_all(report, Path(out), self.settings, progress)
        if record:
            self.record_run(report)
        return paths

    def record_run(self, report: Report) -> None:
        """Keep the report's run in the desk's memory (under the agent)."""
        report.record_run(self.keeper, self.agent)

    # --- the desk's memory ----------------------------------------------------------------
    def record_live_checks(self, results: list[LiveResult]) -> int:
        """Record a run of live checks made outside :meth:`live_checks`, one each."""
        return self._local("Recording live checks").record_live_checks(results, self.customers)

    def record(self, kind: str, customer_id: str, detail: dict | None = None,
               seller_id: str | None = None) -> Event:
        """Record one step for ``customer_id``; the keeper records it under the agent."""
        if seller_id is None and customer_id:
            rows = self.customers.customers
            found = rows.loc[rows["customer_id"] == customer_id, "seller_id"]
            seller_id = str(found.iloc[0]) if len(found) and str(found.iloc[0]) else None
        return self.keeper.record(Event(kind, customer_id, seller_id, detail or {}, self.agent))

    def refresh_token(self, customer_id: str) -> Secret | None:
        """The customer's newest refresh token (the desk's renewal, else the list's), for the
        integration: a :class:`~support_kit.config.Secret`, never shown."""
        return self.keeper.refresh_token(customer_id, self.today)

    def worklist(self, limit: int = 20) -> pd.DataFrame:
        """Who needs the desk today: expiring, or stopped within the reminder window, and
        not contacted or reminded recently (the rule the reminders use), most urgent first:
        the stopped (longest first), then the expiring (soonest first). One row per
        customer (their most urgent authorization); reads only, records nothing.

        >>> desk = Desk.open(as_of="2026-12-01", store="sqlite://")
        >>> desk.worklist(3)[["customer_id", "state"]].values.tolist()[0][1]
        'expired'
        """
        from .report import followup

        frame = rules.evaluate(self.current().customers, self.today, self.settings.timezone,
                               **self.settings.rules)
        contacted = followup.contacts(self.store, self.today, self.settings.timezone)
        frame = frame.assign(**followup.contact_columns(frame["customer_id"], contacted))
        due = frame[followup.due_for_reminder(frame, self.today, self.settings.timezone)]
        stopped = due["state"].isin(rules.STOPPED_STATES)
        due = due.assign(_later=~stopped, _when=due["stopped_since"].where(stopped,
                                                                          due["expires_on"]))
        due = due.sort_values(["_later", "_when", "customer_id"], kind="stable")
        columns = ["customer_id", "shop_name", "state", "days_left", "expires_on",
                   "stopped_since", "last_contacted_at", "last_contacted_by"]
        return due.drop_duplicates("customer_id")[columns].head(limit).reset_index(drop=True)

    def history(self, customer_id: str, lang: str = DEFAULT_LANGUAGE) -> Timeline:
        """The customer's events, newest first."""
        self.customers.find(customer_id)  # a clear error for an unknown id
        return Timeline(customer_id, tuple(self.keeper.history(customer_id)), lang,
                        self.settings.timezone)

    def note(self, customer_id: str, note: str, contacted: bool = False,
             lang: str = DEFAULT_LANGUAGE) -> Event:
        """Keep a note; ``contacted`` records it as a ``contacted`` event."""
        self.customers.find(customer_id)
        if not note.strip():
            raise SupportKitError(text(lang, "desk.note_empty"))
        return self.record("contacted" if contacted else "note", customer_id,
                           {"text": note.strip()})

