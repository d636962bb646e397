"""The consent click in a real Chromium against the sandbox."""

from support_kit.renewal import renewal_link, verify_callback

from .conftest import screenshot


def click_through(page, url):
    page.goto(url)
    page.check("#consent")
    page.click("#confirm")
    page.wait_for_selector("#callback-url")
    return page.input_value("#callback-url")


def test_consent_click_right_then_wrong_account(page, sandbox, demo):
    settings = sandbox.client_settings()
    link = renewal_link(demo, "C100005", settings)
    page.goto(link.url)
    assert "ATXGPCQ8XEK1KF" in page.inner_text("#signed-in")
    screenshot(page, "sandbox-consent")
    callback_url = click_through(page, link.url)
    screenshot(page, "sandbox-callback")
    assert verify_callback(callback_url, demo, settings).ok

    page.goto(link.url)
    page.click("#as-other")
    assert "A2OTHERSELLER9X" in page.inner_text("#signed-in")
    page.check("#consent")
    page.click("#confirm")
    page.wait_for_selector("#callback-url")
    wrong = verify_callback(page.input_value("#callback-url"), demo, settings)
    assert wrong.problems == ("seller_mismatch",)


def test_individual_plan_is_refused_in_the_browser(page, sandbox, demo):
    # the desk makes no link for an Individual-plan seller; a seller who signs in with one
    link = renewal_link(demo, "C100001", sandbox.client_settings())
    page.goto(link.url)
    page.click("#as-individual")
    assert "Professional selling plan required" in page.inner_text("#title")
    assert page.locator("#confirm").count() == 0
