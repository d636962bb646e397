"""The bulk report's files, opened again the way their readers open them."""

import csv
import datetime as dt
import json
import re
import sqlite3
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from openpyxl import load_workbook

from support_kit import build_report, load_customers
from support_kit.config import load_settings
from support_kit.report import files
from support_kit.report.page import html as report_page

from .conftest import AS_OF, CANARY_TOKEN, TEST_ENV, assert_no_canary, customer, run_cli, write_csv

GOLDEN = Path(__file__).parent / "golden" / "summary_demo_2026-12-01.json"
INJECTION = ["=1+2", "+SUM(A1:A2)", "-2+3", "@cmd", "\t=tab", "\r=cr",
             '=HYPERLINK("http://evil.example","x")', "<script>alert(1)</script>",
             "<img src=x onerror=alert(1)>", "&amp; \"quoted\" 'single'"]


@pytest.fixture(scope="module")
def demo_report(tmp_path_factory):
    import support_kit.cli as cli
    from support_kit.store import Store

    out = tmp_path_factory.mktemp("report")
    with pytest.MonkeyPatch.context() as patch:  # its own desk memory, not the user's
        patch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
        assert cli.main(["report", "--as-of", AS_OF.isoformat(), "--out", str(out)]) == 0
        Store.close_all()
    return out


def read_csv(path):
    with open(path, newline="", encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_golden_summary_of_the_demo_data(demo_report):
    summary = json.loads((demo_report / "summary.json").read_text())
    assert summary == json.loads(GOLDEN.read_text())
    assert set(summary["buckets"]) == {"expired", "<=7", "<=14", "<=30", "later"}
    assert sum(summary["buckets"].values()) + summary["by_state"]["not_authorized"] + \
        summary["by_state"]["unknown"] == summary["rows_loaded"]
    for key in ("by_marketplace", "by_region", "by_plan", "by_account_type"):
        assert sum(summary[key].values()) == summary["rows_loaded"]


def test_workbook_sheets_counts_and_no_formulas(demo_report):
    summary = json.loads((demo_report / "summary.json").read_text())
    book = load_workbook(demo_report / "report.xlsx")
    assert book.sheetnames == ["Übersicht", "Änderungen", "Gestoppt, letzte 30 Tage",
                               "Läuft bald ab", "Nicht autorisiert", "Hinweise",
                               "Alle"]  # the desk's language
    rows = {name: book[name].max_row - 1 for name in book.sheetnames}
    states = summary["by_state"]
    stopped = list(book["Gestoppt, letzte 30 Tage"].values)
    header, *recent, (note, *_) = stopped
    since = [row[header.index("Gestoppt seit")] for row in recent]
    assert recent and since == sorted(since)  # longest first
    assert all(s >= dt.datetime(2026, 11, 1) for s in since)  # within 30 days of AS_OF
    older = states["expired"] + states["revoked"] - len(recent)
    assert older > 0 and note.startswith(f"… und {older} Verkäufer, die schon länger gestoppt")
    assert "customers.csv" in note
    assert rows["Läuft bald ab"] == states["expiring"]
    assert rows["Nicht autorisiert"] == states["not_authorized"]
    assert rows["Hinweise"] == sum(summary["by_finding"].values())
    assert rows["Alle"] == summary["rows_loaded"]
    for sheet in book.worksheets:
        assert sheet.freeze_panes == "A2"
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"formula in {sheet.title}!{cell.coordinate}"
    expiring = book["Läuft bald ab"]
    header = [c.value for c in expiring[1]]
    days = [r[header.index("Tage übrig")] for r in expiring.iter_rows(min_row=2, values_only=True)]
    assert days == sorted(days) and all(1 <= d <= 30 for d in days)  # soonest first
    expires = expiring.cell(row=2, column=header.index("Läuft ab am") + 1)
    assert expires.is_date and expires.number_format == "yyyy-mm-dd"
    assert book["Gestoppt, letzte 30 Tage"].auto_filter.ref
    counts = {(group, item): count for group, item, count, _text
              in book["Übersicht"].iter_rows(min_row=2, values_only=True)}
    assert counts[("Bericht", "Kunden geladen")] == summary["rows_loaded"]  # a number
    assert counts[("Zustände", "Abgelaufen")] == states["expired"]
    assert all(isinstance(c, int | float) for c in counts.values() if c is not None)


def test_only_the_all_sheet_stops_early_with_a_note(tmp_path, demo):
    report = build_report(demo, AS_OF)
    files.write_xlsx(report, tmp_path, all_rows=10)
    book = load_workbook(tmp_path / "report.xlsx", read_only=True)
    rows = {name: list(book[name].values) for name in book.sheetnames}
    assert len(rows["Alle"]) == 12 and "customers.csv" in rows["Alle"][-1][0]
    assert "190 weitere Zeilen" in rows["Alle"][-1][0]
    assert len(rows["Hinweise"]) - 1 == len(report.findings("de"))  # action lists stay whole
    assert len(rows["Gestoppt, letzte 30 Tage"]) - 2 == len(report.recently_stopped())


def test_more_than_10000_expiring_customers_are_all_in_the_expiring_sheet(tmp_path, capsys):
    from support_kit.demo import generate

    frame = generate(24_000, AS_OF, seed=14)
    soon = frame.index % 2 == 0  # every second customer expires within 1-30 days
    days_ago = 365 - (1 + frame.index[soon] % 30)
    frame.loc[soon, "authorized_at"] = [(AS_OF - dt.timedelta(days=int(d))).isoformat()
                                        for d in days_ago]
    frame.loc[soon, "revoked_at"] = ""
    source = tmp_path / "customers.csv"
    frame.to_csv(source, index=False)
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "report", str(source), "--as-of", AS_OF.isoformat(),
                           "--out", str(out))
    assert code == 0, err
    expiring = {r["customer_id"] for r in read_csv(out / "customers.csv")
                if r["state"] == "expiring"}
    assert len(expiring) > 10_000
    book = load_workbook(out / "report.xlsx", read_only=True)
    header, *rows = book["Läuft bald ab"].values
    ids = [r[header.index("Kundennummer")] for r in rows]
    days = [r[header.index("Tage übrig")] for r in rows]
    assert len(ids) == len(expiring) and set(ids) == expiring  # all, and no note row
    assert days == sorted(days) and days[0] == 1 and days[-1] == 30  # soonest first
    *_, last = book["Alle"].values
    assert "customers.csv" in last[0]


