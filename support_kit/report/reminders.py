"""The reminder mail merge: one row per expiring, expired or revoked customer.

Texts come from the catalogue; each (language, state) body is rendered once with markers,
then filled column-wise, so a million customers cost no per-row templating.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv

from .. import marketplaces
from ..columns import as_text
from ..config import Settings
from ..exports import arrow_table
from ..renewal import CONSENT_PATH, instructions, sign_state
from ..texts import format_date, format_dates, text

REMINDER_STATES = ("expiring", "expired", "revoked")
COLUMNS = ("customer_id", "contact_email", "language", "subject", "body", "renewal_link")
_LINK = "\x00LINK\x00"
_FIELDS = ("expires_on", "stopped_since", "shop_name")


def _body_template(lang: str, state: str, with_link: bool) -> str:
    markers = {f: f"\x00{f}\x00" for f in _FIELDS}
    consequences = text(lang, "reply.consequences_future" if state == "expiring"
                        else "reply.consequences_now")
    lines = [text(lang, "reply.greeting_shop", shop_name=markers["shop_name"]), "",
             text(lang, f"reply.lead.{state}", **markers) + " " + consequences, "",
             instructions(lang, _LINK if with_link else None, None), "",
             text(lang, "reply.closing")]
    body = "\n".join(lines)
    if with_link:  # the link sentence names its validity; the link itself follows
        body = body.replace(text(lang, "renewal.link_intro", valid_until=""),
                            text(lang, "renewal.link_intro", valid_until="\x00valid_until\x00"))
    return body


def _fill(template: str, columns: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """Fill the ``\x00name\x00`` markers of ``template`` column-wise in one Arrow pass."""
    parts = template.split("\x00")
    args = [pa.scalar(part, pa.large_string()) if position % 2 == 0 else
            pa.Array.from_pandas(as_text(columns[part])).cast(pa.large_string())
            for position, part in enumerate(parts)]
    if len(args) == 1:
        return pd.Series(parts[0], index=index, dtype="str")
    joined = pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=index)


def renewal_links(frame: pd.DataFrame, settings: Settings | None,
                  now: dt.datetime | None = None, valid_days: int = 7) -> pd.Series:
    """Consent links for the rows of an evaluated frame, or empty when links are off.

    Links need ``SUPPORT_KIT_APP_ID`` and ``SUPPORT_KIT_STATE_SECRET`` to be set (demo mode's
    stand-ins do not count: a mail merge never points sellers at a local sandbox). Each state
    is signed on its own (unique and bound to the customer), the one per-row step here.
    """
    links = pd.Series("", index=frame.index, dtype=object)
    if settings is None or settings.demo or not (settings.app_id and settings.state_secret):
        return links
    now = now or dt.datetime.now(dt.UTC)
    expires_at = now + dt.timedelta(days=valid_days)
    hosts = marketplaces.table()["seller_central_host"]
    base = (pd.Series(settings.seller_central_url, index=frame.index)
            if settings.seller_central_url else "https://" + frame["country_code"].map(hosts))
    usable = frame["country_code"].notna() & ~frame["findings"].astype(str).str.contains(
        "account_not_seller_central")
    for index, customer_id, seller_id in zip(frame.index[usable],
                                             frame.loc[usable, "customer_id"],
                                             frame.loc[usable, "seller_id"], strict=True):
        state = sign_state(customer_id, seller_id, settings.state_secret, expires_at)
        links[index] = (f"{str(base[index]).rstrip('/')}{CONSENT_PATH}?"
                        + urlencode({"application_id": settings.app_id, "state": state}))
    return links.astype("str")


def reminder_groups(frame: pd.DataFrame, settings: Settings | None = None,
                    now: dt.datetime | None = None) -> Iterator[pd.DataFrame]:
    """The mail-merge rows in groups of one language and state (the order to send them).

    Each group's texts are filled in one vectorised pass; groups are yielded one at a time
    so a million customers never hold every body in memory at once.
    """
    rows = frame[frame["state"].isin(REMINDER_STATES)]
    links = renewal_links(rows, settings, now)
    valid_until = (now or dt.datetime.now(dt.UTC)).date() + dt.timedelta(days=7)
    keys = [rows["language"], rows["state"].astype(str), (links != "").rename("with_link")]
    for (lang, state, with_link), part in rows.groupby(keys, sort=True):
        part_links = links[part.index]
        columns = {"expires_on": format_dates(part["expires_on"], lang),
                   "stopped_since": format_dates(part["stopped_since"], lang),
                   "shop_name": part["shop_name"],
                   "valid_until": pd.Series(format_date(valid_until, lang), index=part.index),
                   "LINK": part_links}
        subject = text(lang, f"reply.subject.{state}", expires_on="\x00expires_on\x00")
        yield pd.DataFrame({
            "customer_id": part["customer_id"], "contact_email": part["contact_email"],
            "language": part["language"],
            "subject": _fill(subject, columns, part.index),
            "body": _fill(_body_template(lang, state, bool(with_link)), columns, part.index),
            "renewal_link": part_links})


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
