"""The report panel as a team lead uses it, driven in plain pytest: the "within N days"
filter, exports of exactly the rows shown (read back with csv and openpyxl), what changed
since the last run, who was contacted, and a German report without raw ids."""

import base64
import csv
import datetime as dt
import io
import re
from html.parser import HTMLParser

import pytest
from openpyxl import load_workbook

from support_kit import rules
from support_kit.config import load_settings
from support_kit.desk import Desk
from support_kit.report.followup import CHANGES
from support_kit.store import Event
from support_kit.widgets import ReportPanel

from .conftest import AS_OF

#: Ids that a German reader must never see: states, findings, changes, severities, values.
RAW_IDS = {*rules.STATES, *rules.FINDINGS, *CHANGES, "error", "warning", *rules.ACCOUNT_TYPES,
           "individual", "professional", "<=7", "<=14", "<=30"}


@pytest.fixture
def desk(demo):
    desk = Desk(load_settings({}), demo, AS_OF)
    yield desk
    desk.close()


class _Text(HTMLParser):
    """The text a browser shows (tags and attributes left out)."""

    def __init__(self, source: str):
        super().__init__()
        self.parts: list[str] = []
        self.feed(source)

    def handle_data(self, data):
        self.parts.append(data)


class _Tables(HTMLParser):
    """Each table of a page as rows of cell texts."""

    def __init__(self, source: str):
        super().__init__()
        self.tables: list[list[list[str]]] = []
        self.feed(source)

    def handle_starttag(self, tag, attrs):
        if tag == "table":
            self.tables.append([])
        elif tag == "tr":
            self.tables[-1].append([])
        elif tag in ("td", "th"):
            self.tables[-1][-1].append("")

    def handle_data(self, data):
        if self.tables and self.tables[-1] and self.tables[-1][-1]:
            self.tables[-1][-1][-1] += data


def raw_ids_in(words: str) -> set[str]:
    return RAW_IDS & set(re.findall(r"[A-Za-z_<=0-9]+", words))


def offered(panel, kind: str) -> tuple[str, bytes]:
    """The as-of day and the bytes of the download offered for ``kind``."""
    match = re.search(rf'data-kind="{kind}" data-as-of="([0-9-]+)">.*?data-b64="([^"]*)"',
                      panel.files_view.value)
    assert match, f"no {kind} link offered"
    return match[1], base64.b64decode(match[2])


def test_within_14_days_includes_the_7_day_ones_and_the_stopped_when_ticked(desk, tmp_path):
    panel = ReportPanel(desk, out_dir=tmp_path)
    frame = panel.report.frame
    assert len(panel.value) == len(frame) and panel.include_stopped.disabled  # "any time"
    panel.within.value = 14
    working = frame["state"].isin(rules.WORKING_STATES)
    expected = set(frame.loc[working & (frame["days_left"] <= 14), "customer_id"])
    within_7 = set(frame.loc[working & (frame["days_left"] <= 7), "customer_id"])
    assert set(panel.value["customer_id"]) == expected
    assert within_7 and within_7 < expected  # the most urgent sellers stay in
    assert not panel.include_stopped.disabled
    panel.include_stopped.value = True
    stopped = set(frame.loc[frame["state"].isin(rules.STOPPED_STATES), "customer_id"])
    assert set(panel.value["customer_id"]) == expected | stopped
    panel.within.value = 7
    assert set(panel.value["customer_id"]) == within_7 | stopped
    assert "Läuft ab innerhalb" in panel.within.description


