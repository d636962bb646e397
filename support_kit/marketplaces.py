"""The marketplace table (package data): ids, regions, API and Seller Central hosts."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from importlib.resources import files

import numpy as np
import pandas as pd

from .columns import map_distinct

#: Aliases customers write instead of the ISO code.
ALIASES = {"UK": "GB"}


@dataclass(frozen=True)
class Marketplace:
    """One Amazon marketplace.

    >>> lookup("uk").seller_central_host
    'sellercentral-europe.amazon.com'
    """

    country_code: str
    marketplace_id: str
    name: str
    region: str
    spapi_host: str
    seller_central_host: str
    vendor_central_host: str
    seller_central_host_confirmed: bool


@cache
def table() -> pd.DataFrame:
    """The marketplace table, one row per country code.

    >>> table().loc["DE", "marketplace_id"]
    'A1PA6795UKMFR9'
    """
    path = files("support_kit") / "data" / "marketplaces.csv"
    with path.open(encoding="utf-8") as fh:
        frame = pd.read_csv(fh, dtype=str, keep_default_na=False)
    frame["seller_central_host_confirmed"] = frame["seller_central_host_confirmed"] == "yes"
    return frame.set_index("country_code", drop=False)


@cache
def _codes_by_key() -> dict[str, str]:
    t = table()
    keys = {code: code for code in t.index}
    keys.update({mid.upper(): code for code, mid in zip(t.index, t["marketplace_id"], strict=True)})
    keys.update(ALIASES)
    return keys


def country_codes(values: pd.Series) -> pd.Series:
    """Normalise marketplace values (any case, ``UK``, or a marketplace id) to country codes.

    Values that name no marketplace become missing.

    >>> country_codes(pd.Series(["de", "UK", "A1F83G8C2ARO7P", "XX"])).tolist()
    ['DE', 'GB', 'GB', nan]
    """
    keys = _codes_by_key()
    return map_distinct(values, lambda v: keys.get(v.strip().upper(), np.nan))


def regions(values: pd.Series) -> pd.Series:
    """The region (NA, EU, FE) of each marketplace value; ``""`` where it names none.

    One authorization covers a region: a customer holds at most one per region.

    >>> regions(pd.Series(["de", "US", "A39IBJ37TRP1C6", "XX"])).tolist()
    ['EU', 'NA', 'FE', '']
    """
    keys, by_code = _codes_by_key(), table()["region"].to_dict()
    return map_distinct(values, lambda v: by_code.get(keys.get(v.strip().upper()), ""))


def lookup(value: str | None) -> Marketplace | None:
    """The marketplace for a country code, alias or marketplace id, or ``None``.

    >>> lookup("A1PA6795UKMFR9").name
    'Germany'
    """
    code = _codes_by_key().get((value or "").strip().upper())
    if code is None:
        return None
    return Marketplace(**table().loc[code].to_dict())
