"""The report's model: every customer evaluated as of one day, its counts and action lists.

The files made from it are written by :mod:`support_kit.report.files` (the workbook's sheets
in :mod:`~support_kit.report.sheets`, the web page in :mod:`~support_kit.report.page`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from .. import rules
from ..app_credentials import client_secret
from ..config import Settings
from ..dates import DEFAULT_TIMEZONE
from ..texts import DEFAULT_LANGUAGE, format_date, language, text, value_label
from ..views import render
from . import followup, labels
from .chart import render_png
from .memory import give_back_memory
from .reminders import reminders

#: Expiry buckets of the summary, in order.
BUCKETS = ("expired", "<=7", "<=14", "<=30", "later")
ACTION_COLUMNS = ("customer_id", "shop_name", "contact_email", "marketplace", "language",
                  "state", "expires_on", "days_left", "stopped_since", "findings",
                  *followup.CONTACT_COLUMNS)
CUSTOMER_CSV_COLUMNS = ("customer_id", "shop_name", "marketplace", "state", "expires_on",
                        "days_left", "findings", "authorized_source", *followup.CONTACT_COLUMNS)


def buckets(frame: pd.DataFrame) -> pd.Series:
    """The expiry bucket of each evaluated customer (missing for no usable date).

    ``expired`` holds expired and revoked tokens: both have stopped the integration.

    >>> f = pd.DataFrame({"state": ["expired", "expiring", "valid", "not_authorized"],
    ...                   "days_left": pd.array([-3, 5, 90, None], dtype="Int64")})
    >>> buckets(f).tolist()
    ['expired', '<=7', 'later', nan]
    """
    days = frame["days_left"]
    bucket = pd.cut(days.astype("float64"),  # the bucket names are a fixed contract
                    [-float("inf"), 0, 7, 14, 30, float("inf")],
                    labels=list(BUCKETS), right=True)
    stopped = frame["state"].isin(rules.STOPPED_STATES)
    bucket = bucket.where(~stopped, "expired")
    return bucket.where(frame["state"].isin((*rules.WORKING_STATES, *rules.STOPPED_STATES)))


@dataclass
class Report:
    """Every customer evaluated as of one day, with the rejected rows beside them.

    >>> from support_kit.report import build_report
    >>> from support_kit.customers import load, demo_path
    >>> report = build_report(load(demo_path()), dt.date(2026, 12, 1))
    >>> len(report.expiring()), report.summary()["buckets"]["<=7"]
    (14, 5)
    """

    as_of: dt.date
    frame: pd.DataFrame
    rejects: pd.DataFrame
    source: str
    timezone: str = DEFAULT_TIMEZONE
    lwa_secret_expires: dt.date | None = None  # SUPPORT_KIT_LWA_SECRET_EXPIRES
    #: Changes since the latest earlier run of the same source (see :meth:`follow_up`).
    changes: followup.Changes = field(default_factory=lambda: followup.Changes(
        None, pd.DataFrame(columns=list(followup.CHANGE_COLUMNS))))
    stopped_within: int = followup.STOPPED_WITHIN_DAYS
    quiet_days: int = followup.QUIET_DAYS
    #: The desk's language of the workbook's headings and the HTML page (CSV files keep ids).
    lang: str = DEFAULT_LANGUAGE
    _summary: dict | None = field(default=None, repr=False)
    _charts: dict[str, bytes] = field(default_factory=dict, repr=False)
    _lists: dict[str, pd.DataFrame] = field(default_factory=dict, repr=False)
    _order: dict[str, object] = field(default_factory=dict, repr=False)

    @property
    def rows_loaded(self) -> int:
        return len(self.frame)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)

    def summary(self) -> dict:
        """Counts for ``summary.json``: rows, states, buckets, marketplaces, plans, findings."""
        if self._summary is None:
            self._summary = self._count()
        return self._summary

    def _count(self) -> dict:
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
            "customers": int(f["customer_id"].nunique()),  # one row per authorization
            "by_state": _counts(f["state"], rules.STATES),
            "buckets": _counts(f["bucket"], BUCKETS),
            "by_marketplace": _counts(f["country_code"].fillna("unknown")),
            "by_region": _counts(f["region"].fillna("unknown")),
            "by_plan": _counts(f["selling_plan"].replace("", "unknown")),
            "by_account_type": _counts(f["account_type"].replace("", "unknown")),
            "by_finding": {k: by_finding.get(k, 0) for k in rules.FILE_FINDINGS},
            "app": client_secret(self.lwa_secret_expires, self.as_of).to_dict(),
            "changes": self.changes.counts(),
        }

    # --- the follow-up (the store) ------------------------------------------------------
    def follow_up(self, store, stopped_within: int = followup.STOPPED_WITHIN_DAYS,
                  quiet_days: int = followup.QUIET_DAYS) -> Report:
        """Add what the desk remembers: changes since the last run of this source, who was
        contacted (and by whom, and the last note), and so who is due for a reminder."""
        self.changes = followup.changes_since_last_run(self.frame, store, self.source,
                                                       self.as_of)
        contacted = followup.contacts(store, self.as_of, self.timezone)
        for name, column in followup.contact_columns(self.frame["customer_id"],
                                                     contacted).items():
            self.frame[name] = column
        self.stopped_within, self.quiet_days = stopped_within, quiet_days
        self._summary = None
        self.forget_lists()
        self._order.clear()
        give_back_memory()  # the comparison's working memory, before the files
        return self

    def record_run(self, store, agent: str) -> None:
        """Keep this run in the store: the next run compares itself with it."""
        store.record_run(self.source, self.as_of, agent, self.summary(),
                         followup.states_blob(self.frame))

    def due(self) -> pd.Series:
        """Who gets a reminder now (see :func:`support_kit.report.followup.due_for_reminder`)."""
        return followup.due_for_reminder(self.frame, self.as_of, self.timezone,
                                         self.stopped_within, self.quiet_days)

    def changes_table(self) -> pd.DataFrame:
        """``changes.csv``: one row per customer whose state changed since the last run."""
        return self.changes.table

    def customers_table(self) -> pd.DataFrame:
        """One row per loaded customer, the columns of ``customers.csv``."""
        return table_of(self.frame, CUSTOMER_CSV_COLUMNS)

    def reminders(self, settings: Settings | None = None) -> pd.DataFrame:
        """The mail-merge rows of who is due now (see :mod:`support_kit.report.reminders`)."""
        return reminders(self.frame[self.due()], settings)

    # --- action lists ------------------------------------------------------------------
    def first_customers(self, rows: int) -> pd.DataFrame:
        """The action columns of the first ``rows`` customers, in the list's order."""
        return table_of(self.frame.head(rows), ACTION_COLUMNS)

    def expired(self) -> pd.DataFrame:
        """Customers whose integration has stopped (expired or revoked), longest first."""
        return self._list("expired", lambda: self._action_rows("expired"))

    def recently_stopped(self) -> pd.DataFrame:
        """Customers stopped within the last :attr:`stopped_within` days, longest first: the
        workbook's stopped sheet (those stopped longer ago are in ``customers.csv``)."""
        return self._list("recently_stopped", lambda: self._action_rows("recently_stopped"))

    def expiring(self) -> pd.DataFrame:
        """Customers with 30 days or less, soonest first."""
        return self._list("expiring", lambda: self._action_rows("expiring"))

    def not_authorized(self) -> pd.DataFrame:
        return self._list("not_authorized", lambda: self._action_rows("not_authorized"))

    def findings(self, lang: str = "en") -> pd.DataFrame:
        """One row per customer and finding, with severity and remedy: errors first, then by
        customer id."""
        return self._list(f"findings_{lang}", lambda: self._findings(lang))

    def head(self, name: str, lang: str, rows: int) -> tuple[pd.DataFrame, int]:
        """The first ``rows`` of an action list and its length, without making it whole."""
        if name == "findings":
            return self._findings(lang, rows), len(self._finding_order()[0])
        return self._action_rows(name, rows), len(self._positions(name))

    def forget_lists(self) -> None:
        """Let go of the action lists made so far (they are made again when asked for)."""
        self._lists.clear()

    def _list(self, name: str, make: Callable[[], pd.DataFrame]) -> pd.DataFrame:
        """An action list, made once (the workbook's sheets)."""
        if name not in self._lists:
            self._lists[name] = make()
        return self._lists[name]

    def _positions(self, name: str) -> np.ndarray:
        """Where an action list's rows are in :attr:`frame`, in the list's order (made once:
        the HTML page takes its first rows, the workbook all of them)."""
        if name not in self._order:
            state = self.frame["state"]
            select, key = {
                "expired": (lambda: state.isin(rules.STOPPED_STATES), "stopped_since"),
                "recently_stopped": (lambda: followup.recently_stopped(
                    self.frame, self.as_of, self.stopped_within), "stopped_since"),
                "expiring": (lambda: state == "expiring", "days_left"),
                "not_authorized": (lambda: state == "not_authorized", None),
            }[name]
            positions = np.flatnonzero(select().to_numpy())
            if key:  # sort the key alone (stable, missing last), then take the rows once
                keys = self.frame[key].iloc[positions].reset_index(drop=True)
                positions = positions[keys.sort_values(kind="stable").index.to_numpy()]
            self._order[name] = positions
        return self._order[name]

    def _action_rows(self, name: str, limit: int | None = None) -> pd.DataFrame:
        """The action columns of an action list's rows (its first ``limit``)."""
        positions = self._positions(name)[:limit]
        return table_of(self.frame[[*ACTION_COLUMNS, "country_code"]].iloc[positions],
                        ACTION_COLUMNS)

    def _finding_order(self) -> tuple[np.ndarray, np.ndarray]:
        """Each finding of each customer as (row in :attr:`frame`, number in
        ``rules.FINDINGS``), in the list's order (made once)."""
        if "findings" not in self._order:
            rows, numbers = [], []
            for number, name in enumerate(rules.FINDINGS):
                hit = np.flatnonzero(rules.has_finding(self.frame["findings"], (name,)))
                rows.append(hit)
                numbers.append(np.full(len(hit), number, dtype=np.int8))
            row, number = np.concatenate(rows), np.concatenate(numbers)
            keys = pd.DataFrame({
                "severity": _SEVERITY_CODES[number],
                "customer_id": self.frame["customer_id"].iloc[row].reset_index(drop=True)})
            order = keys.sort_values(["severity", "customer_id"], kind="stable").index
            self._order["findings"] = (row[order], number[order])
        return self._order["findings"]

    def _findings(self, lang: str, limit: int | None = None) -> pd.DataFrame:
        row, number = (part[:limit] for part in self._finding_order())
        remedies = [text(lang, f"finding.{f}.remedy", value="").replace(" ''", "")
                    for f in rules.FINDINGS]
        texts = list(dict.fromkeys(remedies))  # a few texts on many rows: each kept once
        value = np.empty(len(row), dtype=object)
        for at, rule in enumerate(rules.FINDINGS.values()):
            chosen = number == at
            value[chosen] = _finding_value(self.frame[rule.field].iloc[row[chosen]],
                                           lang).to_numpy()
        table = self.frame[["customer_id", "shop_name", "contact_email"]].iloc[row]
        return table.reset_index(drop=True).assign(
            finding=pd.Categorical.from_codes(number, categories=list(rules.FINDINGS)),
            severity=pd.Categorical.from_codes(_SEVERITY_CODES[number], categories=_SEVERITIES),
            value=pd.array(value, dtype="str"),
            remedy=pd.Categorical.from_codes(
                np.array([texts.index(r) for r in remedies], dtype=np.int8)[number],
                categories=texts))

    # --- views --------------------------------------------------------------------------
    def chart_png(self, lang: str | None = None) -> bytes:
        """The expiry timeline as PNG, labelled in ``lang`` (default :attr:`lang`); drawn
        once per language, so a language switch redraws only what it has not drawn yet."""
        lang = language(lang or self.lang)
        if lang not in self._charts:
            self._charts[lang] = render_png(self.frame, self.as_of, lang)
        return self._charts[lang]

    def __repr__(self) -> str:
        s = self.summary()
        return (f"Report(as_of={s['as_of']}, rows_loaded={s['rows_loaded']}, "
                f"rows_rejected={s['rows_rejected']}, buckets={s['buckets']})")

    def _repr_html_(self) -> str:
        return render("report_summary.html", summary=self.summary(), lang=self.lang,
                      bucket_labels=labels.bucket_labels(self.lang),
                      as_of=format_date(self.as_of, self.lang))


