"""The desk as staff use it: Voila app mode in Chromium, on the demo data."""

import re
import time

from openpyxl import load_workbook

from support_kit import rules
from support_kit.report.followup import CHANGES

from .conftest import consent_in_browser, screenshot

SEARCH = "input[placeholder='Kundennummer, Shopname, Verkäufer-ID oder E-Mail']"
CALLBACK = "input[placeholder='https://.../callback?state=...']"


def open_desk(page, voila):
    page.goto(voila.url("01_troubleshoot_seller.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-troubleshoot", timeout=120_000)
    page.wait_for_selector(".sk-diagnosis")


def search(page, text):
    page.fill(SEARCH, text)
    page.press(SEARCH, "Tab")


def test_troubleshoot_link_consent_and_verify(page, voila):
    open_desk(page, voila)
    assert "Demo-Daten" in page.inner_text(".sk-demo-banner")
    assert "TroubleshootPanel(desk" not in page.inner_text("body")  # code hidden
    search(page, "C100007")
    page.wait_for_selector(".sk-diagnosis[data-customer-id='C100007']")
    assert page.inner_text(".sk-diagnosis .sk-badge") == "Widerrufen"
    assert "Bestellimport gestoppt" in page.inner_text(".sk-consequences")
    search(page, "bluedep")  # part of a shop name: suggestions, then pick
    page.wait_for_selector("select option")
    page.select_option("select", index=0)
    page.wait_for_selector(".sk-diagnosis[data-customer-id='C100005']")
    assert page.inner_text(".sk-diagnosis .sk-badge") == "Abgelaufen"
    screenshot(page, "troubleshoot-panel")

    page.click("button:has-text('Erneuerungslink')")
    page.wait_for_selector(".sk-link-url")
    link = page.input_value(".sk-link-url")
    assert "/apps/authorize/consent?" in link
    callback_url = consent_in_browser(page.context, link)

    page.fill(CALLBACK, callback_url)
    page.press(CALLBACK, "Tab")
    page.click("button:has-text('Prüfen')")
    page.wait_for_selector(".sk-callback[data-ok='true']")
    page.wait_for_selector(".sk-live[data-live-state='alive']")
    screenshot(page, "troubleshoot-verified")


def test_hostile_shop_name_stays_text(page, voila):
    open_desk(page, voila)
    search(page, "C100023")
    page.wait_for_selector(".sk-diagnosis[data-customer-id='C100023']")
    assert "<script>alert('shop')</script>" in page.inner_text(".sk-diagnosis h3")
    assert page.locator(".sk-diagnosis script").count() == 0


def test_report_panel_filter_and_export(page, voila):
    page.goto(voila.url("02_expiry_report.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-report", timeout=120_000)
    page.wait_for_selector(".sk-table")
    # "within 14 days" keeps the most urgent sellers (7 days or fewer) in the list
    page.select_option(".sk-report select:has(option:text-is('14 Tagen'))", label="14 Tagen")
    page.wait_for_function(
        "() => { const d = [...document.querySelectorAll('.sk-table td[data-column=days_left]')]"
        ".map(td => Number(td.textContent));"
        " return d.length > 0 && d.every(n => n <= 14) && d.some(n => n <= 7); }")
    shown = page.eval_on_selector_all(".sk-table td[data-column=customer_id]",
                                      "tds => tds.map(td => td.textContent)")
    page.click("button:has-text('Liste als Excel')")  # exactly the rows shown
    with page.expect_download() as download:
        page.click("a.sk-file[data-kind='list_xlsx']")
    with open(download.value.path(), "rb") as fh:  # the bytes the browser saved
        header, *rows = load_workbook(fh)["Liste"].values
    assert [r[header.index("Kundennummer")] for r in rows] == shown
    assert {r[header.index("Zustand")] for r in rows} <= {"Läuft bald ab", "Gültig"}
    words = set(re.findall(r"[\w<=]+", page.inner_text(".sk-report")))
    assert not words & {*rules.STATES, *rules.FINDINGS, *CHANGES}  # German labels, no ids
    page.select_option(".sk-report select[multiple]", label="Läuft bald ab")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sk-table td[data-column=state]')]"
        ".every(td => td.textContent === 'Läuft bald ab')")
    rows = page.locator(".sk-table tr").count() - 1
    assert rows > 0
    page.click("button:has-text('Excel (report.xlsx)')")
    page.wait_for_selector("a.sk-file[data-kind='xlsx']")
    assert any(voila.data.rglob("report.xlsx"))  # in the data folder, not the served one
    assert left_over(page, "de", "en") == []
    page.click(".sk-report .widget-toggle-button:has-text('EN')")
    page.wait_for_function(
        "() => [...document.querySelectorAll('.sk-table td[data-column=state]')]"
        ".every(td => td.textContent === 'Expiring')")
    assert left_over(page, "en", "de") == []
    screenshot(page, "report-panel")


def test_wrong_account_and_individual_plan_are_told_as_such(page, voila):
    """No green badge alone, no link that Amazon would refuse, a reply that leads with the
    real problem, all in the panel's language."""
    open_desk(page, voila)
    for customer_id, badge, refusal, lead in (
            ("C100012", "Falsches Konto: Amazon Payments", "Amazon-Payments-Konto",
             "Zugangsdaten von Amazon Payments"),
            ("C100010", "Einzelanbieter-Tarif", "Professional-Tarif", "Tarif Einzelanbieter")):
        search(page, customer_id)
        page.wait_for_selector(f".sk-diagnosis[data-customer-id='{customer_id}']")
        page.wait_for_selector(f".sk-status:has-text('{customer_id}:')")  # not the last error
        first = page.locator(".sk-diagnosis .sk-badge").first
        assert first.inner_text() == badge
        assert first.evaluate("e => getComputedStyle(e).backgroundColor") == "rgb(183, 28, 28)"
        assert page.locator(".sk-diagnosis .sk-badge").count() == 2  # and the token's state
        assert "Keinen Link senden" in page.inner_text(".sk-next-step")
        page.wait_for_function("lead => document.querySelector('textarea').value.includes(lead)",
                               arg=lead)  # the reply leads with the real problem
        assert "gültig bis" not in page.input_value("textarea")
        # the rules allow no link: the button is off and says why beside it
        assert page.locator("button:has-text('Erneuerungslink')").is_disabled()
        page.wait_for_selector(f".sk-no-link:has-text('{refusal}')")
        said = page.inner_text(".sk-no-link")
        assert "Kein Erneuerungslink" in said and "No renewal" not in said
        assert page.locator(".sk-link-url").count() == 0
        screenshot(page, f"troubleshoot-{customer_id}-refused")


def only_in(lang: str, other: str) -> set[str]:
    """Words and phrases of ``lang``'s texts that ``other``'s texts never use."""
    from support_kit.texts import catalogue

    def strings(node):
        if isinstance(node, str):
            yield node
        for child in node.values() if isinstance(node, dict) else (
                node if isinstance(node, list) else ()):
            yield from strings(child)

    theirs = " ".join(strings(catalogue()[other]))
    pieces = set()
    for string in strings(catalogue()[lang]):
        for piece in re.split(r"\{[^}]*\}|[\n:;,.()„“\"?!]| – ", string):
            piece = piece.strip(" '-")
            if len(piece) >= 5 and not re.search(rf"(?<!\w){re.escape(piece)}(?!\w)", theirs):
                pieces.add(piece)
    return pieces


def left_over(page, lang: str, other: str, wait_s: float = 10) -> list[str]:
    """Texts of ``other`` still on the page once the switch to ``lang`` has settled."""
    pieces, deadline = only_in(other, lang), time.monotonic() + wait_s
    while True:
        shown = page.inner_text("body")
        left = sorted(p for p in pieces if re.search(rf"(?<!\w){re.escape(p)}(?!\w)", shown))
        if not left or time.monotonic() > deadline:
            return left
        page.wait_for_timeout(250)


def test_one_language_per_screen_and_a_live_ticket(page, voila):
    open_desk(page, voila)
    search(page, "C100006")  # expired long ago (another test renews C100005)
    page.click("button:has-text('Erneuerungslink')")
    page.wait_for_selector(".sk-link-url")
    page.wait_for_selector(".sk-ticket-summary[data-customer-id='C100006']")
    assert left_over(page, "de", "en") == []

    page.click(".sk-troubleshoot .widget-toggle-button:has-text('EN')")
    page.wait_for_selector("button:has-text('Renewal link')")
    page.wait_for_function("() => document.body.innerText.includes('For the ticket')")
    assert left_over(page, "en", "de") == []
    assert "Demo data" in page.inner_text(".sk-demo-banner")
    assert page.locator(".sk-link-url").count() == 1  # the link made before stays
    assert page.locator("a.sk-mailto").count() == 1
    assert "days overdue" in page.inner_text(".sk-days")
    screenshot(page, "troubleshoot-en")

    page.click(".sk-troubleshoot .widget-toggle-button:has-text('DE')")
    page.wait_for_selector("button:has-text('Erneuerungslink')")
    page.wait_for_function("() => document.body.innerText.includes('Für das Ticket')")
    assert left_over(page, "de", "en") == []
    assert "Tage überfällig" in page.inner_text(".sk-days")

    search(page, "C100007")  # the ticket summary follows the customer on screen
    page.wait_for_selector(".sk-ticket-summary[data-customer-id='C100007']")
    assert "Widerrufen" in page.inner_text(".sk-ticket-text")
    assert page.locator("button.sk-copy-ticket").count() == 1
