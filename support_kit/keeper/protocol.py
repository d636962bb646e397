"""The one interface to what needs a secret or writes the desk's memory.

:class:`Keeper` is what :class:`~support_kit.desk.Desk` talks to. Two implementations:
:class:`~support_kit.keeper.local.LocalKeeper` (in-process: ``make lab``, ``make app``, the
command line, demo mode) and :class:`~support_kit.keeper.remote.RemoteKeeper` (the client of
the keeper service that JupyterHub runs for a team; it holds no secret).

The keeper decides the agent's name: in-process it is the settings' agent, as a service the
hub-verified user of the caller's token. Reads carry no secret: renewals come without their
tokens, events never hold one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from ..texts import DEFAULT_LANGUAGE

if TYPE_CHECKING:
    import pandas as pd

    from ..config import Secret
    from ..confirmation import Confirmation
    from ..customers import CustomerList
    from ..live_check import LiveCheckRun, LiveResult
    from ..renewal import CallbackResult, RenewalLink
    from ..store import Event
    from ..store.sends import SendClaim

#: Events an agent may write directly; every other kind is written by the keeper's own
#: operations (a link made, a callback checked, a renewal kept, a live check, a reminder).
AGENT_KINDS = ("note", "contacted")


@runtime_checkable
class Keeper(Protocol):
    """What the desk asks of its keeper. Reads mirror :class:`~support_kit.store.Store`, so
    the report's follow-up reads a keeper as it reads a store."""

    @property
    def agent(self) -> str:
        """The name every event this keeper writes is recorded under."""

    @property
    def demo(self) -> bool:
        """Whether the keeper works on demo keys against the local sandbox."""

    # --- reads (no secret in them) --------------------------------------------------------
    def history(self, customer_id: str, limit: int = 500) -> list[Event]: ...

    def latest_events(self, kinds: Iterable[str], until: dt.datetime | None = None
                      ) -> pd.DataFrame: ...

    def latest_renewals(self, until: dt.datetime | None = None,
                        customer_ids: Iterable[str] | None = None) -> pd.DataFrame:
        """The newest renewal per customer, without its token."""

    def renewals_done(self) -> int: ...

    def previous_run(self, source: str, as_of: dt.date) -> tuple[dt.date, bytes] | None: ...

    def lay_over(self, customers: CustomerList, as_of: dt.date) -> CustomerList:
        """``customers`` with the desk's renewals up to ``as_of`` as their newest
        authorization (see :func:`support_kit.store.authorizations.with_desk_renewals`)."""

    # --- writes ---------------------------------------------------------------------------
    def record(self, event: Event) -> Event: ...

    def record_many(self, batch: Iterable[Event]) -> int: ...

    def record_run(self, source: str, as_of: dt.date, agent: str, counts: dict,
                   states: bytes, at: dt.datetime | None = None) -> None: ...

    # --- send claims: a mail per customer and day, whoever sends it ---------------------
    def send_claim(self, customer_id: str, day: dt.date) -> SendClaim | None: ...

    def claim_send(self, customer_id: str, day: dt.date, agent: str = "",
                   at: dt.datetime | None = None) -> SendClaim | None:
        """Claim before sending: ``None`` when this caller holds it, else who does."""

    def complete_send(self, customer_id: str, day: dt.date, event: Event) -> None: ...

    def release_send(self, customer_id: str, day: dt.date) -> None: ...

    # --- what needs a secret --------------------------------------------------------------
    def renewal_link(self, customer_id: str, as_of: dt.date, lang: str | None = None,
                     message_lang: str | None = None, redirect_uri: str | None = None,
                     draft: bool = False, valid_days: int | None = None,
                     region: str | None = None) -> RenewalLink:
        """Sign a consent link (for the authorization in ``region``, default the most urgent)
        and record ``link_made``."""

    def verify_callback(self, url: str, as_of: dt.date, lang: str = DEFAULT_LANGUAGE,
                        customer_id: str | None = None) -> CallbackResult:
        """Check a callback URL and record ``callback_verified`` or ``callback_rejected``."""

    def confirm(self, callback: CallbackResult, as_of: dt.date | None,
                lang: str = DEFAULT_LANGUAGE) -> Confirmation:
        """Exchange a verified callback's code once, keep the token sealed, record."""

    def live_check(self, customer_id: str, as_of: dt.date) -> LiveResult:
        """Ask Amazon about one customer's token and record ``live_checked``."""

    def live_checks(self, customer_ids: Iterable[str], as_of: dt.date | None,
                    concurrency: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> LiveCheckRun:
        """Live-check several customers (all when none are given), each recorded."""

    def refresh_token(self, customer_id: str, as_of: dt.date) -> Secret | None:
        """The customer's newest refresh token, only where the keeper runs."""

    def close(self) -> None: ...
