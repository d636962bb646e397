"""Send claims (mixed into :class:`~support_kit.store.Store`): a mail is claimed per
customer and day before it goes out, under a unique key, so two runs, two panels or two
agents never send it twice; a mail that did not go out gives its claim back.

>>> import datetime as dt
>>> from support_kit.store import Store
>>> store, day = Store.open("sqlite://"), dt.date(2026, 12, 1)
>>> store.claim_send("C1", day, "anna") is None  # anna holds it: she may send
True
>>> store.claim_send("C1", day, "ben").agent  # ben is told who holds it
'anna'
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, delete, insert, select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from .engine import retried
from .events import Event, utc
from .schema import events, send_claims

REMINDER = "reminder"


@dataclass(frozen=True)
class SendClaim:
    """Who claimed a customer's mail of one day, and whether it went out."""

    customer_id: str
    day: dt.date
    agent: str
    claimed_at: dt.datetime
    sent_at: dt.datetime | None

    @property
    def sent(self) -> bool:
        return self.sent_at is not None


class SendStore:
    """Claims for mails (mixed into :class:`Store`)."""

    engine: Engine

    def claim_send(self, customer_id: str, day: dt.date, agent: str,
                   at: dt.datetime | None = None, kind: str = REMINDER) -> SendClaim | None:
        """Claim the mail of ``customer_id`` for ``day`` before sending it: ``None`` when
        this caller holds it now; else the claim that holds it (sent, or being sent)."""
        row = {"kind": kind, "customer_id": str(customer_id), "day": day, "agent": agent,
               "claimed_at": utc(at).replace(tzinfo=None)}
        try:
            with self.engine.begin() as connection:
                connection.execute(insert(send_claims), [row])
        except IntegrityError:
            held = self.send_claim(customer_id, day, kind)
            if held is None:  # given back between our insert and this read: try once more
                return self.claim_send(customer_id, day, agent, at, kind)
            return held
        return None

    def send_claim(self, customer_id: str, day: dt.date, kind: str = REMINDER
                   ) -> SendClaim | None:
        query = select(send_claims).where(self._key(customer_id, day, kind))
        with self.engine.connect() as connection:
            row = connection.execute(query).first()
        if row is None:
            return None
        return SendClaim(row.customer_id, row.day, row.agent, utc(row.claimed_at),
                         utc(row.sent_at) if row.sent_at else None)

    def complete_send(self, customer_id: str, day: dt.date, event: Event,
                      kind: str = REMINDER) -> None:
        """The mail went out: mark the claim sent and keep ``event`` in one transaction
        (retried while the store is busy; the claim stays, so it is never sent again)."""
        row = {"at": utc(event.at).replace(tzinfo=None), "agent": event.agent,
               "kind": event.kind, "customer_id": event.customer_id,
               "seller_id": event.seller_id, "detail": event.detail_json()}

        def write() -> None:
            with self.engine.begin() as connection:
                connection.execute(update(send_claims)
                                   .where(self._key(customer_id, day, kind))
                                   .values(sent_at=row["at"]))
                connection.execute(insert(events), [row])

        retried(write)

    def release_send(self, customer_id: str, day: dt.date, kind: str = REMINDER) -> None:
        """The mail did not go out: give the claim back (a later run may send it)."""
        retried(lambda: self._release(customer_id, day, kind))

    def _release(self, customer_id: str, day: dt.date, kind: str) -> None:
        with self.engine.begin() as connection:
            connection.execute(delete(send_claims).where(and_(
                self._key(customer_id, day, kind), send_claims.c.sent_at.is_(None))))

    @staticmethod
    def _key(customer_id: str, day: dt.date, kind: str):
        return and_(send_claims.c.kind == kind, send_claims.c.customer_id == str(customer_id),
                    send_claims.c.day == day)
