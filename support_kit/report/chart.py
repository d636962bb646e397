"""The expiry timeline: expiries per week for the coming 12 weeks, and the already expired."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd

from .. import rules
from ..texts import DEFAULT_LANGUAGE

WEEKS = 12
_COLOURS = {"expired": "#c62828", "revoked": "#6a1b9a", "expiring": "#ef6c00",
            "valid": "#2e7d32"}


def timeline(frame: pd.DataFrame, as_of: dt.date) -> pd.DataFrame:
    """Counts per bar by state: ``already stopped`` (expired and revoked), then the weeks.

    Week bars are labelled with their first day (week 1 starts the day after ``as_of``).

    >>> f = pd.DataFrame({"state": ["expired", "expiring"], "days_left": [-3, 5]})
    >>> int(timeline(f, dt.date(2026, 12, 1)).loc["from 2026-12-02", "expiring"])
    1
    """
    days = pd.to_numeric(frame["days_left"], errors="coerce")
    upcoming = frame["state"].isin(rules.WORKING_STATES) & (days > 0) & (days <= WEEKS * 7)
    week = ((days[upcoming] - 1) // 7).astype(int).to_numpy()
    labels = ["already stopped"] + [
        f"from {as_of + dt.timedelta(days=1 + 7 * w):%Y-%m-%d}" for w in range(WEEKS)]
    table = pd.DataFrame(0, index=labels, columns=list(_COLOURS))
    for state in rules.STOPPED_STATES:
        table.loc["already stopped", state] = int((frame["state"] == state).sum())
    for state in rules.WORKING_STATES:
        selected = frame.loc[upcoming, "state"].to_numpy() == state
        table.iloc[1:, table.columns.get_loc(state)] = np.bincount(week[selected],
                                                                   minlength=WEEKS)[:WEEKS]
    return table


def render_png(frame: pd.DataFrame, as_of: dt.date, lang: str = DEFAULT_LANGUAGE) -> bytes:
    """The timeline as a PNG (matplotlib, headless), labelled in ``lang``."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from ..texts import format_date, text
    from .labels import heading, state_label

    table = timeline(frame, as_of)
    bars = [text(lang, "report.chart_stopped")] + [
        text(lang, "report.chart_from",
             date=format_date(as_of + dt.timedelta(days=1 + 7 * w), lang)) for w in range(WEEKS)]
    figure = Figure(figsize=(10, 4.2), dpi=100)
    axes = figure.subplots()
    bottom = np.zeros(len(table))
    for state, colour in _COLOURS.items():
        axes.bar(bars, table[state], bottom=bottom, color=colour,
                 label=state_label(lang, state))
        bottom += table[state].to_numpy()
    axes.set_title(text(lang, "report.chart_title", as_of=format_date(as_of, lang),
                        weeks=WEEKS))
    axes.set_ylabel(text(lang, "report.customers"))
    axes.tick_params(axis="x", labelrotation=45)
    axes.legend(title=heading(lang, "state"))
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
