"""The report panel's list: who expires within N days, and the list shown as files.

The rule of "within N days" lives here, not in the panel: everything sooner is included (a
seller with 7 days left is within 14 days), and the stopped ones (expired or revoked) only
when asked for.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import rules
from ..exports import write_csv
from ..texts import text
from .labels import readable
from .workbook import Sheet, write_workbook

#: The choices of the panel's "within N days" filter (``None``: any time).
WITHIN_DAYS = (None, 7, 14, 30, 60, 90)
#: The files of the list shown: CSV keeps ids (like customers.csv), Excel shows labels.
LIST_FILES = {"list_csv": "list.csv", "list_xlsx": "list.xlsx"}


def within(frame: pd.DataFrame, days: int | None, stopped: bool = False) -> pd.Series:
    """Customers whose token still works and expires within ``days`` days (sooner ones
    included), plus the stopped ones when ``stopped``; everyone when ``days`` is ``None``.

    >>> f = pd.DataFrame({"state": ["expiring", "expiring", "valid", "expired", "unknown"],
    ...                   "days_left": pd.array([7, 14, 90, -3, None], dtype="Int64")})
    >>> within(f, 14).tolist(), within(f, 14, stopped=True).tolist()
    ([True, True, False, False, False], [True, True, False, True, False])
    """
    if days is None:
        return pd.Series(True, index=frame.index)
    working = frame["state"].isin(rules.WORKING_STATES)
    soon = (frame["days_left"] <= days).fillna(False).astype(bool)
    keep = working & soon
    if stopped:
        keep |= frame["state"].isin(rules.STOPPED_STATES)
    return keep


def write_list(rows: pd.DataFrame, folder: Path, kind: str, lang: str) -> Path:
    """Write exactly ``rows`` (the list shown) as ``list.csv`` (ids, like customers.csv) or
    ``list.xlsx`` (headings and labels in ``lang``, numbers as numbers, dates as dates)."""
    path = Path(folder) / LIST_FILES[kind]
    if kind == "list_csv":
        return write_csv(rows, path)
    return write_workbook(path, [Sheet(text(lang, "report.sheet.list"), readable(rows, lang))])
