"""Messages to sellers: the reply draft for one customer and the templates of the mail merge.

One template per (language, situation, stopped or not, with or without link), rendered once
with markers and filled column-wise: the same code writes one reply or a million reminders.
The situation (:data:`support_kit.rules.SITUATIONS`) decides what the reply leads with.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from urllib.parse import quote

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from . import dates, rules
from .columns import as_text
from .config import Settings
from .customers import CustomerList
from .renewal import RenewalLink, instructions, renewal_link
from .texts import customer_language, format_date, format_dates, text

MARK = "\x00"
FIELDS = ("expires_on", "stopped_since", "reminders_from", "gap_from", "gap_to", "shop_name",
          "valid_until", "link")
_CONSEQUENCES = {"expiring": "reply.consequences_future",
                 "expired": "reply.consequences_now", "revoked": "reply.consequences_now"}


def _marker(name: str) -> str:
    return f"{MARK}{name}{MARK}"


def body_template(lang: str, situation: str, with_link: bool, gap: bool = False) -> str:
    """The reply body for a situation, with ``\\x00field\\x00`` markers for the customer's
    values. It leads with the real problem; ``gap`` adds the order gap.

    >>> "\\x00expires_on\\x00" in body_template("en", "expiring", with_link=False)
    True
    >>> body = body_template("en", "individual_plan", with_link=False)
    >>> "Professional plan" in body.split("\\n")[2], "renew" in body
    (True, False)
    """
    rule = rules.SITUATIONS[situation]
    markers = {f: _marker(f) for f in FIELDS}
    lead = text(lang, f"situation.{situation}.reply_lead", **markers)
    if situation in _CONSEQUENCES:
        lead += " " + text(lang, _CONSEQUENCES[situation])
    parts = [text(lang, "reply.greeting"), "", lead]  # a greeting, not "Guten Tag (Shop),"
    if situation == "renewed":  # the lead confirms and names the gap: nothing to renew
        return "\n".join([*parts, "", text(lang, "renewal.questions"), "",
                          text(lang, "reply.closing")])
    if not rule.link_allowed:
        parts += ["", text(lang, f"situation.{situation}.reply_todo")]
    if gap or situation in rules.STOPPED_STATES:
        parts += ["", text(lang, "gap.reply", **markers)]
    if rule.link_allowed and (rule.steps or with_link):
        link = markers["link"] if with_link else None
        parts += ["", instructions(lang, link, markers["valid_until"])]
    elif not rule.link_allowed:
        parts += ["", text(lang, "gap.link_after"), text(lang, "renewal.questions")]
    return "\n".join([*parts, "", text(lang, "reply.closing")])


def subject_template(lang: str, situation: str) -> str:
    """The reply's subject for a situation, with markers."""
    return text(lang, f"situation.{situation}.subject", expires_on=_marker("expires_on"))


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
            "reminders_from": format_dates(rows["reminders_from"], lang),
            "gap_from": format_dates(rows["gap_from"], lang),
            "gap_to": format_dates(rows["gap_to"], lang),
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
    situation: str = ""
    link: str | None = None

    @property
    def mailto(self) -> str:
        return (f"mailto:{quote(self.to, safe='@')}?subject={quote(self.subject)}"
                f"&body={quote(self.body)}")

    def to_dict(self) -> dict:
        """The JSON of ``support-kit reply``: situation, subject, body, link (or null)."""
        return {"situation": self.situation, "to": self.to, "lang": self.lang,
                "subject": self.subject, "body": self.body, "link": self.link}

    def __str__(self) -> str:
        return f"To: {self.to}\nSubject: {self.subject}\n\n{self.body}"


