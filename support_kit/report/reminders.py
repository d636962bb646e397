"""The reminder mail merge: one row per customer due for a reminder (who is due is decided
once, by :func:`support_kit.report.followup.due_for_reminder`). A customer due in several
regions gets one mail about the most urgent authorization that names every one due, each
with its own link.

The texts are the reply drafts of :mod:`support_kit.replies`, filled for each (language,
state) group column-wise, so a million customers cost no per-row templating.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pyarrow.csv as pacsv

from .. import marketplaces, rules
from ..config import Settings
from ..exports import arrow_table
from ..renewal import CONSENT_PATH, sign_state
from ..replies import (
    authorization_lines,
    body_template,
    columns_for,
    fill,
    subject_template,
    with_authorizations,
)
from ..texts import format_date

COLUMNS = ("customer_id", "contact_email", "language", "subject", "body", "renewal_link")
#: The evaluated columns the mail merge reads (links, texts and the rows' own fields).
_USED = ("customer_id", "contact_email", "language", "state", "situation", "shop_name",
         "seller_id", "country_code", "findings", "expires_on", "stopped_since", "reminders_from",
         "gap_from", "gap_to", "region", "marketplace", "days_left", "authorizations")
#: The columns a consent link is made from.
_LINKED = ("customer_id", "seller_id", "country_code", "situation", "region")
#: Rows filled at a time: a million reminders never hold all their bodies in memory at once.
CHUNK_ROWS = 25_000


def renewal_links(frame: pd.DataFrame, settings: Settings | None,
                  now: dt.datetime | None = None, valid_days: int = 7) -> pd.Series:
    """Consent links for the rows of an evaluated frame, or empty when links are off.

    Links need ``SUPPORT_KIT_APP_ID`` and ``SUPPORT_KIT_STATE_SECRET`` to be set (demo mode's
    stand-ins do not count: a mail merge never points sellers at a local sandbox); an agent's
    desk on a keeper service has the keeper sign them. Each state
    is signed on its own (unique and bound to the customer), the one per-row step here.
    """
    links = pd.Series("", index=frame.index, dtype=object)
    if settings is not None and settings.keeper_url and not settings.demo:
        from ..keeper.remote import RemoteKeeper  # a team's desk: signed where the secret is

        return RemoteKeeper.from_environment().consent_links(frame, valid_days)
    if settings is None or settings.demo or not (settings.app_id and settings.state_secret):
        return links
    now = now or dt.datetime.now(dt.UTC)
    expires_at = now + dt.timedelta(days=valid_days)
    hosts = marketplaces.table()["seller_central_host"]
    base = (pd.Series(settings.seller_central_url, index=frame.index)
            if settings.seller_central_url else "https://" + frame["country_code"].map(hosts))
    allowed = [s for s, rule in rules.SITUATIONS.items() if rule.link_allowed]
    usable = frame["situation"].isin(allowed)
    regions = frame["region"] if "region" in frame else pd.Series(None, index=frame.index)
    for index, customer_id, seller_id, region in zip(
            frame.index[usable], frame.loc[usable, "customer_id"],
            frame.loc[usable, "seller_id"], regions[usable], strict=True):
        state = sign_state(customer_id, seller_id, settings.state_secret, expires_at,
                           region if isinstance(region, str) else None)
        links[index] = (f"{str(base[index]).rstrip('/')}{CONSENT_PATH}?"
                        + urlencode({"application_id": settings.app_id, "state": state}))
    return links.astype("str")


def reminder_groups(frame: pd.DataFrame, settings: Settings | None = None,
                    now: dt.datetime | None = None) -> Iterator[pd.DataFrame]:
    """The mail-merge rows of ``frame`` (the due rows of an evaluated frame), grouped by
    language, situation and state (the order to send them).

    Each group's texts are filled in vectorised passes of at most ``CHUNK_ROWS`` rows,
    yielded one at a time, so a million customers never hold every body in memory at once.
    """
    links = renewal_links(frame[[c for c in _LINKED if c in frame]], settings, now)
    several = frame["customer_id"].duplicated(keep=False)
    every: dict[str, pd.DataFrame] = {}  # customers due in several regions: one mail each
    chosen = frame.index
    if several.any():
        for customer_id, rows in frame[several].groupby("customer_id", sort=False):
            every[str(customer_id)] = rows
        lead = {rules.most_urgent(rows).name for rows in every.values()}
        chosen = frame.index[~several.to_numpy() | frame.index.isin(list(lead))]
    valid_until = (now or dt.datetime.now(dt.UTC)).date() + dt.timedelta(days=7)
    keys = pd.DataFrame({"language": frame.loc[chosen, "language"],
                         "situation": frame.loc[chosen, "situation"].astype(str),
                         "state": frame.loc[chosen, "state"].astype(str),
                         "with_link": links[chosen] != ""})
    groups = keys.groupby(list(keys.columns), sort=True).indices  # positions, in file order
    for lang, situation, state, with_link in sorted(groups):
        positions = groups[(lang, situation, state, with_link)]
        for start in range(0, len(positions), CHUNK_ROWS):
            part = frame.loc[chosen[positions[start:start + CHUNK_ROWS]],
                             [c for c in _USED if c in frame]]
            yield _filled(part, links, lang, situation, state in rules.STOPPED_STATES,
                          bool(with_link), valid_until, every)


def _filled(part: pd.DataFrame, links: pd.Series, lang: str, situation: str, stopped: bool,
            with_link: bool, valid_until: dt.date,
            every: dict[str, pd.DataFrame] | None = None) -> pd.DataFrame:
    part_links = links[part.index]
    columns = columns_for(part, lang, part_links, format_date(valid_until, lang))
    body = fill(body_template(lang, situation, with_link, stopped), columns, part.index)
    if "authorizations" in part:  # several authorizations: name each due one (its link)
        for index in part.index[part["authorizations"].to_numpy() > 1]:
            rows = (every or {}).get(str(part.at[index, "customer_id"]), part.loc[[index]])
            body[index] = with_authorizations(body[index], authorization_lines(
                rows, lang, links[rows.index] if len(rows) > 1 else None), lang)
    return pd.DataFrame({
        "customer_id": part["customer_id"], "contact_email": part["contact_email"],
        "language": part["language"],
        "subject": fill(subject_template(lang, situation), columns, part.index),
        "body": body, "renewal_link": part_links})


def reminders(frame: pd.DataFrame, settings: Settings | None = None,
              now: dt.datetime | None = None) -> pd.DataFrame:
    """The whole mail-merge table (grouped by language and state)."""
    groups = list(reminder_groups(frame, settings, now))
    return pd.concat(groups) if groups else pd.DataFrame(columns=list(COLUMNS))


def write_reminders(path: Path, frame: pd.DataFrame, settings: Settings | None = None,
                    now: dt.datetime | None = None) -> Path:
    """Stream the mail merge to ``path`` as CSV, one group at a time."""
    writer = None
    try:
        for group in reminder_groups(frame, settings, now):
            table = arrow_table(group)
            if writer is None:
                writer = pacsv.CSVWriter(str(path), table.schema,
                                         write_options=pacsv.WriteOptions(quoting_style="needed"))
            writer.write_table(table)
    finally:
        if writer is not None:
            writer.close()
    if writer is None:
        path.write_text(",".join(f'"{c}"' for c in COLUMNS) + "\n", encoding="utf-8")
    return path
