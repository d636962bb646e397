"""The report as a lead reads it: headings, sheet names and values in the desk's language.

The CSV files keep ids (they are machine contracts); the workbook, the HTML page and the
report panel show labels. Values are labelled once per distinct value (or per category), so
a million rows cost what a handful of distinct states and findings cost.
"""

from __future__ import annotations

from collections.abc import Callable

import pandas as pd

from .. import rules
from ..columns import map_distinct
from ..texts import entry, format_dates, language, text, value_label

#: States whose ``days_left`` mean nothing: a revoked token stopped whatever its expiry.
NO_DAYS_LEFT = ("revoked",)


#: How wide a column of the HTML tables is, relative to the others (1 when not named).
_WIDTHS = {"customer_id": 1.2, "shop_name": 1.4, "contact_email": 2.2, "marketplace": 0.9,
           "language": 1.1, "days_left": 0.8, "expires_on": 1.35, "stopped_since": 1.35,
           "state": 1.2, "state_before": 1.2, "state_now": 1.2,
           "findings": 1.8, "last_contacted_at": 1.4, "last_note": 1.8, "change": 1.3,
           "finding": 1.6, "severity": 0.8, "value": 1.2, "remedy": 4.5}


def column_widths(columns) -> list[float]:
    """Each column's share of a page-wide table, in percent (long texts get more).

    >>> column_widths(["customer_id", "remedy"])
    [21.1, 78.9]
    """
    weights = [_WIDTHS.get(c, 1.0) for c in columns]
    return [round(100 * w / sum(weights), 1) for w in weights]


def heading(lang: str, column: str) -> str:
    """A column's heading in ``lang`` (its id where the catalogue has none).

    >>> heading("de", "days_left"), heading("en", "customer_id")
    ('Tage übrig', 'Customer no.')
    """
    return entry(lang, "report.column").get(column, column)


def state_label(lang: str, state: object) -> str:
    """A state's label in ``lang``.

    >>> state_label("de", "revoked"), state_label("en", "")
    ('Widerrufen', '')
    """
    state = str(state or "")
    return text(lang, f"state.{state}.label") if state in rules.STATES else state


def change_label(lang: str, change: object) -> str:
    """A change's label in ``lang``.

    >>> change_label("de", "newly_stopped")
    'Neu gestoppt'
    """
    return entry(lang, "report.change").get(str(change), str(change or ""))


def finding_titles(lang: str, findings: object) -> str:
    """The titles of a joined ``findings`` value, in ``lang``.

    >>> finding_titles("de", "plan_unknown;seller_id_missing")
    'Verkaufstarif unbekannt; Verkäufer-ID fehlt'
    """
    return "; ".join(text(lang, f"finding.{f}.title") if f in rules.FINDINGS else f
                     for f in rules.finding_ids(findings))


def stored_label(lang: str, field: str, key: str) -> str:
    """A summary key of ``selling_plan`` or ``account_type`` by name (``unknown``: not on file).

    >>> stored_label("de", "selling_plan", "unknown"), stored_label("en", "plan", "x")
    ('nicht hinterlegt', 'x')
    """
    return value_label(lang, field, "" if key == "unknown" else key)


def bucket_labels(lang: str) -> dict[str, str]:
    """The summary's expiry buckets by name.

    >>> bucket_labels("de")["<=14"]
    'in 8 bis 14 Tagen'
    """
    return dict(entry(lang, "report.bucket"))


def _labellers(lang: str) -> dict[str, Callable[[object], str]]:
    def severity(value: object) -> str:
        return entry(lang, "severity").get(str(value), str(value or ""))

    return {"state": lambda v: state_label(lang, v),
            "state_before": lambda v: state_label(lang, v),
            "state_now": lambda v: state_label(lang, v),
            "change": lambda v: change_label(lang, v),
            "findings": lambda v: finding_titles(lang, v),
            "finding": lambda v: finding_titles(lang, v),
            "severity": severity,
            "language": lambda v: entry(lang, "report.language").get(str(v), str(v or "")),
            "last_live_check": lambda v: entry(lang, "live_state").get(str(v), str(v or "")),
            "selling_plan": lambda v: value_label(lang, "selling_plan", v),
            "account_type": lambda v: value_label(lang, "account_type", v)}


