"""Safe exports: customer text never becomes a formula in CSV or Excel.

OWASP (CSV injection): a cell that starts with ``=``, ``+``, ``-``, ``@``, tab or carriage
return is prefixed with a single quote so spreadsheets show it as text.
"""

from __future__ import annotations

import csv
from pathlib import Path

import pandas as pd

FORMULA_START = r"^[=+\-@\t\r]"


def neutralise(values: pd.Series) -> pd.Series:
    """Prefix text that a spreadsheet would run as a formula with ``'``.

    >>> neutralise(pd.Series(["=1+1", "Shop", "-x", "@SUM(A1)"])).tolist()
    ["'=1+1", 'Shop', "'-x", "'@SUM(A1)"]
    """
    text = values.astype("string").fillna("")
    return text.mask(text.str.contains(FORMULA_START, regex=True), "'" + text).astype(object)


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` whose text columns are neutralised (numbers and dates untouched)."""
    out = frame.copy()
    for column in out.columns:
        dtype = out[column].dtype
        if pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype):
            out[column] = neutralise(out[column])
    return out


def write_csv(frame: pd.DataFrame, path: Path) -> Path:
    """Write ``frame`` as UTF-8 CSV with neutralised text, and return the path."""
    safe_frame(frame).to_csv(path, index=False, quoting=csv.QUOTE_MINIMAL,
                             lineterminator="\n", date_format="%Y-%m-%d")
    return path
