"""The report panel: the week's expiry report, filtered, sorted, charted and exported."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from .. import rules
from ..desk import Desk
from ..folders import reports_dir
from ..report import Report, build_report
from ..report.build import BUCKETS, table_of
from ..report.staging import written_whole
from .download import download_link
from .panel import Panel, banners
from .remind_section import RemindSection

ALL = "(all)"
SHOWN_ROWS = 200
TABLE_COLUMNS = ("customer_id", "shop_name", "contact_email", "marketplace", "state",
                 "expires_on", "days_left", "bucket", "selling_plan", "account_type",
                 "findings")


class ReportPanel(Panel):
    """As-of date, filters, a sortable table, the chart, and buttons that write the files.

    Files go to ``out_dir``, by default the user's data folder (:func:`reports_dir`), never
    the folder the app serves; each export is offered to this page as a download.

    >>> panel = ReportPanel(Desk.open(as_of="2026-12-01"), out_dir="/tmp/sk-report-doctest")
    >>> panel.state.value = ("expiring",)
    >>> len(panel.value), set(panel.value["state"])
    (14, {'expiring'})
    """

    def __init__(self, desk: Desk | None = None, out_dir: str | Path | None = None,
                 lang: str = "en"):
        self.lang = lang
        super().__init__()
        self.desk = desk or Desk.open()
        self.out_dir = Path(out_dir) if out_dir else None
        self.report: Report | None = None
        self.as_of = widgets.DatePicker(description="As of", value=self.desk.today)
        self.state = widgets.SelectMultiple(options=list(rules.STATES), rows=6,
                                            description="State")
        self.bucket = widgets.Dropdown(options=[ALL, *BUCKETS], description="Bucket")
        self.marketplace = widgets.Dropdown(options=[ALL], description="Marketplace")
        self.plan = widgets.Dropdown(options=[ALL, "professional", "individual", "unknown"],
                                     description="Plan")
        self.account = widgets.Dropdown(options=[ALL, *rules.ACCOUNT_TYPES, "unknown"],
                                        description="Account")
        self.sort_by = widgets.Dropdown(options=list(TABLE_COLUMNS), value="days_left",
                                        description="Sort by")
        self.descending = widgets.Checkbox(description="descending", value=False)
        self.summary_view = widgets.HTML()
        self.table_view = widgets.HTML()
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="900px"))
        self.buttons = {kind: widgets.Button(description=label, icon="download",
                                             layout=widgets.Layout(width="auto"))
                        for kind, label in (("xlsx", "Excel (report.xlsx)"),
                                            ("html", "Web page (report.html)"),
                                            ("csv", "Customers (customers.csv)"),
                                            ("reminders", "Mail merge (reminders.csv)"))}
        self.files_view = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=3, layout=widgets.Layout(
            width="300px", visibility="hidden"))
        self._filtered = pd.DataFrame()
        self._offered: dict[str, str] = {}

        for control in (self.state, self.bucket, self.marketplace, self.plan, self.account,
                        self.sort_by, self.descending):
            control.observe(self.guarded(lambda _c: self.refresh()), names="value")
        self.as_of.observe(self.guarded(lambda _c: self.rebuild()), names="value")
        for kind, button in self.buttons.items():
            button.on_click(self.guarded(lambda _b, k=kind: self.export(k)))

        top = banners(self.desk, lang)
        filters = widgets.HBox([self.state, widgets.VBox([self.bucket, self.marketplace,
                                                          self.plan, self.account]),
                                widgets.VBox([self.as_of, self.sort_by, self.descending])])
        self.remind = RemindSection(self)  # reminders by e-mail: preview, then send
        self.widget = widgets.VBox(top + [
            filters, self.progress, self.status, self.details, self.summary_view, self.chart,
            widgets.HBox(list(self.buttons.values())), self.files_view, self.remind.widget,
            self.table_view])
        self.widget.add_class("sk-report")
        self.guarded(self.rebuild)()

    @property
    def folder(self) -> Path:
        """Where the files of the report on screen go."""
        return self.out_dir or reports_dir(self.report.as_of if self.report else
                                           self.desk.today)

    @property
    def value(self) -> pd.DataFrame:
        """The customers the filters select, in the chosen order."""
        return self._filtered

    def _step(self, value: int, label: str) -> None:
        self.progress.layout.visibility = "visible" if value < self.progress.max else "hidden"
        self.progress.value = value
        self.say(label, "busy")

    def rebuild(self) -> None:
        day = self.as_of.value or self.desk.today
        self._step(0, f"evaluating {self.desk.customers.rows_loaded:,} customers …")
        self.report = build_report(self.desk.customers, day, self.desk.settings.timezone,
                                   self.desk.settings.lwa_secret_expires)
        self._offered.clear()  # files of another day are not this report's
        self.files_view.value = ""
        self._step(1, "counting …")
        markets = sorted(self.report.frame["country_code"].dropna().unique())
        self.marketplace.options = [ALL, *markets, "unknown"]
        self.summary_view.value = self.report._repr_html_()
        self._step(2, "drawing the chart …")
        self.chart.value = self.report.chart_png()
        self._step(3, "")
        self.refresh()

    def refresh(self) -> None:
        if self.report is None:
            return
        frame = self.report.frame
        keep = pd.Series(True, index=frame.index)
        if self.state.value:
            keep &= frame["state"].isin(self.state.value)
        if self.bucket.value != ALL:
            keep &= frame["bucket"] == self.bucket.value
        for control, column in ((self.marketplace, "country_code"), (self.plan, "selling_plan"),
                                (self.account, "account_type")):
            if control.value == "unknown":
                keep &= frame[column].fillna("") == ""
            elif control.value != ALL:
                keep &= frame[column] == control.value
        shown = table_of(frame[keep], TABLE_COLUMNS)
        self._filtered = shown.sort_values(self.sort_by.value,
                                           ascending=not self.descending.value,
                                           kind="stable", na_position="last")
        self.table_view.value = _table(self._filtered.head(SHOWN_ROWS), len(self._filtered))
        self.say(f"{len(self._filtered)} of {len(frame)} customers")

    def export(self, kind: str) -> Path:
        """Write one file of the report into ``out_dir`` and offer it for download."""
        out_dir = self.folder
        self.say(f"writing {kind} …", "busy")
        writers = {"xlsx": self.report.write_xlsx, "html": self.report.write_html,
                   "csv": self.report.write_customers_csv,
                   "reminders": lambda out: self.report.write_reminders(
                       out, self.desk.settings)}
        with written_whole(out_dir) as folder:  # never through a symlink, never half
            path = out_dir / writers[kind](folder).name
        self._offered[kind] = download_link(path, kind)
        self.files_view.value = "".join(self._offered.values())
        self.say(f"wrote {path}")
        return path


def _table(frame: pd.DataFrame, total: int) -> str:
    head = "".join(f"<th>{html.escape(c)}</th>" for c in frame.columns)
    rows = []
    for values in frame.itertuples(index=False, name=None):
        cells = "".join(f"<td>{html.escape(_cell(v))}</td>" for v in values)
        rows.append(f"<tr>{cells}</tr>")
    more = (f'<p class="sk-more">{SHOWN_ROWS} of {total} shown; the exports have all.</p>'
            if total > SHOWN_ROWS else "")
    return (f'<table class="sk-table" style="border-collapse:collapse;font-size:12px">'
            f"<tr>{head}</tr>{''.join(rows)}</table>{more}")


def _cell(value: object) -> str:
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if isinstance(value, pd.Timestamp | dt.date):
        return value.strftime("%Y-%m-%d")
    return str(value)
