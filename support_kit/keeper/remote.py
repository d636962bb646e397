"""The keeper service's client, for agents' kernels on JupyterHub: it holds no secret.

Chosen by :meth:`support_kit.desk.Desk.open` when ``SUPPORT_KIT_KEEPER_URL`` is set; it
authenticates with the agent's server token (``JUPYTERHUB_API_TOKEN``, which JupyterHub gives
every single-user server and its kernels). The keeper, not this client, decides the name
events are recorded under. The customer list comes from the keeper, without refresh tokens.

>>> keeper = RemoteKeeper("http://127.0.0.1:9", Secret("t"))
>>> keeper
RemoteKeeper('http://127.0.0.1:9')
>>> try:
...     keeper.renewals_done()
... except SupportKitError as exc:
...     print(str(exc).split(": ")[0])
The desk's keeper at http://127.0.0.1:9 cannot be reached (ConnectionError)
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable

import pandas as pd
import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from ..config import Secret, Settings
from ..confirmation import Confirmation, NoTokenKey
from ..customers import CustomerList, RefreshTokens, mask_secrets
from ..errors import SupportKitError
from ..live_check import LiveCheckRun, LiveResult
from ..renewal import CallbackResult, NoLink, RenewalLink
from ..store import Event
from ..store.authorizations import with_desk_renewals
from ..store.sends import SendClaim
from ..texts import DEFAULT_LANGUAGE
from . import wire
from .protocol import AGENT_KINDS

URL_SETTING = "SUPPORT_KIT_KEEPER_URL"
TOKEN_VARIABLE = "JUPYTERHUB_API_TOKEN"  # noqa: S105 (the name, not a token)
#: Connecting is quick or the keeper is down; an answer may wait for Amazon (live checks).
TIMEOUT = (5, 300)
_ERRORS = {"NoLink": NoLink, "NoTokenKey": NoTokenKey}


class RemoteKeeper:
    """Asks the keeper service, over HTTP, for everything that needs a secret or writes."""

    def __init__(self, url: str, token: Secret, session: requests.Session | None = None):
        self.url = url.rstrip("/")
        self._token = token
        self._session = session or _session()
        self._who: dict | None = None

    @classmethod
    def from_environment(cls, environ: dict | None = None) -> RemoteKeeper:
        """The keeper named by ``SUPPORT_KIT_KEEPER_URL``, with this server's hub token."""
        env = os.environ if environ is None else environ
        url, token = (env.get(URL_SETTING) or "").strip(), env.get(TOKEN_VARIABLE) or ""
        if not token:
            raise SupportKitError(f"{URL_SETTING} is set but {TOKEN_VARIABLE} is not: the desk "
                                  "talks to its keeper only from a JupyterHub server. Open the "
                                  "desk through the hub, or unset the setting on one machine.")
        return cls(url, Secret(token))

    def __repr__(self) -> str:
        return f"RemoteKeeper({self.url!r})"

    # --- HTTP ---------------------------------------------------------------------------
    def _call(self, method: str, name: str, raw: bool = False, **fields):
        kwargs = {"params": fields} if method == "GET" else {"json": fields}
        try:
            answer = self._session.request(
                method, f"{self.url}/api/{name}", timeout=TIMEOUT,
                headers={"Authorization": f"token {self._token.reveal()}"}, **kwargs)
        except requests.RequestException as exc:
            raise SupportKitError(_no_answer(self.url, exc)) from None
        if answer.status_code >= 400:
            try:
                data = answer.json()
            except ValueError:
                data = {}
            message = mask_secrets(str(data.get("error") or f"HTTP {answer.status_code}"))
            raise _ERRORS.get(data.get("kind"), SupportKitError)(message)
        return answer.content if raw else answer.json()

    def _frame(self, name: str, **fields) -> pd.DataFrame:
        return wire.frame_from(self._call("GET", name, raw=True, **fields))

    # --- who and what -------------------------------------------------------------------
    def whoami(self) -> dict:
        if self._who is None:
            self._who = self._call("GET", "whoami")
        return self._who

    @property
    def agent(self) -> str:
        return self.whoami()["agent"]

    @property
    def demo(self) -> bool:
        return bool(self.whoami()["demo"])

    def customers(self) -> CustomerList:
        """The keeper's customer list, without refresh tokens."""
        who = self.whoami()
        return CustomerList(self._frame("customers"), self._frame("rejects"),
                            f"{who['source']} (the desk's keeper)", RefreshTokens({}))

    def settings(self, settings: Settings) -> Settings:
        """The settings of an agent's desk: none of Amazon's or the store's, no secret; the
        keeper's mode, time zone and name for the caller."""
        who = self.whoami()
        expires, roles = who.get("lwa_secret_expires"), who.get("roles_changed_on")
        return Settings(customers=settings.customers, timezone=who["timezone"],
                        agent=who["agent"], mail_from=who.get("mail_from"),
                        lwa_secret_expires=dt.date.fromisoformat(expires) if expires else None,
                        customer_language=who.get("customer_language") or "de",
                        roles_changed_on=dt.date.fromisoformat(roles) if roles else None,
                        demo=bool(who["demo"]), keeper_url=self.url)

    # --- reads ----------------------------------------------------------------------------
    def history(self, customer_id: str, limit: int = 500) -> list[Event]:
        return [wire.event_from_dict(e) for e in
                self._call("GET", "history", customer_id=customer_id, limit=limit)]

    def latest_events(self, kinds: Iterable[str], until: dt.datetime | None = None
                      ) -> pd.DataFrame:
        return self._frame("latest_events", kinds=",".join(kinds),
                           until=until.isoformat() if until else "")

    def latest_renewals(self, until: dt.datetime | None = None,
                        customer_ids: Iterable[str] | None = None) -> pd.DataFrame:
        ids = ",".join(customer_ids) if customer_ids is not None else ""
        return self._frame("latest_renewals", until=until.isoformat() if until else "",
                           customer_ids=ids)

    def renewals_done(self) -> int:
        return int(self._call("GET", "renewals_done")["count"])

    def previous_run(self, source: str, as_of: dt.date) -> tuple[dt.date, bytes] | None:
        found = self._call("GET", "previous_run", source=source, as_of=as_of.isoformat())
        return (dt.date.fromisoformat(found["as_of"]), wire.unblob(found["states"])
                ) if found else None

    def lay_over(self, customers: CustomerList, as_of: dt.date) -> CustomerList:
        """The renewals (dates, seller ids; no token) laid over the agent's list."""
        return with_desk_renewals(customers, self, Settings(timezone=self.whoami()["timezone"]),
                                  as_of)

    def send_claim(self, customer_id: str, day: dt.date) -> SendClaim | None:
        return wire.claim_from_dict(self._call("GET", "send_claim", customer_id=customer_id,
                                               day=day.isoformat()))

    # --- writes ---------------------------------------------------------------------------
    def record(self, event: Event) -> Event:
        """Keep a note or contact; the keeper records it under the hub's name for the caller."""
        if event.kind not in AGENT_KINDS:
            raise SupportKitError(f"{event.kind!r} events are recorded by the keeper's own "
                                  "operations, not by an agent's session.")
        return wire.event_from_dict(self._call(
            "POST", "events", kind=event.kind, customer_id=event.customer_id,
            seller_id=event.seller_id, detail=event.detail))

    def record_many(self, batch: Iterable[Event]) -> int:
        return sum(1 for event in batch if self.record(event))

    def record_run(self, source: str, as_of: dt.date, agent: str, counts: dict,
                   states: bytes, at: dt.datetime | None = None) -> None:
        self._call("POST", "report_runs", source=source, as_of=as_of.isoformat(),
                   counts=counts, states=wire.blob(states), at=at.isoformat() if at else None)

    def claim_send(self, customer_id: str, day: dt.date, agent: str = "",
                   at: dt.datetime | None = None) -> SendClaim | None:
        return wire.claim_from_dict(self._call("POST", "send_claims", customer_id=customer_id,
                                               day=day.isoformat()))

    def complete_send(self, customer_id: str, day: dt.date, event: Event) -> None:
        self._call("POST", "send_claims/complete", customer_id=customer_id,
                   day=day.isoformat(), event=event.to_dict())

    def release_send(self, customer_id: str, day: dt.date) -> None:
        self._call("POST", "send_claims/release", customer_id=customer_id,
                   day=day.isoformat())

    # --- what needs a secret: done by the keeper ------------------------------------------
    def renewal_link(self, customer_id: str, as_of: dt.date, lang: str | None = None,
                     message_lang: str | None = None, redirect_uri: str | None = None,
                     draft: bool = False, valid_days: int | None = None,
                     region: str | None = None) -> RenewalLink:
        return wire.link_from_dict(self._call(
            "POST", "link", customer_id=customer_id, as_of=as_of.isoformat(), lang=lang,
            message_lang=message_lang, redirect_uri=redirect_uri, draft=draft,
            valid_days=valid_days, region=region))

    def verify_callback(self, url: str, as_of: dt.date | None, lang: str = DEFAULT_LANGUAGE,
                        customer_id: str | None = None) -> CallbackResult:
        data = self._call("POST", "callback", url=url, lang=lang, customer_id=customer_id,
                          as_of=as_of.isoformat() if as_of else None)
        return wire.callback_from_dict(data, url)

    def confirm(self, callback: CallbackResult, as_of: dt.date | None,
                lang: str = DEFAULT_LANGUAGE) -> Confirmation:
        if callback.url is None:
            raise SupportKitError("Only a callback checked at this desk can be confirmed: "
                                  "check the callback address first.")
        return wire.confirmation_from_dict(self._call(
            "POST", "confirm", url=callback.url.reveal(), lang=lang,
            customer_id=callback.customer_id, as_of=as_of.isoformat() if as_of else None))

    def consent_links(self, frame: pd.DataFrame, valid_days: int = 7) -> pd.Series:
        """Consent links for a mail merge's rows, signed by the keeper from its own list
        (only the customer ids travel: the keeper binds each to the seller it has on file)."""
        ids = frame["customer_id"].astype(str).tolist()
        regions = ([r if isinstance(r, str) else "" for r in frame["region"]]
                   if "region" in frame else [""] * len(ids))  # one link per authorization
        links = self._call("POST", "consent_links", customer_ids=ids, regions=regions,
                           valid_days=valid_days)
        return pd.Series(links, index=frame.index, dtype="str")

    def send_reminders(self, as_of: dt.date, stopped_within: int, quiet_days: int,
                       customer_ids: list[str], recheck: bool = False) -> dict:
        """Have the keeper send the previewed reminders still due (it holds the mail
        server's password); what it sent and did not, as :func:`support_kit.remind.
        result_dict` gives it."""
        return self._call("POST", "reminders/send", as_of=as_of.isoformat(),
                          stopped_within=stopped_within, quiet_days=quiet_days,
                          customer_ids=[str(c) for c in customer_ids], recheck=recheck)

    def live_check(self, customer_id: str, as_of: dt.date | None) -> LiveResult:
        return wire.live_from_dict(self._call(
            "POST", "live_check", customer_id=customer_id,
            as_of=as_of.isoformat() if as_of else None))

    def live_checks(self, customer_ids: Iterable[str], as_of: dt.date | None,
                    concurrency: int | None = None,
                    progress: Callable[[int, int], None] | None = None) -> LiveCheckRun:
        run = wire.run_from_dict(self._call(
            "POST", "live_checks", customer_ids=[str(c) for c in customer_ids],
            as_of=as_of.isoformat() if as_of else None, concurrency=concurrency))
        if progress:
            progress(len(run.results), run.total or len(run.results))
        return run

    def refresh_token(self, customer_id: str, as_of: dt.date) -> Secret | None:
        raise SupportKitError("Refresh tokens stay with the desk's keeper: the integration "
                              "reads them where the keeper runs, never in an agent's session.")

    def close(self) -> None:
        self._session.close()


def _no_answer(url: str, exc: requests.RequestException) -> str:
    """One line: the keeper was not reached (nothing done), or its answer was lost."""
    name = type(exc).__name__
    if isinstance(exc, requests.ConnectTimeout) or "NewConnectionError" in repr(exc):
        return (f"The desk's keeper at {url} cannot be reached ({name}): try again in a "
                "minute; if it stays so, ask your administrator to check the hub's keeper "
                "service.")
    return (f"The desk's keeper at {url} did not answer ({name}): what it did is in the "
            "customer's history; look there before trying again (a code is never exchanged "
            "twice, a reminder never sent twice).")


def _session() -> requests.Session:
    """Connection failures retried briefly (nothing was sent); answers are never repeated,
    so an operation that spends something is not done twice."""
    session = requests.Session()
    retry = Retry(total=2, connect=2, read=0, status=0, other=0, backoff_factor=0.3,
                  allowed_methods=None, raise_on_status=False)
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session
