"""The desk's memory over SQLAlchemy Core: events, renewals (tokens sealed), report runs."""

from __future__ import annotations

import datetime as dt
import json
import threading
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy import String, and_, cast, delete, func, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from ..config import Settings, load_settings
from ..errors import SupportKitError
from . import engine as engines
from . import kept_aside
from .events import EVENT_KINDS, Event, utc
from .schema import events, renewals, report_runs
from .sends import SendStore

#: A claimed code not exchanged within this time is dead (Amazon's codes live 5 minutes).
CLAIM_STALE_AFTER = dt.timedelta(minutes=10)


def _naive(value: dt.datetime) -> dt.datetime:
    return utc(value).replace(tzinfo=None)


@dataclass(frozen=True)
class Renewal:
    """A renewal confirmed (or being confirmed) at the desk; the token stays in the store."""

    customer_id: str
    seller_id: str | None
    seller_new: bool
    agent: str
    claimed_at: dt.datetime
    renewed_at: dt.datetime | None
    region: str | None = None  # the authorization renewed; None in stores before 0004

    @property
    def done(self) -> bool:
        return self.renewed_at is not None


class RunStore:
    """Report runs (mixed into :class:`Store`): as-of day, source, counts, each state."""

    engine: Engine

    def record_run(self, source: str, as_of: dt.date, agent: str, counts: dict,
                   states: bytes, at: dt.datetime | None = None) -> None:
        """Keep one report run; ``states`` is each customer's state as a Parquet blob."""
        with self.engine.begin() as connection:
            connection.execute(insert(report_runs), [{
                "source": source, "as_of": as_of, "created_at": _naive(utc(at)),
                "agent": agent, "counts": json.dumps(counts, default=str), "states": states}])

    def previous_run(self, source: str, as_of: dt.date) -> tuple[dt.date, bytes] | None:
        """The newest run of ``source`` on a day before ``as_of``: its day and states."""
        query = (select(report_runs.c.as_of, report_runs.c.states)
                 .where(report_runs.c.source == source, report_runs.c.as_of < as_of)
                 .order_by(report_runs.c.as_of.desc(), report_runs.c.id.desc()).limit(1))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return (row.as_of, bytes(row.states)) if row else None


