"""The team lead's follow-up: two reports a week apart, what changed, who was contacted,
and who gets a reminder now."""

import csv
import datetime as dt
import json

from support_kit.dates import today

from .conftest import customer, run_cli, write_csv


def read(path):
    with open(path, encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).isoformat()


def test_two_reports_a_week_apart(desk_store, tmp_path, capsys, monkeypatch):
    """A weekly run on a list that changed in between; a contacted seller; an old stop."""
    monkeypatch.setenv("SUPPORT_KIT_AGENT", "lead")
    listed = tmp_path / "customers.csv"
    last_week = [
        customer("A", authorized_at=day(-365 - 10)),  # stopped 10 days ago ...
        customer("B", authorized_at=day(-365 + 25)),  # valid last week, expiring now
        customer("C", authorized_at=day(-365 - 3)),  # expiring last week, stopped now
        customer("D", authorized_at=day(-200), revoked_at=day(-20)),  # revoked in both
        customer("E", authorized_at=day(-365 - 400)),  # stopped 400 days ago
        customer("F", authorized_at=day(-365 + 12)),  # expiring; the desk calls them
        customer("G", authorized_at=day(-100)),  # valid in both
    ]
    write_csv(listed, last_week)
    first = tmp_path / "week1"
    assert run_cli(capsys, "report", str(listed), "--as-of", day(-7), "--out", str(first))[0] == 0
    summary = json.loads((first / "summary.json").read_text())
    assert summary["changes"]["since"] is None and read(first / "changes.csv") == []

    this_week = [dict(r) for r in last_week]
    this_week[0]["authorized_at"] = day(-2)  # ... and renewed by the seller since
    write_csv(listed, this_week)
    code, out, err = run_cli(capsys, "note", "F", "called, renews Friday", "--contacted",
                             "--input", str(listed))
    assert code == 0, err
    second = tmp_path / "week2"
    assert run_cli(capsys, "report", str(listed), "--out", str(second))[0] == 0

    changes = {r["customer_id"]: r for r in read(second / "changes.csv")}
    assert {c: r["change"] for c, r in changes.items()} == {
        "A": "renewed", "B": "newly_expiring", "C": "newly_stopped", "D": "still_stopped",
        "E": "still_stopped"}
    assert (changes["A"]["state_before"], changes["A"]["state_now"]) == ("expired", "valid")
    assert list(changes["A"]) == ["customer_id", "shop_name", "change", "state_before",
                                  "state_now", "days_left"]
    summary = json.loads((second / "summary.json").read_text())
    assert summary["changes"] == {"since": day(-7), "renewed": 1, "newly_stopped": 1,
                                  "newly_expiring": 1, "still_stopped": 2}

    rows = {r["customer_id"]: r for r in read(second / "customers.csv")}
    assert changes["B"]["days_left"] == rows["B"]["days_left"] and 20 <= int(
        rows["B"]["days_left"]) <= 30
    assert rows["F"]["last_contacted_by"] == "lead"
    assert rows["F"]["last_note"] == "called, renews Friday"
    assert rows["F"]["last_contacted_at"].startswith(today().isoformat()[:4])
    assert rows["B"]["last_contacted_by"] == ""
    reminded = {r["customer_id"] for r in read(second / "reminders.csv")}
    assert reminded == {"B", "C", "D"}  # not F (called), not E (400 days), not A/G (valid)

    from openpyxl import load_workbook

    sheet = load_workbook(second / "report.xlsx", read_only=True)["Änderungen"]
    cells = [row[0] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells[:3] == ["A", "C", "B"]  # the movements: renewed, newly stopped, expiring
    assert len(cells) == 4 and "2 Verkäufer" in cells[3] and "weiterhin gestoppt" in cells[3]


def test_first_sheet_and_page_lead_with_the_changes(desk_store, tmp_path, capsys):
    from openpyxl import load_workbook

    listed = write_csv(tmp_path / "customers.csv", [customer("A", authorized_at=day(-340))])
    for name, as_of in (("one", day(-7)), ("two", day(0))):
        assert run_cli(capsys, "report", str(listed), "--as-of", as_of, "--out",
                       str(tmp_path / name))[0] == 0
    book = load_workbook(tmp_path / "two" / "report.xlsx")
    assert book.sheetnames[1] == "Änderungen"  # the desk's language, labels not ids
    assert [c.value for c in book["Änderungen"][2]][:3] == ["A", "Shop A", "Läuft neu bald ab"]
    page = (tmp_path / "two" / "report.html").read_text()
    assert page.index('id="changes-summary"') < page.index('id="buckets"')
    # the count of a change with customers links to the list of the changes
    assert '<a class="card" data-change="newly_expiring" href="#changes">' in page
    assert '<div class="card" data-change="renewed">' in page and 'id="changes"' in page
    since = dt.date.fromisoformat(day(-7))
    assert f"seit dem Bericht vom {since:%d.%m.%Y}" in page


def test_changes_do_not_depend_on_the_order_of_the_list():
    """Ids are matched by place first (a weekly export keeps its order), then looked up: a
    list in another order, with a customer gone and one new, gives the same changes."""
    import pandas as pd

    from support_kit.customers import load
    from support_kit.report import build_report, followup

    rows = [customer(f"C{i:03}", authorized_at=day(-365 + i % 45 - 12)) for i in range(90)]
    week_ago = today() - dt.timedelta(days=7)
    before = build_report(load(pd.DataFrame(rows)), week_ago).frame
    states = followup._read_states(followup.states_blob(before))

    def changes(listed):
        now = build_report(load(pd.DataFrame(listed)), today()).frame
        table = followup.changes(now, states, week_ago).table
        return dict(zip(table["customer_id"], table["change"], strict=True))

    same_order = changes(rows)
    assert set(same_order.values()) >= {"newly_stopped", "newly_expiring", "still_stopped"}
    moved = changes([customer("C999", authorized_at=day(-10))] + rows[:0:-1])  # C000 gone
    assert moved == {c: change for c, change in same_order.items() if c != "C000"}
