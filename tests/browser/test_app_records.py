"""The app records only what somebody did: starting it, preheating and opening pages and
changing the report's day record nothing; writing the report's files records one run."""

import sqlite3
import time

from .voila_server import Voila


def store_file(voila: Voila):
    return voila.data / "support_kit" / "demo-desk.sqlite"


def count(voila: Voila, table: str) -> int:
    path = store_file(voila)
    if not path.exists():
        return 0
    with sqlite3.connect(path) as db:
        return db.execute(f"select count(*) from {table}").fetchone()[0]


def open_report(page, voila):
    page.goto(voila.url("02_expiry_report.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-report .sk-table", timeout=120_000)


def test_opening_and_changing_the_day_record_nothing_writing_records_one_run(voila, page):
    time.sleep(5)  # the pool preheats every page (and ran the report's cells)
    open_report(page, voila)
    assert count(voila, "report_runs") == 0
    assert count(voila, "events") == 0
    page.fill(".sk-report input[type=date]", "2026-12-15")
    page.press(".sk-report input[type=date]", "Tab")
    page.wait_for_selector(".sk-offer", state="detached")
    page.wait_for_function("() => document.querySelector('.sk-status')"
                           " && !document.querySelector('.sk-status.sk-busy')")
    assert count(voila, "report_runs") == 0
    page.click("button:has-text('report.xlsx')")
    page.wait_for_selector(".sk-offer[data-kind='xlsx']")
    assert count(voila, "report_runs") == 1
    page.click("button:has-text('report.html')")  # one report, however many files
    page.wait_for_selector(".sk-offer[data-kind='html']")
    assert count(voila, "report_runs") == 1
    assert count(voila, "events") == 0
