"""The report as one self-contained web page (``report.html``), in the desk's language."""

from __future__ import annotations

import base64
import datetime as dt

import pandas as pd

from ..texts import format_dates, language, text
from ..views import render
from . import labels
from .model import Report


def html(report: Report, max_rows: int = 500, lang: str | None = None) -> str:
    """The whole report as one HTML page (chart inlined), each list's first ``max_rows``,
    in ``lang`` (default the report's).

    >>> import datetime as dt
    >>> from support_kit.report import build_report
    >>> from support_kit.customers import load, demo_path
    >>> page = html(build_report(load(demo_path()), dt.date(2026, 12, 1)), 5, "en")
    >>> "Expiring within 30 days" in page, page.count("<table") > 3
    (True, True)
    """
    lang = language(lang or report.lang)
    sections = []
    changed = report.changes_table()
    # where the rows past the page's are: the workbook holds the whole lists, but only
    # the movements of the changes and only the recently stopped
    for section_id, key, (frame, total), rest in (
        ("changes", "changes_title", (changed.head(max_rows), len(changed)), "changes"),
        ("expired", "section_expired", report.head("expired", lang, max_rows), "customers"),
        ("expiring", "section_expiring", report.head("expiring", lang, max_rows), "files"),
        ("not-authorized", "section_not_authorized",
         report.head("not_authorized", lang, max_rows), "files"),
        ("findings", "section_findings", report.head("findings", lang, max_rows), "files"),
    ):
        shown = labels.for_display(frame, lang, report.timezone)
        sections.append({"id": section_id, "title": text(lang, f"report.{key}"),
                         "total": total, "columns": list(shown.columns),
                         "more": f"report.more_in_{rest}",
                         "widths": labels.column_widths(frame.columns),
                         "rows": list(shown.itertuples(index=False, name=None))})
    return render("report.html", summary=report.summary(), sections=sections, lang=lang,
                  chart_base64=base64.b64encode(report.chart_png(lang)).decode(),
                  **_page_texts(report.summary(), lang))


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
