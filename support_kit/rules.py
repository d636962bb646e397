"""The FAQ's and Amazon's rules, once, vectorised over a frame of customers.

One customer is a frame of one row; the bulk report and the desk call the same functions.
Sources, shipped in ``docs/``: ``amazon-facts.md`` (Amazon's SP-API docs, each fact with its
address) and ``support-faq-de.txt`` (the support FAQ).
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd

from . import marketplaces
from .columns import as_text, map_distinct
from .dates import DEFAULT_TIMEZONE, parse_dates
from .texts import CUSTOMER_LANGUAGES, DEFAULT_CUSTOMER_LANGUAGE

#: Amazon: re-authorize every 365 days. The FAQ: one year. The earlier date wins.
VALIDITY_DAYS = 365
#: Amazon e-mails weekly from 30 days before expiry; the desk's "expiring" window.
REMINDER_DAYS = 30

STATES = ("not_authorized", "valid", "expiring", "expired", "revoked", "unknown")
#: What stops when Amazon deactivates or the seller revokes the token (FAQ).
CONSEQUENCES = ("price_sync_stopped", "stock_sync_stopped", "order_import_stopped")
STOPPED_STATES = ("expired", "revoked")
PLANS = ("professional", "individual")
ACCOUNT_TYPES = ("seller_central", "amazon_payments", "vendor_central")


@dataclass(frozen=True)
class FindingRule:
    """A finding: its id, how bad it is, and the customer field it is about."""

    id: str
    severity: str  # "error" (blocks the integration) or "warning" (check it)
    field: str


FINDINGS: dict[str, FindingRule] = {
    f.id: f
    for f in (
        FindingRule("plan_not_professional", "error", "selling_plan"),
        FindingRule("plan_unknown", "warning", "selling_plan"),
        FindingRule("account_not_seller_central", "error", "account_type"),
        FindingRule("account_type_unknown", "warning", "account_type"),
        FindingRule("unknown_marketplace", "error", "marketplace"),
        FindingRule("seller_id_missing", "warning", "seller_id"),
        FindingRule("bad_authorized_at", "error", "authorized_at"),
        FindingRule("authorized_in_future", "error", "authorized_at"),
        FindingRule("bad_revoked_at", "warning", "revoked_at"),
        FindingRule("roles_changed", "error", "authorized_at"),
    )
}
FILE_FINDINGS = tuple(FINDINGS)
#: Amazon: re-authorize "every 365 days, or anytime you add a role"; the day the app's roles
#: changed is ``SUPPORT_KIT_ROLES_CHANGED_ON``.
#: Accounts that cannot authorize a seller integration at all (FAQ; FACTS.md).
WRONG_ACCOUNTS = ("amazon_payments", "vendor_central")
#: Findings that make a consent link impossible: no Seller Central host, the wrong account,
#: or the Individual plan (Amazon: "Individual accounts are not eligible").
LINK_BLOCKERS = ("unknown_marketplace", "account_not_seller_central", "plan_not_professional")
#: States whose token still works (the others have stopped or never started).
WORKING_STATES = ("valid", "expiring")



@dataclass(frozen=True)
class Situation:
    """One case the desk meets, decided once: its badge, whether a consent link may be made,
    and whether the reply carries the renewal steps. Its texts (badge label, the agent's next
    step, the reply's subject and lead, DE and EN) are ``situation.<id>.*`` in texts.toml."""

    id: str
    badge: str  # ok | warn | stopped | idle | blocked | data: the badge's colour
    link_allowed: bool
    steps: bool  # the reply explains the renewal steps


#: Every situation, most urgent first: a customer is in the first one that applies. A wrong
#: account or plan comes before the token's state: no renewal helps until it is fixed.
SITUATIONS: dict[str, Situation] = {
    s.id: s
    for s in (
        Situation("wrong_account_payments", "blocked", False, False),
        Situation("wrong_account_vendor", "blocked", False, False),
        Situation("individual_plan", "blocked", False, False),
        Situation("unknown_marketplace", "blocked", False, False),
        Situation("bad_data", "data", True, True),
        Situation("expired", "stopped", True, True),
        Situation("revoked", "stopped", True, True),
        Situation("roles_changed", "warn", True, True),
        Situation("expiring", "warn", True, True),
        Situation("not_authorized", "idle", True, True),
        Situation("seller_id_missing", "data", True, False),
        Situation("renewed", "ok", True, False),
        Situation("working", "ok", True, True),
    )
}

def expires_on(authorized_on: pd.Series) -> pd.Series:
    """The day Amazon deactivates the token: the earlier of +365 days and +1 year.

    >>> expires_on(pd.Series(pd.to_datetime(["2024-02-29", "2023-03-01"]))).dt.date.tolist()
    [datetime.date(2025, 2, 28), datetime.date(2024, 2, 29)]
    """
    by_days = authorized_on + pd.Timedelta(days=VALIDITY_DAYS)
    by_year = authorized_on + pd.DateOffset(years=1)
    return by_days.where(by_days <= by_year, by_year)


def _normalised(values: pd.Series) -> pd.Series:
    return map_distinct(values, lambda v: re.sub(r"[\s-]+", "_", v.strip().lower()))


def authorizations(customers, customer_id: str, as_of: dt.date,
                   timezone: str = DEFAULT_TIMEZONE, **options: object) -> pd.DataFrame:
    """One customer of a customer list evaluated: a row of :func:`evaluate` per
    authorization (region); an unknown id raises the list's clear error. Every view of one
    customer evaluates it here.

    >>> from support_kit.customers import load, demo_path
    >>> authorizations(load(demo_path()), "C100005", dt.date(2026, 12, 1))["state"].tolist()
    ['expired']
    """
    return evaluate(customers.find(customer_id), as_of, timezone, **options)


def evaluate_one(customers, customer_id: str, as_of: dt.date,
                 timezone: str = DEFAULT_TIMEZONE, **options: object) -> pd.Series:
    """The customer's authorization that needs the desk first (:func:`most_urgent` of
    :func:`authorizations`)."""
    return most_urgent(authorizations(customers, customer_id, as_of, timezone, **options))


def evaluate(customers: pd.DataFrame, as_of: dt.date, timezone: str = DEFAULT_TIMEZONE,
             customer_language: str = DEFAULT_CUSTOMER_LANGUAGE,
             roles_changed_on: dt.date | None = None) -> pd.DataFrame:
    """Every customer's token state, dates, consequences and findings as of ``as_of``.

    Adds ``country_code``, ``region``, ``authorized_on``, ``revoked_on``, ``expires_on``,
    ``reminders_from``, ``days_left``, ``state``, ``stopped_since``, ``findings`` (finding
    ids joined by ``;``), ``situation`` (see :data:`SITUATIONS`) and the order gap
    ``gap_from``/``gap_to`` (see :func:`order_gap`) to a copy of ``customers``. Optional
    ``previous_authorized_at``/``previous_revoked_at`` (the authorization a desk renewal
    replaced) make the gap end on the renewal day.

    ``language`` becomes what the seller reads (:func:`support_kit.texts.customer_language`:
    empty gets ``customer_language``); a working authorization from before
    ``roles_changed_on`` gets the finding ``roles_changed`` (pass ``**settings.rules``).

    >>> frame = pd.DataFrame({"customer_id": ["1"], "authorized_at": ["2024-05-03"],
    ...     "marketplace": ["DE"], "selling_plan": ["professional"], "seller_id": ["A1"],
    ...     "account_type": ["seller_central"], "revoked_at": [""]})
    >>> row = evaluate(frame, dt.date(2025, 4, 20)).iloc[0]
    >>> row.state, str(row.expires_on.date()), int(row.days_left)
    ('expiring', '2025-05-03', 13)
    """
    frame = customers.copy()
    for column in ("marketplace", "selling_plan", "account_type", "seller_id",
                   "authorized_at", "revoked_at", "language"):
        if column not in frame:
            frame[column] = ""
    if "authorized_source" not in frame:  # the desk's renewals say "desk" (support_kit.store)
        frame["authorized_source"] = "list"
    day = pd.Timestamp(as_of)

    frame["country_code"] = marketplaces.country_codes(frame["marketplace"])
    regions = marketplaces.table()["region"].to_dict()
    frame["region"] = map_distinct(frame["country_code"], lambda c: regions.get(c, np.nan))
    frame["language"] = _languages(frame["language"], customer_language)
    ids = frame["customer_id"]  # one row per authorization: how many the customer holds
    frame["authorizations"] = (np.int8(1) if ids.is_unique
                               else ids.map(ids.value_counts()).astype("int8"))

    authorized_on, bad_authorized = parse_dates(frame["authorized_at"], timezone)
    revoked_on, bad_revoked = parse_dates(frame["revoked_at"], timezone)
    in_future = authorized_on > day
    never = authorized_on.isna() & ~bad_authorized
    frame["authorized_on"] = authorized_on
    frame["revoked_on"] = revoked_on.where(revoked_on >= authorized_on)
    frame["expires_on"] = expires_on(authorized_on)
    frame["reminders_from"] = frame["expires_on"] - pd.Timedelta(days=REMINDER_DAYS)
    days_left = (frame["expires_on"] - day).dt.days
    revoked = frame["revoked_on"].notna() & (frame["revoked_on"] <= day)
    unknown = bad_authorized | in_future
    conditions = {"not_authorized": never, "unknown": unknown, "revoked": revoked,
                  "expired": past_expiry(days_left), "expiring": days_left <= REMINDER_DAYS,
                  "valid": days_left > 0}  # the first that holds; integer codes, no text per row
    chosen = np.select([np.asarray(c, dtype=bool) for c in conditions.values()],
                       [STATES.index(s) for s in conditions], default=STATES.index("unknown"))
    frame["state"] = pd.Categorical.from_codes(chosen, categories=STATES)
    usable = ~(never | unknown)
    frame["days_left"] = days_left.where(usable).astype("Int64")
    for column in ("authorized_on", "expires_on", "reminders_from"):
        frame[column] = frame[column].where(usable)
    frame["stopped_since"] = frame["expires_on"].where(frame["state"] == "expired").fillna(
        frame["revoked_on"].where(frame["state"] == "revoked")
    )

    plan = _normalised(frame["selling_plan"])
    account = _normalised(frame["account_type"])
    masks = {
        "plan_not_professional": plan == "individual",
        "plan_unknown": ~plan.isin(PLANS),
        "account_not_seller_central": account.isin(WRONG_ACCOUNTS),
        "account_type_unknown": ~account.isin(ACCOUNT_TYPES),
        "unknown_marketplace": frame["country_code"].isna(),
        "seller_id_missing": as_text(frame["seller_id"]).str.strip() == "",
        "bad_authorized_at": bad_authorized,
        "authorized_in_future": in_future,
        "bad_revoked_at": bad_revoked,
        "roles_changed": _before_roles_changed(frame, roles_changed_on),
    }
    frame["selling_plan"] = plan.where(plan.isin(PLANS), "")
    frame["account_type"] = account.where(account.isin(ACCOUNT_TYPES), "")
    frame["findings"] = join_findings(masks)
    frame["situation"] = situations(frame["state"], frame["account_type"], masks)
    frame["gap_from"], frame["gap_to"] = order_gap(frame, day)
    if "previous_authorized_at" in frame:  # renewed: the gap ends on the renewal day
        _gap_before_renewal(frame, timezone)
        renewed = ((frame["situation"] == "working") & frame["gap_from"].notna()
                   & (frame["authorized_source"] == "desk"))
        if renewed.any():  # working again after a stop: the seller re-imports the gap
            frame.loc[renewed, "situation"] = "renewed"
    return frame


def _gap_before_renewal(frame: pd.DataFrame, timezone: str | ZoneInfo) -> None:
    """Where ``previous_authorized_at``/``previous_revoked_at`` hold the authorization a
    renewal replaced, its stopped period up to the renewal day is the order gap."""
    before, _ = parse_dates(frame["previous_authorized_at"], timezone)
    revoked, _ = parse_dates(frame.get("previous_revoked_at", pd.Series("", index=frame.index)),
                             timezone)
    previous = pd.DataFrame({"expires_on": expires_on(before),
                             "revoked_on": revoked.where(revoked >= before)})
    start, end = order_gap(previous, frame["authorized_on"])
    use = frame["gap_from"].isna() & start.notna()
    frame["gap_from"] = frame["gap_from"].where(~use, start)
    frame["gap_to"] = frame["gap_to"].where(~use, end)


def situations(state: pd.Series, account_type: pd.Series, masks: dict[str, pd.Series]
               ) -> pd.Series:
    """The situation of each customer: the first of :data:`SITUATIONS` that applies.

    >>> s = situations(pd.Series(["valid", "expired"]), pd.Series(["amazon_payments", ""]),
    ...                {"plan_not_professional": pd.Series([False, True]),
    ...                 "unknown_marketplace": pd.Series([False, False]),
    ...                 "seller_id_missing": pd.Series([False, False])})
    >>> s.tolist()
    ['wrong_account_payments', 'individual_plan']
    """
    codes = pd.Categorical(state, categories=STATES).codes  # integers: cheap at 1M rows

    def is_state(name: str) -> np.ndarray:
        return codes == STATES.index(name)

    def mask(values: pd.Series) -> np.ndarray:
        return values.to_numpy(dtype=bool, na_value=False)

    conditions = {
        "wrong_account_payments": mask(account_type == "amazon_payments"),
        "wrong_account_vendor": mask(account_type == "vendor_central"),
        "individual_plan": mask(masks["plan_not_professional"]),
        "unknown_marketplace": mask(masks["unknown_marketplace"]),
        "bad_data": is_state("unknown"),
        "expired": is_state("expired"),
        "revoked": is_state("revoked"),
        "roles_changed": mask(masks.get("roles_changed", pd.Series(False, index=state.index))),
        "expiring": is_state("expiring"),
        "not_authorized": is_state("not_authorized"),
        "seller_id_missing": mask(masks["seller_id_missing"]),
    }
    order = list(SITUATIONS)
    chosen = np.select(list(conditions.values()), [order.index(s) for s in conditions],
                       default=order.index("working")).astype(np.int8)
    return pd.Series(pd.Categorical.from_codes(chosen, categories=order),
                     index=account_type.index)


def order_gap(evaluated: pd.DataFrame, until: pd.Timestamp | pd.Series
              ) -> tuple[pd.Series, pd.Series]:
    """The days the integration imported no orders: from the day the token stopped (expiry
    or revocation) to ``until`` - today, or the renewal day once renewed. Orders from this
    period must be imported again after renewing (FACTS.md, "After a renewal").

    ``evaluated`` holds the authorization the gap belongs to (for a renewed customer: the
    one before the renewal); rows that had not stopped by ``until`` have no gap.

    >>> f = evaluate(pd.DataFrame({"customer_id": ["1"], "authorized_at": ["2024-05-03"]}),
    ...              dt.date(2025, 6, 1))
    >>> [d.date().isoformat() for d in order_gap(f, pd.Timestamp("2025-05-20"))[0]]
    ['2025-05-03']
    """
    stop = evaluated["expires_on"].where(
        evaluated["revoked_on"].isna() | (evaluated["expires_on"] <= evaluated["revoked_on"]),
        evaluated["revoked_on"])
    stopped = stop.notna() & (stop <= until)
    gap_to = pd.Series(until, index=evaluated.index) if not isinstance(until, pd.Series) \
        else until
    return stop.where(stopped), gap_to.where(stopped).astype("datetime64[s]")


def most_urgent(evaluated: pd.DataFrame) -> pd.Series:
    """The row of a customer's authorizations (one per region) that needs the desk first:
    the most urgent situation (:data:`SITUATIONS` order), then the fewest days left.

    >>> f = evaluate(pd.DataFrame({"customer_id": ["1", "1"], "marketplace": ["DE", "US"],
    ...     "authorized_at": ["2026-06-01", "2025-12-10"], "seller_id": ["A1", "A1"]}),
    ...     dt.date(2026, 12, 1))
    >>> most_urgent(f)[["region", "state"]].tolist()
    ['NA', 'expiring']
    """
    order = pd.Series(pd.Categorical(evaluated["situation"], categories=list(SITUATIONS)),
                      index=evaluated.index).cat.codes
    days = evaluated["days_left"].astype("float64").fillna(float("inf"))
    ranked = pd.DataFrame({"order": order, "days": days}).sort_values(
        ["order", "days"], kind="stable")
    return evaluated.loc[ranked.index[0]]


def past_expiry(days_left):
    """Whether Amazon has deactivated the token: on the expiry day itself and after.

    >>> past_expiry(0), past_expiry(1)
    (True, False)
    """
    return days_left <= 0


def has_finding(findings: pd.Series, ids: tuple[str, ...]) -> pd.Series:
    """Rows whose ``findings`` (from :func:`evaluate`) include any of ``ids``.

    >>> f = join_findings({"a": pd.Series([True, False]), "b": pd.Series([False, True])})
    >>> has_finding(f, ("b",)).tolist()
    [False, True]
    """
    codes = findings.astype("category").cat
    hits = [i for i, c in enumerate(codes.categories) if set(finding_ids(c)) & set(ids)]
    return pd.Series(codes.codes.isin(hits), index=findings.index)


def _languages(values: pd.Series, default: str = DEFAULT_CUSTOMER_LANGUAGE) -> pd.Series:
    """What each seller reads: their code when the kit writes it, English for another code,
    ``default`` when empty (one rule: :func:`support_kit.texts.customer_language`).

    >>> _languages(pd.Series(["FR", "nl", "", None]), "es").tolist()
    ['fr', 'en', 'es', 'es']
    """
    codes = as_text(values).fillna("").str.strip().str.lower()
    default = default if default in CUSTOMER_LANGUAGES else DEFAULT_CUSTOMER_LANGUAGE
    return codes.where(codes.isin(CUSTOMER_LANGUAGES), "en").where(codes != "", default)


def _before_roles_changed(frame: pd.DataFrame, roles_changed_on: dt.date | None) -> pd.Series:
    """Working authorizations given before the app's roles changed: Amazon wants them renewed
    ("every 365 days, or anytime you add a role"). Stopped ones need a renewal anyway.

    >>> f = pd.DataFrame({"authorized_on": pd.to_datetime(["2026-01-05", "2026-06-01"]),
    ...                   "state": ["valid", "valid"]})
    >>> _before_roles_changed(f, dt.date(2026, 3, 1)).tolist()
    [True, False]
    """
    if roles_changed_on is None:
        return pd.Series(False, index=frame.index)
    working = pd.Series(frame["state"], index=frame.index).isin(WORKING_STATES)
    return working & (frame["authorized_on"] < pd.Timestamp(roles_changed_on)).fillna(False)


def join_findings(masks: dict[str, pd.Series]) -> pd.Series:
    """Finding ids joined by ``;`` per row, from one boolean mask per finding.

    Rows are grouped by their combination of findings, so the cost does not grow with
    the number of rows beyond one integer per row.

    >>> join_findings({"a": pd.Series([True, False]), "b": pd.Series([True, True])}).tolist()
    ['a;b', 'b']
    """
    ids = list(masks)
    bits = np.zeros(len(next(iter(masks.values()))), dtype=np.int64)
    for position, mask in enumerate(masks.values()):
        bits |= mask.to_numpy(dtype=bool, na_value=False).astype(np.int64) << position
    codes, uniques = pd.factorize(bits)
    labels = [";".join(ids[p] for p in range(len(ids)) if u >> p & 1) for u in uniques]
    index = next(iter(masks.values())).index
    return pd.Series(pd.Categorical.from_codes(codes, categories=labels), index=index)


def finding_ids(findings: object) -> list[str]:
    """The list of finding ids in a joined ``findings`` value.

    >>> finding_ids("plan_unknown;seller_id_missing"), finding_ids("")
    (['plan_unknown', 'seller_id_missing'], [])
    """
    return [f for f in str(findings or "").split(";") if f]


def consequences(state: str) -> tuple[str, ...]:
    """What has stopped for a customer in ``state``.

    >>> consequences("expired")
    ('price_sync_stopped', 'stock_sync_stopped', 'order_import_stopped')
    """
    return CONSEQUENCES if state in STOPPED_STATES else ()
