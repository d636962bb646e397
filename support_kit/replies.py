"""Messages to sellers: the reply draft for one customer and the templates of the mail merge.

One template per (language, state, with or without link), rendered once with markers and
filled column-wise: the same code writes one reply or a million reminders.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from .columns import as_text
from .renewal import RenewalLink, instructions
from .texts import format_date, format_dates, text

MARK = "\x00"
FIELDS = ("expires_on", "stopped_since", "shop_name", "valid_until", "link")
_CONSEQUENCES = {"expiring": "reply.consequences_future", "valid": "reply.consequences_future",
                 "expired": "reply.consequences_now", "revoked": "reply.consequences_now"}


def _marker(name: str) -> str:
    return f"{MARK}{name}{MARK}"


def body_template(lang: str, state: str, with_link: bool) -> str:
    """The reply body for a state, with ``\\x00field\\x00`` markers for the customer's values.

    >>> "\\x00expires_on\\x00" in body_template("en", "expiring", with_link=False)
    True
    """
    markers = {f: _marker(f) for f in FIELDS}
    lead = text(lang, f"reply.lead.{state}", **markers)
    if state in _CONSEQUENCES:
        lead += " " + text(lang, _CONSEQUENCES[state])
    link = markers["link"] if with_link else None
    return "\n".join([text(lang, "reply.greeting_shop", shop_name=markers["shop_name"]), "",
                      lead, "", instructions(lang, link, markers["valid_until"]), "",
                      text(lang, "reply.closing")])


def subject_template(lang: str, state: str) -> str:
    return text(lang, f"reply.subject.{state}", expires_on=_marker("expires_on"))


def fill(template: str, columns: dict[str, pd.Series], index: pd.Index) -> pd.Series:
    """Fill the markers of ``template`` from ``columns``, in one Arrow pass over the rows.

    >>> fill("Hi \\x00shop_name\\x00!", {"shop_name": pd.Series(["A", "B"])},
    ...      pd.RangeIndex(2)).tolist()
    ['Hi A!', 'Hi B!']
    """
    parts = template.split(MARK)
    if len(parts) == 1:
        return pd.Series(template, index=index, dtype="str")
    args = [pa.scalar(part, pa.large_string()) if position % 2 == 0 else
            pa.Array.from_pandas(as_text(columns[part])).cast(pa.large_string())
            for position, part in enumerate(parts)]
    joined = pc.binary_join_element_wise(*args, pa.scalar("", pa.large_string()))
    return pd.Series(pd.arrays.ArrowStringArray(joined), index=index)


def columns_for(rows: pd.DataFrame, lang: str, links: pd.Series, valid_until: str
                ) -> dict[str, pd.Series]:
    """The values the markers stand for, for evaluated ``rows`` in ``lang``."""
    return {"expires_on": format_dates(rows["expires_on"], lang),
            "stopped_since": format_dates(rows["stopped_since"], lang),
            "shop_name": rows["shop_name"],
            "valid_until": pd.Series(valid_until, index=rows.index),
            "link": links}


@dataclass(frozen=True)
class ReplyDraft:
    """A reply to one seller: to, subject, body, and a ``mailto:`` link with all three."""

    to: str
    subject: str
    body: str
    lang: str

    @property
    def mailto(self) -> str:
        return (f"mailto:{quote(self.to, safe='@')}?subject={quote(self.subject)}"
                f"&body={quote(self.body)}")


def reply_draft(row: pd.Series, link: RenewalLink | None = None, lang: str | None = None
                ) -> ReplyDraft:
    """The reply for one evaluated customer row, in their language, with the link if any."""
    lang = lang or str(row["language"])
    frame = row.to_frame().T
    links = pd.Series(link.url if link else "", index=frame.index)
    valid_until = format_date(link.state_expires_at.date(), lang) if link else ""
    columns = columns_for(frame, lang, links, valid_until)
    state = str(row["state"])
    subject = fill(subject_template(lang, state), columns, frame.index).iloc[0]
    body = fill(body_template(lang, state, link is not None), columns, frame.index).iloc[0]
    return ReplyDraft(str(row.get("contact_email", "")), subject, body, lang)
