"""Reminders by e-mail, once: who is due (the report's follow-up decides), the mails they
get (the mail merge's texts), and sending them: each mail claimed in the store first (one
per customer and day, so two runs or panels at once never send it twice) and recorded as
``reminder_sent`` right after it went out. A second run the same day sends nothing.

>>> from support_kit.desk import Desk
>>> plan = plan_reminders(Desk.open(as_of="2026-12-01", store="sqlite://"))
>>> plan.as_of, len(plan) > 0, plan.sendable.columns.tolist()[:3]
(datetime.date(2026, 12, 1), True, ['customer_id', 'seller_id', 'contact_email'])
"""

from __future__ import annotations

import datetime as dt
import html
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from . import dates
from .config import PREFIX
from .desk import Desk
from .errors import SupportKitError
from .mail import (
    MailRefused,
    MailServerProblem,
    Outbox,
    compose,
    mail_server,
    sender,
    usable_address,
)
from .report.followup import QUIET_DAYS, STOPPED_WITHIN_DAYS
from .report.reminders import reminders
from .store import Event, SendClaim

#: The plan's columns: the mail merge's, the seller id for the event, and why a row cannot
#: be sent ("" when it can).
COLUMNS = ("customer_id", "seller_id", "contact_email", "language", "subject", "body",
           "renewal_link", "problem")
NO_ADDRESS = "no usable e-mail address in contact_email; add one to the customer list"


@dataclass(frozen=True)
class ReminderPlan:
    """The reminders due as of one day: who would get which mail (nothing sent yet)."""

    as_of: dt.date
    mails: pd.DataFrame  # COLUMNS, in sending order (language, situation, state)
    stopped_within: int = STOPPED_WITHIN_DAYS
    quiet_days: int = QUIET_DAYS
    mail_from: str | None = None
    server: str | None = None  # where they would go, without the password

    def __len__(self) -> int:
        return len(self.mails)

    @property
    def sendable(self) -> pd.DataFrame:
        return self.mails[self.mails["problem"] == ""]

    @property
    def skipped(self) -> pd.DataFrame:
        """Due sellers no mail can reach (no usable address), with the reason."""
        return self.mails[self.mails["problem"] != ""]

    def to_dict(self) -> dict:
        """The JSON of a dry run: each mail (to, language, subject, body, link) and those
        that cannot be sent."""
        return {"as_of": self.as_of.isoformat(), "dry_run": True, "due": len(self),
                "mail_from": self.mail_from, "mail_server": self.server,
                "mails": [{"customer_id": r.customer_id, "to": r.contact_email,
                           "language": r.language, "subject": r.subject, "body": r.body,
                           "renewal_link": r.renewal_link or None}
                          for r in self.sendable.itertuples()],
                "not_sendable": [_entry(r, r.problem, sendable=False)
                                 for r in self.skipped.itertuples()]}

    def headline(self) -> str:
        return (f"Reminders as of {self.as_of.isoformat()}: {len(self.sendable)} to send "
                f"(expiring, or stopped within {self.stopped_within} days, and not contacted "
                f"or reminded within {self.quiet_days} days)"
                + (f"; {len(self.skipped)} due without a usable address" if len(self.skipped)
                   else "") + ".")

    def where(self) -> str:
        """Where the mails would go, and what sending still needs."""
        said = (f"They go from {self.mail_from} through {self.server}."
                if not self.missing() else
                f"Sending needs {' and '.join(self.missing())} (not set).")
        if len(self.sendable) and not self.sendable["renewal_link"].astype(bool).any():
            said += (f" No renewal links: they need {PREFIX}APP_ID and {PREFIX}STATE_SECRET "
                     "(demo mode puts none in mails).")
        return said

    def missing(self) -> list[str]:
        return [PREFIX + name for name, value in (("SMTP_URL", self.server),
                                                  ("MAIL_FROM", self.mail_from)) if not value]

    def __str__(self) -> str:
        lines = [self.headline(), self.where()]
        for r in self.sendable.itertuples():
            link = "with link" if r.renewal_link else "no link"
            lines.append(f"{r.customer_id:<12} {r.language}  {r.contact_email:<32} {link:<9} "
                         f"{r.subject}")
        lines += [f"{r.customer_id:<12} not sendable: {r.problem}"
                  for r in self.skipped.itertuples()]
        return "\n".join(lines)

    def _repr_html_(self, limit: int = 200) -> str:
        rows = "".join(
            f"<tr><td>{_e(r.customer_id)}</td><td>{_e(r.contact_email)}</td>"
            f"<td>{_e(r.language)}</td><td>{_e(r.subject)}</td>"
            f"<td>{'✓' if r.renewal_link else '–'}</td><td>{_e(r.problem)}</td></tr>"
            for r in self.mails.head(limit).itertuples())
        more = (f"<p class='sk-more'>{limit} of {len(self)} shown.</p>"
                if len(self) > limit else "")
        return (f"<p class='sk-remind-head'>{_e(self.headline())} {_e(self.where())}</p>"
                "<table class='sk-table sk-remind-preview' style='border-collapse:collapse;"
                "font-size:12px'><tr><th>customer_id</th><th>to</th><th>language</th>"
                f"<th>subject</th><th>link</th><th>not sendable</th></tr>{rows}</table>{more}")


