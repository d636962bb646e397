"""Build the report: evaluate every customer once, then derive summaries and action lists."""

from __future__ import annotations

import base64
import datetime as dt
import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from .. import rules
from ..app_credentials import client_secret
from ..config import DEFAULT_TIMEZONE, Settings
from ..customers import CustomerList
from ..exports import write_csv
from ..texts import DEFAULT_LANGUAGE, entry, format_date, format_dates, language, text, value_label
from ..views import render
from . import followup, labels
from .chart import render_png
from .memory import give_back_memory
from .reminders import reminders, write_reminders
from .staging import written_whole
from .workbook import MAX_SHEET_ROWS, Sheet, write_workbook

#: Expiry buckets of the summary, in order.
BUCKETS = ("expired", "<=7", "<=14", "<=30", "later")
ACTION_COLUMNS = ("customer_id", "shop_name", "contact_email", "marketplace", "language",
                  "state", "expires_on", "days_left", "stopped_since", "findings",
                  *followup.CONTACT_COLUMNS)
CUSTOMER_CSV_COLUMNS = ("customer_id", "shop_name", "marketplace", "state", "expires_on",
                        "days_left", "findings", "authorized_source", *followup.CONTACT_COLUMNS)
#: The workbook's "All" sheet stops here and says that customers.csv has every row; the
#: action sheets hold every row up to Excel's own limit.
ALL_SHEET_ROWS = 10_000
#: Above this many customers the workbook is written by a forked process beside the rest.
BACKGROUND_ROWS = 20_000


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
    """Every customer evaluated as of one day, with the rejected rows beside them."""

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
    _chart: bytes | None = field(default=None, repr=False)
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
        self._lists.clear()
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

    def write_changes_csv(self, out: Path) -> Path:
        return write_csv(self.changes_table(), Path(out) / "changes.csv")

    def customers_table(self) -> pd.DataFrame:
        """One row per loaded customer, the columns of ``customers.csv``."""
        return table_of(self.frame, CUSTOMER_CSV_COLUMNS)

    def write_summary(self, out: Path) -> Path:
        path = Path(out) / "summary.json"
        path.write_text(json.dumps(self.summary(), indent=2, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path

    def write_customers_csv(self, out: Path) -> Path:
        return write_csv(self.customers_table(), Path(out) / "customers.csv")

    def write_rejects_csv(self, out: Path) -> Path:
        return write_csv(self.rejects, Path(out) / "rejects.csv")

    # --- action lists ------------------------------------------------------------------
    def _columns(self, frame: pd.DataFrame) -> pd.DataFrame:
        return table_of(frame, ACTION_COLUMNS)

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
        return self._columns(self.frame[[*ACTION_COLUMNS, "country_code"]].iloc[positions])

    def _head(self, name: str, lang: str, rows: int) -> tuple[pd.DataFrame, int]:
        """The first ``rows`` of an action list and its length, without making it whole."""
        if name == "findings":
            return self._findings(lang, rows), len(self._finding_order()[0])
        return self._action_rows(name, rows), len(self._positions(name))

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

    def reminders(self, settings: Settings | None = None) -> pd.DataFrame:
        """The mail-merge rows of who is due now (see :mod:`support_kit.report.reminders`)."""
        return reminders(self.frame[self.due()], settings)

    # --- files --------------------------------------------------------------------------
    def sheets(self, all_rows: int = ALL_SHEET_ROWS) -> list[Sheet]:
        """The workbook's sheets, in order: the summary, the changes, the recently stopped,
        every other action list whole, then "All" (its first ``all_rows`` customers); in
        :attr:`lang`."""
        lang = self.lang

        def sheet(key: str, rows: pd.DataFrame, total: int | None = None,
                  more: str = "report.more_rows") -> Sheet:
            return Sheet(text(lang, f"report.sheet.{key}", days=self.stopped_within),
                         labels.readable(rows, lang), total, more=entry(lang, more))

        # the Changes sheet holds the movements; the still stopped are counted in its closing
        # line (they are every row of changes.csv); the stopped sheet holds the recently
        # stopped, and its closing line counts those stopped longer ago (in customers.csv)
        changed = self.changes_table()
        moved = changed[changed["change"] != "still_stopped"]
        stopped = int(self.summary()["buckets"]["expired"])
        recent = self.recently_stopped()  # past Excel's limit the note cannot say "longer ago"
        note = "report.more_rows" if len(recent) > MAX_SHEET_ROWS else "report.stopped_earlier_rows"

        return [Sheet(text(lang, "report.sheet.summary"),
                      labels.summary_rows(self.summary(), lang)),
                sheet("changes", moved, len(changed), "report.still_stopped_rows"),
                sheet("recently_stopped" + {0: "_none", 1: "_one"}.get(self.stopped_within, ""),
                      recent, stopped, note),
                sheet("expiring", self.expiring()),
                sheet("not_authorized", self.not_authorized()),
                sheet("findings", self.findings(lang)),
                sheet("all", self._columns(self.frame.head(all_rows)), total=len(self.frame))]

    def write_xlsx(self, out: Path, all_rows: int = ALL_SHEET_ROWS) -> Path:
        return write_workbook(Path(out) / "report.xlsx", self.sheets(all_rows))

    def chart_png(self) -> bytes:
        if self._chart is None:
            self._chart = render_png(self.frame, self.as_of, self.lang)
        return self._chart

    def write_chart(self, out: Path) -> Path:
        path = Path(out) / "expiry_timeline.png"
        path.write_bytes(self.chart_png())
        return path

    def html(self, max_rows: int = 500) -> str:
        """The whole report as one self-contained HTML page (chart inlined), in :attr:`lang`."""
        lang = language(self.lang)
        sections = []
        changed = self.changes_table()
        # where the rows past the page's are: the workbook holds the whole lists, but only
        # the movements of the changes and only the recently stopped
        for section_id, key, (frame, total), rest in (
            ("changes", "changes_title", (changed.head(max_rows), len(changed)), "changes"),
            ("expired", "section_expired", self._head("expired", lang, max_rows),
             "customers"),
            ("expiring", "section_expiring", self._head("expiring", lang, max_rows), "files"),
            ("not-authorized", "section_not_authorized",
             self._head("not_authorized", lang, max_rows), "files"),
            ("findings", "section_findings", self._head("findings", lang, max_rows), "files"),
        ):
            shown = labels.for_display(frame, lang, self.timezone)
            sections.append({"id": section_id, "title": text(lang, f"report.{key}"),
                             "total": total, "columns": list(shown.columns),
                             "more": f"report.more_in_{rest}",
                             "widths": labels.column_widths(frame.columns),
                             "rows": list(shown.itertuples(index=False, name=None))})
        return render("report.html", summary=self.summary(), sections=sections, lang=lang,
                      chart_base64=base64.b64encode(self.chart_png()).decode(),
                      **_page_texts(self.summary(), lang))

    def write_html(self, out: Path) -> Path:
        path = Path(out) / "report.html"
        path.write_text(self.html(), encoding="utf-8")
        return path

    def write_reminders(self, out: Path, settings: Settings | None = None) -> Path:
        return write_reminders(Path(out) / "reminders.csv", self.frame[self.due()], settings)

    def write_all(self, out: Path, settings: Settings | None = None,
                  progress: Callable[[str], None] = lambda _label: None) -> list[Path]:
        """Write every report file into ``out``, whole or not at all; ``progress`` hears of
        each one.

        On large lists the workbook (the slowest file) is written by a forked process while
        this one writes the rest, using both cores. The files that use the action lists come
        first; this process lets go of the lists before the others.
        """
        # the previous report stays until all is written; the customer file is never replaced
        with written_whole(out, keep=self.source) as folder:
            big = len(self.frame) > BACKGROUND_ROWS
            workbook = self._xlsx_in_background(folder) if big else None
            with_lists = [self.write_chart, self.write_html]
            if workbook is None:
                with_lists.append(self.write_xlsx)
            without_lists = [self.write_summary, self.write_changes_csv,
                             self.write_customers_csv, self.write_rejects_csv,
                             lambda folder: self.write_reminders(folder, settings)]
            paths: list[Path] = []

            def write(writers: list[Callable[[Path], Path]]) -> None:
                for writer in writers:
                    paths.append(writer(folder))
                    progress(f"wrote {paths[-1].name}")
                    give_back_memory()  # what each file needed for a moment, before the next

            write(with_lists)
            self._lists.clear()
            write(without_lists)
            if workbook is not None:
                paths.append(workbook())
                progress(f"wrote {paths[-1].name}")
        return [Path(out) / path.name for path in paths]

    def _xlsx_in_background(self, out: Path) -> Callable[[], Path] | None:
        """Start writing the workbook in a forked process, which makes its sheets from its
        copy of this report while this one writes the rest; returns a function that waits."""
        give_back_memory()  # the forked writer starts as large as this process

        def write() -> Path:  # in the forked process, on its own copy of this report:
            sheets = self.sheets()
            self.frame, self._lists = self.frame.iloc[:0], {}  # only the sheets are needed,
            give_back_memory()
            return write_workbook(out / "report.xlsx", _handed_over(sheets))  # each once

        return _in_background(write, retry=lambda: self.write_xlsx(out))

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


def _page_texts(summary: dict, lang: str) -> dict:
    """What the HTML templates show beside the tables, in ``lang``: labels, never ids."""
    lang = language(lang)
    as_of = dt.date.fromisoformat(summary["as_of"])
    since = summary["changes"]["since"]

    def day(value: str) -> str:
        return format_dates(pd.Series([pd.Timestamp(value)]), lang).iloc[0]

    return {"words": {key: text(lang, f"report.{key}") for key in (
                "title", "changes_title", "states", "customers", "timeline", "timeline_alt",
                "nothing", "markets", "unknown_value")},
            "as_of_line": text(lang, "report.as_of_line", as_of=day(as_of.isoformat()),
                               loaded=summary["rows_loaded"],
                               rejected=summary["rows_rejected"]),
            "changes_line": text(lang, "report.changes_since", since=day(since)) if since
            else text(lang, "report.changes_none"),
            "more": lambda n, key="report.more_in_files": text(lang, key, n=n),
            "heading": lambda column: labels.heading(lang, column),
            "state_label": lambda state: labels.state_label(lang, state),
            "change_label": lambda change: labels.change_label(lang, change),
            "plan_label": lambda v: labels.stored_label(lang, "selling_plan", v),
            "account_label": lambda v: labels.stored_label(lang, "account_type", v),
            "bucket_labels": labels.bucket_labels(lang)}


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


def _handed_over(items: list) -> Iterator:
    """Yield and forget the items of ``items`` one by one (the list ends empty).

    >>> items = [1, 2]; list(_handed_over(items)), items
    ([1, 2], [])
    """
    while items:
        yield items.pop(0)


def _in_background(write: Callable[[], Path], retry: Callable[[], Path]
                   ) -> Callable[[], Path] | None:
    """Run ``write()`` in a forked process; returns a function that waits for its path.

    If the forked writer fails, ``retry()`` runs in this process to tell the real problem.
    The parent keeps no reference to ``write`` (nor to the data it holds).
    """
    if "fork" not in multiprocessing.get_all_start_methods():
        return None
    done = multiprocessing.get_context("fork").SimpleQueue()
    process = multiprocessing.get_context("fork").Process(
        target=_silent(lambda: done.put(write())), daemon=True)
    process.start()  # forgets its target once started

    def wait() -> Path:
        process.join()
        return done.get() if process.exitcode == 0 and not done.empty() else retry()

    return wait


def _silent(work: Callable[[], object]) -> Callable[[], None]:
    """``work`` for a forked writer: a failure or Ctrl-C ends it with exit code 1 and no
    traceback on the agent's terminal (the parent retries and tells the problem, or stops)."""

    def run() -> None:
        try:
            work()
        except BaseException:
            os._exit(1)

    return run


def _flatten(summary: dict) -> list[tuple[str, str, object]]:
    rows: list[tuple[str, str, object]] = []
    for group, value in summary.items():
        if isinstance(value, dict):
            rows += [(group, str(k), v) for k, v in value.items()]
        else:
            rows.append(("report", group, value))
    return rows


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


def build_report(customers: CustomerList, as_of: dt.date | None = None,
                 timezone: str = DEFAULT_TIMEZONE, lwa_secret_expires: dt.date | None = None,
                 lang: str = DEFAULT_LANGUAGE) -> Report:
    """Evaluate all ``customers`` as of ``as_of`` (default: today in ``timezone``).

    >>> from support_kit.customers import load, demo_path
    >>> report = build_report(load(demo_path()), dt.date(2026, 12, 1))
    >>> report.summary()["rows_loaded"]
    200
    """
    as_of = as_of or rules.today(timezone)
    frame = rules.evaluate(customers.customers, as_of, timezone)
    frame["bucket"] = buckets(frame)
    for name, column in followup.contact_columns(frame["customer_id"]).items():
        frame[name] = column
    give_back_memory()
    return Report(as_of, frame, customers.rejects, customers.source, timezone,
                  lwa_secret_expires, lang=language(lang))
