"""The app page (Voila) shows each notebook step once, in the page's language: the panels'
step headings, never the notebook's English notes; the language switch changes them all."""

from support_kit.texts import text

from .conftest import screenshot


def headings(page) -> list[str]:
    return page.locator(".sk-section-head h3").all_inner_texts()


def test_the_desk_page_shows_numbered_steps_in_one_language(page, voila):
    page.goto(voila.url("01_troubleshoot_seller.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-section-head[data-section='ticket']", timeout=120_000)
    german = [f"{n}. {text('de', f'section.troubleshoot.{name}.title')}" for n, name in
              enumerate(("find", "diagnosis", "live", "reply", "confirm", "note", "consent",
                         "ticket"), 1)]
    assert headings(page) == german
    body = page.inner_text("body")
    assert text("de", "section.troubleshoot.live.why") in body
    assert text("en", "section.troubleshoot.live.why") not in body  # no English note
    assert "Run the cells" not in body and page.locator(".jp-MarkdownOutput").count() == 0
    page.click(".sk-troubleshoot .widget-toggle-button:has-text('EN')")
    page.wait_for_selector(".sk-section-head[lang='en']")
    assert headings(page)[0] == f"1. {text('en', 'section.troubleshoot.find.title')}"
    assert not any(h in page.inner_text("body") for h in german)
    screenshot(page, "app-steps-en")
