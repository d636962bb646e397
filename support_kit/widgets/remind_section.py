"""The report panel's reminder section: preview the reminders due, then send them with a
progress bar. :mod:`support_kit.remind` decides who is due and does the sending."""

from __future__ import annotations

import dataclasses
import html

import ipywidgets as widgets

from ..remind import ReminderPlan, SendResult, plan_reminders, send_reminders
from ..report.followup import QUIET_DAYS, STOPPED_WITHIN_DAYS
from ..texts import text


class RemindSection:
    """Preview, then Send (with a progress bar); results stay on the panel.

    ``panel`` is the report panel: its desk, its day (``as_of``) and its status line.
    A new day drops the preview: its mails were for another day.
    """

    def __init__(self, panel):
        self.panel = panel
        self.plan: ReminderPlan | None = None
        self.result: SendResult | None = None
        self.preview_button = widgets.Button(icon="envelope",
                                             layout=widgets.Layout(width="auto"))
        self.send_button = widgets.Button(icon="paper-plane",
                                          button_style="warning", disabled=True,
                                          layout=widgets.Layout(width="auto"))
        self.progress = widgets.IntProgress(min=0, max=1,
                                            layout=widgets.Layout(width="300px",
                                                                  visibility="hidden"))
        self.preview_view = widgets.HTML()
        #: Sellers the lead leaves out of this send (picked from the preview).
        self.leave_out = widgets.SelectMultiple(options=[], rows=6, style={
            "description_width": "initial"}, layout=widgets.Layout(width="640px",
                                                                   display="none"))
        self.leave_out.observe(panel.guarded(lambda _c: self._count_button()), names="value")
        #: Each mail's subject, opening to its body, in the seller's language.
        self.mails_view = widgets.HTML()
        self.result_view = widgets.HTML()
        self.left_out: list[str] = []
        self.preview_button.on_click(panel.guarded(lambda _b: self.preview()))
        self.send_button.on_click(panel.guarded(lambda _b: self.send()))
        panel.as_of.observe(lambda _c: self.reset(), names="value")
        self.heading = widgets.HTML()
        self.widget = widgets.VBox([
            self.heading,
            widgets.HBox([self.preview_button, self.send_button, self.progress]),
            self.preview_view, self.leave_out, self.mails_view, self.result_view])
        self.widget.add_class("sk-remind")
        self.relabel()

    def relabel(self) -> None:
        """The section's labels in the panel's language (the panel calls it on a switch)."""
        lang = self.panel.lang
        self.heading.value = text(lang, "remind.heading", stopped=STOPPED_WITHIN_DAYS,
                                  quiet=QUIET_DAYS)
        self.preview_button.description = text(lang, "remind.preview")
        self.progress.description = text(lang, "remind.sent")
        if self.plan is None:
            self.send_button.description = text(lang, "remind.send")
        else:  # the preview on screen, in the new language (nothing planned again)
            self._show_plan()
        if self.result is not None:
            self.result_view.value = self.result._repr_html_(lang)

    def reset(self) -> None:
        self.plan = None
        self.preview_view.value = self.result_view.value = self.mails_view.value = ""
        self.leave_out.options, self.leave_out.layout.display = [], "none"
        self.send_button.disabled = True
        self.send_button.description = text(self.panel.lang, "remind.send")

    def preview(self) -> ReminderPlan:
        """Who would get which mail as of the panel's day (nothing sent or recorded)."""
        self.reset()
        self.panel.say(text(self.panel.lang, "remind.finding"), "busy")
        self.plan = plan_reminders(self.panel.desk, self.panel.as_of.value or None)
        self._show_plan()
        self.send_button.disabled = len(self.plan.sendable) == 0 or bool(self.plan.missing())
        self.panel.say(self.plan.headline(self.panel.lang))
        return self.plan

    def _show_plan(self) -> None:
        """The preview, each mail (subject, then body), who may be left out and the send
        button, in the panel's language."""
        lang, mails = self.panel.lang, self.plan.sendable
        self.preview_view.value = self.plan._repr_html_(lang=lang)
        kept = self.leave_out.value
        self.leave_out.options = [(f"{r.customer_id} · {r.contact_email}", r.customer_id)
                                  for r in mails.itertuples()]
        self.leave_out.value = tuple(v for v in kept if v in set(mails["customer_id"]))
        self.leave_out.description = text(lang, "remind.leave_out")
        self.leave_out.layout.display = "" if len(mails) else "none"
        shown = "".join(
            f'<details class="sk-mail" data-customer-id="{html.escape(r.customer_id)}">'
            f"<summary>{html.escape(r.customer_id)} · {html.escape(r.contact_email)} · "
            f"<b>{html.escape(r.subject)}</b></summary><pre style='white-space:pre-wrap;"
            f"font-size:12px'>{html.escape(r.body)}</pre></details>"
            for r in mails.head(200).itertuples())
        self.mails_view.value = (f"<p><b>{html.escape(text(lang, 'remind.mails_title'))}</b>"
                                 f"</p>{shown}" if shown else "")
        self._count_button()

    def _count_button(self) -> None:
        if self.plan is None:
            return
        lang = self.panel.lang
        count = len(self.plan.sendable) - len(self.leave_out.value)
        self.send_button.description = (text(lang, "remind.send_one") if count == 1 else
                                        text(lang, "remind.send_n", n=count))
        self.send_button.disabled = count <= 0 or bool(self.plan.missing())

    def send(self) -> SendResult | None:
        """Send the previewed mails to those still due; each is recorded once it went out."""
        if self.plan is None:
            return None
        self.left_out = list(self.leave_out.value)
        plan = dataclasses.replace(self.plan, mails=self.plan.mails[
            ~self.plan.mails["customer_id"].isin(self.left_out)])
        self.send_button.disabled = True  # one click, one send
        self.progress.value, self.progress.max = 0, max(len(self.plan.sendable), 1)
        self.progress.layout.visibility = "visible"
        self.panel.say(text(self.panel.lang, "remind.sending"), "busy")

        def step(done: int, total: int) -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done

        try:
            self.result = send_reminders(self.panel.desk, plan, progress=step, recheck=True)
        finally:
            self.plan = None  # sent (or refused): a new preview shows who is still due
        lang, result = self.panel.lang, self.result
        refused = len([m for m in result.not_sent if m.get("sendable")])
        self.mails_view.value = ""
        self.leave_out.options, self.leave_out.layout.display = [], "none"
        if result.problem:
            self.panel.fail(result.problem_text(lang))
        else:
            self.panel.say(result.headline(lang))
        counts = text(lang, "remind.counts", sent=len(result.sent), refused=refused,
                      left_out=len(self.left_out))
        self.result_view.value = (f'<p class="sk-remind-counts"><b>{html.escape(counts)}</b>'
                                  f"</p>{result._repr_html_(lang)}")
        # the list follows: who is still due now (the left out, a newly due seller)
        self.plan = plan_reminders(self.panel.desk, self.panel.as_of.value or None)
        self._show_plan()
        return result
