"""Column helpers shared by the layers: text columns as Arrow-backed strings."""

from __future__ import annotations

import pandas as pd


def as_text(values: pd.Series) -> pd.Series:
    """``values`` as Arrow-backed text with missing values as ``""`` (fast string methods).

    >>> as_text(pd.Series(["a", None, 3])).tolist()
    ['a', '', '3']
    >>> as_text(pd.Series(["b", None, "b"], dtype="category")).tolist()
    ['b', '', 'b']
    """
    if isinstance(values.dtype, pd.CategoricalDtype):  # each category once, not each row
        categories = pd.array(values.cat.categories.astype("str"), dtype="str")
        text = pd.Series(categories.take(values.cat.codes.to_numpy(), allow_fill=True),
                         index=values.index)
    else:
        text = values.astype("str")
    return text.fillna("") if text.hasnans else text  # no copy of a column without gaps


def map_distinct(values: pd.Series, function) -> pd.Series:
    """Apply ``function`` once per distinct value (fast when few values repeat a lot).

    ``function`` returns text or NaN (missing); the result is an Arrow-backed text column.

    >>> map_distinct(pd.Series(["a", "b", "a", None]), lambda v: v.upper()).tolist()
    ['A', 'B', 'A', '']
    """
    codes, uniques = pd.factorize(as_text(values))
    mapped = pd.array([function(u) for u in uniques], dtype="str")
    return pd.Series(mapped.take(codes), index=values.index)
