"""The report panel: what changed since the last report, then the week's list, filtered,
sorted, charted and exported, in the page's language."""

from __future__ import annotations

import datetime as dt
import html
from pathlib import Path

import ipywidgets as widgets
import pandas as pd

from .. import rules
from ..desk import Desk
from ..folders import reports_dir
from ..report import Report, files
from ..report.followup import CONTACT_COLUMNS
from ..report.labels import change_label, for_display
from ..report.model import table_of
from ..report.selection import LIST_FILES, WITHIN_DAYS, within, write_list
from ..report.staging import written_whole
from ..texts import DEFAULT_LANGUAGE, LANGUAGES, format_date, language, text, value_label
from ..views import render
from .download import download_link
from .panel import Panel, banners
from .remind_section import RemindSection
from .section import Section, Sections

ALL = "(all)"
SHOWN_ROWS = 200
TABLE_COLUMNS = ("customer_id", "shop_name", "contact_email", "marketplace", "state",
                 "expires_on", "days_left", "selling_plan", "account_type", "findings",
                 *CONTACT_COLUMNS)
#: Table cells: headings and short values (dates, plans) wrap between words only; long free
#: text (e-mails, shop names, findings, notes) anywhere; top-aligned.
_TH = "text-align:left;vertical-align:bottom;overflow-wrap:normal;padding:2px 6px"
_TD = "vertical-align:top;padding:2px 6px;border-top:1px solid #ddd;overflow-wrap:normal"
_LONG_TEXT = ("shop_name", "contact_email", "findings", "last_note")
#: The whole report's files the panel offers, by kind.
REPORT_FILES = {"xlsx": "report.xlsx", "html": "report.html", "csv": "customers.csv",
                "reminders": "reminders.csv"}


