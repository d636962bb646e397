"""The training walkthrough: the renewal step by step, a real click-through, and a quiz."""

from __future__ import annotations

import html
from pathlib import Path

import ipywidgets as widgets

from ..desk import Desk
from ..renewal import CallbackResult
from ..texts import text
from ..training import STEPS, Answer, Quiz, TrainingWorld, diagnosis_label
from ..views import render
from .panel import Panel, banners

TRAINING_CUSTOMER = "C100001"


class Walkthrough(Panel):
    """Steps with next/back and progress, the consent click-through, and the scenario quiz.

    >>> w = Walkthrough(lang="en", trainee="Ada")
    >>> w.next_button.click(); w.value["step"]
    'button'
    """

    def __init__(self, desk: Desk | None = None, lang: str = "de", trainee: str = "",
                 answers_dir: str | Path = "training-answers"):
        self.lang = lang
        super().__init__()
        self.desk = desk or Desk.open(as_of=TrainingWorld().as_of)
        self.trainee = trainee
        self.answers_dir = Path(answers_dir)
        self.step = 0
        self.quiz = Quiz(TrainingWorld(self.desk.customers, self.desk.today), lang=lang)
        self.callback_result: CallbackResult | None = None

        self.progress = widgets.IntProgress(min=1, max=len(STEPS), value=1,
                                            layout=widgets.Layout(width="300px"))
        self.progress_text = widgets.HTML()
        self.step_view = widgets.HTML()
        self.back_button = widgets.Button(description=text(lang, "training.back"),
                                          icon="arrow-left")
        self.next_button = widgets.Button(description=text(lang, "training.next"),
                                          icon="arrow-right")
        self.consent_link = widgets.HTML()
        self.callback_url = widgets.Text(placeholder="http://127.0.0.1:.../callback?state=...",
                                         layout=widgets.Layout(width="100%"))
        self.verify_button = widgets.Button(description=text(lang, "ui.verify"), icon="check")
        self.callback_view = widgets.HTML()
        self.clickthrough = widgets.VBox([
            widgets.HTML(f"<p>{html.escape(text(lang, 'training.clickthrough'))}</p>"),
            self.consent_link, widgets.HBox([self.callback_url, self.verify_button]),
            self.callback_view])

        self.question_view = widgets.HTML()
        self.diagnosis_choice = widgets.RadioButtons(
            options=self.quiz.diagnosis_options(), value=None,
            description=text(lang, "training.diagnosis_label"),
            style={"description_width": "initial"})
        self.action_choice = widgets.RadioButtons(
            options=self.quiz.action_options(), value=None,
            description=text(lang, "training.action_label"),
            style={"description_width": "initial"})
        self.answer_button = widgets.Button(description=text(lang, "training.answer"),
                                            icon="check", button_style="primary")
        self.next_question_button = widgets.Button(
            description=text(lang, "training.next_question"), icon="arrow-right",
            disabled=True)
        self.feedback_view = widgets.HTML()
        self.score_view = widgets.HTML()
        self.save_button = widgets.Button(description=text(lang, "training.save"),
                                          icon="save")

        self.back_button.on_click(self.guarded(lambda _b: self.go(-1)))
        self.next_button.on_click(self.guarded(lambda _b: self.go(+1)))
        self.verify_button.on_click(self.guarded(lambda _b: self.verify()))
        self.answer_button.on_click(self.guarded(lambda _b: self.submit()))
        self.next_question_button.on_click(self.guarded(lambda _b: self.show_question()))
        self.save_button.on_click(self.guarded(lambda _b: self.save()))

        top = banners(self.desk, lang)
        steps_box = widgets.VBox([
            widgets.HTML(f"<h3>{html.escape(text(lang, 'training.title'))}</h3>"),
            widgets.HBox([self.progress, self.progress_text]), self.step_view,
            self.clickthrough, widgets.HBox([self.back_button, self.next_button])])
        quiz_box = widgets.VBox([
            widgets.HTML(f"<h3>{html.escape(text(lang, 'training.quiz'))}</h3>"),
            self.question_view, widgets.HBox([self.diagnosis_choice, self.action_choice]),
            widgets.HBox([self.answer_button, self.next_question_button]),
            self.feedback_view, self.score_view, self.save_button])
        self.widget = widgets.VBox(top + [self.status, self.details, steps_box, quiz_box])
        self.widget.add_class("sk-walkthrough")
        self.guarded(self.render_step)()
        self.guarded(self.show_question)()

    @property
    def value(self) -> dict:
        """Where the trainee is: the step, the click-through outcome, the quiz answers."""
        return {"step": STEPS[self.step].id, "step_number": self.step + 1,
                "callback": self.callback_result, "answers": list(self.quiz.answers),
                "score": self.quiz.score, "finished": self.quiz.finished}

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
            self.consent_link.value = (
                f'<a class="sk-consent-link" href="{html.escape(link.url)}" target="_blank" '
                f'rel="noopener">{html.escape(text(lang, "training.open_consent"))}</a>')

    def verify(self) -> CallbackResult:
        """Check the pasted callback and explain the outcome in plain words."""
        result = self.desk.verify(self.callback_url.value, self.lang)
        self.callback_result = result
        self.callback_view.value = result._repr_html_()
        self.say(result.messages[0], "info" if result.ok else "error")
        return result

    # --- quiz -----------------------------------------------------------------------------
    def show_question(self) -> None:
        quiz, lang = self.quiz, self.lang
        self.feedback_view.value = ""
        self.next_question_button.disabled = True
        if quiz.finished:
            self.question_view.value = ""
            self.answer_button.disabled = True
            score = text(lang, "training.score", right=quiz.score, total=len(quiz.scenarios))
            self.score_view.value = f'<p class="sk-score"><b>{html.escape(score)}</b></p>'
            return
        scenario = quiz.scenarios[quiz.position]
        self.question_view.value = render(
            "training_question.html", scenario=scenario, lang=lang, number=quiz.position + 1,
            total=len(quiz.scenarios), prompt=scenario.prompt(quiz.world, lang))
        self.diagnosis_choice.value = None
        self.action_choice.value = None
        self.answer_button.disabled = False

    def submit(self) -> Answer | None:
        if self.diagnosis_choice.value is None or self.action_choice.value is None:
            self.say(f"{text(self.lang, 'training.diagnosis_label')} + "
                     f"{text(self.lang, 'training.action_label')}?", "error")
            return None
        index = self.quiz.position
        answer = self.quiz.answer(self.diagnosis_choice.value, self.action_choice.value)
        _diagnosis, _action, reason, faq = self.quiz.expectation(index)
        lang = self.lang
        verdict = text(lang, "training.correct" if answer.correct else "training.incorrect")
        expected = text(lang, "training.expected",
                        diagnosis=diagnosis_label(answer.expected_diagnosis, lang),
                        action=text(lang, f"training.action.{answer.expected_action}"))
        self.feedback_view.value = render("training_feedback.html", answer=answer, lang=lang,
                                          verdict=verdict, expected=expected, reason=reason,
                                          faq=faq)
        self.answer_button.disabled = True
        self.next_question_button.disabled = False
        self.score_view.value = html.escape(text(lang, "training.score", right=self.quiz.score,
                                                 total=len(self.quiz.answers)))
        return answer

    def save(self) -> Path:
        name = "".join(c for c in (self.trainee or "trainee") if c.isalnum() or c in "-_")
        path = self.quiz.save(self.answers_dir / f"{name or 'trainee'}.csv", self.trainee)
        self.say(text(self.lang, "training.saved", path=str(path)))
        return path
