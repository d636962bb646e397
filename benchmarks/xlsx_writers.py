"""The workbook writer, chosen by measurement: the report's own sheets written by each writer.

The sheets are the kit's (``report.sheets.sheets()``, cells made safe as the kit does) for generated
customers; each writer writes them with a bold frozen header, filters, column widths and date
cells. The kit's writer (rustpy-xlsxwriter) is the baseline of the ratios. XlsxWriter and
openpyxl are measured when installed (``.venv/bin/pip install xlsxwriter``; openpyxl is a
dependency already).

    .venv/bin/python benchmarks/xlsx_writers.py [--customers 200000]
"""

import argparse
import datetime as dt
import tempfile
import time
from pathlib import Path

import pandas as pd

from support_kit.customers import load
from support_kit.demo import generate
from support_kit.report import build_report
from support_kit.report.sheets import sheets as report_sheets
from support_kit.report.workbook import _cells, _widths, write_workbook

AS_OF = dt.date(2026, 12, 1)


def kit(path: Path, sheets: list) -> None:
    write_workbook(path, sheets)


def xlsxwriter_constant_memory(path: Path, sheets: list) -> None:
    import xlsxwriter

    book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
    bold, day = book.add_format({"bold": True}), book.add_format({"num_format": "yyyy-mm-dd"})
    for sheet in sheets:
        frame = _cells(sheet)
        ws = book.add_worksheet(sheet.name[:31])
        for col, width in enumerate(_widths(frame)):
            ws.set_column(col, col, width)
        ws.write_row(0, 0, list(frame.columns), bold)
        ws.freeze_panes(1, 0)
        ws.autofilter(0, 0, max(len(frame), 1), max(len(frame.columns) - 1, 0))
        dates = [pd.api.types.is_datetime64_any_dtype(frame[c]) for c in frame.columns]
        for row, values in enumerate(frame.itertuples(index=False, name=None), start=1):
            for col, value in enumerate(map(_plain, values)):
                if value is not None:
                    ws.write(row, col, value, day if dates[col] else None)
    book.close()


def openpyxl_write_only(path: Path, sheets: list) -> None:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font
    from openpyxl.utils import get_column_letter

    book = Workbook(write_only=True)
    for sheet in sheets:
        frame = _cells(sheet)
        ws = book.create_sheet(sheet.name[:31])
        ws.freeze_panes = "A2"
        for col, width in enumerate(_widths(frame), start=1):
            ws.column_dimensions[get_column_letter(col)].width = width
        header = []
        for name in frame.columns:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = Font(bold=True)
            header.append(cell)
        ws.append(header)
        for values in frame.itertuples(index=False, name=None):
            ws.append([_plain(v) for v in values])
    book.save(str(path))


def _plain(value: object) -> object:
    """A cell value as both writers take it: missing as None, times without a zone."""
    if pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.tz_localize(None).to_pydatetime()
    return value


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--customers", type=int, default=200_000)
    args = parser.parse_args()
    report = build_report(load(generate(args.customers, AS_OF, seed=5)), AS_OF)
    sheets = report_sheets(report)
    rows = sum(len(sheet.rows) for sheet in sheets)
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}: {args.customers:,} "
          f"customers, {rows:,} rows in {len(sheets)} sheets")
    base = None
    with tempfile.TemporaryDirectory() as folder:
        for name, writer in (("rustpy-xlsxwriter (the kit)", kit),
                             ("XlsxWriter, constant_memory", xlsxwriter_constant_memory),
                             ("openpyxl, write-only", openpyxl_write_only)):
            path = Path(folder) / "report.xlsx"
            started = time.perf_counter()
            try:
                writer(path, sheets)
            except ImportError as exc:
                print(f"  {name:30s} not installed ({exc.name})")
                continue
            seconds = time.perf_counter() - started
            base = base or seconds
            print(f"  {name:30s} {seconds:7.2f} s  {rows / seconds:9,.0f} rows/s  "
                  f"{seconds / base:5.1f}x the kit's  {path.stat().st_size / 1e6:6.1f} MB")


if __name__ == "__main__":
    main()
