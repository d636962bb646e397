"""The training walkthrough: the renewal step by step, a real click-through, and a quiz.

The training always runs on the demo customers against the local sandbox, whatever is
configured: a trainee never makes a real Seller Central link signed with the real key.
"""

from __future__ import annotations

import datetime as dt
import html
import secrets
from pathlib import Path

import ipywidgets as widgets

from ..config import load_settings
from ..desk import Desk
from ..folders import training_dir
from ..renewal import CallbackResult, verify_callback
from ..texts import DEFAULT_LANGUAGE, LANGUAGES, text
from ..training import STEPS, Answer, Quiz, TrainingWorld, diagnosis_label
from ..views import render
from .download import download_link
from .panel import Panel, banners
from .section import Section, Sections

TRAINING_CUSTOMER = "C100001"
#: Long answer labels wrap and push the next one down instead of overlapping it.
STYLE = """<style>
.sk-walkthrough .widget-radio, .sk-walkthrough .jupyter-widget-radio {
  width: 100%; flex-wrap: wrap; height: auto; line-height: normal; }
.sk-walkthrough .widget-radio > .widget-label { width: 100%; font-weight: 600; }
.sk-walkthrough .widget-radio-box label {
  height: auto; min-height: var(--jp-widgets-radio-item-height); line-height: 1.35;
  white-space: normal; padding: 3px 0; display: flex; flex-direction: row-reverse;
  justify-content: flex-end; align-items: flex-start; }
.sk-walkthrough .widget-radio-box input { float: none; flex: none; height: 1.35em; }
</style>"""


def training_desk(desk: Desk | None = None) -> Desk:
    """The desk the training uses: demo keys and the sandbox, never the configured Amazon.

    >>> training_desk().demo
    True
    """
    from ..keeper import LocalKeeper

    if desk is not None and desk.demo and isinstance(desk.keeper, LocalKeeper):
        return desk  # (a team's keeper service runs its own sandbox, out of the page's reach)
    world = TrainingWorld()
    return Desk(load_settings({}), world.customers, world.as_of)


