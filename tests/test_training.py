"""The training walkthrough and quiz, driven in plain pytest."""

import csv
import dataclasses
import html
import re

import pytest
import requests

from support_kit import rules
from support_kit.config import load_settings
from support_kit.demo import DEMO_AS_OF
from support_kit.desk import Desk
from support_kit.texts import text
from support_kit.training import (
    NEXT_ACTION,
    SCENARIOS,
    STEPS,
    Quiz,
    TrainingWorld,
    diagnosis_label,
)
from support_kit.widgets import Walkthrough

from .conftest import confirm_consent


@pytest.fixture
def walkthrough(demo, tmp_path):
    desk = Desk(load_settings({}), demo, DEMO_AS_OF)
    panel = Walkthrough(desk, lang="en", trainee="Ada Lovelace", answers_dir=tmp_path)
    yield panel
    desk.close()


def test_every_step_forward_and_back(walkthrough):
    seen = []
    assert walkthrough.back_button.disabled
    for number, step in enumerate(STEPS, start=1):
        assert walkthrough.value["step"] == step.id and walkthrough.progress.value == number
        assert f'data-step="{step.id}"' in walkthrough.step_view.value
        assert f"Step {number} of {len(STEPS)}" in walkthrough.progress_text.value
        for pitfall in step.pitfalls:
            assert f'data-pitfall="{pitfall}"' in walkthrough.step_view.value
        visible = walkthrough.clickthrough.layout.display != "none"
        assert visible == step.clickthrough
        seen.append(step.id)
        walkthrough.next_button.click()
    assert walkthrough.next_button.disabled and seen == [s.id for s in STEPS]
    for step in reversed(STEPS[:-1]):
        walkthrough.back_button.click()
        assert walkthrough.value["step"] == step.id
    walkthrough.back_button.click()  # stays on the first step
    assert walkthrough.value["step"] == "prepare"


def test_pitfalls_cover_the_failure_cases():
    pitfalls = {p for step in STEPS for p in step.pitfalls}
    assert {"popups_blocked", "other_session", "individual_plan", "amazon_payments",
            "draft_md1000", "link_expired"} <= pitfalls


def test_clickthrough_right_then_wrong_account(walkthrough):
    for _ in range(3):
        walkthrough.next_button.click()
    assert walkthrough.value["step"] == "consent"
    url = re.search(r'href="([^"]+)"', walkthrough.consent_link.value).group(1)
    url = url.replace("&amp;", "&")
    walkthrough.callback_url.value = confirm_consent(url).headers["Location"]
    walkthrough.verify_button.click()
    assert walkthrough.value["callback"].ok
    walkthrough.callback_url.value = confirm_consent(url, "other").headers["Location"]
    walkthrough.verify_button.click()
    assert walkthrough.value["callback"].problems == ("seller_mismatch",)
    assert "sign out of every Seller Central session" in walkthrough.callback_view.value
    walkthrough.language.value = "de"  # the same verdict, in German
    assert "aus allen Seller-Central-Sitzungen abmelden" in walkthrough.callback_view.value
    assert walkthrough.value["callback"].problems == ("seller_mismatch",)


def play(walkthrough, right: bool):
    quiz = walkthrough.quiz
    while not quiz.finished:
        diagnosis, action, _, _ = quiz.expectation(quiz.position)
        if not right:
            action = next(a for _, a in walkthrough.action_choice.options if a != action)
        walkthrough.diagnosis_choice.value = diagnosis
        walkthrough.action_choice.value = action
        walkthrough.answer_button.click()
        feedback = walkthrough.feedback_view.value
        assert f'data-correct="{str(right).lower()}"' in feedback
        assert "From the FAQ" in feedback
        walkthrough.next_question_button.click()