@dataclass
class SendResult:
    """What a send did: the mails that went out (each recorded), those that did not."""

    as_of: dt.date
    sent: list[dict] = field(default_factory=list)
    not_sent: list[dict] = field(default_factory=list)
    problem: str | None = None  # why sending stopped or a mail was refused: exit 2
    elsewhere: int = 0  # claimed by another run or agent today (sent there, not here)

    @property
    def ok(self) -> bool:
        return self.problem is None

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "dry_run": False, "sent": self.sent,
                "not_sent": self.not_sent, "problem": self.problem}

    def headline(self) -> str:
        total = len(self.sent) + len([m for m in self.not_sent if m["sendable"]])
        return (f"{len(self.sent)} of {total} reminders sent and recorded"
                + ("" if self.ok else "; the others were not sent and not recorded")
                + (f"; {self.elsewhere} sent today by another run or agent (not sent again)"
                   if self.elsewhere else "") + ".")

    def __str__(self) -> str:
        lines = [f"sent {m['customer_id']:<12} {m['language']}  {m['to']}" for m in self.sent]
        lines += [f"not sent {m['customer_id']:<8} {m['to']}: {m['reason']}"
                  for m in self.not_sent]
        return "\n".join([*lines, self.headline()])

    def _repr_html_(self) -> str:
        items = "".join(f"<li>{_e(m['customer_id'])} · {_e(m['to'])}: {_e(m['reason'])}</li>"
                        for m in self.not_sent)
        return (f"<p class='sk-remind-result'>{_e(self.headline())}</p>"
                + (f"<p class='sk-remind-problem'>{_e(self.problem)}</p>" if self.problem
                   else "") + (f"<ul class='sk-remind-not-sent'>{items}</ul>" if items else ""))


def plan_reminders(desk: Desk, as_of: dt.date | None = None,
                   stopped_within: int = STOPPED_WITHIN_DAYS, quiet_days: int = QUIET_DAYS,
                   now: dt.datetime | None = None) -> ReminderPlan:
    """Who is due for a reminder as of ``as_of`` (default: the desk's day) and the mail each
    gets, in their language with the signed renewal link (when links are set up).

    The report's follow-up decides who is due (:meth:`support_kit.report.Report.due`).
    """
    settings = desk.settings
    report = desk.report(as_of or desk.today, stopped_within=stopped_within,
                         quiet_days=quiet_days)
    due = report.frame[report.due()]
    mails = reminders(due, settings, now).reset_index(drop=True)
    sellers = due.drop_duplicates("customer_id").set_index("customer_id")["seller_id"]
    mails.insert(1, "seller_id", sellers.reindex(mails["customer_id"]).fillna("").to_numpy())
    mails["problem"] = [("" if usable_address(str(a or "")) else NO_ADDRESS)
                        for a in mails["contact_email"]]
    server = None
    if settings.smtp_url:
        server = str(mail_server(settings))  # a wrong setting is told in the dry run too
    return ReminderPlan(report.as_of, mails[list(COLUMNS)], stopped_within, quiet_days,
                        sender(settings.mail_from) if settings.mail_from else None, server)


