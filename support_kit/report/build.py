"""Build the report: evaluate every customer once, then derive summaries and action lists."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from .. import rules
from ..config import Settings
from ..customers import CustomerList
from ..exports import write_csv

#: Expiry buckets of the summary, in order.
BUCKETS = ("expired", "<=7", "<=14", "<=30", "later")
CUSTOMER_CSV_COLUMNS = ("customer_id", "shop_name", "marketplace", "state", "expires_on",
                        "days_left", "findings")


def buckets(frame: pd.DataFrame) -> pd.Series:
    """The expiry bucket of each evaluated customer (missing for no usable date).

    ``expired`` holds expired and revoked tokens: both have stopped the integration.

    >>> f = pd.DataFrame({"state": ["expired", "expiring", "valid", "not_authorized"],
    ...                   "days_left": pd.array([-3, 5, 90, None], dtype="Int64")})
    >>> buckets(f).tolist()
    ['expired', '<=7', 'later', nan]
    """
    days = frame["days_left"]
    bucket = pd.cut(days.astype("float64"), [-float("inf"), 0, 7, 14, 30, float("inf")],
                    labels=list(BUCKETS), right=True)
    stopped = frame["state"].isin(rules.STOPPED_STATES)
    bucket = bucket.where(~stopped, "expired")
    return bucket.where(frame["state"].isin(("valid", "expiring", *rules.STOPPED_STATES)))


@dataclass
class Report:
    """Every customer evaluated as of one day, with the rejected rows beside them."""

    as_of: dt.date
    frame: pd.DataFrame
    rejects: pd.DataFrame
    source: str
    timezone: str = "Europe/Berlin"
    written: list[Path] = field(default_factory=list)

    @property
    def rows_loaded(self) -> int:
        return len(self.frame)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)

    def summary(self) -> dict:
        """Counts for ``summary.json``: rows, states, buckets, marketplaces, plans, findings."""
        f = self.frame
        findings = f["findings"].value_counts()
        by_finding: dict[str, int] = {}
        for combination, count in findings.items():
            for finding in rules.finding_ids(combination):
                by_finding[finding] = by_finding.get(finding, 0) + int(count)
        return {
            "as_of": self.as_of.isoformat(),
            "rows_in": self.rows_loaded + self.rows_rejected,
            "rows_loaded": self.rows_loaded,
            "rows_rejected": self.rows_rejected,
            "by_state": _counts(f["state"], rules.STATES),
            "buckets": _counts(f["bucket"], BUCKETS),
            "by_marketplace": _counts(f["country_code"].fillna("unknown")),
            "by_region": _counts(f["region"].fillna("unknown")),
            "by_plan": _counts(f["selling_plan"].replace("", "unknown")),
            "by_account_type": _counts(f["account_type"].replace("", "unknown")),
            "by_finding": {k: by_finding.get(k, 0) for k in rules.FILE_FINDINGS},
        }

    def customers_table(self) -> pd.DataFrame:
        """One row per loaded customer, the columns of ``customers.csv``."""
        f = self.frame
        table = f[list(CUSTOMER_CSV_COLUMNS)].copy()
        table["marketplace"] = f["country_code"].fillna(f["marketplace"])
        table["state"] = f["state"].astype(str)
        table["findings"] = f["findings"].astype(str)
        return table

    def write_summary(self, out: Path) -> Path:
        path = Path(out) / "summary.json"
        path.write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path

    def write_customers_csv(self, out: Path) -> Path:
        return write_csv(self.customers_table(), Path(out) / "customers.csv")

    def write_rejects_csv(self, out: Path) -> Path:
        return write_csv(self.rejects, Path(out) / "rejects.csv")

    def write_all(self, out: Path, settings: Settings | None = None,
                  progress: Callable[[str], None] = lambda _label: None) -> list[Path]:
        """Write every report file into ``out``; ``progress`` hears of each one."""
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        paths = []
        for write in (self.write_summary, self.write_customers_csv, self.write_rejects_csv):
            paths.append(write(out))
            progress(f"wrote {paths[-1].name}")
        return paths


def _counts(values: pd.Series, order: tuple[str, ...] | None = None) -> dict[str, int]:
    counts = values.astype(str).value_counts()
    keys = order if order is not None else sorted(counts.index)
    return {k: int(counts.get(k, 0)) for k in keys}


def build_report(customers: CustomerList, as_of: dt.date | None = None,
                 timezone: str = "Europe/Berlin") -> Report:
    """Evaluate all ``customers`` as of ``as_of`` (default: today in ``timezone``).

    >>> from support_kit.customers import load, demo_path
    >>> report = build_report(load(demo_path()), dt.date(2026, 12, 1))
    >>> report.summary()["rows_loaded"]
    200
    """
    as_of = as_of or rules.today(timezone)
    frame = rules.evaluate(customers.customers, as_of, timezone)
    frame["bucket"] = buckets(frame)
    return Report(as_of, frame, customers.rejects, customers.source, timezone)
