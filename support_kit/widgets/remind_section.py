"""The report panel's reminder section: preview the reminders due, then send them with a
progress bar. :mod:`support_kit.remind` decides who is due and does the sending."""

from __future__ import annotations

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
        self.result_view = widgets.HTML()
        self.preview_button.on_click(panel.guarded(lambda _b: self.preview()))
        self.send_button.on_click(panel.guarded(lambda _b: self.send()))
        panel.as_of.observe(lambda _c: self.reset(), names="value")
        self.heading = widgets.HTML()
        self.widget = widgets.VBox([
            self.heading,
            widgets.HBox([self.preview_button, self.send_button, self.progress]),
            self.preview_view, self.result_view])
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
        self.preview_view.value = self.result_view.value = ""
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
        """The preview and the send button in the panel's language."""
        lang, count = self.panel.lang, len(self.plan.sendable)
        self.preview_view.value = self.plan._repr_html_(lang=lang)
        self.send_button.description = (text(lang, "remind.send_one") if count == 1 else
                                        text(lang, "remind.send_n", n=count))

    def send(self) -> SendResult | None:
        """Send the previewed mails to those still due; each is recorded once it went out."""
        if self.plan is None:
            return None
        self.send_button.disabled = True  # one click, one send
        self.progress.value, self.progress.max = 0, max(len(self.plan.sendable), 1)
        self.progress.layout.visibility = "visible"
        self.panel.say(text(self.panel.lang, "remind.sending"), "busy")

        def step(done: int, total: int) -> None:
            self.progress.max = max(total, 1)
            self.progress.value = done

        try:
            self.result = send_reminders(self.panel.desk, self.plan, progress=step,
                                         recheck=True)
        finally:
            self.plan = None  # sent (or refused): a new preview shows who is still due
        lang = self.panel.lang
        self.result_view.value = self.result._repr_html_(lang)
        if self.result.problem:
            self.panel.fail(self.result.problem_text(lang))
        else:
            self.panel.say(self.result.headline(lang))
        return self.result
