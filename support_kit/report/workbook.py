"""The Excel workbook for people who only open Excel: openpyxl, write-only, safe text."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from ..exports import safe_frame

#: Excel's own limit is 1,048,576 rows, but openpyxl writes about 5,000 rows a second here,
#: and a team lead works through the top of each list. So each sheet stops after this many
#: rows, in its order (soonest first), and says that customers.csv has every row.
MAX_SHEET_ROWS = 10_000
_DATE_FORMAT = "yyyy-mm-dd"


def write_workbook(path: Path, sheets: dict[str, pd.DataFrame], summary: pd.DataFrame,
                   max_rows: int = MAX_SHEET_ROWS, totals: dict[str, int] | None = None
                   ) -> Path:
    """Write ``summary`` and each frame of ``sheets`` as one sheet, in order.

    ``totals`` gives the full length of a list passed already cut to ``max_rows``.
    """
    book = Workbook(write_only=True)
    _sheet(book, "Summary", summary, max_rows, len(summary))
    for name, frame in sheets.items():
        _sheet(book, name, frame, max_rows, (totals or {}).get(name, len(frame)))
    book.save(path)
    return path


def _sheet(book: Workbook, name: str, frame: pd.DataFrame, max_rows: int, total: int) -> None:
    sheet = book.create_sheet(name)
    sheet.freeze_panes = "A2"
    shown = safe_frame(frame.head(max_rows))
    widths = [max(len(str(c)), 8) for c in shown.columns]
    for position, column in enumerate(shown.columns):
        longest = shown[column].head(200).astype(str).str.len().max()
        widths[position] = min(max(widths[position], 0 if pd.isna(longest) else int(longest)), 60)
        sheet.column_dimensions[get_column_letter(position + 1)].width = widths[position] + 2
    if len(shown.columns):
        last = get_column_letter(len(shown.columns))
        sheet.auto_filter.ref = f"A1:{last}{max(len(shown), 1) + 1}"
    bold = Font(bold=True)
    header = []
    for column in shown.columns:
        cell = WriteOnlyCell(sheet, value=str(column))
        cell.font = bold
        header.append(cell)
    sheet.append(header)
    for row in zip(*(_cells(shown[c], frame[c]) for c in shown.columns), strict=True):
        sheet.append(row)
    if total > max_rows:
        sheet.append([f"... and {total - max_rows:,} more rows: the full list is in "
                      "customers.csv"])



def _cells(shown: pd.Series, original: pd.Series) -> list:
    """Python values for one column: dates as dates (Excel date cells), gaps as empty."""
    if pd.api.types.is_datetime64_any_dtype(original):
        values = original.head(len(shown)).dt.date
    else:
        values = shown
    return [None if v is None or v is pd.NaT or (isinstance(v, float) and v != v)
            or v is pd.NA else v.item() if hasattr(v, "item") else v
            for v in values.astype(object)]
