"""Safe exports: customer text never becomes a formula in CSV or Excel.

OWASP (CSV injection): a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is prefixed with a single quote so spreadsheets show it as text.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.csv as pacsv

from .columns import as_text

FORMULA_START = r"^[=+\-@\t\r]"
#: Rows converted to Arrow at a time when writing CSV.
CSV_BLOCK_ROWS = 200_000


def neutralise(values: pd.Series) -> pd.Series:
    """Prefix text that a spreadsheet would run as a formula with ``'``.

    >>> neutralise(pd.Series(["=1+1", "Shop", "-x", "@SUM(A1)"])).tolist()
    ["'=1+1", 'Shop', "'-x", "'@SUM(A1)"]
    """
    text = as_text(values)
    hit = text.str.contains(FORMULA_START, regex=True)
    if not hit.any():
        return text
    out = text.copy()
    out[hit] = "'" + text[hit]
    return out


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are neutralised (numbers and dates untouched)."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            out[column] = neutralise(out[column])
    return out


def arrow_table(frame: pd.DataFrame) -> pa.Table:
    """``frame`` as an Arrow table: text neutralised, dates as ``YYYY-MM-DD`` dates."""
    safe = safe_frame(frame)
    columns = {}
    for name in safe.columns:
        values = safe[name]
        if pd.api.types.is_datetime64_any_dtype(values):
            columns[str(name)] = pa.Array.from_pandas(values).cast(pa.date32())
        elif pd.api.types.is_string_dtype(values.dtype):
            columns[str(name)] = pa.Array.from_pandas(values.astype("str")).cast(pa.string())
        else:
            columns[str(name)] = pa.Array.from_pandas(values)
    return pa.table(columns)


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with neutralised text, and return the path.

    Written by Arrow's CSV writer: text is always quoted, dates are ``YYYY-MM-DD``.
    Rows are converted ``CSV_BLOCK_ROWS`` at a time, so a large frame is never held twice.
    """
    first = arrow_table(frame.iloc[:CSV_BLOCK_ROWS])
    with pacsv.CSVWriter(str(path), first.schema,
                         write_options=pacsv.WriteOptions(quoting_style="needed")) as writer:
        writer.write_table(first)
        for start in range(CSV_BLOCK_ROWS, len(frame), CSV_BLOCK_ROWS):
            block = arrow_table(frame.iloc[start:start + CSV_BLOCK_ROWS])
            writer.write_table(block.cast(first.schema))
    return path
