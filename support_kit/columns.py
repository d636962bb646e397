"""Column helpers shared by the layers: text columns as Arrow-backed strings."""

from __future__ import annotations

import numpy as np
import pandas as pd


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as Arrow-backed text with missing values as ``""`` (fast string methods).

    >>> as_text(pd.Series(["a", None, 3])).tolist()
    ['a', '', '3']
    """
    return values.astype("str").fillna("")


def map_distinct(values: pd.Series, function) -> pd.Series:
    """Apply ``function`` once per distinct value (fast when few values repeat a lot).

    >>> map_distinct(pd.Series(["a", "b", "a", None]), lambda v: v.upper()).tolist()
    ['A', 'B', 'A', '']
    """
    codes, uniques = pd.factorize(as_text(values))
    mapped = pd.array([function(u) for u in uniques] + [None], dtype=object)
    return pd.Series(np.asarray(mapped)[codes], index=values.index, dtype=object)
