"""The desk's renewals as the customers' newest authorization (date, seller id, token).

The rules stay in :mod:`support_kit.rules`; this only supplies a newer ``authorized_at``
where the desk confirmed a renewal after the list's date, and says so in
``authorized_source`` (``list`` or ``desk``).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from .. import dates, marketplaces
from ..config import Secret, Settings
from ..customers import CustomerList, RefreshTokens, authorization_key
from ..errors import SupportKitError
from .store import Store
from .vault import KEY_SETTING, TokenVault

SOURCES = ("list", "desk")


def vault_for(settings: Settings) -> TokenVault | None:
    """The token vault of these settings (the demo key in demo mode), or ``None``."""
    return TokenVault(settings.token_key) if settings.token_key else None


class DeskTokens(RefreshTokens):
    """The list's refresh tokens, with the desk's renewed ones (sealed) in front, by
    :func:`support_kit.customers.authorization_key`.

    A desk token is opened only when asked for, with the desk's token key.
    """

    def __init__(self, listed: RefreshTokens, sealed: dict[str, str], vault: TokenVault | None):
        super().__init__({})
        self._listed = listed
        self._sealed = sealed
        self._vault = vault

    def _sealed_for(self, customer_id: object, region: str | None) -> str | None:
        exact = self._sealed.get(authorization_key(customer_id, region))
        if exact is not None or region:
            return exact
        prefix = f"{customer_id}@"  # no region asked: the customer's first renewed one
        return next((v for k, v in self._sealed.items() if k.startswith(prefix)), None)

    def get(self, customer_id: str, region: str | None = None) -> Secret | None:
        sealed = self._sealed_for(customer_id, region)
        if sealed is None:
            return self._listed.get(customer_id, region)
        if self._vault is None:
            raise SupportKitError(
                f"Customer {customer_id} was renewed at the desk; its refresh token is stored "
                f"encrypted and {KEY_SETTING} is not set. Set it to the desk's token key.")
        return self._vault.open(sealed)

    def __contains__(self, customer_id: object) -> bool:
        return self._sealed_for(customer_id, None) is not None or customer_id in self._listed

    def __len__(self) -> int:
        renewed = set(self._sealed) | {k.split("@")[0] for k in self._sealed}
        return len(self._sealed) + sum(k not in renewed for k, _ in self._listed.pairs())

    def pairs(self) -> Iterable[tuple[str, str]]:
        renewed = set(self._sealed) | {k.split("@")[0] for k in self._sealed}
        for key, token in self._listed.pairs():
            if key not in renewed:
                yield key, token
        if self._vault is not None:
            for customer_id, sealed in self._sealed.items():
                token = self._vault.try_open(sealed)  # one the key cannot open: not offered
                if token is not None:
                    yield customer_id, token.reveal()


def end_of_day(day: dt.date, timezone: str) -> dt.datetime:
    """The last moment of ``day`` in the desk's time zone, in UTC.

    >>> end_of_day(dt.date(2026, 12, 1), "Europe/Berlin").isoformat()
    '2026-12-01T23:00:00+00:00'
    """
    start = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), ZoneInfo(timezone))
    return start.astimezone(dt.UTC)


def with_desk_renewals(customers: CustomerList, store: Store, settings: Settings,
                       as_of: dt.date | None = None) -> CustomerList:
    """``customers`` with each desk renewal up to ``as_of`` (default: today) as its newest
    authorization. Adds ``authorized_source`` to every row.

    Where the desk renewal is newer than the list's date (or the list has none or a bad
    one), ``authorized_at`` becomes the renewal time, a revocation on or before that day no
    longer counts, an empty ``seller_id`` is filled with the one Amazon sent, and the token
    the desk received is the customer's token.
    """
    as_of = as_of or dates.today(settings.timezone)
    frame = customers.customers
    renewed = store.latest_renewals(until=end_of_day(as_of, settings.timezone))
    frame = frame.assign(authorized_source=pd.Categorical.from_codes(
        np.zeros(len(frame), dtype="int8"), categories=SOURCES))
    if renewed.empty:
        return dataclasses.replace(customers, customers=frame)
    if "region" not in renewed:  # from a keeper that keeps no region
        renewed = renewed.assign(region=None)
    # one authorization per customer and region; a renewal without a region (kept before
    # regions were) stands for the customer's first row
    regions = marketplaces.regions(frame["marketplace"])
    row_keys = pd.Index(frame["customer_id"] + "@" + regions)
    first = pd.Series(regions.to_numpy(), index=frame["customer_id"].to_numpy())
    first = first[~first.index.duplicated()]
    wanted = renewed["region"].where(renewed["region"].notna() & (renewed["region"] != ""),
                                     renewed["customer_id"].map(first))
    renewed = renewed.assign(key=renewed["customer_id"] + "@" + wanted.fillna(""))
    renewed = renewed.drop_duplicates("key", keep="last")  # the newest per authorization
    positions = row_keys.get_indexer(renewed["key"])
    known = positions >= 0
    if not known.any():
        return dataclasses.replace(customers, customers=frame)
    rows = frame.index[positions[known]]
    mine = frame.loc[rows, ["customer_id", "authorized_at", "revoked_at", "seller_id"]]
    by_id = renewed[known].set_index(rows)
    listed_on, _bad = dates.parse_dates(mine["authorized_at"], settings.timezone)
    renewed_at = by_id["renewed_at"]
    renewed_on = renewed_at.dt.tz_convert(settings.timezone).dt.tz_localize(None).dt.normalize()
    desk = listed_on.isna() | (renewed_on >= listed_on)
    take = rows[desk.to_numpy()]
    revoked_on, _ = dates.parse_dates(mine.loc[take, "revoked_at"], settings.timezone)
    frame = frame.copy()
    frame["previous_authorized_at"] = ""  # the replaced authorization: the order gap's start
    frame["previous_revoked_at"] = ""
    frame.loc[take, "previous_authorized_at"] = mine.loc[take, "authorized_at"]
    frame.loc[take, "previous_revoked_at"] = mine.loc[take, "revoked_at"]
    frame.loc[take, "authorized_at"] = renewed_at[take].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame.loc[take, "authorized_source"] = "desk"
    if "has_refresh_token" in frame:
        frame.loc[take, "has_refresh_token"] = True
    cleared = take[(revoked_on <= renewed_on[take]).to_numpy()]
    frame.loc[cleared, "revoked_at"] = ""
    missing = take[(mine.loc[take, "seller_id"].astype("str").str.strip() == "").to_numpy()]
    frame.loc[missing, "seller_id"] = by_id.loc[missing, "seller_id"].fillna("").astype(str)
    sealed = {} if "token" not in by_id else dict(  # a keeper's client gets no token
        zip(row_keys[frame.index.get_indexer(take)], by_id.loc[take, "token"], strict=True))
    tokens = DeskTokens(customers.refresh_tokens, sealed, vault_for(settings))
    return dataclasses.replace(customers, customers=frame, refresh_tokens=tokens)
