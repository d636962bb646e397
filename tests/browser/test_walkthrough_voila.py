"""The training walkthrough in Voila: every step, the consent click-through, the quiz."""

from support_kit.customers import demo_path, load
from support_kit.demo import DEMO_AS_OF
from support_kit.texts import text
from support_kit.training import STEPS, Quiz, TrainingWorld, diagnosis_label

from .conftest import consent_in_browser, screenshot

CALLBACK = "input[placeholder='http://127.0.0.1:.../callback?state=...']"


def click_through(page, link, wrong_account=False):
    page.fill(CALLBACK, consent_in_browser(page.context, link, wrong_account))
    page.press(CALLBACK, "Tab")
    page.click(f"button:has-text('{text('de', 'ui.verify')}')")


def test_walkthrough_steps_clickthrough_and_quiz(page, voila):
    page.goto(voila.url("03_training_walkthrough.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-walkthrough", timeout=120_000)
    page.wait_for_selector(".sk-step[data-step='prepare']")
    for step in STEPS[1:]:
        page.click("button:has-text('Weiter')")
        page.wait_for_selector(f".sk-step[data-step='{step.id}']")
        if step.clickthrough:
            screenshot(page, "walkthrough-consent-step")
            link = page.get_attribute("a.sk-consent-link", "href")
            click_through(page, link)
            page.wait_for_selector(".sk-callback[data-ok='true']")
            click_through(page, link, wrong_account=True)
            page.wait_for_selector(".sk-callback[data-ok='false']")
            assert "A2OTHERSELLER9X" in page.inner_text(".sk-callback")
    page.click("button:has-text('Zurück')")
    page.wait_for_selector(".sk-step[data-step='consent']")

    quiz = Quiz(TrainingWorld(load(demo_path()), DEMO_AS_OF), lang="de")
    radios = page.locator(".widget-radio-box")
    for index, scenario in enumerate(quiz.scenarios):
        page.wait_for_selector(f".sk-question[data-scenario='{scenario.id}']")
        diagnosis, action, _, _ = quiz.expectation(index)
        radios.nth(0).locator("label", has_text=diagnosis_label(diagnosis, "de")).first.click()
        radios.nth(1).locator("label", has_text=text("de", f"training.action.{action}")
                              ).first.click()
        page.click("button:has-text('Antworten')")
        page.wait_for_selector(".sk-feedback[data-correct='true']")
        page.click("button:has-text('Nächste Frage')")
    page.wait_for_selector(".sk-score")
    total = len(quiz.scenarios)
    assert f"{total} von {total} richtig" in page.inner_text(".sk-score")
    screenshot(page, "walkthrough-quiz-done")
