"""The training walkthrough in Voila: every step, the consent click-through, the quiz."""

from support_kit.customers import demo_path, load
from support_kit.demo import DEMO_AS_OF
from support_kit.texts import text
from support_kit.training import STEPS, Quiz, TrainingWorld, diagnosis_label

from .conftest import consent_in_browser, screenshot

CALLBACK = "input[placeholder='http://127.0.0.1:.../callback?state=...']"
WIDTHS = (420, 700, 1280, 1920)  # a side panel, half a screen, a laptop, full HD

OVERLAPS = """() => [...document.querySelectorAll('.sk-walkthrough .widget-radio')]
.flatMap(radio => {
  const boxes = [...radio.querySelectorAll('label')].map(label => {  // the text as drawn,
    const range = document.createRange();  // even where it overflows its label's box
    range.selectNodeContents(label);
    return range.getBoundingClientRect();
  }).filter(b => b.width > 0);
  const pairs = [];
  boxes.forEach((a, i) => boxes.slice(i + 1).forEach(b => {
    const x = Math.min(a.right, b.right) - Math.max(a.left, b.left);
    const y = Math.min(a.bottom, b.bottom) - Math.max(a.top, b.top);
    if (x > 1 && y > 1) pairs.push([a.top, b.top]);
  }));
  return pairs;
})"""


def assert_answers_readable(page, lang):
    for width in WIDTHS:
        page.set_viewport_size({"width": width, "height": 900})
        page.wait_for_timeout(200)
        assert page.locator(".sk-walkthrough .widget-radio label").count() > 20
        assert page.evaluate(OVERLAPS) == [], f"overlapping answers at {width}px ({lang})"
    screenshot(page, f"walkthrough-quiz-{lang}")
    page.set_viewport_size({"width": 1280, "height": 900})


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

    assert_answers_readable(page, "de")
    page.click(".sk-walkthrough .widget-toggle-button:has-text('EN')")
    page.wait_for_selector("button:has-text('Answer')")
    assert_answers_readable(page, "en")
    page.click(".sk-walkthrough .widget-toggle-button:has-text('DE')")
    page.wait_for_selector("button:has-text('Antworten')")

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
    assert f"{total} von {total} Fragen beantwortet · {total} richtig" in \
        page.inner_text(".sk-progress-line")
    page.fill("input[placeholder='Ihr Name, für die gespeicherten Antworten']", "Ada Lovelace")
    page.press("input[placeholder='Ihr Name, für die gespeicherten Antworten']", "Tab")
    page.click("button:has-text('Antworten speichern')")
    with page.expect_download() as download:
        page.click("a.sk-file[data-kind='answers']")
    assert download.value.suggested_filename.startswith("AdaLovelace-")
    screenshot(page, "walkthrough-quiz-done")