def test_quiz_all_right_then_saved(walkthrough, tmp_path):
    assert len(SCENARIOS) >= 10
    play(walkthrough, right=True)
    assert walkthrough.value["score"] == len(SCENARIOS) and walkthrough.value["finished"]
    assert f"Score: {len(SCENARIOS)} of {len(SCENARIOS)} right." in walkthrough.score_view.value
    walkthrough.save_button.click()
    saved = walkthrough.answers_path
    assert saved.parent == tmp_path and saved.name.startswith("AdaLovelace-")
    with open(saved, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(SCENARIOS) and {r["correct"] for r in rows} == {"true"}
    assert rows[0]["trainee"] == "Ada Lovelace" and rows[0]["scenario"] == SCENARIOS[0].id
    assert f'download="{saved.name}"' in walkthrough.files_view.value  # offered to the page


def test_one_answers_file_per_trainee_and_session(demo, tmp_path):
    desk = Desk(load_settings({}), demo, DEMO_AS_OF)
    sessions = [Walkthrough(desk, trainee=name, answers_dir=tmp_path)
                for name in ("Ada", "Ada", "Grace")]
    for session in sessions:
        session.save_button.click()
    assert len({p.name for p in tmp_path.iterdir()}) == 3
    desk.close()


def test_feedback_says_right_or_what_would_be(demo, tmp_path):
    w = Walkthrough(Desk(load_settings({}), demo, DEMO_AS_OF), lang="de", answers_dir=tmp_path)
    diagnosis, action, _, _ = w.quiz.expectation(0)
    w.diagnosis_choice.value, w.action_choice.value = diagnosis, action
    w.answer_button.click()
    assert "Richtig." in w.feedback_view.value and "wäre" not in w.feedback_view.value
    w.next_question_button.click()
    w.diagnosis_choice.value = "valid"
    w.action_choice.value = "no_action_needed"
    w.answer_button.click()
    assert "Nicht ganz: richtig wäre Falsches Amazon-Konto autorisiert" in w.feedback_view.value
    w.desk.close()


def test_progress_line_follows_steps_and_score(walkthrough):
    total = len(SCENARIOS)
    assert f"Step 1 of 5 · 0 of {total} questions answered · 0 right" in \
        walkthrough.progress_line.value
    walkthrough.next_button.click()
    diagnosis, action, _, _ = walkthrough.quiz.expectation(0)
    walkthrough.diagnosis_choice.value, walkthrough.action_choice.value = diagnosis, action
    walkthrough.answer_button.click()
    assert f"Step 2 of 5 · 1 of {total} questions answered · 1 right" in \
        walkthrough.progress_line.value


def test_every_question_shows_what_it_asks_about_and_not_the_answer(walkthrough):
    quiz = walkthrough.quiz
    for index, scenario in enumerate(quiz.scenarios):
        shown = walkthrough.question_view.value
        diagnosis, action, _, _ = quiz.expectation(index)
        assert "sk-facts" in shown, scenario.id
        said = " ".join([scenario.prompt(quiz.world, "en"),  # the question and the values
                         *(value for _, value in scenario.evidence(quiz.world, "en"))])
        assert diagnosis_label(diagnosis, "en") not in said, scenario.id
        assert text("en", f"training.action.{action}") not in said, scenario.id
        if scenario.id in ("renewed_but_failing", "old_link", "closed_page"):
            assert "https://desk.example/callback?state=" in shown
        walkthrough.diagnosis_choice.value, walkthrough.action_choice.value = diagnosis, action
        walkthrough.answer_button.click()
        walkthrough.next_question_button.click()


def test_switching_language_keeps_the_answers(walkthrough):
    diagnosis, action, _, _ = walkthrough.quiz.expectation(0)
    walkthrough.diagnosis_choice.value, walkthrough.action_choice.value = diagnosis, action
    walkthrough.answer_button.click()
    walkthrough.language.value = "de"
    assert "Richtig." in walkthrough.feedback_view.value
    assert "Frage 1 von" in walkthrough.question_view.value  # the answered one, in German
    assert "Schritt 1 von 5" in walkthrough.progress_line.value
    assert walkthrough.answer_button.description == "Antworten"
    assert walkthrough.value["score"] == 1


def test_training_uses_the_sandbox_whatever_is_configured(sandbox_env, tmp_path):
    from .conftest import CANARY_STATE_KEY, TEST_ENV

    w = Walkthrough(lang="en", answers_dir=tmp_path)  # real settings in the environment
    for _ in range(3):
        w.next_button.click()
    url = html.unescape(re.search(r'href="([^"]+)"', w.consent_link.value).group(1))
    assert url.startswith("http://127.0.0.1:") and url != sandbox_env.url
    assert TEST_ENV["SUPPORT_KIT_APP_ID"] not in url and CANARY_STATE_KEY not in url
    assert "language=en" in url
    page = requests.get(url, timeout=10)
    assert "Authorize magnalister" in page.text
    german = requests.get(url.replace("language=en", "language=de"), timeout=10)
    assert "Ich beauftrage Amazon" in german.text and 'lang="de"' in german.text
    w.desk.close()


def test_quiz_all_wrong(walkthrough):
    play(walkthrough, right=False)
    assert walkthrough.value["score"] == 0
    assert f"Score: 0 of {len(SCENARIOS)} right." in walkthrough.score_view.value


def test_answer_needs_both_choices(walkthrough):
    walkthrough.answer_button.click()
    assert "sk-error" in walkthrough.status.value and not walkthrough.quiz.answers


def test_expected_answers_come_from_the_core_rules(demo):
    """Each scenario's diagnosis is what the rules say; change a rule and the quiz follows."""
    world = TrainingWorld(demo, DEMO_AS_OF)
    for scenario in SCENARIOS:
        diagnosis, action, _, _ = scenario.expected(world, "en")
        assert NEXT_ACTION[diagnosis][0] == action
        if scenario.customer_id and diagnosis in rules.STATES:
            assert diagnosis == world.row(scenario.customer_id)["state"]
    reminder = next(s for s in SCENARIOS if s.id == "reminder_mails")
    assert reminder.expected(world)[0] == "expiring"


def test_a_changed_rule_changes_the_quiz(demo, monkeypatch):
    world = TrainingWorld(demo, DEMO_AS_OF)
    reminder = next(s for s in SCENARIOS if s.id == "reminder_mails")
    monkeypatch.setattr(rules, "REMINDER_DAYS", 14)  # 30 days left is no longer "expiring"
    assert reminder.expected(world)[0] == "valid"


def test_quiz_in_german(demo):
    quiz = Quiz(TrainingWorld(demo, DEMO_AS_OF), lang="de")
    assert "Seit Dienstag" in quiz.scenarios[0].prompt(quiz.world, "de")
    assert dataclasses.is_dataclass(quiz)