def test_exports_hold_exactly_the_rows_shown_and_follow_the_date(desk, tmp_path):
    panel = ReportPanel(desk, out_dir=tmp_path)
    panel.within.value = 30
    panel.marketplace.value = "DE"
    panel.sort_by.value = "days_left"
    shown = list(panel.value["customer_id"])
    assert 0 < len(shown) < len(panel.report.frame)
    panel.buttons["list_csv"].click()
    panel.buttons["list_xlsx"].click()
    with open(tmp_path / "list.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [r["customer_id"] for r in rows] == shown  # the same rows, in the same order
    assert {r["state"] for r in rows} <= set(rules.WORKING_STATES)  # CSV keeps ids
    book = load_workbook(tmp_path / "list.xlsx")
    sheet = book["Liste"]
    header, *values = list(sheet.values)
    assert [v[header.index("Kundennummer")] for v in values] == shown
    assert all(isinstance(v[header.index("Tage übrig")], int | float) for v in values)
    assert {v[header.index("Zustand")] for v in values} <= {"Gültig", "Läuft bald ab"}
    day, data = offered(panel, "list_xlsx")
    assert day == AS_OF.isoformat() and data == (tmp_path / "list.xlsx").read_bytes()
    assert 'download="list.csv"' in panel.files_view.value

    panel.buttons["xlsx"].click()  # a file of the whole report: offered for this day
    assert offered(panel, "xlsx")[0] == AS_OF.isoformat()
    panel.marketplace.value = "FR"  # other rows: the list files offered are not this list
    assert "list.xlsx" not in panel.files_view.value and "report.xlsx" in panel.files_view.value

    later = AS_OF + dt.timedelta(days=7)
    runs = desk.store.previous_run(panel.report.source, later)
    panel.as_of.value = later  # another day: nothing written, nothing recorded, no old link
    assert "report.xlsx" not in panel.files_view.value
    assert desk.store.previous_run(panel.report.source, later + dt.timedelta(days=1)) == runs
    panel.buttons["xlsx"].click()  # the lead writes it for the new day
    day, data = offered(panel, "xlsx")
    summary = load_workbook(io.BytesIO(data))["Übersicht"]
    assert day == later.isoformat()
    assert ("Bericht", "Stichtag", None, later.isoformat()) in set(summary.values)


def test_german_report_leads_with_changes_shows_contacts_and_no_raw_ids(desk, tmp_path):
    week_ago = AS_OF - dt.timedelta(days=7)
    first = ReportPanel(Desk(desk.settings, desk.listed, week_ago, desk.store),
                        out_dir=tmp_path / "before")
    first.write_all()  # writing the files records the run
    desk.store.record(Event("contacted", "C100006", agent="anna",
                            at=dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)))
    desk.store.record(Event("note", "C100006", agent="anna",
                            detail={"text": "ruft Freitag zurück"},
                            at=dt.datetime(2026, 11, 30, 9, 20, tzinfo=dt.UTC)))

    panel = ReportPanel(desk, out_dir=tmp_path / "now")
    changes = panel.report.changes.counts()
    assert changes["since"] == week_ago.isoformat()
    assert changes["newly_expiring"] + changes["newly_stopped"] > 0
    steps = list(panel.sections)  # the panel leads with what changed (its first step)
    assert steps.index("changes") == 1 and steps.index("changes") < steps.index("table")
    assert panel.changes_view in panel.sections["changes"].body.children
    lead = " ".join(_Text(panel.changes_view.value).parts)
    assert f"seit dem Bericht vom {week_ago:%d.%m.%Y}" in lead
    assert "Neu gestoppt" in lead and "Läuft neu bald ab" in lead
    changed = panel.report.changes_table()
    for change, count in changes.items():  # each count links to the list of its customers
        if change == "since" or not count:
            continue
        assert f'href="#sk-change-{change}"' in panel.changes_view.value
        listed = panel.changes_view.value.split(f'id="sk-change-{change}"')[1]
        listed = listed.split("<h4 ")[0]
        for customer_id in changed.loc[changed["change"] == change, "customer_id"]:
            assert f">{customer_id}</td>" in listed, (change, customer_id)

    panel.state.value = ("expired", "revoked")
    row = panel.value.set_index("customer_id").loc["C100006"]
    assert row["last_contacted_by"] == "anna" and row["last_note"] == "ruft Freitag zurück"
    table = " ".join(_Text(panel.table_view.value).parts)
    assert "anna" in table and "30.11.2026 10:15" in table  # the desk's time zone
    assert "Zuletzt kontaktiert" in table and "Widerrufen" in table
    assert not raw_ids_in(" ".join(_Text(panel.changes_view.value + panel.summary_view.value
                                         + panel.table_view.value).parts))
    revoked = panel.value[panel.value["state"] == "revoked"]
    for customer_id in revoked["customer_id"]:  # a revoked token's days left mean nothing
        days = re.search(rf'<td data-column="customer_id"[^>]*>{customer_id}</td>.*?'
                         r'<td data-column="days_left"[^>]*>(.*?)</td>', panel.table_view.value)
        assert days[1] == ""

    panel.buttons["html"].click()
    panel.buttons["xlsx"].click()
    page = (tmp_path / "now" / "report.html").read_text(encoding="utf-8")
    words = " ".join(_Text(page).parts)
    assert not raw_ids_in(words), raw_ids_in(words)
    assert "Was sich seit dem letzten Bericht geändert hat" in words and "anna" in words
    assert 'lang="de"' in page and "overflow-wrap:anywhere" in page  # tables wrap
    revoked_days = [row[header.index("Tage übrig")] for header, *rows in _Tables(page).tables
                    if "Tage übrig" in header and "Zustand" in header for row in rows
                    if row[header.index("Zustand")] == "Widerrufen"]
    assert revoked_days and set(revoked_days) == {""}  # no days left for revoked tokens

    book = load_workbook(tmp_path / "now" / "report.xlsx")
    assert book.sheetnames[:2] == ["Übersicht", "Änderungen"]
    for sheet in book.worksheets:
        cells = " ".join(str(v) for row in sheet.values for v in row if isinstance(v, str))
        assert not raw_ids_in(cells), (sheet.title, raw_ids_in(cells))
    header, *rows = list(book["Alle"].values)
    days = {r[header.index("Zustand")]: r[header.index("Tage übrig")] for r in rows
            if r[header.index("Zustand")] == "Widerrufen"}
    assert days == {"Widerrufen": None}
    contact = next(r for r in rows if r[header.index("Kundennummer")] == "C100006")
    assert contact[header.index("Kontaktiert von")] == "anna"
