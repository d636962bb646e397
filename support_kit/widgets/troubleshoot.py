"""The troubleshooting panel: find the seller, see what is wrong, send the link, confirm."""

from __future__ import annotations

import dataclasses
import datetime as dt
import html
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

import ipywidgets as widgets
import pandas as pd

from ..confirmation import Confirmation
from ..consent_errors import ConsentError, explain
from ..desk import Desk
from ..diagnosis import Diagnosis, from_frame
from ..live_check import LiveResult
from ..renewal import CallbackResult, RenewalLink
from ..replies import ReplyDraft
from ..texts import DEFAULT_LANGUAGE, days_text, format_date, text
from ..views import render
from .panel import Panel, banners
from .section import Section, Sections

#: The steps that act on the customer on screen: shown once one is chosen.
CUSTOMER_STEPS = ("live", "reply", "confirm", "note")


@dataclass
class Case:
    """What the agent has on screen for one customer: the panel's ``.value``."""

    diagnosis: Diagnosis | None = None
    live: LiveResult | None = None
    link: RenewalLink | None = None
    reply: ReplyDraft | None = None
    callback: CallbackResult | None = None
    confirmed: Confirmation | None = None
    consent_error: ConsentError | None = None
    #: the customer's evaluated rows (one per authorization): a language switch formats
    #: them again, it does not evaluate them again
    rows: pd.DataFrame | None = field(default=None, repr=False)


