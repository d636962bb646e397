"""The report's files: each written from the model into a folder, and all of them whole or
not at all (:func:`write_all`, what ``support-kit report`` and the report page write).

>>> import datetime as dt, tempfile
>>> from support_kit.report import build_report
>>> from support_kit.customers import load, demo_path
>>> report = build_report(load(demo_path()), dt.date(2026, 12, 1))
>>> with tempfile.TemporaryDirectory() as out:
...     sorted(path.name for path in write_all(report, out))[:3]
['changes.csv', 'customers.csv', 'expiry_timeline.png']
"""

from __future__ import annotations

import json
import multiprocessing
import os
from collections.abc import Callable, Iterator
from pathlib import Path

from ..config import Settings
from ..exports import write_csv
from .memory import give_back_memory
from .model import Report
from .page import html
from .reminders import write_reminders as _write_reminders
from .sheets import ALL_SHEET_ROWS, sheets
from .staging import written_whole
from .workbook import write_workbook

#: Above this many customers the workbook is written by a forked process beside the rest.
BACKGROUND_ROWS = 20_000


def write_summary(report: Report, out: Path) -> Path:
    """``summary.json``: the counts."""
    path = Path(out) / "summary.json"
    path.write_text(json.dumps(report.summary(), indent=2, ensure_ascii=False) + "\n",
                    encoding="utf-8")
    return path


def write_changes_csv(report: Report, out: Path) -> Path:
    """``changes.csv``: whose state changed since the last run."""
    return write_csv(report.changes_table(), Path(out) / "changes.csv")


def write_customers_csv(report: Report, out: Path) -> Path:
    """``customers.csv``: every loaded customer."""
    return write_csv(report.customers_table(), Path(out) / "customers.csv")


def write_rejects_csv(report: Report, out: Path) -> Path:
    """``rejects.csv``: every rejected row and why."""
    return write_csv(report.rejects, Path(out) / "rejects.csv")


def write_xlsx(report: Report, out: Path, all_rows: int = ALL_SHEET_ROWS) -> Path:
    """``report.xlsx``: the summary and the action lists (see :func:`sheets`)."""
    return write_workbook(Path(out) / "report.xlsx", sheets(report, all_rows))


def write_chart(report: Report, out: Path) -> Path:
    """``expiry_timeline.png``: the expiry timeline."""
    path = Path(out) / "expiry_timeline.png"
    path.write_bytes(report.chart_png())
    return path


def write_html(report: Report, out: Path) -> Path:
    """``report.html``: the report as one web page (see :func:`html`)."""
    path = Path(out) / "report.html"
    path.write_text(html(report), encoding="utf-8")
    return path


def write_reminders(report: Report, out: Path, settings: Settings | None = None) -> Path:
    """``reminders.csv``: the mail merge of who is due for a reminder now."""
    return _write_reminders(Path(out) / "reminders.csv", report.frame[report.due()], settings)


def write_all(report: Report, out: Path, settings: Settings | None = None,
              progress: Callable[[str], None] = lambda _label: None) -> list[Path]:
    """Write every report file into ``out``, whole or not at all; ``progress`` hears of
    each one.

    On large lists the workbook (the slowest file) is written by a forked process while
    this one writes the rest, using both cores. The files that use the action lists come
    first; this process lets go of the lists before the others.
    """
    # the previous report stays until all is written; the customer file is never replaced
    with written_whole(out, keep=report.source) as folder:
        big = len(report.frame) > BACKGROUND_ROWS
        workbook = _xlsx_in_background(report, folder) if big else None
        with_lists = [write_chart, write_html]
        if workbook is None:
            with_lists.append(write_xlsx)
        without_lists = [write_summary, write_changes_csv, write_customers_csv,
                         write_rejects_csv,
                         lambda report, folder: write_reminders(report, folder, settings)]
        paths: list[Path] = []

        def write(writers: list[Callable[[Report, Path], Path]]) -> None:
            for writer in writers:
                paths.append(writer(report, folder))
                progress(f"wrote {paths[-1].name}")
                give_back_memory()  # what each file needed for a moment, before the next

        write(with_lists)
        report.forget_lists()
        write(without_lists)
        if workbook is not None:
            paths.append(workbook())
            progress(f"wrote {paths[-1].name}")
    return [Path(out) / path.name for path in paths]


def _xlsx_in_background(report: Report, out: Path) -> Callable[[], Path] | None:
    """Start writing the workbook in a forked process, which makes its sheets from its
    copy of the report while this one writes the rest; returns a function that waits."""
    give_back_memory()  # the forked writer starts as large as this process

    def write() -> Path:  # in the forked process, on its own copy of the report:
        made = sheets(report)
        report.frame = report.frame.iloc[:0]  # only the sheets are needed,
        report.forget_lists()
        give_back_memory()
        return write_workbook(out / "report.xlsx", _handed_over(made))  # each once

    return _in_background(write, retry=lambda: write_xlsx(report, out))


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
