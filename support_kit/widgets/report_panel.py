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
from ..texts import LANGUAGES, format_date, text, value_label
from ..views import render
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

    Labels and values follow the page's language (German by default, switchable); the
    filters and ``.value`` keep the kit's ids.

    >>> panel = ReportPanel(Desk.open(as_of="2026-12-01"), out_dir="/tmp/sk-report-doctest")
    >>> panel.state.value = ("expiring",)
    >>> len(panel.value), set(panel.value["state"]), panel.state.options[2][0]
    (14, {'expiring'}, 'Läuft bald ab')
    """

    def __init__(self, desk: Desk | None = None, out_dir: str | Path | None = None,
                 lang: str = "de"):
        self.lang = lang
        super().__init__()
        self.desk = desk or Desk.open()
        self.out_dir = Path(out_dir) if out_dir else None
        self.report: Report | None = None
        self.language = widgets.ToggleButtons(options=[(c.upper(), c) for c in LANGUAGES],
                                              value=lang, style={"button_width": "48px"})
        self.guide = widgets.HTML()
        self.banner = widgets.VBox()
        self.as_of = widgets.DatePicker(value=self.desk.today)
        self.state = widgets.SelectMultiple(rows=6)
        self.bucket = widgets.Dropdown()
        self.marketplace = widgets.Dropdown()
        self.plan = widgets.Dropdown()
        self.account = widgets.Dropdown()
        self.sort_by = widgets.Dropdown()
        self.descending = widgets.Checkbox(value=False)
        self._markets: list[str] = []
        #: The counts as text for the weekly mail; follows the page (the notebook shows it).
        self.mail_summary = widgets.HTML()
        self._relabelling = False  # options being relabelled: no refresh per option
        self.summary_view = widgets.HTML()
        self.table_view = widgets.HTML()
        self.chart = widgets.Image(format="png", layout=widgets.Layout(max_width="900px"))
        self.buttons = {kind: widgets.Button(icon="download", layout=widgets.Layout(
            width="auto")) for kind in ("xlsx", "html", "csv", "reminders")}
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
        self.language.observe(self.guarded(lambda c: self.switch_language(c["new"])),
                              names="value")

        filters = widgets.HBox([self.state, widgets.VBox([self.bucket, self.marketplace,
                                                          self.plan, self.account]),
                                widgets.VBox([self.as_of, self.sort_by, self.descending])])
        self.remind = RemindSection(self)  # reminders by e-mail: preview, then send
        self.widget = widgets.VBox([
            self.banner, self.guide, self.language, filters, self.progress, self.status,
            self.details, self.summary_view, self.chart,
            widgets.HBox(list(self.buttons.values())), self.files_view, self.remind.widget,
            self.table_view])
        self.widget.add_class("sk-report")
        self.guarded(self._label)()
        self.guarded(self.rebuild)()

    # --- language -------------------------------------------------------------------------
    def _label(self) -> None:
        """Every label and option of the panel in ``self.lang``; selections are kept."""
        lang, self._relabelling = self.lang, True
        self.banner.children = banners(self.desk, lang)
        self.guide.value = render("report_guide.html", lang=lang)
        self.details.set_title(0, text(lang, "ui.details"))
        every = (text(lang, "report.all"), ALL)
        unknown = (value_label(lang, "selling_plan", ""), "unknown")
        for control, description, options in (
                (self.state, text(lang, "ui.state"),
                 [(text(lang, f"state.{s}.label"), s) for s in rules.STATES]),
                (self.bucket, text(lang, "report.bucket_label"),
                 [every, *((text(lang, f"report.bucket.{b}"), b) for b in BUCKETS)]),
                (self.marketplace, text(lang, "ui.marketplace"),
                 [every, *((m, m) for m in self._markets), unknown]),
                (self.plan, text(lang, "ui.plan"),
                 [every, *((value_label(lang, "selling_plan", p), p)
                           for p in ("professional", "individual")), unknown]),
                (self.account, text(lang, "ui.account"),
                 [every, *((value_label(lang, "account_type", a), a)
                           for a in rules.ACCOUNT_TYPES), unknown]),
                (self.sort_by, text(lang, "report.sort_by"),
                 [(text(lang, f"report.column.{c}"), c) for c in TABLE_COLUMNS])):
            kept = control.value
            control.options = options
            control.description = description
            ids = [value for _, value in options]
            if isinstance(kept, tuple):
                control.value = tuple(v for v in kept if v in ids)
            else:
                control.value = kept if kept in ids else ids[0] if control is not \
                    self.sort_by else "days_left"
        self.as_of.description = text(lang, "ui.as_of")
        self.descending.description = text(lang, "report.descending")
        for kind, button in self.buttons.items():
            button.description = text(lang, f"report.button_{kind}")
        if hasattr(self, "remind"):
            self.remind.relabel()
        self._relabelling = False

    def switch_language(self, lang: str) -> None:
        """Show the page in ``lang``: labels, values, the summary, the table."""
        self.lang = lang
        self._label()
        if self.report is not None:
            self._show_summary()
            self.refresh()

    def summary_text(self) -> str:
        """The counts as lines for the weekly mail, in the page's language.

        >>> print(ReportPanel(Desk.open(as_of="2026-12-01"), lang="en").summary_text()
        ...       .splitlines()[0])
        As of 1 December 2026: 200 customers, 0 rows rejected
        """
        lang, summary = self.lang, self.report.summary()
        lines = [text(lang, "report.summary", loaded=summary["rows_loaded"],
                      rejected=summary["rows_rejected"],
                      as_of=format_date(self.report.as_of, lang))]
        lines += [f"{text(lang, f'report.bucket.{b}')}: {n}"
                  for b, n in summary["buckets"].items()]
        lines += [f"{text(lang, 'report.not_authorized')}: "
                  f"{summary['by_state']['not_authorized']}",
                  f"{text(lang, 'report.unknown')}: {summary['by_state']['unknown']}"]
        return "\n".join(lines)

    def _show_summary(self) -> None:
        self.summary_view.value = render(
            "report_summary.html", summary=self.report.summary(), lang=self.lang,
            bucket_labels={b: text(self.lang, f"report.bucket.{b}") for b in BUCKETS},
            as_of=format_date(self.report.as_of, self.lang))
        self.mail_summary.value = (f'<pre class="sk-mail-summary">'
                                   f"{html.escape(self.summary_text())}</pre>")

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
        self._step(0, text(self.lang, "report.evaluating",
                           n=f"{self.desk.customers.rows_loaded:,}"))
        self.report = build_report(self.desk.customers, day, self.desk.settings.timezone,
                                   self.desk.settings.lwa_secret_expires)
        self._offered.clear()  # files of another day are not this report's
        self.files_view.value = ""
        self._step(1, text(self.lang, "report.counting"))
        self._markets = sorted(self.report.frame["country_code"].dropna().unique())
        self._label()
        self._show_summary()
        self._step(2, text(self.lang, "report.drawing"))
        self.chart.value = self.report.chart_png()
        self._step(3, "")
        self.refresh()

    def refresh(self) -> None:
        if self.report is None or self._relabelling:
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
        self.table_view.value = _table(self._filtered.head(SHOWN_ROWS), len(self._filtered),
                                       self.lang)
        self.say(text(self.lang, "report.shown", n=len(self._filtered), total=len(frame)))

    def export(self, kind: str) -> Path:
        """Write one file of the report into ``out_dir`` and offer it for download."""
        out_dir = self.folder
        self.say(text(self.lang, "report.writing", name=kind), "busy")
        writers = {"xlsx": self.report.write_xlsx, "html": self.report.write_html,
                   "csv": self.report.write_customers_csv,
                   "reminders": lambda out: self.report.write_reminders(
                       out, self.desk.settings)}
        with written_whole(out_dir) as folder:  # never through a symlink, never half
            path = out_dir / writers[kind](folder).name
        self._offered[kind] = download_link(path, kind)
        self.files_view.value = "".join(self._offered.values())
        self.say(text(self.lang, "report.wrote", name=path.name))
        return path


def _table(frame: pd.DataFrame, total: int, lang: str) -> str:
    """The first rows as people read them: labels for ids, dates in the page's language."""
    head = "".join(f'<th data-column="{c}">{html.escape(text(lang, f"report.column.{c}"))}'
                   f"</th>" for c in frame.columns)
    rows = []
    for row in frame.to_dict("records"):
        cells = "".join(f'<td data-column="{c}">{html.escape(_cell(c, v, lang))}</td>'
                        for c, v in row.items())
        rows.append(f"<tr>{cells}</tr>")
    note = text(lang, "report.more", shown=SHOWN_ROWS, total=total)
    more = f'<p class="sk-more">{html.escape(note)}</p>' if total > SHOWN_ROWS else ""
    return (f'<table class="sk-table" style="border-collapse:collapse;font-size:12px">'
            f"<tr>{head}</tr>{''.join(rows)}</table>{more}")


def _cell(column: str, value: object, lang: str) -> str:
    if column in ("selling_plan", "account_type"):
        return value_label(lang, column, value)
    if value is None or value is pd.NaT or (not isinstance(value, str) and pd.isna(value)):
        return ""
    if column == "state":
        return text(lang, f"state.{value}.label")
    if column == "bucket":
        return text(lang, f"report.bucket.{value}")
    if column == "findings":
        return ", ".join(text(lang, f"finding.{f}.title") for f in rules.finding_ids(value))
    if isinstance(value, pd.Timestamp | dt.date):
        return format_date(pd.Timestamp(value).date(), lang)
    return str(value)