def _finding_value(values: pd.Series, lang: str) -> pd.Series:
    """The value a finding is about: plans and account types by name, the rest as written."""
    field = str(values.name)
    if field in ("selling_plan", "account_type"):
        return labels.label_values(values, lambda v: value_label(lang, field, v))
    return values.astype(str)


#: Severities in text order ("error" before "warning"), and each finding's severity among them.
_SEVERITIES = sorted({rule.severity for rule in rules.FINDINGS.values()})
_SEVERITY_CODES = np.array([_SEVERITIES.index(rule.severity)
                            for rule in rules.FINDINGS.values()], dtype=np.int8)


def table_of(frame: pd.DataFrame, columns: tuple[str, ...]) -> pd.DataFrame:
    """``columns`` of an evaluated frame as people read them: marketplace as country code
    (the raw value where it names no marketplace)."""
    table = frame[list(columns)]  # pandas 3 copies on write: the frame stays as it was
    if "marketplace" in table:
        table["marketplace"] = frame["country_code"].fillna(frame["marketplace"])
    return table


def _counts(values: pd.Series, order: tuple[str, ...] | None = None) -> dict[str, int]:
    """Rows per value, keyed by the value as text: in ``order``, else sorted.

    >>> _counts(pd.Series(["b", "a", "b"])), _counts(pd.Series(["a"]), ("b", "a"))
    ({'a': 1, 'b': 2}, {'b': 0, 'a': 1})
    """
    counts: dict[str, int] = {}
    for value, count in values.value_counts(dropna=False, sort=False).items():
        counts[str(value)] = counts.get(str(value), 0) + int(count)
    keys = order if order is not None else sorted(k for k, v in counts.items() if v)
    return {k: counts.get(k, 0) for k in keys}