class TroubleshootPanel(Panel):
    """One seller's Amazon connection on one screen.

    >>> panel = TroubleshootPanel(Desk.open(as_of="2026-12-01"), lang="en")
    >>> panel.search.value = "C100005"
    >>> panel.value.diagnosis.state
    'expired'
    """

    def __init__(self, desk: Desk | None = None, customer_id: str = "",
                 lang: str = DEFAULT_LANGUAGE):
        self.lang = lang
        super().__init__()
        self.desk = desk or Desk.open()
        self.case = Case()
        self.language = widgets.ToggleButtons(options=[("DE", "de"), ("EN", "en")], value=lang,
                                              layout=widgets.Layout(width="auto"))
        self.search = widgets.Text(placeholder=text(lang, "ui.search_placeholder"),
                                   description=text(lang, "ui.search"), continuous_update=True,
                                   style={"description_width": "initial"},
                                   layout=widgets.Layout(width="460px"))
        self.suggestions = widgets.Select(options=[], rows=6, layout=widgets.Layout(
            width="460px", display="none"))
        #: Who needs the desk today (:meth:`Desk.worklist`); picking one opens the customer.
        self.worklist_heading = widgets.HTML()
        self.worklist = widgets.Select(options=[], rows=8, layout=widgets.Layout(width="640px"))
        self.worklist.add_class("sk-worklist")
        self.diagnosis_view = widgets.HTML()
        self.live_button = widgets.Button(description=text(lang, "ui.live_check"),
                                          icon="plug", layout=widgets.Layout(width="auto"))
        self.live_view = widgets.HTML()
        self.link_button = widgets.Button(description=text(lang, "ui.renewal_link"),
                                          icon="link", layout=widgets.Layout(width="auto"))
        self.link_view = widgets.HTML()
        self.reply_text = widgets.Textarea(layout=widgets.Layout(width="100%", height="260px"))
        self.mailto_view = widgets.HTML()
        self.callback_url = widgets.Text(placeholder="https://.../callback?state=...",
                                         description=text(lang, "ui.callback"),
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="80%"))
        self.verify_button = widgets.Button(description=text(lang, "ui.verify"), icon="check",
                                            layout=widgets.Layout(width="auto"))
        self.callback_view = widgets.HTML()
        self.consent_code = widgets.Text(placeholder="MD1000, SPDC8143, Invalid Access, ...",
                                         description=text(lang, "ui.consent_code"),
                                         style={"description_width": "initial"},
                                         layout=widgets.Layout(width="60%"))
        self.explain_button = widgets.Button(description=text(lang, "ui.explain"),
                                             icon="question", layout=widgets.Layout(width="auto"))
        self.consent_view = widgets.HTML()
        self.note_text = widgets.Textarea(placeholder=text(lang, "desk.note_placeholder"),
                                          layout=widgets.Layout(width="80%", height="60px"))
        self.contacted = widgets.Checkbox(value=False, description=text(lang, "desk.contacted"),
                                          indent=False, layout=widgets.Layout(width="auto"))
        self.note_button = widgets.Button(description=text(lang, "desk.save_note"),
                                          icon="pencil", layout=widgets.Layout(width="auto"))
        self.timeline_view = widgets.HTML()
        self.reply_heading = widgets.HTML()
        self.guide = widgets.HTML()
        self.banner = widgets.VBox()
        #: The short version for the ticket; follows the customer on screen (the notebook
        #: shows it in its own cell).
        self.ticket = widgets.HTML()
        self.ticket.add_class("sk-ticket")

        self.search.observe(self.guarded(self._on_search), names="value")
        self.suggestions.observe(self.guarded(self._on_pick), names="value")
        self.worklist.observe(self.guarded(self._on_pick), names="value")
        self.language.observe(self.guarded(self._on_language), names="value")
        #: Feedback beside each action's button (the find step keeps the panel's own line).
        self.live_status, self.link_status, self.verify_status, self.note_status, \
            self.consent_status = (self.status_line() for _ in range(5))
        self.live_button.on_click(self.guarded(lambda _b: self.run_live_check(),
                                               self.live_status))
        self.link_button.on_click(self.guarded(lambda _b: self.make_link(), self.link_status))
        self.verify_button.on_click(self.guarded(lambda _b: self.verify(), self.verify_status))
        self.explain_button.on_click(self.guarded(lambda _b: self.explain_code(),
                                                  self.consent_status))
        self.reply_text.observe(self.guarded(lambda _c: self._update_mailto()), names="value")
        self.note_button.on_click(self.guarded(lambda _b: self.save_note(), self.note_status))
        self.refresh_button = widgets.Button(description=text(lang, "ui.refresh"), icon="refresh",
                                             layout=widgets.Layout(width="auto"))
        self.refresh_button.on_click(self.guarded(lambda _b: self.reload()))

        #: The steps, each a notebook cell of its own (the panel shows them all in order).
        self.sections = Sections((section.name, section) for section in (
            Section("troubleshoot", "start", None, [self.banner, self.language, self.guide]),
            Section("troubleshoot", "find", 1, [
                widgets.HBox([self.search, self.refresh_button]), self.suggestions,
                self.status, self.details, self.worklist_heading, self.worklist]),
            Section("troubleshoot", "diagnosis", 2, [self.diagnosis_view]),
            Section("troubleshoot", "live", 3, [self.live_button, self.live_status,
                                                self.live_view]),
            Section("troubleshoot", "reply", 4, [
                self.link_button, self.link_status, self.link_view, self.reply_heading,
                self.reply_text, self.mailto_view]),
            Section("troubleshoot", "confirm", 5, [
                widgets.HBox([self.callback_url, self.verify_button]), self.verify_status,
                self.callback_view]),
            Section("troubleshoot", "note", 6, [
                widgets.HBox([self.note_text, widgets.VBox([self.contacted, self.note_button])]),
                self.note_status, self.timeline_view]),
            Section("troubleshoot", "consent", 7, [
                widgets.HBox([self.consent_code, self.explain_button]), self.consent_status,
                self.consent_view]),
            Section("troubleshoot", "ticket", 8, [self.ticket])))
        for name in CUSTOMER_STEPS:  # headings stay; the controls once a customer is chosen
            self.sections[name].body.layout.display = "none"
        self.attach(self.sections)
        self.widget = widgets.VBox(self.sections.widgets(), layout=widgets.Layout(width="100%"))
        self.widget.add_class("sk-troubleshoot")
        self._label()
        self.guarded(self.show_worklist)()
        if customer_id:
            self.search.value = customer_id

    @property
    def value(self) -> Case:
        return self.case

    # --- finding the customer -------------------------------------------------------------
    def _on_search(self, change: dict) -> None:
        query = change["new"]
        ids = self.desk.search(query) if query.strip() else []
        if query.strip() and not ids:
            self.say(text(self.lang, "ui.not_found", query=query), "error")
        if len(ids) == 1 or (ids and ids[0].lower() == query.strip().lower()):
            self.suggestions.layout.display = "none"
            self.show(ids[0])
            return
        self.suggestions.options = [(self.desk.label(i), i) for i in ids]
        self.suggestions.value = None
        self.suggestions.layout.display = "" if ids else "none"
        if ids:
            self.say(text(self.lang, "ui.pick"))

    _picking = False

    def _on_pick(self, change: dict) -> None:
        if change["new"] and not self._picking:
            self.show(change["new"])

    def show_worklist(self) -> None:
        """List who needs the desk today, most urgent first, in the page's language."""
        from ..report.followup import QUIET_DAYS, STOPPED_WITHIN_DAYS

        lang, rows = self.lang, self.desk.worklist()
        options = []
        for row in rows.itertuples():
            stopped = row.state in ("expired", "revoked")
            when = text(lang, "desk.worklist_stopped" if stopped else "desk.worklist_expiring",
                        date=format_date((row.stopped_since if stopped else row.expires_on)
                                         .date(), lang))
            options.append((f"{row.customer_id} · {row.shop_name} · "
                            f"{text(lang, f'state.{row.state}.label')} · {when}",
                            row.customer_id))
        key = "desk.worklist" if options else "desk.worklist_empty"
        heading = text(lang, key, n=len(options), stopped=STOPPED_WITHIN_DAYS, quiet=QUIET_DAYS)
        self.worklist_heading.value = f'<b class="sk-worklist-head">{html.escape(heading)}</b>'
        self._picking = True  # new options: no customer opened by this
        try:
            self.worklist.options = options
            self.worklist.value = None
        finally:
            self._picking = False
        self.worklist.layout.display = "" if options else "none"

    def _label(self) -> None:
        """The texts of the panel that do not depend on the customer, in ``self.lang``."""
        self.banner.children = banners(self.desk, self.lang)
        self.guide.value = render("troubleshoot_guide.html", lang=self.lang)
        self.sections.relabel(self.lang)
        self.reply_heading.value = (f"<b>{html.escape(text(self.lang, 'ui.reply_draft'))}</b> "
                                    f"<small>({html.escape(text(self.lang, 'ui.reply_note'))})"
                                    f"</small>")
        self.details.set_title(0, text(self.lang, "ui.details"))
        self._update_ticket()

    def _on_language(self, change: dict) -> None:
        self.lang = change["new"]
        self._label()
        for control, key in ((self.search, "ui.search"), (self.live_button, "ui.live_check"),
                             (self.link_button, "ui.renewal_link"),
                             (self.callback_url, "ui.callback"),
                             (self.verify_button, "ui.verify"),
                             (self.consent_code, "ui.consent_code"),
                             (self.explain_button, "ui.explain"),
                             (self.contacted, "desk.contacted"),
                             (self.note_button, "desk.save_note"),
                             (self.refresh_button, "ui.refresh")):
            control.description = text(self.lang, key)
        self.note_text.placeholder = text(self.lang, "desk.note_placeholder")
        self.search.placeholder = text(self.lang, "ui.search_placeholder")
        self.show_worklist()
        self._show_case()

    def _show_case(self) -> None:
        """The case on screen in the page's language: what was found and done is kept (ids
        and evaluated rows) and only shown again; the agent's reply edits and note stay."""
        case = self.case
        if case.diagnosis is None:
            return
        case.diagnosis = from_frame(case.rows, self.desk.today, self.lang)
        self.diagnosis_view.value = case.diagnosis._repr_html_()
        if case.live is not None:
            self.live_view.value = case.live.html(self.lang)
        if case.link is not None:
            self.link_view.value = render("copy_link.html", link=case.link,
                                          copy=text(self.lang, "ui.copy"))
        if case.callback is not None:
            self.callback_view.value = case.callback._repr_html_() + (
                case.confirmed._repr_html_(self.lang) if case.confirmed else "")
        elif not case.diagnosis.link_allowed:
            self._show_no_link()
        if case.consent_error is not None:
            self.explain_code()
        for view in (self.live_status, self.link_status, self.verify_status, self.note_status):
            view.value = ""  # feedback on a press, said in the language of the press
        self._update_mailto()
        self.show_history()
        self._update_ticket()
        self.say(f"{case.diagnosis.customer_id}: {case.diagnosis.situation_label}",
                 at=self.status)

    def reshow(self) -> None:
        """Show the customer on screen again from the desk (a renewal, a refresh): every
        part follows at once; what the agent did here stays."""
        if self.case.diagnosis is None:
            return
        kept = self.case
        self.show(kept.diagnosis.customer_id)
        if kept.live is not None:  # what the agent did stays, in the new language
            self.case.live = kept.live
            self.live_view.value = kept.live.html(self.lang)
        if kept.callback is not None:
            self.case.callback, self.case.confirmed = kept.callback, kept.confirmed
            self.callback_view.value = kept.callback._repr_html_() + (
                kept.confirmed._repr_html_(self.lang) if kept.confirmed else "")
        if kept.link is not None and self.case.diagnosis.link_allowed and (
                kept.confirmed is None or not kept.confirmed.ok):
            self._show_link(kept.link)
        self._update_ticket()

    def reload(self) -> None:
        """Everything as the store holds it now: renewals, notes and contacts of every agent
        and the terminal, and the customer file if it changed (the refresh button; a
        preheated page when it is opened)."""
        self.desk.reload()
        self.show_worklist()
        self.reshow()
        now = dt.datetime.now(ZoneInfo(self.desk.settings.timezone))
        self.say(text(self.lang, "ui.refreshed", time=now.strftime("%H:%M")))

    def show(self, customer_id: str) -> Case:
        """Diagnose ``customer_id`` and show it; clears what belonged to the previous one."""
        rows = self.desk.authorizations(customer_id)
        diagnosis = from_frame(rows, self.desk.today, self.lang)
        self.case = Case(diagnosis=diagnosis, rows=rows)
        self.diagnosis_view.value = diagnosis._repr_html_()
        for view in (self.live_view, self.link_view, self.callback_view, self.mailto_view,
                     self.live_status, self.link_status, self.verify_status, self.note_status):
            view.value = ""
        self.link_button.disabled = not diagnosis.link_allowed  # the rules say why not:
        if not diagnosis.link_allowed:
            self._show_no_link()
        self.callback_url.value = ""  # a callback belongs to one customer only
        self.note_text.value, self.contacted.value = "", False
        self.reply_text.value = self.desk.reply(customer_id, None, rows).body
        self._update_mailto()  # also when the reply text is the same as before
        self.show_history()
        self._update_ticket()
        for name in CUSTOMER_STEPS:
            self.sections[name].body.layout.display = ""
        self.say(f"{diagnosis.customer_id}: {diagnosis.situation_label}", at=self.status)
        return self.case

    def _show_no_link(self) -> None:
        """Why the rules allow no link for the customer on screen, beside the button."""
        diagnosis = self.case.diagnosis
        self.link_view.value = (
            '<div class="sk-no-link" style="color:#b71c1c;font-weight:600">'
            + html.escape(text(self.lang, f"situation.{diagnosis.situation}.no_link",
                               customer_id=diagnosis.customer_id)) + "</div>")

    def _require_customer(self) -> str:
        if self.case.diagnosis is None:
            from ..errors import SupportKitError

            raise SupportKitError(text(self.lang, "ui.pick"))
        return self.case.diagnosis.customer_id

    # --- actions --------------------------------------------------------------------------
    def run_live_check(self) -> LiveResult:
        customer_id = self._require_customer()
        self.say("…", "busy")
        result = self.desk.live_check(customer_id)
        self.case.live = result
        self.live_view.value = result.html(self.lang)
        self.show_history()
        self._update_ticket()
        self.say(f"{customer_id}: {result.label(self.lang)}",
                 "info" if result.live_state in ("alive", "no_token") else "error")
        return result

    def make_link(self) -> RenewalLink:
        customer_id = self._require_customer()
        link = self.desk.link(customer_id, message_lang=self.lang)
        self._show_link(link)
        self.show_history()
        self.say(f"{customer_id}: {text(self.lang, 'ui.renewal_link')} ✓")
        return link

    def _show_link(self, link: RenewalLink) -> None:
        self.case.link = link
        self.case.reply = self.desk.reply(link.customer_id, link, self.case.rows)
        self.link_view.value = render("copy_link.html", link=link,
                                      copy=text(self.lang, "ui.copy"))
        self.reply_text.value = self.case.reply.body
        self._update_mailto()
        self._update_ticket()

    def _update_ticket(self) -> None:
        summary = ticket_text(self.case, self.lang)
        self.ticket.value = render("ticket.html", summary=summary, lang=self.lang,
                                   customer_id=self.case.diagnosis.customer_id
                                   if self.case.diagnosis else "")

    def _update_mailto(self) -> None:
        if self.case.diagnosis is None:
            return
        base = self.case.reply or self.desk.reply(self.case.diagnosis.customer_id, None,
                                                  self.case.rows)
        draft = dataclasses.replace(base, body=self.reply_text.value)  # the agent's edits
        self.case.reply = draft
        self.mailto_view.value = (f'<a class="sk-mailto" href="{html.escape(draft.mailto)}">'
                                  f'{html.escape(text(self.lang, "ui.send_mail"))}: '
                                  f'{html.escape(draft.to)}</a>')

    def explain_code(self) -> ConsentError:
        """Explain the consent-page error code the seller's screenshot shows: cause and
        remedy in the page's language, what to tell the seller in the seller's."""
        self.consent_view.value = ""
        seller = self.case.diagnosis.customer_language if self.case.diagnosis else None
        explained = explain(self.consent_code.value, self.lang, seller)
        self.case.consent_error = explained
        self.consent_view.value = explained._repr_html_()
        self.say(f"{explained.code}: {explained.title}")
        return explained

    def verify(self) -> CallbackResult:
        """Verify the pasted callback for the customer on screen; if it is theirs, exchange
        the code once and keep the token (another customer's callback: nothing exchanged)."""
        customer_id = self._require_customer()
        result = self.desk.verify(self.callback_url.value, self.lang, customer_id=customer_id)
        self.case.callback, self.case.confirmed = result, None
        view = result._repr_html_()
        ok = result.ok
        if result.ok:
            confirmed = self.desk.confirm(result, self.lang)
            self.case.confirmed = confirmed
            view += confirmed._repr_html_(self.lang)
            ok = confirmed.ok
        self.callback_view.value = view
        self.reshow()  # state, badge, next step, reply, ticket, timeline: all renewed
        message = self.case.confirmed.message if self.case.confirmed else result.messages[0]
        self.say(message, "info" if ok else "error")
        self.show_history()
        return result

    # --- the desk's memory ----------------------------------------------------------------
    def show_history(self) -> None:
        """Show the customer's timeline (newest first)."""
        if self.case.diagnosis is not None:
            customer_id = self.case.diagnosis.customer_id
            self.timeline_view.value = self.desk.history(customer_id, self.lang)._repr_html_()

    def save_note(self) -> None:
        """Keep the note (as ``contacted`` when ticked) and show it in the timeline."""
        customer_id = self._require_customer()
        self.desk.note(customer_id, self.note_text.value, self.contacted.value, self.lang)
        self.note_text.value, self.contacted.value = "", False
        self.show_history()
        self.show_worklist()  # a contacted seller leaves the list
        self.say(text(self.lang, "desk.note_saved"))


