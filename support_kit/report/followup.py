"""The team lead's follow-up: what changed since the last report, who was contacted, and
who gets a reminder now. The store remembers; the states come from :mod:`support_kit.rules`.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from .. import rules
from ..columns import as_text
from ..store import CONTACT_KINDS, NOTE_KINDS, Store
from ..store.authorizations import end_of_day

#: Change ids of ``changes.csv``, in the order a lead reads them.
CHANGES = ("renewed", "newly_stopped", "newly_expiring", "still_stopped")
CHANGE_COLUMNS = ("customer_id", "shop_name", "change", "state_before", "state_now",
                  "days_left")
CONTACT_COLUMNS = ("last_contacted_at", "last_contacted_by", "last_note", "last_live_check")
#: Who gets a reminder: stopped within this many days (older ones stay in the lists) ...
STOPPED_WITHIN_DAYS = 30
#: ... and not contacted or reminded within this many days (today included).
QUIET_DAYS = 7


@dataclass(frozen=True)
class Changes:
    """The changes since the latest earlier run of the same source."""

    since: dt.date | None
    table: pd.DataFrame  # CHANGE_COLUMNS

    def counts(self) -> dict:
        """``summary.json`` ``changes``: the earlier run's day and a count per change.

        >>> Changes(None, pd.DataFrame(columns=CHANGE_COLUMNS)).counts()["renewed"]
        0
        """
        counted = self.table["change"].value_counts()
        return {"since": self.since.isoformat() if self.since else None,
                **{c: int(counted.get(c, 0)) for c in CHANGES}}


def run_keys(frame: pd.DataFrame) -> pd.Series:
    """What a run remembers each row by: the customer id, and for a customer with several
    authorizations the id with the region (``C1@NA``), so each is compared with itself.

    >>> run_keys(pd.DataFrame({"customer_id": ["1", "2", "2"], "region": ["EU", "EU", "NA"],
    ...                        "authorizations": [1, 2, 2]})).tolist()
    ['1', '2@EU', '2@NA']
    """
    ids = frame["customer_id"].astype("str")
    if "authorizations" not in frame or not (frame["authorizations"] > 1).any():
        return ids
    several = frame["authorizations"].to_numpy() > 1
    return ids.where(~several, ids + "@" + frame["region"].fillna("").astype("str"))


def states_blob(frame: pd.DataFrame) -> bytes:
    """Each customer's state, authorization day and days left as one Parquet blob."""
    table = pa.table({
        "customer_id": pa.array(run_keys(frame)),
        "state": pa.array(frame["state"].cat.codes.to_numpy(np.int8)),
        "authorized_on": pa.array(frame["authorized_on"].to_numpy("datetime64[s]"),
                                  pa.timestamp("s")),
    })
    sink = io.BytesIO()
    pq.write_table(table, sink, compression="zstd")
    return sink.getvalue()


def _read_states(blob: bytes) -> pd.DataFrame:
    table = pq.read_table(io.BytesIO(blob))
    frame = table.to_pandas()
    frame["state"] = pd.Categorical.from_codes(frame["state"], categories=rules.STATES)
    return frame


def changes(frame: pd.DataFrame, before: pd.DataFrame, since: dt.date | None) -> Changes:
    """Compare the evaluated ``frame`` with the states of an earlier run.

    ``renewed``: stopped or expiring before, valid now with a newer authorization;
    ``newly_stopped``: working before, expired or revoked now; ``newly_expiring``: valid
    before, expiring now; ``still_stopped``: stopped in both.
    """
    positions = matching_rows(pa.array(run_keys(frame)),
                              pa.array(before["customer_id"].astype("str")))
    seen = np.flatnonzero(positions >= 0)
    then = positions[seen]
    # states as integer codes of rules.STATES (both frames): no text per row at 1M customers
    was = before["state"].cat.codes.to_numpy()[then]
    is_ = frame["state"].cat.codes.to_numpy()[seen]

    def among(codes: np.ndarray, states: tuple[str, ...]) -> np.ndarray:
        return np.isin(np.arange(len(rules.STATES)), [rules.STATES.index(s)
                                                      for s in states])[codes]

    newer = frame["authorized_on"].to_numpy()[seen] > before["authorized_on"].to_numpy()[then]
    stopped_then = among(was, rules.STOPPED_STATES)
    stopped_now = among(is_, rules.STOPPED_STATES)
    chosen = np.select(
        [(stopped_then | among(was, ("expiring",))) & among(is_, ("valid",)) & newer,
         among(was, rules.WORKING_STATES) & stopped_now,
         among(was, ("valid",)) & among(is_, ("expiring",)),
         stopped_then & stopped_now],
        list(range(len(CHANGES))), default=-1)
    hit = np.flatnonzero(chosen >= 0)
    rows = seen[hit]
    table = pd.DataFrame({
        "customer_id": frame["customer_id"].iloc[rows].reset_index(drop=True),
        "shop_name": frame["shop_name"].iloc[rows].reset_index(drop=True),
        "change": pd.Categorical.from_codes(chosen[hit], categories=CHANGES),
        "state_before": pd.Categorical.from_codes(was[hit], categories=rules.STATES),
        "state_now": pd.Categorical.from_codes(is_[hit], categories=rules.STATES),
        "days_left": frame["days_left"].iloc[rows].reset_index(drop=True)})
    table = table.sort_values(["change", "days_left"], kind="stable").reset_index(drop=True)
    for column in ("change", "state_before", "state_now"):
        table[column] = as_text(table[column])
    return Changes(since, table)