class Store(RunStore, SendStore):
    """The desk's memory. Open it with :meth:`Store.open`; safe for threads and processes.

    >>> store = Store.open("sqlite://")
    >>> _ = store.record(Event("note", "C1", agent="anna", detail={"text": "hello"}))
    >>> [e.kind for e in store.history("C1")], store
    (['note'], Store('sqlite://'))
    """

    _opened: dict[str, Store] = {}
    _opened_lock = threading.Lock()

    def __init__(self, engine: Engine, url: str):
        self.engine = engine
        self.url = url
        self.recovered: list[str] = []  # renewals kept aside earlier, stored on opening
        self.made = False  # SUPPORT_KIT_STORE named no store yet: this opening made it

    @classmethod
    def open(cls, url: str | None = None, settings: Settings | None = None) -> Store:
        """The store at ``url`` (default: the setting, else the user's SQLite file), migrated.

        One engine per URL and process: opening again is free.
        """
        default = False
        if url is None:
            settings = settings or load_settings()
            url, default = settings.store or engines.default_url(settings.demo), not settings.store
        with cls._opened_lock:
            if url not in cls._opened:
                engine = engines.connect(url, create_folder=default)
                new = engines.is_new(engine)
                if new:
                    engines.make_private_file(engine)
                try:
                    engines.upgrade(engine)
                except BaseException as exc:
                    engine.dispose()
                    told = engines.problem(exc, url)
                    if told is not None:
                        raise told from None
                    if not isinstance(exc, DatabaseError):
                        raise
                    raise SupportKitError(
                        f"The store {engines.masked(url)} cannot be opened "
                        f"({str(exc.orig).strip()[:200]}). Check SUPPORT_KIT_STORE: it must name "
                        "a database (an SQLite file or a running server).") from None
                store = cls._opened[url] = cls(engine, url)
                store.made = new and not default  # a configured store made just now
                store.recovered = store.recover_kept()
            return cls._opened[url]

    @classmethod
    def news(cls) -> list[str]:
        """What opening the stores of this process did that a user should hear of: a store
        made new (so a mistyped path is noticed), renewals taken in from the data folder.
        Each told once."""
        said = []
        with cls._opened_lock:
            for store in cls._opened.values():
                where = engines.masked(store.url)
                if store.made:
                    said.append(f"made a new store at {where}: its history starts empty. "
                                "If you expected the desk's history, check SUPPORT_KIT_STORE.")
                if store.recovered:
                    said.append(f"kept {len(store.recovered)} renewal(s) in {where} that "
                                "waited in the data folder (the store was busy before): "
                                + ", ".join(store.recovered) + ".")
                store.made, store.recovered = False, []
        return said

    @classmethod
    def problem(cls, exc: BaseException) -> SupportKitError | None:
        """A database error of this process's store as one line (see
        :func:`support_kit.store.engine.problem`); ``None`` when it is not one of those."""
        with cls._opened_lock:
            urls = list(cls._opened)
        return engines.problem(exc, urls[0] if len(urls) == 1 else None)

    @classmethod
    def close_all(cls) -> None:
        """Dispose every engine this process opened (tests, servers shutting down)."""
        with cls._opened_lock:
            for store in cls._opened.values():
                store.engine.dispose()
            cls._opened.clear()

    def __repr__(self) -> str:
        return f"Store({engines.masked(self.url)!r})"

    # --- events ---------------------------------------------------------------------------
    def record(self, event: Event) -> Event:
        """Keep one event (committed before this returns)."""
        self.record_many([event])
        return event

    def record_many(self, batch: Iterable[Event]) -> int:
        """Keep several events in one transaction; returns how many."""
        rows = [{"at": _naive(e.at), "agent": e.agent, "kind": e.kind,
                 "customer_id": e.customer_id, "seller_id": e.seller_id,
                 "detail": e.detail_json()} for e in batch]
        if rows:
            with self.engine.begin() as connection:
                connection.execute(insert(events), rows)
        return len(rows)

    def history(self, customer_id: str, limit: int = 500) -> list[Event]:
        """The customer's events, newest first."""
        query = (select(events).where(events.c.customer_id == str(customer_id))
                 .order_by(events.c.at.desc(), events.c.id.desc()).limit(limit))
        with self.engine.connect() as connection:
            return [_event(row) for row in connection.execute(query)]

    def latest_events(self, kinds: Iterable[str], until: dt.datetime | None = None
                      ) -> pd.DataFrame:
        """The newest event of ``kinds`` per customer up to ``until``: ``customer_id``,
        ``at`` (UTC), ``agent``, ``kind``, ``detail`` (one query over an index)."""
        kinds = [k for k in kinds if k in EVENT_KINDS]
        newest = (select(events.c.customer_id, func.max(events.c.id).label("id"))
                  .where(events.c.kind.in_(kinds)).group_by(events.c.customer_id))
        if until is not None:
            newest = newest.where(events.c.at <= _naive(until))
        newest = newest.subquery()
        query = select(events.c.customer_id, _text(events.c.at), events.c.agent,
                       events.c.kind, events.c.detail).join(newest, events.c.id == newest.c.id)
        with self.engine.connect() as connection:
            frame = _frame(connection.execute(query),
                           ("customer_id", "at", "agent", "kind", "detail"))
        frame["at"] = pd.to_datetime(frame["at"], utc=True, format="ISO8601")
        return frame

    # --- renewals -------------------------------------------------------------------------
    def renewal(self, code_hash: str) -> Renewal | None:
        """The renewal of a callback code (by its hash), if the desk has seen that code."""
        query = select(renewals).where(renewals.c.code_hash == code_hash)
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        return _renewal(row) if row else None

    def claim(self, code_hash: str, customer_id: str, seller_id: str | None, seller_new: bool,
              agent: str, at: dt.datetime | None = None, region: str | None = None
              ) -> Renewal | None:
        """Reserve a code before it is exchanged (for the customer's authorization in
        ``region``). ``None`` when this caller holds it; else the renewal (done, or in
        progress elsewhere) that holds it already."""
        at = utc(at)
        row = {"code_hash": code_hash, "customer_id": customer_id, "seller_id": seller_id,
               "seller_new": seller_new, "agent": agent, "claimed_at": _naive(at),
               "region": region or None}
        stale = _naive(at - CLAIM_STALE_AFTER)
        try:
            with self.engine.begin() as connection:
                connection.execute(delete(renewals).where(and_(
                    renewals.c.code_hash == code_hash, renewals.c.renewed_at.is_(None),
                    renewals.c.claimed_at < stale)))
                connection.execute(insert(renewals), [row])
        except IntegrityError:
            return self.renewal(code_hash)
        return None

    def complete(self, code_hash: str, sealed_token: str, at: dt.datetime | None = None,
                 event: Event | None = None) -> None:
        """Keep the exchanged token (sealed) and, in the same transaction, its event; tried
        again while the store is busy. A claim given up meanwhile is made again from the
        event (the code is spent: its token must be kept)."""
        at_naive = _naive(utc(at))

        def write() -> None:
            with self.engine.begin() as connection:
                done = connection.execute(
                    update(renewals).where(renewals.c.code_hash == code_hash)
                    .values(token=sealed_token, renewed_at=at_naive))
                if done.rowcount == 0 and event is not None:
                    connection.execute(insert(renewals), [{
                        "code_hash": code_hash, "customer_id": event.customer_id,
                        "seller_id": event.seller_id, "agent": event.agent,
                        "seller_new": bool(event.detail.get("seller_new")),
                        "claimed_at": at_naive, "renewed_at": at_naive,
                        "token": sealed_token, "region": event.detail.get("region")}])
                if event is not None:
                    connection.execute(insert(events), [{
                        "at": _naive(event.at), "agent": event.agent, "kind": event.kind,
                        "customer_id": event.customer_id, "seller_id": event.seller_id,
                        "detail": event.detail_json()}])

        engines.retried(write)

    def keep_aside(self, code_hash: str, sealed_token: str, at: dt.datetime,
                   event: Event) -> Path:
        """Keep a spent code's sealed token and event in a private file when the store
        cannot take them; :meth:`recover_kept` (run on opening) stores them later."""
        return kept_aside.keep_aside(self.url, {
            "code_hash": code_hash, "token": sealed_token, "at": utc(at).isoformat(),
            "event": event.to_dict() | {"detail": json.loads(event.detail_json())}})

    def recover_kept(self) -> list[str]:
        """Store the renewals kept aside for this store (see :meth:`keep_aside`); returns
        the customers whose renewal was recovered. Left waiting while the store is busy."""
        recovered = []
        for path, entry in kept_aside.waiting(self.url):
            e = entry["event"]
            event = Event(e["kind"], e["customer_id"], e["seller_id"], e["detail"], e["agent"],
                          dt.datetime.fromisoformat(e["at"]))
            known = self.renewal(entry["code_hash"])
            try:
                if known is None or not known.done:
                    engines.retried(lambda entry=entry, event=event: self.complete(
                        entry["code_hash"], entry["token"],
                        dt.datetime.fromisoformat(entry["at"]), event), tries=1)
            except OperationalError:
                break  # still busy: the next opening tries again
            path.unlink(missing_ok=True)
            recovered.append(event.customer_id)
        return recovered

    def release(self, code_hash: str) -> None:
        """Give a claimed code back after a failed exchange."""
        with self.engine.begin() as connection:
            connection.execute(delete(renewals).where(and_(
                renewals.c.code_hash == code_hash, renewals.c.renewed_at.is_(None))))

    def renewals_done(self) -> int:
        """How many renewals the desk has kept: a desk notices another agent's by this."""
        query = select(func.count()).select_from(renewals).where(renewals.c.renewed_at
                                                                 .is_not(None))
        with self.engine.connect() as connection:
            return int(connection.execute(query).scalar() or 0)

    def newest_sealed_token(self) -> str | None:
        """The newest stored token (sealed): to check a key before a code is spent."""
        query = (select(renewals.c.token).where(renewals.c.token.is_not(None))
                 .order_by(renewals.c.id.desc()).limit(1))
        with self.engine.connect() as connection:
            return connection.execute(query).scalar()

    def latest_renewals(self, until: dt.datetime | None = None,
                        customer_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The newest finished renewal per customer and region up to ``until``:
        ``customer_id``, ``region`` (None: from before regions were kept), ``seller_id``,
        ``seller_new``, ``agent``, ``renewed_at`` (UTC), ``token`` (sealed)."""
        done = renewals.c.renewed_at.is_not(None)
        if until is not None:
            done = and_(done, renewals.c.renewed_at <= _naive(until))
        newest = select(renewals.c.customer_id, renewals.c.region,
                        func.max(renewals.c.id).label("id")).where(done)
        if customer_ids is not None:
            newest = newest.where(renewals.c.customer_id.in_([str(c) for c in customer_ids]))
        newest = newest.group_by(renewals.c.customer_id, renewals.c.region).subquery()
        query = select(renewals.c.customer_id, renewals.c.region, renewals.c.seller_id,
                       renewals.c.seller_new, renewals.c.agent, _text(renewals.c.renewed_at),
                       renewals.c.token).join(newest, renewals.c.id == newest.c.id
                                              ).order_by(renewals.c.id)
        with self.engine.connect() as connection:
            frame = _frame(connection.execute(query), ("customer_id", "region", "seller_id",
                                                       "seller_new", "agent", "renewed_at",
                                                       "token"))
        frame["renewed_at"] = pd.to_datetime(frame["renewed_at"], utc=True, format="ISO8601")
        return frame


def _text(column):
    """A time column read as text, parsed by pandas in one go (not row by row)."""
    return cast(column, String).label(column.name)


def _frame(result, columns: tuple[str, ...]) -> pd.DataFrame:
    """A query's rows as a frame, column by column (fast for many rows)."""
    values = list(zip(*result, strict=True)) or [()] * len(columns)
    return pd.DataFrame({name: list(column) for name, column in zip(columns, values,
                                                                    strict=True)})


def _event(row) -> Event:
    try:
        detail = json.loads(row.detail)
    except ValueError:
        detail = {"text": row.detail}
    return Event(row.kind, row.customer_id, row.seller_id, detail, row.agent, utc(row.at))


def _renewal(row) -> Renewal:
    return Renewal(row.customer_id, row.seller_id, bool(row.seller_new), row.agent,
                   utc(row.claimed_at), utc(row.renewed_at) if row.renewed_at else None,
                   row.region)
