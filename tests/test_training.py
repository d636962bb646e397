"""The training walkthrough and quiz, driven in plain pytest."""

import csv
import dataclasses
import re

import pytest

from support_kit import rules
from support_kit.config import load_settings
from support_kit.demo import DEMO_AS_OF
from support_kit.desk import Desk
from support_kit.training import NEXT_ACTION, SCENARIOS, STEPS, Quiz, TrainingWorld
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
    with open(tmp_path / "AdaLovelace.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) == len(SCENARIOS) and {r["correct"] for r in rows} == {"true"}
    assert rows[0]["trainee"] == "Ada Lovelace" and rows[0]["scenario"] == SCENARIOS[0].id


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