def matching_rows(now: pa.Array, before: pa.Array) -> np.ndarray:
    """Where each id of ``now`` is in ``before`` (-1: not there); ids are unique in each.

    Ids at the same place in both lists (a weekly export keeps its order) match at once;
    only the others are looked up, among the other ids of ``before``.

    >>> matching_rows(pa.array(["a", "b", "x", "c"]), pa.array(["a", "c", "b"])).tolist()
    [0, 2, -1, 1]
    """
    common = min(len(now), len(before))
    same = pc.equal(now[:common], before[:common]).to_numpy(zero_copy_only=False)
    positions = np.full(len(now), -1, dtype=np.int64)
    positions[:common][same] = np.flatnonzero(same)
    others = np.flatnonzero(~same)
    rest_now = np.concatenate([others, np.arange(common, len(now))])
    rest_before = np.concatenate([others, np.arange(common, len(before))])
    if len(rest_now) and len(rest_before):
        found = pc.index_in(now.take(rest_now), value_set=before.take(rest_before))
        found = found.fill_null(-1).to_numpy()
        positions[rest_now[found >= 0]] = rest_before[found[found >= 0]]
    return positions


def changes_since_last_run(frame: pd.DataFrame, store: Store, source: str,
                           as_of: dt.date) -> Changes:
    """The changes against the latest run of ``source`` before ``as_of`` (none: empty)."""
    previous = store.previous_run(source, as_of)
    if previous is None:
        return Changes(None, pd.DataFrame(columns=list(CHANGE_COLUMNS)))
    day, blob = previous
    return changes(frame, _read_states(blob), day)


def contacts(store: Store, as_of: dt.date, timezone: str) -> pd.DataFrame:
    """Per customer: ``last_contacted_at`` (UTC), ``last_contacted_by`` and ``last_note``,
    from the events up to the end of ``as_of``; indexed by ``customer_id``."""
    until = end_of_day(as_of, timezone)
    contacted = store.latest_events(CONTACT_KINDS, until).set_index("customer_id")
    notes = store.latest_events(NOTE_KINDS, until).set_index("customer_id")
    text = notes["detail"].map(lambda d: str(json.loads(d).get("text", "")))
    checked = store.latest_events(("live_checked",), until).set_index("customer_id")
    live = checked["detail"].map(lambda d: str(json.loads(d).get("live_state", "")))
    out = pd.DataFrame({"last_contacted_at": contacted["at"],
                        "last_contacted_by": contacted["agent"]})
    return out.join(text.rename("last_note"), how="outer").join(
        live.rename("last_live_check"), how="outer")


def contact_columns(customer_ids: pd.Series, contacted: pd.DataFrame | None = None
                    ) -> dict[str, pd.Series]:
    """The contact columns for ``customer_ids`` (empty where the desk has nothing).

    >>> contact_columns(pd.Series(["C1"]))["last_contacted_by"].tolist()
    ['']
    """
    at = pd.Series(pd.NaT, index=customer_ids.index, dtype="datetime64[us, UTC]")
    by = pd.Series("", index=customer_ids.index, dtype="str")
    note = pd.Series("", index=customer_ids.index, dtype="str")
    live = pd.Series("", index=customer_ids.index, dtype="str")  # e.g. access_denied
    if contacted is not None and len(contacted):
        positions = pd.Index(contacted.index).get_indexer(customer_ids)
        found = positions >= 0
        rows = contacted.iloc[positions[found]]
        at[found] = rows["last_contacted_at"].to_numpy()
        by[found] = rows["last_contacted_by"].astype("str").fillna("").to_numpy()
        note[found] = rows["last_note"].astype("str").fillna("").to_numpy()
        if "last_live_check" in rows:
            live[found] = rows["last_live_check"].astype("str").fillna("").to_numpy()
    return {"last_contacted_at": at, "last_contacted_by": by, "last_note": note,
            "last_live_check": live}


def recently_stopped(frame: pd.DataFrame, as_of: dt.date,
                     within: int = STOPPED_WITHIN_DAYS) -> pd.Series:
    """Whose integration stopped (expired or revoked) within the last ``within`` days.

    >>> f = pd.DataFrame({"state": ["expired", "revoked", "valid"],
    ...                   "stopped_since": pd.to_datetime(["2026-11-20", "2025-01-02", None])})
    >>> recently_stopped(f, dt.date(2026, 12, 1)).tolist()
    [True, False, False]
    """
    since = pd.Timestamp(as_of) - pd.Timedelta(days=within)
    return frame["state"].isin(rules.STOPPED_STATES) & (frame["stopped_since"] >= since)


def due_for_reminder(frame: pd.DataFrame, as_of: dt.date, timezone: str,
                     stopped_within: int = STOPPED_WITHIN_DAYS, quiet_days: int = QUIET_DAYS
                     ) -> pd.Series:
    """Who gets a reminder now: expiring, or stopped within ``stopped_within`` days, and not
    contacted or reminded in the last ``quiet_days`` days (today included).

    ``frame`` is evaluated and has the contact columns (:func:`contact_columns`).
    """
    wanted = (frame["state"] == "expiring") | recently_stopped(frame, as_of, stopped_within)
    quiet_from = dt.datetime.combine(as_of - dt.timedelta(days=quiet_days - 1), dt.time(),
                                     ZoneInfo(timezone))
    recent = frame["last_contacted_at"] >= pd.Timestamp(quiet_from)
    return wanted & ~recent.fillna(False).astype(bool)
