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
from .control_chars import for_list
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
from .texts import format_date, text

#: The plan's columns: the mail merge's, the seller id for the event, and why a row cannot
#: be sent ("" when it can).
COLUMNS = ("customer_id", "seller_id", "contact_email", "language", "subject", "body",
           "renewal_link", "problem")
NO_ADDRESS = text("en", "remind.no_address")  # the ``problem`` column (ids and CSV: English)


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
                "not_sendable": [_public(_entry(r, _problem(r.problem), sendable=False))
                                 for r in self.skipped.itertuples()]}

    def headline(self, lang: str = "en") -> str:
        """Who is due, in ``lang`` (the command: English; the page: its language)."""
        day = self.as_of.isoformat() if lang == "en" else format_date(self.as_of, lang)
        return (text(lang, "remind.headline", as_of=day, n=len(self.sendable),
                     stopped=self.stopped_within, quiet=self.quiet_days)
                + (text(lang, "remind.without_address", n=len(self.skipped))
                   if len(self.skipped) else "") + ".")

    def where(self, lang: str = "en") -> str:
        """Where the mails would go, and what sending still needs."""
        said = (text(lang, "remind.goes_through", sender=self.mail_from, server=self.server)
                if not self.missing() else
                text(lang, "remind.needs", settings=text(lang, "remind.and").join(
                    self.missing())))
        if len(self.sendable) and not self.sendable["renewal_link"].astype(bool).any():
            said += " " + text(lang, "remind.no_links", prefix=PREFIX)
        return said

    def missing(self) -> list[str]:
        return [PREFIX + name for name, value in (("SMTP_URL", self.server),
                                                  ("MAIL_FROM", self.mail_from)) if not value]

    def __str__(self) -> str:
        lines = [self.headline(), self.where()]
        for r in self.sendable.itertuples():
            link = "with link" if r.renewal_link else "no link"
            lines.append(f"{for_list(r.customer_id):<12} {r.language}  "
                         f"{for_list(r.contact_email):<32} {link:<9} {for_list(r.subject)}")
        lines += [f"{for_list(r.customer_id):<12} not sendable: {r.problem}"
                  for r in self.skipped.itertuples()]
        return "\n".join(lines)

    def _repr_html_(self, limit: int = 200, lang: str = "en") -> str:
        """The preview in ``lang`` (the mails themselves are in each seller's language)."""
        rows = "".join(
            f"<tr><td>{_e(r.customer_id)}</td><td>{_e(r.contact_email)}</td>"
            f"<td>{_e(r.language)}</td><td>{_e(r.subject)}</td>"
            f"<td>{'✓' if r.renewal_link else '–'}</td>"
            f"<td>{_e(_reason({'why': _problem(r.problem)}, lang) if r.problem else '')}"
            "</td></tr>" for r in self.mails.head(limit).itertuples())
        shown = text(lang, "remind.shown_of", limit=limit, total=len(self))
        more = f"<p class='sk-more'>{_e(shown)}</p>" if len(self) > limit else ""
        heads = "".join(f"<th>{_e(text(lang, f'remind.column.{c}'))}</th>" for c in (
            "customer_id", "to", "language", "subject", "link", "problem"))
        return (f"<p class='sk-remind-head'>{_e(self.headline(lang))} {_e(self.where(lang))}"
                "</p><table class='sk-table sk-remind-preview' style='border-collapse:collapse;"
                f"font-size:12px'><tr>{heads}</tr>{rows}</table>{more}")


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

    #: Why sending stopped, as a catalogue key and its fields (:meth:`problem_text`).
    problem_why: tuple[str, dict] | None = None

    def to_dict(self) -> dict:
        return {"as_of": self.as_of.isoformat(), "dry_run": False, "sent": self.sent,
                "not_sent": [_public(m) for m in self.not_sent], "problem": self.problem}

    def stop(self, key: str, **fields: object) -> None:
        """Sending stopped or a mail was refused: ``problem`` says why (in English for the
        command and JSON; :meth:`problem_text` in the page's language)."""
        self.problem_why = (f"remind.{key}", fields)
        self.problem = text("en", f"remind.{key}", **fields)

    def problem_text(self, lang: str = "en") -> str | None:
        if self.problem_why is None:
            return self.problem
        key, fields = self.problem_why
        return text(lang, key, **fields)

    def headline(self, lang: str = "en") -> str:
        total = len(self.sent) + len([m for m in self.not_sent if m["sendable"]])
        return (text(lang, "remind.result_headline", sent=len(self.sent), total=total)
                + ("" if self.ok else text(lang, "remind.result_not_recorded"))
                + (text(lang, "remind.result_elsewhere", n=self.elsewhere)
                   if self.elsewhere else "") + ".")

    def __str__(self) -> str:
        lines = [f"sent {for_list(m['customer_id']):<12} {m['language']}  {for_list(m['to'])}"
                 for m in self.sent]
        lines += [f"not sent {for_list(m['customer_id']):<8} {for_list(m['to'])}: "
                  f"{for_list(m['reason'])}" for m in self.not_sent]
        return "\n".join([*lines, self.headline()])

    def _repr_html_(self, lang: str = "en") -> str:
        items = "".join(f"<li>{_e(m['customer_id'])} · {_e(m['to'])}: "
                        f"{_e(_reason(m, lang))}</li>" for m in self.not_sent)
        return (f"<p class='sk-remind-result'>{_e(self.headline(lang))}</p>"
                + (f"<p class='sk-remind-problem'>{_e(self.problem_text(lang))}</p>"
                   if self.problem else "")
                + (f"<ul class='sk-remind-not-sent'>{items}</ul>" if items else ""))


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
    elif settings.keeper_url:  # a team's desk: the keeper sends, with its mail server
        server = desk.keeper.whoami().get("mail_server")
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
    if desk.settings.keeper_url:  # a team's desk: the keeper holds the mail server's password
        return _sent_by_keeper(desk, plan, progress, recheck)
    server = mail_server(desk.settings)  # a clear error naming a missing setting
    mail_from = sender(desk.settings.mail_from or "")
    check_sendable(plan.as_of, plan.quiet_days, desk.settings.timezone)
    mails = plan.sendable
    if recheck:
        fresh = plan_reminders(desk, plan.as_of, plan.stopped_within, plan.quiet_days)
        mails = mails[mails["customer_id"].isin(fresh.sendable["customer_id"])]
    result = SendResult(plan.as_of, not_sent=[_entry(r, _problem(r.problem), sendable=False)
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
                    result.not_sent.append(_entry(r, ("refused", {"error": str(exc)})))
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
        result.not_sent += [_entry(r, ("server_stopped", {})) for r in pending]
        result.stop("problem_server", error=str(exc), sent=len(result.sent), total=total)
        return result
    if refused:
        result.stop("problem_refused", refused=refused, total=total)
    return result


def _sent_by_keeper(desk: Desk, plan: ReminderPlan, progress: Callable[[int, int], None],
                    recheck: bool) -> SendResult:
    """The keeper plans again and sends the previewed mails still due (none other), each
    claimed and recorded there under the hub's name for this agent."""
    ids = plan.mails["customer_id"].tolist()
    progress(0, len(plan.sendable))
    data = desk.keeper.send_reminders(plan.as_of, plan.stopped_within, plan.quiet_days, ids,
                                      recheck)
    result = SendResult(plan.as_of, data["sent"], data["not_sent"], data["problem"],
                        data["elsewhere"])
    result.problem_why = tuple(data["problem_why"]) if data["problem_why"] else None
    progress(len(plan.sendable), len(plan.sendable))
    return result


def result_dict(result: SendResult) -> dict:
    """Everything of a send, for the keeper's answer (:func:`_sent_by_keeper` reads it)."""
    return {"as_of": result.as_of.isoformat(), "sent": result.sent,
            "not_sent": result.not_sent, "problem": result.problem,
            "elsewhere": result.elsewhere, "problem_why": result.problem_why}


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


def _held(claim: SendClaim, timezone: str) -> tuple[str, dict]:
    """Why a mail is not sent by this run: someone sends or sent it today."""
    if claim.sent:
        return "held_sent", {"agent": claim.agent,
                             "at": claim.sent_at.astimezone(dates.zone(timezone))
                             .strftime("%H:%M")}
    return "held_claimed", {"agent": claim.agent,
                            "at": claim.claimed_at.astimezone(dates.zone(timezone))
                            .strftime("%H:%M")}


def _problem(problem: str) -> tuple[str, dict]:
    """The catalogue key of a planned mail's problem."""
    return ("no_address", {}) if problem == NO_ADDRESS else ("as_said", {"text": problem})


def _entry(row, why: tuple[str, dict], sendable: bool = True) -> dict:
    """A mail not sent: to whom, why (English ``reason``; ``why`` for other languages), and
    whether it could have gone out."""
    key, fields = why
    return {"customer_id": row.customer_id, "to": row.contact_email,
            "reason": _reason({"why": why}, "en"), "sendable": sendable, "why": (key, fields)}


def _reason(entry: dict, lang: str) -> str:
    key, fields = entry["why"]
    return fields["text"] if key == "as_said" else text(lang, f"remind.{key}", **fields)


def _public(entry: dict) -> dict:
    """An entry as the JSON shows it (the reason in words, without its catalogue key)."""
    return {k: v for k, v in entry.items() if k != "why"}


def _e(value: object) -> str:
    return html.escape(str(value if value is not None else ""))
