"""Times in the desk's time zone in every file and view: the workbook holds the last contact
in the desk's zone and names the zone in the heading; the page shows the same hour."""

import datetime as dt

from openpyxl import load_workbook

from support_kit.config import load_settings
from support_kit.desk import Desk
from support_kit.store import Event
from support_kit.widgets import ReportPanel

from .conftest import AS_OF


def test_last_contact_in_the_desks_zone_in_workbook_and_page(demo, tmp_path):
    desk = Desk(load_settings({}), demo, AS_OF)
    desk.store.record(Event("contacted", "C100006", agent="anna",
                            at=dt.datetime(2026, 11, 30, 9, 15, tzinfo=dt.UTC)))
    panel = ReportPanel(desk, out_dir=tmp_path, lang="de")
    panel.export("xlsx")
    book = load_workbook(tmp_path / "report.xlsx")
    found = []
    for sheet in book.worksheets:
        header = [c.value for c in next(sheet.iter_rows(max_row=1))]
        zone = [h for h in header if h and "Europe/Berlin" in str(h)]
        for row in sheet.iter_rows(min_row=2, values_only=True):
            if "C100006" in row and zone:
                found.append(row[header.index(zone[0])])
    assert found and all(value == dt.datetime(2026, 11, 30, 10, 15) for value in found)
    assert "30.11.2026 10:15" in panel.table_view.value  # the page: the same hour
    desk.close()