def ticket_text(case: Case, lang: str) -> str:
    """The short version of the case on screen, to paste into the ticket.

    >>> panel = TroubleshootPanel(Desk.open(as_of="2026-12-01"), "C100005", lang="en")
    >>> print(ticket_text(panel.value, "en").splitlines()[1])
    State: Expired – 40 days overdue (expires on 22 October 2026)
    """
    d = case.diagnosis
    if d is None:
        return ""
    none = text(lang, "none")
    lines = [" · ".join(v for v in (d.customer_id, d.shop_name, d.seller_id, d.marketplace) if v),
             f"{text(lang, 'ui.state')}: {d.situation_label or d.state_label}"
             + (f" – {days_text(d.days_left, lang)} ({text(lang, 'ui.expires_on').lower()} "
                f"{format_date(d.expires_on, lang)})" if d.expires_on else ""),
             f"{text(lang, 'ui.stopped')}: "
             + (", ".join(c.text for c in d.consequences) + f" {d.consequences[0].since_text}"
                if d.consequences else none),
             f"{text(lang, 'ui.findings')}: " + (", ".join(f.title for f in d.findings) or none)]
    if d.next_step:
        lines.append(f"{text(lang, 'ui.next_step')}: {d.next_step}")
    if case.live is not None:
        lines.append(f"{text(lang, 'ui.live_check')}: {case.live.label(lang)}")
    if case.link is not None:
        lines.append(text(lang, "ticket.link_made",
                          date=format_date(case.link.state_expires_at.date(), lang)))
    if case.confirmed is not None:
        lines.append(f"{text(lang, 'ui.callback_result')}: {case.confirmed.message}")
    elif case.callback is not None:
        lines.append(f"{text(lang, 'ui.callback_result')}: {case.callback.messages[0]}")
    return "\n".join(lines)