def send_reminders(desk: Desk, plan: ReminderPlan,
                   progress: Callable[[int, int], None] = lambda _done, _total: None,
                   recheck: bool = False) -> SendResult:
    """Send the plan's mails, one connection, each claimed in the store first (one mail per
    customer and day, whoever sends it) and recorded as ``reminder_sent`` right after it
    went out; a mail that did not go out gives its claim back. ``recheck`` plans again
    first and sends only to those still due (a preview may be old).

    A refused mail (the server said no, or the address cannot go through this server) is
    skipped and told, and the run goes on; a server that is down or stops taking mails ends
    the run. Either way :attr:`SendResult.problem` says so, and only sent mails are recorded.
    """
    server = mail_server(desk.settings)  # a clear error naming a missing setting
    mail_from = sender(desk.settings.mail_from or "")
    check_sendable(plan.as_of, plan.quiet_days, desk.settings.timezone)
    mails = plan.sendable
    if recheck:
        fresh = plan_reminders(desk, plan.as_of, plan.stopped_within, plan.quiet_days)
        mails = mails[mails["customer_id"].isin(fresh.sendable["customer_id"])]
    result = SendResult(plan.as_of, not_sent=[_entry(r, r.problem, sendable=False)
                                              for r in plan.skipped.itertuples()])
    pending = deque(mails.itertuples())
    total, refused = len(pending), 0
    progress(0, total)
    if not pending:  # nothing due: the server is not even asked
        return result
    store, day = desk.store, plan.as_of
    try:
        with Outbox(server) as outbox:
            while pending:
                r = pending[0]
                held = store.claim_send(r.customer_id, day, desk.agent)  # before it goes out
                if held is not None:  # another run or agent sends (or sent) this one
                    result.not_sent.append(_entry(r, _held(held, desk.settings.timezone),
                                                  sendable=False))
                    result.elsewhere += 1
                    pending.popleft()
                    progress(total - len(pending), total)
                    continue
                try:
                    message = compose(mail_from, r.contact_email, r.subject, r.body,
                                      r.language)
                    outbox.send(message)
                except MailRefused as exc:
                    store.release_send(r.customer_id, day)
                    refused += 1
                    result.not_sent.append(_entry(r, f"refused: {exc}"))
                except BaseException:
                    store.release_send(r.customer_id, day)  # not sent: a later run may
                    raise
                else:
                    store.complete_send(r.customer_id, day, Event(
                        "reminder_sent", r.customer_id, r.seller_id or None, {
                            "to": r.contact_email, "subject": message["Subject"],
                            "language": r.language, "channel": "e-mail",
                            "message_id": message["Message-ID"]}, desk.agent))
                    result.sent.append({"customer_id": r.customer_id, "to": r.contact_email,
                                        "language": r.language, "subject": message["Subject"]})
                pending.popleft()
                progress(total - len(pending), total)
    except MailServerProblem as exc:
        result.not_sent += [_entry(r, "not sent: the mail server stopped") for r in pending]
        result.problem = (f"{exc} {len(result.sent)} of {total} reminders were sent and "
                          "recorded; run again to send the others (those sent are not sent "
                          "again).")
        return result
    if refused:
        result.problem = (f"{refused} of {total} reminders could not be sent (listed above, "
                          "each with the reason); check those addresses. The others were "
                          "sent and recorded.")
    return result


def check_sendable(as_of: dt.date, quiet_days: int, timezone: str) -> None:
    """Reminders go out as of today only, with a quiet time of at least a day: otherwise a
    second run would not see the first one's reminders and would send them again."""
    today = dates.today(timezone)
    if as_of != today:
        raise SupportKitError(
            f"Reminders are sent as of today ({today.isoformat()}), not as of "
            f"{as_of.isoformat()}: the mails say what stops when, counted from today. Leave "
            "out --as-of (or pick today) to send; other days work as a dry run.")
    if quiet_days < 1:
        raise SupportKitError(
            f"--quiet-days {quiet_days} would send the same sellers a reminder on every run; "
            "use 1 or more.")


def _held(claim: SendClaim, timezone: str) -> str:
    """Why a mail is not sent by this run: someone sends or sent it today."""
    from zoneinfo import ZoneInfo

    if claim.sent:
        at = claim.sent_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
        return f"already reminded today by {claim.agent} at {at}; not sent again"
    at = claim.claimed_at.astimezone(ZoneInfo(timezone)).strftime("%H:%M")
    return (f"being sent by {claim.agent} since {at} (another run); not sent again today. "
            "If that run was stopped, check the seller's history before writing to them")


def _entry(row, reason: str, sendable: bool = True) -> dict:
    """A mail not sent: to whom, why, and whether it could have gone out."""
    return {"customer_id": row.customer_id, "to": row.contact_email, "reason": reason,
            "sendable": sendable}


def _e(value: object) -> str:
    return html.escape(str(value if value is not None else ""))
