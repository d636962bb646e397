"""The app records only what somebody did: starting it, preheating and opening pages and
changing the report's day record nothing; writing the report's files records one run.
A page shows the store as of its opening, also when its kernel was preheated before."""

import os
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

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


def test_a_note_from_the_terminal_shows_on_a_preheated_page(voila, page):
    deadline = time.monotonic() + 120  # the troubleshooting page's kernels are preheated
    while "01_troubleshoot_seller.ipynb is filled" not in voila.log.read_text(errors="replace"):
        assert time.monotonic() < deadline, "the pool did not fill"
        time.sleep(0.5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    command = Path(sys.executable).with_name("support-kit")
    subprocess.run([str(command), "note", "C100005", "Rückruf Freitag, Terminal"], check=True,
                   env=env | {"XDG_DATA_HOME": str(voila.data)}, capture_output=True,
                   timeout=120)
    page.goto(voila.url("01_troubleshoot_seller.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-diagnosis[data-customer-id='C100005']", timeout=120_000)
    page.wait_for_selector(".sk-timeline .sk-event[data-kind='note']")
    assert "Rückruf Freitag, Terminal" in page.inner_text(".sk-timeline")
    # the worklist: who needs the desk today; a click opens the customer
    assert "Heute zu tun" in page.inner_text(".sk-worklist-head")
    first = page.eval_on_selector(".sk-worklist select",
                                  "s => s.options[0].textContent.trim().split(/\\s/)[0]")
    page.select_option(".sk-worklist select", index=0)
    page.wait_for_selector(f".sk-diagnosis[data-customer-id='{first}']")
