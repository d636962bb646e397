"""Synthetic customers: the bundled demo data and large files for benchmarks.

Deterministic for a given seed and reference date. The first rows are showcase cases
(one per state, finding, region and language); the rest are drawn at random.

    python -m support_kit.demo --rows 200 --as-of 2026-12-01 \
        --out support_kit/data/demo_customers.csv
"""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

import numpy as np
import pandas as pd

from .customers import COLUMNS

#: The reference date of the bundled demo file (its golden summary is pinned to it).
DEMO_AS_OF = dt.date(2026, 12, 1)

_FIRST = ("Alpen", "Berg", "Nord", "Sonnen", "Stadt", "Wald", "River", "Maple", "Harbour",
          "Blue", "Green", "Kiez", "Rhein", "Elb", "Garten", "Kaffee", "Velo", "Pixel")
_SECOND = ("markt", "laden", "haus", "werk", "kontor", "shop", "store", "supply", "outlet",
           "boutique", "depot", "trading")
_SUFFIX = (" GmbH", " UG", " e.K.", " KG", "", " Ltd", " S.L.", " SARL", " srl")
_HOSTILE = (
    '=HYPERLINK("http://evil.example/","Klick")',
    "<script>alert('shop')</script>",
    "+49 Sofort & Günstig <b>Deals</b>",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-Rabatt \"Sommer\"; Lager",
)
_MARKETPLACES = ("DE", "DE", "DE", "DE", "GB", "FR", "IT", "ES", "NL", "PL", "SE", "BE",
                 "US", "CA", "MX", "JP", "AU", "IN", "TR", "AE")

#: Showcase rows: (label, overrides) with dates as days before the reference date.
#: "auth" is days before as_of; "revoked" days before as_of; None leaves a field empty.
SHOWCASE: tuple[tuple[str, dict], ...] = (
    ("valid, Germany", {"auth": 100, "marketplace": "DE"}),
    ("expiring in 30 days", {"auth": 335, "marketplace": "de"}),
    ("expiring in 1 day", {"auth": 364, "marketplace": "UK", "language": "en"}),
    ("expires today", {"auth": 365, "marketplace": "FR"}),
    ("expired 40 days ago", {"auth": 405, "marketplace": "A1PA6795UKMFR9"}),
    ("expired long ago", {"auth": 800, "marketplace": "US", "language": "en"}),
    ("revoked", {"auth": 200, "revoked": 10, "marketplace": "JP", "language": "en"}),
    ("revoked before re-authorization", {"auth": 50, "revoked": 90, "marketplace": "AU"}),
    ("never authorized", {"auth": None, "marketplace": "IT"}),
    ("individual plan", {"auth": 20, "selling_plan": "individual", "marketplace": "ES"}),
    ("plan unknown", {"auth": 120, "selling_plan": "", "marketplace": "NL"}),
    ("amazon payments", {"auth": 30, "account_type": "amazon_payments", "marketplace": "DE"}),
    ("vendor central", {"auth": 60, "account_type": "vendor_central", "marketplace": "PL"}),
    ("account type unknown", {"auth": 70, "account_type": "", "marketplace": "SE"}),
    ("unknown marketplace", {"auth": 80, "marketplace": "XX"}),
    ("seller id missing", {"auth": 90, "seller_id": "", "marketplace": "CA"}),
    ("bad authorization date", {"authorized_at": "31.02.2025", "marketplace": "MX"}),
    ("authorization in the future", {"auth": -12, "marketplace": "IN"}),
    ("bad revocation date", {"auth": 150, "revoked_at": "gestern", "marketplace": "TR"}),
    ("datetime near midnight UTC", {"authorized_at": "2025-12-16T23:30:00Z",
                                     "marketplace": "DE"}),
    ("German date", {"authorized_at": "15.12.2025", "marketplace": "BE", "language": "en"}),
    ("hostile shop name", {"auth": 345, "shop_name": _HOSTILE[0], "marketplace": "DE"}),
    ("hostile shop name", {"auth": 380, "shop_name": _HOSTILE[1], "marketplace": "GB",
                           "language": "en"}),
)


