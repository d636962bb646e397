"""The workbook's sheets of a report, in the desk's language (written by
:func:`support_kit.report.files.write_xlsx`)."""

from __future__ import annotations

import pandas as pd

from ..texts import entry, language, text
from . import labels
from .model import Report
from .workbook import MAX_SHEET_ROWS, Sheet

#: The workbook's "All" sheet stops here and says that customers.csv has every row; the
#: action sheets hold every row up to Excel's own limit.
ALL_SHEET_ROWS = 10_000


def sheets(report: Report, all_rows: int = ALL_SHEET_ROWS, lang: str | None = None
           ) -> list[Sheet]:
    """The workbook's sheets, in order: the summary, the changes, the recently stopped,
    every other action list whole, then "All" (its first ``all_rows`` customers); in
    ``lang`` (default the report's).

    >>> import datetime as dt
    >>> from support_kit.report import build_report
    >>> from support_kit.customers import load, demo_path
    >>> report = build_report(load(demo_path()), dt.date(2026, 12, 1))
    >>> [sheet.name for sheet in sheets(report, lang="en")][:3]
    ['Summary', 'Changes', 'Stopped, last 30 days']
    """
    lang = language(lang or report.lang)

    def sheet(key: str, rows: pd.DataFrame, total: int | None = None,
              more: str = "report.more_rows") -> Sheet:
        return Sheet(text(lang, f"report.sheet.{key}", days=report.stopped_within),
                     local_times(labels.readable(local_times(rows, report.timezone), lang),
                                 report.timezone, lang), total, more=entry(lang, more))

    # the Changes sheet holds the movements; the still stopped are counted in its closing
    # line (they are every row of changes.csv); the stopped sheet holds the recently
    # stopped, and its closing line counts those stopped longer ago (in customers.csv)
    changed = report.changes_table()
    moved = changed[changed["change"] != "still_stopped"]
    stopped = int(report.summary()["buckets"]["expired"])
    recent = report.recently_stopped()  # past Excel's limit the note cannot say "longer ago"
    note = "report.more_rows" if len(recent) > MAX_SHEET_ROWS else "report.stopped_earlier_rows"

    return [Sheet(text(lang, "report.sheet.summary"),
                  labels.summary_rows(report.summary(), lang)),
            sheet("changes", moved, len(changed), "report.still_stopped_rows"),
            sheet("recently_stopped" + {0: "_none", 1: "_one"}.get(report.stopped_within, ""),
                  recent, stopped, note),
            sheet("expiring", report.expiring()),
            sheet("not_authorized", report.not_authorized()),
            sheet("findings", report.findings(lang)),
            sheet("all", report.first_customers(all_rows), total=len(report.frame))]


def local_times(frame: pd.DataFrame, timezone: str, lang: str | None = None) -> pd.DataFrame:
    """Times (``last_contacted_at``) in the desk's time zone, as Excel holds them (no zone);
    with ``lang``, the readable frame's heading names the zone.

    >>> f = pd.DataFrame({"last_contacted_at": pd.to_datetime(["2026-11-30 09:15"], utc=True)})
    >>> str(local_times(f, "Europe/Berlin")["last_contacted_at"].iloc[0])
    '2026-11-30 10:15:00'
    """
    if lang is not None:
        shown = labels.heading(lang, "last_contacted_at")
        return frame.rename(columns={shown: f"{shown} ({timezone})"})
    column = frame.get("last_contacted_at")
    if column is None or getattr(column.dtype, "tz", None) is None:
        return frame
    return frame.assign(last_contacted_at=column.dt.tz_convert(timezone).dt.tz_localize(None))