def label_values(values: pd.Series, function: Callable[[object], str]) -> pd.Series:
    """``function`` over ``values``, called once per category or distinct value.

    >>> label_values(pd.Series(["a", "b", "a"], dtype="category"), str.upper).tolist()
    ['A', 'B', 'A']
    """
    if isinstance(values.dtype, pd.CategoricalDtype):
        shown = [function(c) for c in values.cat.categories] + [""]  # code -1: missing
        return pd.Series(pd.array(shown, dtype="str").take(values.cat.codes.to_numpy()),
                         index=values.index)
    return map_distinct(values, function)


def days_left_shown(frame: pd.DataFrame, state_column: str = "state") -> pd.Series:
    """``days_left`` with nothing where it means nothing (revoked tokens).

    >>> f = pd.DataFrame({"state": ["revoked", "valid"],
    ...                   "days_left": pd.array([249, 90], dtype="Int64")})
    >>> days_left_shown(f).tolist()
    [<NA>, 90]
    """
    return frame["days_left"].mask(frame[state_column].isin(NO_DAYS_LEFT))


def readable(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """``frame`` (report columns with ids) as a lead reads it: labels for ids, no days left
    for revoked tokens, headings in ``lang``. Numbers and dates stay numbers and dates.

    >>> f = pd.DataFrame({"customer_id": ["C1"], "state": ["revoked"],
    ...                   "days_left": pd.array([249], dtype="Int64")})
    >>> readable(f, "de").to_dict("records")
    [{'Kundennummer': 'C1', 'Zustand': 'Widerrufen', 'Tage übrig': None}]
    """
    lang = language(lang)
    out = frame.copy(deep=False)
    state = next((c for c in ("state", "state_now") if c in out), None)
    if "days_left" in out and state:
        out["days_left"] = days_left_shown(out, state)
    for column, function in _labellers(lang).items():
        if column in out:
            out[column] = label_values(out[column], function)
    return out.rename(columns={c: heading(lang, c) for c in out.columns})


def summary_rows(summary: dict, lang: str) -> pd.DataFrame:
    """``summary.json`` as the workbook's summary sheet: readable group and item, counts as
    numbers, dates and states as text beside them."""
    lang = language(lang)
    items = entry(lang, "report.item")
    groups = entry(lang, "report.group")
    unknown = text(lang, "report.unknown_value")

    def item(group: str, key: str) -> str:
        if group in ("by_state",):
            return state_label(lang, key)
        if group == "buckets":
            return bucket_labels(lang).get(key, key)
        if group == "by_finding":
            return finding_titles(lang, key)
        if group == "changes" and key in entry(lang, "report.change"):
            return change_label(lang, key)
        if group == "by_plan":
            return stored_label(lang, "selling_plan", key)
        if group == "by_account_type":
            return stored_label(lang, "account_type", key)
        return items.get(key, unknown if key == "unknown" else key)

    rows = []
    for group, value in summary.items():
        pairs = value.items() if isinstance(value, dict) else [(group, value)]
        name = groups.get(group if isinstance(value, dict) else "report", group)
        for key, count in pairs:
            number = isinstance(count, int) and not isinstance(count, bool)
            detail = "" if number or count is None else str(count)
            if key == "client_secret_state" and detail:
                detail = text(lang, f"app_secret.state.{detail}")
            rows.append((name, item(group if isinstance(value, dict) else "report", key),
                         count if number else None, detail))
    table = pd.DataFrame(rows, columns=["group", "item", "count", "text"])
    table["count"] = table["count"].astype("Int64")
    return table.rename(columns={c: heading(lang, c) for c in table.columns})


def for_display(frame: pd.DataFrame, lang: str, timezone: str) -> pd.DataFrame:
    """:func:`readable`, then every value as text for a page: dates as the desk writes them,
    contact times in the desk's ``timezone`` with the hour, nothing for missing values.

    >>> f = pd.DataFrame({"expires_on": pd.to_datetime(["2026-12-31", None])})
    >>> for_display(f, "de", "Europe/Berlin").iloc[:, 0].tolist()
    ['31.12.2026', '']
    """
    shown = readable(frame, lang)
    for column in shown.columns:
        if pd.api.types.is_datetime64_any_dtype(shown[column]):
            shown[column] = _shown_times(shown[column], lang, timezone)
    return shown.astype(object).where(shown.notna(), "")


def _shown_times(values: pd.Series, lang: str, timezone: str) -> pd.Series:
    if getattr(values.dt, "tz", None) is None:
        return format_dates(values, lang)
    local = values.dt.tz_convert(timezone)
    hours = local.dt.strftime(" %H:%M").fillna("")
    return format_dates(local.dt.tz_localize(None).dt.normalize(), lang) + hours