class Walkthrough(Panel):
    """Steps with next/back and progress, the consent click-through, and the scenario quiz.

    >>> w = Walkthrough(lang="en", trainee="Ada")
    >>> w.next_button.click(); w.value["step"], w.progress_line.value[:14]
    ('button', '<p class="sk-p')
    """

    def __init__(self, desk: Desk | None = None, lang: str = DEFAULT_LANGUAGE, trainee: str = "",
                 answers_dir: str | Path | None = None):
        self.lang = lang
        super().__init__()
        self.desk = training_desk(desk)
        self.answers_dir = Path(answers_dir) if answers_dir else training_dir()
        self.session = f"{dt.datetime.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"
        self.step = 0
        self.quiz = Quiz(TrainingWorld(self.desk.customers, self.desk.today), lang=lang)
        self.callback_result: CallbackResult | None = None
        self._verified_url = ""

        self.trainee = widgets.Text(value=trainee, style={"description_width": "initial"},
                                    layout=widgets.Layout(width="360px"))
        self.language = widgets.ToggleButtons(options=[(c.upper(), c) for c in LANGUAGES],
                                              value=lang, style={"button_width": "48px"})
        self.progress = widgets.IntProgress(min=1, max=len(STEPS), value=1,
                                            layout=widgets.Layout(width="300px"))
        self.progress_text = widgets.HTML()
        self.step_view = widgets.HTML()
        self.back_button = widgets.Button(icon="arrow-left")
        self.next_button = widgets.Button(icon="arrow-right")
        self.clickthrough_text = widgets.HTML()
        self.consent_link = widgets.HTML()
        self.callback_url = widgets.Text(placeholder="http://127.0.0.1:.../callback?state=...",
                                         layout=widgets.Layout(width="100%"))
        self.verify_button = widgets.Button(icon="check")
        self.callback_view = widgets.HTML()
        self.clickthrough = widgets.VBox([
            self.clickthrough_text, self.consent_link,
            widgets.HBox([self.callback_url, self.verify_button]), self.callback_view])

        self.question_view = widgets.HTML()
        self.diagnosis_choice = widgets.RadioButtons(value=None,
                                                     layout=widgets.Layout(width="100%"))
        self.action_choice = widgets.RadioButtons(value=None,
                                                  layout=widgets.Layout(width="100%"))
        self.answer_button = widgets.Button(icon="check", button_style="primary")
        self.next_question_button = widgets.Button(icon="arrow-right", disabled=True)
        self.feedback_view = widgets.HTML()
        self.score_view = widgets.HTML()
        self.save_button = widgets.Button(icon="save")
        self.files_view = widgets.HTML()
        #: One line that follows the trainee (step, answered, score); the notebook shows it.
        self.progress_line = widgets.HTML()

        self.back_button.on_click(self.guarded(lambda _b: self.go(-1)))
        self.next_button.on_click(self.guarded(lambda _b: self.go(+1)))
        self.verify_button.on_click(self.guarded(lambda _b: self.verify()))
        self.answer_button.on_click(self.guarded(lambda _b: self.submit()))
        self.next_question_button.on_click(self.guarded(lambda _b: self.show_question()))
        self.save_button.on_click(self.guarded(lambda _b: self.save()))
        self.language.observe(self.guarded(lambda c: self.switch_language(c["new"])),
                              names="value")

        self.banner = widgets.VBox(banners(self.desk, lang))
        steps_box = widgets.VBox([
            widgets.HBox([self.progress, self.progress_text]), self.step_view,
            self.clickthrough, widgets.HBox([self.back_button, self.next_button])])
        quiz_box = widgets.VBox([
            self.question_view, self.diagnosis_choice, self.action_choice,
            widgets.HBox([self.answer_button, self.next_question_button]),
            self.feedback_view, self.score_view, widgets.HBox([self.save_button]),
            self.files_view])
        #: The steps, each a notebook cell of its own (the panel shows them all in order).
        self.sections = Sections((section.name, section) for section in (
            Section("walkthrough", "start", None, [
                widgets.HTML(STYLE), self.banner, widgets.HBox([self.trainee, self.language]),
                self.status, self.details]),
            Section("walkthrough", "steps", 1, [steps_box]),
            Section("walkthrough", "quiz", 2, [quiz_box]),
            Section("walkthrough", "progress", 3, [self.progress_line])))
        self.widget = widgets.VBox(self.sections.widgets())
        self.widget.add_class("sk-walkthrough")
        self.guarded(self._label)()
        self.guarded(self.render_step)()
        self.guarded(self.show_question)()

    @property
    def value(self) -> dict:
        """Where the trainee is: the step, the click-through outcome, the quiz answers."""
        return {"step": STEPS[self.step].id, "step_number": self.step + 1,
                "callback": self.callback_result, "answers": list(self.quiz.answers),
                "score": self.quiz.score, "finished": self.quiz.finished}

    # --- language -------------------------------------------------------------------------
    def _label(self) -> None:
        """Every fixed text of the panel in ``self.lang``."""
        lang = self.lang
        self.banner.children = banners(self.desk, lang)
        self.details.set_title(0, text(lang, "ui.details"))
        self.sections.relabel(lang)
        self.trainee.description = text(lang, "training.trainee")
        self.trainee.placeholder = text(lang, "training.trainee_placeholder")
        self.language.description = text(lang, "training.language")
        self.clickthrough_text.value = (
            f"<p>{html.escape(text(lang, 'training.clickthrough'))}</p>")
        for button, key in ((self.back_button, "training.back"),
                            (self.next_button, "training.next"),
                            (self.verify_button, "ui.verify"),
                            (self.answer_button, "training.answer"),
                            (self.next_question_button, "training.next_question"),
                            (self.save_button, "training.save")):
            button.description = text(lang, key)
        for choice, options, key in (
                (self.diagnosis_choice, self.quiz.diagnosis_options(),
                 "training.diagnosis_label"),
                (self.action_choice, self.quiz.action_options(), "training.action_label")):
            kept = choice.value
            choice.options = options
            choice.value = kept
            choice.description = text(lang, key)

    def switch_language(self, lang: str) -> None:
        """Show the whole training in ``lang``; the answers so far are kept."""
        self.lang = self.quiz.lang = lang
        self.quiz.forget_expectations()
        self.consent_link.value = ""
        self._label()
        self.render_step()
        if not self.next_question_button.disabled:  # an answer and its feedback on screen
            self._render_question(len(self.quiz.answers) - 1)
            self._feedback(self.quiz.answers[-1])
        else:
            self.show_question()
        if self.callback_result is not None:  # the same verdict in words of ``lang``
            self.callback_result = verify_callback(self._verified_url, self.desk.customers,
                                                   self.desk.amazon(), lang=lang)
            self.callback_view.value = self.callback_result._repr_html_()

    # --- steps ----------------------------------------------------------------------------
    def go(self, delta: int) -> None:
        self.step = min(max(self.step + delta, 0), len(STEPS) - 1)
        self.render_step()

    def render_step(self) -> None:
        step, lang = STEPS[self.step], self.lang
        self.step_view.value = render("training_step.html", step=step, lang=lang)
        self.progress.value = self.step + 1
        self.progress_text.value = html.escape(text(lang, "training.progress", n=self.step + 1,
                                                    total=len(STEPS)))
        self.back_button.disabled = self.step == 0
        self.next_button.disabled = self.step == len(STEPS) - 1
        self.clickthrough.layout.display = "" if step.clickthrough else "none"
        if step.clickthrough and not self.consent_link.value:
            link = self.desk.link(TRAINING_CUSTOMER, lang)
            url = f"{link.url}&language={lang}"  # the sandbox's page in the trainee's language
            self.consent_link.value = (
                f'<a class="sk-consent-link" href="{html.escape(url)}" target="_blank" '
                f'rel="noopener" style="color:#0b57d0;text-decoration:underline;'
                f'font-weight:600">{html.escape(text(lang, "training.open_consent"))} ↗</a>')
        self._update_progress_line()

    def verify(self) -> CallbackResult:
        """Check the pasted callback and explain the outcome in plain words."""
        self._verified_url = self.callback_url.value
        result = self.desk.verify(self._verified_url, self.lang)
        self.callback_result = result
        self.callback_view.value = result._repr_html_()
        self.say(result.messages[0], "info" if result.ok else "error")
        return result

    # --- quiz -----------------------------------------------------------------------------
    def show_question(self) -> None:
        quiz, lang = self.quiz, self.lang
        self.feedback_view.value = ""
        self.next_question_button.disabled = True
        self._update_progress_line()
        if quiz.finished:
            self.question_view.value = ""
            self.answer_button.disabled = True
            score = text(lang, "training.score", right=quiz.score, total=len(quiz.scenarios))
            self.score_view.value = f'<p class="sk-score"><b>{html.escape(score)}</b></p>'
            return
        self._render_question(quiz.position)
        self.diagnosis_choice.value = None
        self.action_choice.value = None
        self.answer_button.disabled = False

    def _render_question(self, index: int) -> None:
        quiz, lang = self.quiz, self.lang
        scenario = quiz.scenarios[index]
        self.question_view.value = render(
            "training_question.html", scenario=scenario, lang=lang, number=index + 1,
            total=len(quiz.scenarios), prompt=scenario.prompt(quiz.world, lang),
            facts=scenario.evidence(quiz.world, lang))

    def submit(self) -> Answer | None:
        if self.diagnosis_choice.value is None or self.action_choice.value is None:
            self.say(f"{text(self.lang, 'training.diagnosis_label')} + "
                     f"{text(self.lang, 'training.action_label')}?", "error")
            return None
        answer = self.quiz.answer(self.diagnosis_choice.value, self.action_choice.value)
        self._feedback(answer)
        self.answer_button.disabled = True
        self.next_question_button.disabled = False
        self._update_progress_line()
        return answer

    def _feedback(self, answer: Answer) -> None:
        lang, index = self.lang, len(self.quiz.answers) - 1
        _diagnosis, _action, reason, faq = self.quiz.expectation(index)
        verdict = text(lang, "training.correct") if answer.correct else text(
            lang, "training.incorrect", diagnosis=diagnosis_label(answer.expected_diagnosis, lang),
            action=text(lang, f"training.action.{answer.expected_action}"))
        self.feedback_view.value = render("training_feedback.html", answer=answer, lang=lang,
                                          verdict=verdict, reason=reason, faq=faq)
        self.score_view.value = html.escape(text(lang, "training.score", right=self.quiz.score,
                                                 total=len(self.quiz.answers)))

    def _update_progress_line(self) -> None:
        line = text(self.lang, "training.progress_line", n=self.step + 1, total=len(STEPS),
                    answered=len(self.quiz.answers), questions=len(self.quiz.scenarios),
                    right=self.quiz.score)
        self.progress_line.value = f'<p class="sk-progress-line"><b>{html.escape(line)}</b></p>'

    # --- the trainer's copy ---------------------------------------------------------------
    @property
    def answers_path(self) -> Path:
        """This trainee's answers file for this session (a new session, a new file)."""
        name = "".join(c for c in self.trainee.value if c.isalnum() or c in "-_") or "trainee"
        return self.answers_dir / f"{name}-{self.session}.csv"

    def save(self) -> Path:
        path = self.quiz.save(self.answers_path, self.trainee.value.strip())
        self.files_view.value = download_link(path, "answers",
                                              f"{text(self.lang, 'training.download')}: "
                                              f"{path.name}")
        self.say(text(self.lang, "training.saved", path=path.name))
        return path