class _Page(HTMLParser):
    def __init__(self):
        super().__init__()
        self.text, self.tags, self.urls = [], [], []

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        self.urls += [v for k, v in attrs if k in ("src", "href") and v]

    def handle_data(self, data):
        self.text.append(data)


def test_html_is_self_contained_and_escapes_customer_text(demo_report):
    source = (demo_report / "report.html").read_text(encoding="utf-8")
    page = _Page()
    page.feed(source)
    assert "script" not in page.tags  # the hostile shop name stays text
    assert all(url.startswith("data:image/png;base64,") for url in page.urls)
    text = " ".join(page.text)
    assert "<script>alert('shop')</script>" in text
    assert "Läuft innerhalb von 30 Tagen ab" in text and "01.12.2026" in text


def test_chart_is_a_png(demo_report):
    data = (demo_report / "expiry_timeline.png").read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    width, height = int.from_bytes(data[16:20], "big"), int.from_bytes(data[20:24], "big")
    assert (width, height) == (1000, 420)


def test_reminders_in_the_customers_language_without_link_in_demo(demo_report):
    rows = read_csv(demo_report / "reminders.csv")
    customers = {r["customer_id"]: r for r in read_csv(demo_report / "customers.csv")}
    reminded = {r["customer_id"] for r in rows}
    expiring = {c for c, r in customers.items() if r["state"] == "expiring"}
    long_stopped = {c for c, r in customers.items()
                    if r["state"] == "expired" and int(r["days_left"]) < -30}
    assert expiring <= reminded and long_stopped and not (long_stopped & reminded)
    assert {customers[c]["state"] for c in reminded} == {"expiring", "expired", "revoked"}
    german = next(r for r in rows if r["customer_id"] == "C100002")  # expiring, de
    assert german["language"] == "de" and "31.12.2026" in german["subject"]
    assert "Loggen Sie sich bitte aktiv aus" in german["body"]
    assert "Token beantragen / erneuern" in german["body"] and german["renewal_link"] == ""
    english = next(r for r in rows if r["customer_id"] == "C100003")  # expiring, en
    assert "2 December 2026" in english["subject"]
    assert "price and stock sync stop and orders are no longer imported" in english["body"]
    revoked = next(r for r in rows if r["customer_id"] == "C100007")
    assert "21 November 2026" in revoked["body"]