def authorization_lines(rows: pd.DataFrame, lang: str, links: pd.Series | None = None
                        ) -> list[str]:
    """One line per authorization of ``rows`` (evaluated, one customer) in the seller's
    language: region, marketplace and what is due; a region's link under its line.

    >>> f = rules.evaluate(pd.DataFrame({"customer_id": ["1", "1"], "marketplace": ["DE", "US"],
    ...     "authorized_at": ["2026-06-01", "2025-12-10"]}), dt.date(2026, 12, 1))
    >>> authorization_lines(f, "es")[2]
    '- Norteamérica (US): caduca el 10 de diciembre de 2026, renuévela, por favor'
    """
    lines = [text(lang, "authorizations.intro")]
    for index, r in rows.iterrows():
        region = r["region"] if isinstance(r["region"], str) else ""
        key = "roles_changed" if str(r["situation"]) == "roles_changed" else str(r["state"])
        shown = {k: format_date(None if pd.isna(r[k]) else pd.Timestamp(r[k]).date(), lang)
                 for k in ("expires_on", "stopped_since")}
        name = text(lang, f"authorizations.region.{region}") if region else "?"
        marketplace = r["country_code"] if isinstance(r["country_code"], str) \
            else str(r["marketplace"] or "-")
        lines.append("- " + text(lang, f"authorizations.line.{key}", region=name,
                                 marketplace=marketplace, **shown))
        if links is not None and links.get(index):
            lines += [f"  {text(lang, 'authorizations.link', region=name)} {links[index]}"]
    return lines


def with_authorizations(body: str, lines: list[str], lang: str) -> str:
    """``body`` with the lines naming the authorizations before its closing."""
    closing = text(lang, "reply.closing")
    head = body[:-len(closing)] if body.endswith(closing) else body + "\n\n"
    return head + "\n".join(lines) + "\n\n" + closing


def reply_draft(row: pd.Series, link: RenewalLink | None = None, lang: str | None = None,
                every: pd.DataFrame | None = None) -> ReplyDraft:
    """The reply for one evaluated customer row, in their language, with the link if any;
    with ``every`` (all the customer's rows) holding several authorizations, it names each.

    A situation that allows no link never carries one.
    """
    lang = customer_language(lang or row["language"])
    situation = str(row["situation"])
    link = link if rules.SITUATIONS[situation].link_allowed else None
    frame = row.to_frame().T
    links = pd.Series(link.url if link else "", index=frame.index)
    valid_until = format_date(link.state_expires_at.date(), lang) if link else ""
    columns = columns_for(frame, lang, links, valid_until)
    gap = pd.notna(row["gap_from"])  # stopped now, or before a renewal at the desk
    subject = fill(subject_template(lang, situation), columns, frame.index).iloc[0]
    body = fill(body_template(lang, situation, link is not None, gap), columns,
                frame.index).iloc[0]
    if every is not None and len(every) > 1:
        body = with_authorizations(body, authorization_lines(every, lang), lang)
    return ReplyDraft(str(row.get("contact_email", "")), subject, body, lang, situation,
                      link.url if link else None)



def reply_for(customers: CustomerList, customer_id: str, settings: Settings,
              as_of: dt.date | None = None, lang: str | None = None) -> ReplyDraft:
    """The reply draft for one customer as the desk panel shows it, with a fresh renewal link
    when the situation allows one and links are set up (``SUPPORT_KIT_APP_ID`` and
    ``SUPPORT_KIT_STATE_SECRET``, or demo mode); otherwise the link is ``None``.

    >>> from support_kit.customers import load, demo_path
    >>> from support_kit.config import load_settings
    >>> draft = reply_for(load(demo_path()), "C100012", load_settings({}), dt.date(2026, 12, 1))
    >>> draft.situation, draft.link, draft.body.splitlines()[2][:48]
    ('wrong_account_payments', None, 'Ihr Konto ist bei uns mit Zugangsdaten von Amazo')
    """
    as_of = as_of or dates.today(settings.timezone)
    every = rules.authorizations(customers, customer_id, as_of, settings.timezone,
                                 **settings.rules)
    row = rules.most_urgent(every)
    lang = customer_language(lang or row["language"], settings.customer_language)
    link = None
    if rules.SITUATIONS[str(row["situation"])].link_allowed and settings.app_id \
            and settings.state_secret:
        link = renewal_link(customers, customer_id, settings, lang=lang)
    return reply_draft(row, link, lang, every)