def generate(rows: int, as_of: dt.date = DEMO_AS_OF, seed: int = 20261201) -> pd.DataFrame:
    """``rows`` synthetic customers in the canonical columns, as text.

    >>> frame = generate(50)
    >>> len(frame), frame["customer_id"].is_unique
    (50, True)
    """
    rng = np.random.default_rng(seed)
    n = rows
    day = np.datetime64(as_of, "D")
    first = rng.choice(_FIRST, n)
    second = rng.choice(_SECOND, n)
    shop = pd.Series(np.char.add(np.char.add(first, second), rng.choice(_SUFFIX, n)))
    slug = pd.Series(np.char.add(first, second)).str.lower()
    index = pd.Series(np.arange(n))
    hostile = index % 97 == 41
    shop[hostile] = np.array(_HOSTILE, dtype=object)[(index[hostile] // 97) % len(_HOSTILE)]

    alphabet = np.array(list("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789"))
    letters = np.ascontiguousarray(rng.choice(alphabet, (n, 13)))
    seller = "A" + pd.Series(letters.view("<U13").ravel(), dtype=object)
    seller[rng.random(n) < 0.02] = ""

    marketplace = pd.Series(rng.choice(_MARKETPLACES, n))
    marketplace = marketplace.where(rng.random(n) > 0.01, "XX")
    plan = pd.Series(rng.choice(["professional", "Professional", "individual", ""], n,
                                p=[0.90, 0.04, 0.03, 0.03]))
    account = pd.Series(rng.choice(["seller_central", "Seller Central", "amazon_payments",
                                    "vendor_central", ""], n,
                                   p=[0.88, 0.04, 0.03, 0.02, 0.03]))

    days_ago = rng.integers(-3, 520, n)
    authorized = pd.Series(day - days_ago.astype("timedelta64[D]"))
    iso = authorized.dt.strftime("%Y-%m-%d")
    german = authorized.dt.strftime("%d.%m.%Y")
    moment = (authorized + pd.to_timedelta(rng.integers(0, 86400, n), unit="s")).dt.strftime(
        "%Y-%m-%dT%H:%M:%SZ")
    form = rng.random(n)
    authorized_at = iso.where(form < 0.7, german.where(form < 0.85, moment))
    authorized_at[days_ago < 0] = iso[days_ago < 0]
    authorized_at[rng.random(n) < 0.04] = ""
    authorized_at[rng.random(n) < 0.005] = "31.02.2025"

    revoked_at = pd.Series("", index=index, dtype=object)
    revoke = (rng.random(n) < 0.03) & (authorized_at != "") & (days_ago > 5)
    revoked_days = (days_ago * rng.random(n)).astype(int)
    revoked_at[revoke] = pd.Series(day - revoked_days.astype("timedelta64[D]")).dt.strftime(
        "%Y-%m-%d")[revoke]

    language = pd.Series(rng.choice(["de", "en", "EN", ""], n, p=[0.7, 0.22, 0.03, 0.05]))
    domain = np.where(language.str.lower() == "en", "example.com", "example.de")
    email = slug + "." + index.astype(str) + "@" + domain
    token = pd.Series([f"Atzr|demo-{v:016x}" for v in rng.integers(0, 2**63, n)])
    token[authorized_at == ""] = ""

    frame = pd.DataFrame({
        "customer_id": "C" + (100001 + index).astype(str),
        "shop_name": shop,
        "seller_id": seller,
        "marketplace": marketplace,
        "selling_plan": plan,
        "account_type": account,
        "authorized_at": authorized_at,
        "revoked_at": revoked_at,
        "contact_email": email,
        "language": language,
        "refresh_token": token,
    })
    for position, (_label, case) in enumerate(SHOWCASE[: n]):
        _apply_showcase(frame, position, case, day)
    return frame[list(COLUMNS)]


def _apply_showcase(frame: pd.DataFrame, row: int, case: dict, day: np.datetime64) -> None:
    defaults = {"selling_plan": "professional", "account_type": "seller_central",
                "revoked_at": "", "language": "de"}
    values = defaults | {k: v for k, v in case.items() if k not in ("auth", "revoked")}
    if "auth" in case:
        auth = case["auth"]
        values["authorized_at"] = "" if auth is None else str(day - np.timedelta64(auth, "D"))
    if "revoked" in case:
        values["revoked_at"] = str(day - np.timedelta64(case["revoked"], "D"))
    if not values.get("authorized_at"):
        values["refresh_token"] = ""
    for column, value in values.items():
        frame.loc[row, column] = value


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Write synthetic customers as CSV.")
    parser.add_argument("--rows", type=int, default=200)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, default=DEMO_AS_OF)
    parser.add_argument("--seed", type=int, default=20261201)
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    generate(args.rows, args.as_of, args.seed).to_csv(args.out, index=False)


if __name__ == "__main__":
    main()