def test_reminders_carry_the_consent_link_when_configured(tmp_path, demo):
    settings = load_settings(TEST_ENV)
    path = files.write_reminders(build_report(demo, AS_OF), tmp_path, settings)
    rows = read_csv(path)
    linked = next(r for r in rows if r["customer_id"] == "C100002")
    assert linked["renewal_link"].startswith(
        "https://sellercentral-europe.amazon.com/apps/authorize/consent?application_id=")
    assert linked["renewal_link"] in linked["body"]
    no_market = [r for r in rows if r["customer_id"] == "C100015"]
    assert all(r["renewal_link"] == "" for r in no_market)
    assert_no_canary(path.read_text(encoding="utf-8"))


def test_injection_corpus_comes_out_inert(tmp_path, capsys):
    rows = [customer(str(i), shop_name=value, contact_email=value, authorized_at="2025-12-05",
                     refresh_token=CANARY_TOKEN)
            for i, value in enumerate(INJECTION, start=1)]
    source = write_csv(tmp_path / "evil.csv", rows, sep=";")
    out = tmp_path / "out"
    code, _, err = run_cli(capsys, "report", str(source), "--as-of", AS_OF.isoformat(),
                           "--out", str(out))
    assert code == 0, err
    assert json.loads((out / "summary.json").read_text())["rows_loaded"] == len(INJECTION)
    for name in ("customers.csv", "reminders.csv"):
        for row in read_csv(out / name):
            for column in ("shop_name", "contact_email"):
                if column in row and row[column]:
                    assert not re.match(r"[=+\-@\t\r]", row[column]), (name, row[column])
    book = load_workbook(out / "report.xlsx")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f"
                if isinstance(cell.value, str):
                    assert not re.match(r"[=+\-@\t\r]", cell.value)
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "<script>alert(1)" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html
    for written in out.iterdir():
        assert_no_canary(written.read_bytes().decode("utf-8", "replace"))


def test_sqlite_and_sqlalchemy_sources_give_the_same_report(tmp_path, capsys, demo):
    frame = pd.read_csv(demo.source, dtype=str, keep_default_na=False)
    db = tmp_path / "c.db"
    with sqlite3.connect(db) as connection:
        frame.to_sql("customers", connection, index=False)
        frame.head(5).to_sql("few", connection, index=False)
    summaries = []
    for source in (str(db), f"sqlite:///{db}", f"sqlite+pysqlite:///{db}"):
        out = tmp_path / str(len(summaries))
        code, _, err = run_cli(capsys, "report", source, "--as-of", AS_OF.isoformat(),
                               "--out", str(out))
        assert code == 0, err
        summaries.append(json.loads((out / "summary.json").read_text()))
    assert summaries[0] == summaries[1] == summaries[2]
    assert summaries[0]["by_state"] == json.loads(GOLDEN.read_text())["by_state"]
    few = load_customers(f"sqlite+pysqlite:///{db}?table=few")
    assert few.rows_loaded == 5


def test_report_object_for_the_notebook(demo):
    report = build_report(demo, AS_OF)
    html = report._repr_html_()
    assert "gestoppt (abgelaufen oder widerrufen)" in html and 'data-bucket="&lt;=7"' in html
    assert report.expiring()["days_left"].is_monotonic_increasing
    assert set(report.findings()["finding"]) <= set(__import__("support_kit").rules.FINDINGS)
    assert "Report(as_of=2026-12-01" in repr(report)


def test_the_page_sends_the_lead_to_customers_csv_for_all_stopped(demo):
    """The workbook holds the recently stopped; the page's stopped list points to the file
    that has every one of them (the other lists: to the workbook too)."""
    report = build_report(demo, AS_OF)
    page = report_page(report, max_rows=5)
    stopped = len(report.expired()) - 5
    assert f"… und {stopped} weitere: alle stehen in customers.csv." in page
    assert f"… und {len(report.expiring()) - 5} weitere: siehe report.xlsx oder customers.csv" \
        in page


def test_the_page_sends_the_lead_to_changes_csv_for_all_changes(demo, tmp_path, capsys):
    """The page shows the first changes; every one (the still stopped too) is in
    changes.csv, which it names (the workbook holds only the movements)."""
    from support_kit.store import Store

    week_ago = (AS_OF - dt.timedelta(days=7)).isoformat()
    assert run_cli(capsys, "report", "--as-of", week_ago, "--out", str(tmp_path))[0] == 0
    report = build_report(demo, AS_OF).follow_up(Store.open())
    changed = len(report.changes_table())
    assert changed > 2
    assert f"… und {changed - 2} weitere: alle stehen in changes.csv." in report_page(report, 2)