class ReportPanel(Panel):
    """What changed since the last report, as-of date, filters, a sortable table, the chart,
    and buttons that write the list shown or the whole report's files.

    The report is followed up with the desk's store (changes since the last run, who was
    contacted); writing its files records the run. Files go to ``out_dir``, by default the
    user's data folder (:func:`reports_dir`), never the folder the app serves; each export
    is offered to this page as a download, and offered again for a new date.

    Labels and values follow the page's language (German by default, switchable); the
    filters and ``.value`` keep the kit's ids.

    >>> panel = ReportPanel(Desk.open(as_of="2026-12-01", store="sqlite://"),
    ...                     out_dir="/tmp/sk-report-doctest")
    >>> panel.state.value = ("expiring",)
    >>> len(panel.value), set(panel.value["state"]), panel.state.options[2][0]
    (14, {'expiring'}, 'Läuft bald ab')
    """

    def __init__(self, desk: Desk | None = None, out_dir: str | Path | None = None,
                 lang: str = DEFAULT_LANGUAGE):
        self.lang = language(lang)
        super().__init__()
        self.desk = desk or Desk.open()
        self.out_dir = Path(out_dir) if out_dir else None
        self.report: Report | None = None
        self.language = widgets.ToggleButtons(options=[(c.upper(), c) for c in LANGUAGES],
                                              value=self.lang, style={"button_width": "48px"})
        self.guide = widgets.HTML()
        self.banner = widgets.VBox()
        self.changes_view = widgets.HTML()
        self.as_of = widgets.DatePicker(value=self.desk.today)
        self.state = widgets.SelectMultiple(rows=6)
        self.within = widgets.Dropdown(style={"description_width": "initial"})
        self.include_stopped = widgets.Checkbox(value=False, disabled=True)
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
            width="auto")) for kind in (*LIST_FILES, *REPORT_FILES)}
        self.files_titles = (widgets.HTML(), widgets.HTML())
        self.files_view = widgets.HTML()
        self.progress = widgets.IntProgress(min=0, max=3, layout=widgets.Layout(
            width="300px", visibility="hidden"))
        self._filtered = pd.DataFrame()
        self._offered: dict[str, Path] = {}
        self._recorded = False

        for control in (self.state, self.within, self.include_stopped, self.marketplace,
                        self.plan, self.account, self.sort_by, self.descending):
            control.observe(self.guarded(lambda _c: self.refresh()), names="value")
        self.as_of.observe(self.guarded(lambda _c: self.rebuild()), names="value")
        for kind, button in self.buttons.items():
            button.on_click(self.guarded(lambda _b, k=kind: self.export(k)))
        self.language.observe(self.guarded(lambda c: self.switch_language(c["new"])),
                              names="value")

        filters = widgets.HBox([
            self.state,
            widgets.VBox([self.within, self.include_stopped, self.marketplace]),
            widgets.VBox([self.plan, self.account, self.as_of]),
            widgets.VBox([self.sort_by, self.descending])])
        files = widgets.HBox([  # one row of downloads: the list shown, then the whole report
            self.files_titles[0], *(self.buttons[k] for k in LIST_FILES),
            self.files_titles[1], *(self.buttons[k] for k in REPORT_FILES)],
            layout=widgets.Layout(flex_flow="row wrap", align_items="center"))
        self.remind = RemindSection(self)  # reminders by e-mail: preview, then send
        self.refresh_button = widgets.Button(icon="refresh", layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(self.guarded(lambda _b: self.reload()))
        #: The steps, each a notebook cell of its own (the panel shows them all in order).
        self.sections = Sections((section.name, section) for section in (
            Section("report", "start", None, [
                self.banner, widgets.HBox([self.language, self.refresh_button]), self.guide]),
            Section("report", "changes", 1, [self.changes_view]),
            Section("report", "filters", 2, [filters, self.progress, self.status,
                                             self.details]),
            Section("report", "overview", 3, [self.summary_view, self.chart]),
            Section("report", "files", 4, [files, self.files_view]),
            Section("report", "remind", 5, [self.remind.widget]),
            Section("report", "table", 6, [self.table_view]),
            Section("report", "mail", 7, [self.mail_summary])))
        self.attach(self.sections)
        self.widget = widgets.VBox(self.sections.widgets())
        self.widget.add_class("sk-report")
        self.guarded(self._label)()
        self.guarded(self.rebuild)()

    # --- language -------------------------------------------------------------------------
    def _label(self) -> None:
        """Every label and option of the panel in ``self.lang``; selections are kept."""
        lang, self._relabelling = self.lang, True
        self.banner.children = banners(self.desk, lang)
        self.guide.value = render("report_guide.html", lang=lang)
        self.sections.relabel(lang)
        self.details.set_title(0, text(lang, "ui.details"))
        every = (text(lang, "report.all"), ALL)
        unknown = (value_label(lang, "selling_plan", ""), "unknown")
        for control, description, options in (
                (self.state, text(lang, "ui.state"),
                 [(text(lang, f"state.{s}.label"), s) for s in rules.STATES]),
                (self.within, text(lang, "report.within"),
                 [(text(lang, "report.within_all") if n is None else
                   text(lang, "report.within_days", n=n), n or 0) for n in WITHIN_DAYS]),
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
        self.refresh_button.description = text(lang, "ui.refresh")
        self.include_stopped.description = text(lang, "report.include_stopped")
        self.descending.description = text(lang, "report.descending")
        for kind, button in self.buttons.items():
            button.description = text(lang, f"report.button_{kind}")
        for title, key in zip(self.files_titles, ("list_files", "report_files"), strict=True):
            title.value = (f'<b style="margin:0 6px 0 12px">'
                           f"{html.escape(text(lang, f'report.{key}'))}:</b>")
        if hasattr(self, "remind"):
            self.remind.relabel()
        self._relabelling = False

    def switch_language(self, lang: str) -> None:
        """Show the page in ``lang``: labels, values, the changes, the summary, the table;
        files written from now on are in ``lang`` too."""
        self.lang = language(lang)
        self._label()
        if self.report is not None:
            self.report.lang = self.lang
            self._show_summary()
            offered = list(self._offered)
            self.refresh()
            self._offer_again(offered)

    def summary_text(self) -> str:
        """The counts as lines for the weekly mail, in the page's language.

        >>> panel = ReportPanel(Desk.open(as_of="2026-12-01", store="sqlite://"), lang="en")
        >>> print(panel.summary_text().splitlines()[0])
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
        self.changes_view.value = self._changes_html()
        self.summary_view.value = self.report._repr_html_()  # in the report's language
        self.mail_summary.value = (f'<pre class="sk-mail-summary">'
                                   f"{html.escape(self.summary_text())}</pre>")
        self.chart.value = self.report.chart_png()

    @property
    def folder(self) -> Path:
        """Where the files of the report on screen go."""
        return self.out_dir or reports_dir(self.report.as_of if self.report else
                                           self.desk.today)

    @property
    def value(self) -> pd.DataFrame:
        """The customers the filters select, in the chosen order (ids, as in the CSV)."""
        return self._filtered

    def _step(self, value: int, label: str) -> None:
        self.progress.layout.visibility = "visible" if value < self.progress.max else "hidden"
        self.progress.value = value
        self.say(label, "busy")

    def rebuild(self) -> None:
        """Evaluate every customer as of the date picked and follow up with the desk's store.
        Nothing is written or recorded: files offered before were of another day or state
        and are no longer offered (the lead writes them again for this one)."""
        day = self.as_of.value or self.desk.today
        self._step(0, text(self.lang, "report.evaluating",
                           n=f"{self.desk.customers.rows_loaded:,}"))
        self.report = self.desk.report(day, lang=self.lang)  # followed up with the store
        self._recorded = False
        self._offered = {}  # files of another day: not ours
        self.files_view.value = ""
        self._step(1, text(self.lang, "report.counting"))
        self._markets = sorted(self.report.frame["country_code"].dropna().unique())
        self._label()
        self._step(2, text(self.lang, "report.drawing"))
        self._show_summary()
        self._step(3, "")
        self.refresh()

    def reload(self) -> None:
        """The report again from the customer file and what the store holds now (renewals,
        contacts, notes and report runs of every agent and the terminal); nothing is
        written or recorded."""
        self.desk.reload()
        self.rebuild()

    def refresh(self) -> None:
        if self.report is None or self._relabelling:
            return
        frame = self.report.frame
        days = self.within.value or None  # 0: any time (a dropdown cannot hold None)
        self.include_stopped.disabled = days is None
        keep = within(frame, days, self.include_stopped.value)
        if self.state.value:
            keep &= frame["state"].isin(self.state.value)
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
        for kind in LIST_FILES:  # a list file of other rows is not the list shown
            self._offered.pop(kind, None)
        self._show_offered()
        self.table_view.value = self._table(self._filtered)
        self.say(text(self.lang, "report.shown", n=len(self._filtered), total=len(frame)))

    # --- files ----------------------------------------------------------------------------
    def export(self, kind: str) -> Path:
        """Write one file into ``out_dir`` and offer it for download: the list shown
        (``list_csv``, ``list_xlsx``) or a file of the whole report (which records the run).
        """
        out_dir = self.folder
        name = LIST_FILES.get(kind) or REPORT_FILES[kind]
        self.say(text(self.lang, "report.writing", name=name), "busy")
        with written_whole(out_dir) as folder:  # never through a symlink, never half
            if kind in LIST_FILES:
                written = write_list(self._filtered, folder, kind, self.lang)
            else:
                written = self._report_writer(kind)(folder)
        if kind in REPORT_FILES:
            self._record_run()
        self._offered[kind] = out_dir / written.name
        self._show_offered()
        self.say(text(self.lang, "report.wrote", name=name))
        return out_dir / written.name

    def write_all(self) -> list[Path]:
        """Write every file of the report (as ``support-kit report`` does), record the run,
        and offer the workbook and the web page for download."""
        paths = self.desk.write_report(self.report, self.folder, record=not self._recorded)
        self._recorded = True  # one run per report on screen, however many files
        for kind in ("xlsx", "html"):
            self._offered[kind] = self.folder / REPORT_FILES[kind]
        self._show_offered()
        return paths

    def _report_writer(self, kind: str):
        report = self.report
        return {"xlsx": lambda out: files.write_xlsx(report, out),
                "html": lambda out: files.write_html(report, out),
                "csv": lambda out: files.write_customers_csv(report, out),
                "reminders": lambda out: files.write_reminders(report, out,
                                                               self.desk.settings)}[kind]

    def _record_run(self) -> None:
        if not self._recorded:  # one run per report on screen, however many files
            self.desk.record_run(self.report)
            self._recorded = True

    def _offer_again(self, offered: list[str]) -> None:
        """Write the report's files offered before again, for the report on screen (a new
        date or language): a link never hands out a file of another day. The list's files
        go with the list they held."""
        for kind in offered:
            if kind in REPORT_FILES:
                self.export(kind)

    def _show_offered(self) -> None:
        if self.report is None:
            return
        day = self.report.as_of
        links = []
        for kind, path in self._offered.items():
            label = (f"⬇ {text(self.lang, 'report.download', name=path.name)} · "
                     f"{text(self.lang, 'report.as_of_file', as_of=format_date(day, self.lang))}")
            links.append(f'<span class="sk-offer" data-kind="{kind}" '
                         f'data-as-of="{day.isoformat()}">{download_link(path, kind, label)}'
                         "</span>")
        self.files_view.value = "".join(links)

    # --- views ----------------------------------------------------------------------------
    def _changes_html(self) -> str:
        """The changes since the last run: a count per change, each count a link to the
        list of its customers below.

        Each list is headed by its change (``id="sk-change-<change>"``); a count of 0
        links nowhere."""
        lang, counts = self.lang, self.report.changes.counts()
        since = counts.pop("since")
        cards = "".join(_change_card(c, n, change_label(lang, c)) for c, n in counts.items())
        line = (text(lang, "report.changes_since",
                     since=format_date(dt.date.fromisoformat(since), lang)) if since
                else text(lang, "report.changes_none"))
        table = self.report.changes_table()
        lists = "".join(
            f'<h4 id="sk-change-{c}" class="sk-change-list" style="margin:10px 0 4px">'
            f"{html.escape(change_label(lang, c))} ({n})</h4>"
            + self._table(table[table["change"] == c])
            for c, n in counts.items() if n)
        # no heading of its own: the step's heading above it says what this is
        return ('<div class="sk-changes">'
                f'<div style="display:flex;gap:8px;flex-wrap:wrap">{cards}</div>'
                f"<p>{html.escape(line)}</p>{lists}</div>")

    def _table(self, frame: pd.DataFrame) -> str:
        """The first rows of ``frame`` as people read them: headings and labels in the
        page's language, dates as the desk writes them, a table that wraps."""
        shown = for_display(frame.head(SHOWN_ROWS), self.lang, self.desk.settings.timezone)
        head = "".join(f'<th data-column="{c}" style="{_TH}">{html.escape(str(h))}</th>'
                       for c, h in zip(frame.columns, shown.columns, strict=True))
        rows = []
        for values in shown.itertuples(index=False, name=None):
            cells = "".join(
                f'<td data-column="{c}" style="{_TD}'
                f'{";overflow-wrap:anywhere" if c in _LONG_TEXT else ""}">'
                f'{html.escape(str(v))}</td>' for c, v in zip(frame.columns, values, strict=True))
            rows.append(f"<tr>{cells}</tr>")
        note = text(self.lang, "report.more", shown=SHOWN_ROWS, total=len(frame))
        more = f'<p class="sk-more">{html.escape(note)}</p>' if len(frame) > SHOWN_ROWS else ""
        return ('<table class="sk-table" style="border-collapse:collapse;font-size:12px;'
                'width:100%">'
                f"<tr>{head}</tr>{''.join(rows)}</table>{more}")


def _change_card(change: str, count: int, label: str) -> str:
    """One change's count; when there are customers, a link to their list on the page.

    >>> _change_card("renewed", 2, "Renewed")[:54]
    '<a class="sk-change" data-change="renewed" href="#sk-c'
    >>> _change_card("renewed", 0, "Renewed")[:5]
    '<div '
    """
    tag, href = ("a", f' href="#sk-change-{change}"') if count else ("div", "")
    return (f'<{tag} class="sk-change" data-change="{change}"{href} style="border:1px solid '
            '#ccc;border-radius:6px;padding:4px 12px;min-width:90px;color:inherit;'
            f'text-decoration:none"><b style="font-size:20px;display:block">{count}</b>'
            f"{html.escape(label)}</{tag}>")
