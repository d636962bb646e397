"""The Excel workbook for people who only open Excel: every action row, safe text.

Written by rustpy-xlsxwriter (rust_xlsxwriter underneath, constant memory). Chosen by
measurement on this project's 1M-customer action lists (``benchmarks/README.md``): about
150,000 rows a second, against 20,600 for XlsxWriter in constant-memory mode and 12,600 for
openpyxl write-only, so every action row fits in the time of the rest of the report.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
import rustpy_xlsxwriter

from ..columns import as_text
from ..control_chars import excel_frame
from ..exports import safe_frame
from .memory import give_back_memory

#: Excel's own limit: rows per sheet, the header included.
EXCEL_ROWS = 1_048_576
#: The most data rows a sheet can hold: Excel's limit less the header and the closing note.
MAX_SHEET_ROWS = EXCEL_ROWS - 2
#: Excel's own limit: characters in one cell. A longer text is cut and ends in CUT_MARK.
EXCEL_CELL = 32_767
CUT_MARK = " … [cut at Excel's limit of 32,767 characters: the whole text is in the CSV files]"
_DATE_FORMAT = "yyyy-mm-dd"
_WIDTH_SAMPLE = 200


@dataclass(frozen=True)
class Sheet:
    """One sheet: its rows in the order a lead works through them.

    ``total`` is the full list's length when ``rows`` was already cut (the "All" sheet);
    a sheet with fewer rows than its list ends with a note that ``customers.csv`` has all.

    >>> Sheet("Expiring", pd.DataFrame({"customer_id": ["C1"]})).hidden
    0
    """

    name: str
    rows: pd.DataFrame
    total: int | None = None
    max_rows: int = MAX_SHEET_ROWS
    #: The closing note of a cut sheet (``{n}``: the rows left out), in the desk's language.
    more: str = "... and {n:,} more rows: the full list is in customers.csv"

    @property
    def shown(self) -> pd.DataFrame:
        return self.rows.head(self.max_rows)

    @property
    def hidden(self) -> int:
        """How many rows of the list this sheet leaves out."""
        total = len(self.rows) if self.total is None else self.total
        return max(total - min(len(self.rows), self.max_rows), 0)


def write_workbook(path: Path, sheets: Iterable[Sheet]) -> Path:
    """Write each of ``sheets`` in order: bold, frozen and filtered header, dates as dates.

    Text is neutralised (:func:`support_kit.exports.safe_frame`), so no cell is a formula.
    Each sheet's rows are let go once converted (when the caller hands them over).
    """
    entries, widths, filters = [], {}, {}
    for sheet in sheets:
        frame = _cells(sheet)
        entries.append((sheet.name, frame))
        widths[sheet.name] = _widths(frame)
        filters[sheet.name] = len(frame.columns) > 0
        del sheet
        give_back_memory()
    rustpy_xlsxwriter.write_worksheets(
        entries, str(path), freeze_panes={"general": {"row": 1, "col": 0}},
        datetime_format=_DATE_FORMAT, bold_headers=True, column_widths=widths,
        autofilter=filters)
    return path


def _cells(sheet: Sheet) -> pd.DataFrame:
    """The sheet's values as the writer takes them: safe text, then the note if cut."""
    frame = excel_frame(safe_frame(sheet.shown)).reset_index(drop=True)  # controls shown
    for column in frame.columns:
        if isinstance(frame[column].dtype, pd.CategoricalDtype):
            frame[column] = frame[column].astype("str")
    frame = cut_long_text(frame)
    if sheet.hidden and len(frame.columns):
        note = pd.DataFrame({frame.columns[0]: [sheet.more.format(n=sheet.hidden)]})
        frame = pd.concat([frame, note.astype(frame.dtypes.iloc[:1].to_dict())],
                          ignore_index=True)
    return frame


def cut_long_text(frame: pd.DataFrame, limit: int = EXCEL_CELL) -> pd.DataFrame:
    """``frame`` with each text longer than Excel takes cut to ``limit`` characters, the
    cut marked visibly (:data:`CUT_MARK`); a quick look at the text's bytes first, so
    frames without long text are not touched.

    >>> cut = cut_long_text(pd.DataFrame({"shop": ["short", "x" * 40_000]}))["shop"]
    >>> len(cut[1]) == EXCEL_CELL, cut[1].endswith("CSV files]"), cut[0]
    (True, True, 'short')
    """
    import pyarrow as pa
    import pyarrow.compute as pc

    out = frame
    for column in frame.columns:
        if not pd.api.types.is_string_dtype(frame[column].dtype):
            continue
        text = as_text(frame[column])
        longest = pc.max(pc.binary_length(pa.array(text.array))).as_py()  # bytes >= chars
        if not longest or longest <= limit:
            continue
        long = text.str.len() > limit
        if long.any():
            if out is frame:
                out = frame.copy()
            fixed = text.copy()
            fixed[long] = text[long].str.slice(0, limit - len(CUT_MARK)) + CUT_MARK
            out[column] = fixed
    return out


def _widths(frame: pd.DataFrame) -> list[float]:
    """Column widths from the header and the first rows' text, between 8 and 60 characters."""
    widths = []
    for column in frame.columns:
        longest = frame[column].head(_WIDTH_SAMPLE).astype("str").str.len().max()
        longest = 0 if pd.isna(longest) else int(longest)
        widths.append(min(max(len(str(column)), 8, longest), 60) + 2)
    return widths
