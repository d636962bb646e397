"""A verified callback becomes a kept renewal: the code is spent once, the token is kept.

The steps, each before the next: a token key to keep the token (else refused before the
code is used), the code claimed in the store (a second exchange says "already renewed"),
the exchange at Amazon, the token sealed and the ``renewed`` event in one transaction (tried
again while the store is busy; if it still cannot take them they wait, sealed, in a private
file that the next opening of the store takes in), and a live check with the new token.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import requests
from sqlalchemy.exc import SQLAlchemyError

from . import dates, rules
from .amazon import AmazonClient, AmazonError
from .config import Settings
from .customers import CustomerList
from .errors import SupportKitError
from .live_check import LiveResult, check_one, network_detail
from .renewal import CallbackResult
from .store import Event, Renewal, Store, utc
from .store.authorizations import vault_for, with_desk_renewals
from .store.vault import KEY_SETTING
from .texts import DEFAULT_LANGUAGE, format_date, text
from .views import render

STATUSES = ("renewed", "already_renewed", "in_progress", "failed")


class NoTokenKey(SupportKitError):
    """The token could not be kept, so the single-use code was not spent."""


@dataclass(frozen=True)
class Confirmation:
    """The outcome of confirming a renewal at the desk (no token in it, ever).

    ``status``: ``renewed`` (now), ``already_renewed`` (before: ``renewal`` says when and by
    whom), ``in_progress`` (another agent is exchanging the code), ``failed`` (``live``
    says why; the code may be spent).
    """

    status: str
    customer_id: str
    seller_id: str | None
    seller_new: bool
    message: str
    renewal: Renewal | None = None
    live: LiveResult | None = None
    lang: str = DEFAULT_LANGUAGE
    problem: str | None = None  # amazon_problem, store_problem: what failed, for programs

    @property
    def ok(self) -> bool:
        return self.status in ("renewed", "already_renewed")

    def to_dict(self) -> dict:
        when = self.renewal.renewed_at if self.renewal else None
        return {"ok": self.ok, "status": self.status, "customer_id": self.customer_id,
                "seller_id": self.seller_id, "seller_new": self.seller_new,
                "message": self.message, "renewed_at": when.isoformat() if when else None,
                "renewed_by": self.renewal.agent if self.renewal else None,
                "live_state": self.live.live_state if self.live else None,
                "detail": self.live.detail if self.live else None,
                "request_id": self.live.request_id if self.live else None,
                "problem": self.problem}

    def __str__(self) -> str:
        if self.live is None:
            return self.message
        return f"{self.message}\n{text(self.lang, 'ui.live_check')}: {self.live.label(self.lang)}"

    def _repr_html_(self, lang: str | None = None) -> str:
        return render("confirmation.html", c=self, lang=lang or self.lang)


def code_hash(callback: CallbackResult) -> str:
    """The store's key for a callback's code: its SHA-256 (the code itself is never kept)."""
    assert callback.code is not None
    return hashlib.sha256(callback.code.reveal().encode()).hexdigest()


def _when(renewal: Renewal, settings: Settings, lang: str) -> dict[str, str]:
    moment = (renewal.renewed_at or renewal.claimed_at).astimezone(ZoneInfo(settings.timezone))
    return {"date": format_date(moment.date(), lang), "time": moment.strftime("%H:%M"),
            "agent": renewal.agent}


def confirm_renewal(callback: CallbackResult, customers: CustomerList, settings: Settings,
                    amazon: Settings, store: Store, lang: str = DEFAULT_LANGUAGE,
                    as_of: dt.date | None = None, now: dt.datetime | None = None,
                    client: AmazonClient | None = None) -> Confirmation:
    """Exchange a verified callback's code once, keep the token sealed, check it live.

    ``settings`` are the desk's (token key, agent, time zone); ``amazon`` where to send
    the code (the real Amazon, or the sandbox that issued it). ``customers`` is the list as
    loaded; the desk's renewals are laid over it for the live check.
    """
    if not callback.ok or callback.code is None or callback.customer_id is None:
        raise SupportKitError("Only a verified callback can be exchanged: " + str(callback))
    customer_id, seller = str(callback.customer_id), callback.selling_partner_id
    key = code_hash(callback)
    store.recover_kept()  # a renewal kept aside while the store was busy: stored first
    known = store.renewal(key)
    if known is not None and known.customer_id != customer_id:
        return _used_elsewhere(known, customer_id, seller, callback, settings, lang)
    if known is not None and known.done:
        return Confirmation("already_renewed", customer_id, known.seller_id, known.seller_new,
                            text(lang, "confirm.already_renewed", **_when(known, settings,
                                                                          lang)), known,
                            lang=lang)
    vault = vault_for(settings)
    if vault is None:
        raise NoTokenKey(text(lang, "confirm.no_key").replace("SUPPORT_KIT_TOKEN_KEY",
                                                             KEY_SETTING))
    stored = store.newest_sealed_token()
    if stored is not None and vault.try_open(stored) is None:
        raise NoTokenKey(text(lang, "confirm.wrong_key"))
    now = utc(now)
    holder = store.claim(key, customer_id, seller, callback.seller_new, settings.agent, now,
                         callback.region)
    if holder is not None and holder.customer_id != customer_id:
        return _used_elsewhere(holder, customer_id, seller, callback, settings, lang)
    if holder is not None:
        status = "already_renewed" if holder.done else "in_progress"
        return Confirmation(status, customer_id, holder.seller_id, holder.seller_new,
                            text(lang, f"confirm.{status}", **_when(holder, settings, lang)),
                            holder, lang=lang)
    own_client = client is None
    client = client or AmazonClient(amazon)
    try:
        try:
            grant = client.exchange_code(callback.code, callback.redirect_uri)
        except AmazonError as exc:
            store.release(key)
            detail = (text(lang, "confirm.code_spent") if exc.code == "invalid_grant"
                      else f"{exc.code}: {exc.message}")
            live = LiveResult(customer_id, "error", request_id=exc.request_id, detail=detail)
            return Confirmation("failed", customer_id, seller, callback.seller_new,
                                text(lang, "confirm.failed", detail=detail), live=live,
                                lang=lang)
        except (requests.ConnectionError, requests.Timeout) as exc:
            store.release(key)
            live = LiveResult(customer_id, "unreachable", detail=network_detail(exc))
            return Confirmation("failed", customer_id, seller, callback.seller_new,
                                text(lang, "confirm.failed", detail=live.detail), live=live,
                                lang=lang)
        except BaseException:
            store.release(key)
            raise
        if grant.refresh_token is None:  # Amazon said yes but gave nothing to keep
            store.release(key)
            detail = text(lang, "confirm.no_refresh_token")
            return Confirmation("failed", customer_id, seller, callback.seller_new,
                                text(lang, "confirm.failed", detail=detail),
                                live=LiveResult(customer_id, "error", detail=detail,
                                                request_id=grant.request_id),
                                lang=lang, problem="amazon_problem")
        renewed = Event("renewed", customer_id, seller, {
            "seller_new": callback.seller_new, "authorized_source": "desk",
            "renewed_at": now.isoformat()} | ({"region": callback.region} if callback.region
                                               else {}), settings.agent, now)
        sealed = vault.seal(grant.refresh_token)
        try:
            store.complete(key, sealed, now, renewed)  # tried again while the store is busy
        except SQLAlchemyError as exc:  # the code is spent: its token must not be lost
            return _kept_aside(store, key, sealed, now, renewed, exc, callback, lang)
        renewal = store.renewal(key)
        day = as_of or dates.today(settings.timezone)
        desk = with_desk_renewals(customers, store, settings, max(day, now.date()))
        every = rules.authorizations(desk, customer_id, day, settings.timezone,
                                     **settings.rules)
        mine = every[every["region"] == callback.region] if callback.region else every
        row = (mine if len(mine) else every).iloc[0]
        live = check_one(client, row, grant.refresh_token)
    finally:
        if own_client:
            client.close()
    store.record(Event("live_checked", customer_id, seller, live_detail(live),
                       settings.agent, utc()))
    local = now.astimezone(ZoneInfo(settings.timezone)).date()
    return Confirmation("renewed", customer_id, seller, callback.seller_new,
                        text(lang, "confirm.renewed", date=format_date(local, lang)),
                        renewal, live, lang)


def _kept_aside(store: Store, key: str, sealed: str, now: dt.datetime, renewed: Event,
                exc: SQLAlchemyError, callback: CallbackResult, lang: str) -> Confirmation:
    """The store could not take a spent code's token: keep it (sealed) in a private file
    that the next opening of the store takes in, and say so in one line."""
    reason = " ".join(str(getattr(exc, "orig", None) or type(exc).__name__).split())[:200]
    try:
        where = store.keep_aside(key, sealed, now, renewed)
    except OSError as error:
        message = text(lang, "confirm.token_lost", reason=reason,
                       error=error.strerror or type(error).__name__)
    else:
        message = text(lang, "confirm.kept_aside", reason=reason, file=str(where))
    return Confirmation("failed", renewed.customer_id, renewed.seller_id, callback.seller_new,
                        message, lang=lang, problem="store_problem")


def _used_elsewhere(renewal: Renewal, customer_id: str, seller: str | None,
                    callback: CallbackResult, settings: Settings, lang: str) -> Confirmation:
    """A code that was exchanged for another customer: never "renewed" for this one."""
    message = text(lang, "confirm.code_elsewhere", other=renewal.customer_id,
                   customer_id=customer_id, **_when(renewal, settings, lang))
    return Confirmation("failed", customer_id, seller, callback.seller_new, message, lang=lang)


def live_detail(result: LiveResult) -> dict:
    """A live check as an event's detail (state, plan, marketplaces; never a token)."""
    return {"live_state": result.live_state, "selling_plan": result.selling_plan,
            "marketplaces": list(result.marketplaces), "request_id": result.request_id,
            "findings": list(result.findings), "causes": list(result.causes),
            "region": result.region}
