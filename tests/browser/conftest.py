"""Pages in the session's Chromium (tests/chromium.py); screenshots go to test-artifacts/."""

from pathlib import Path

import pytest

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(20_000)
    yield page
    context.close()


def consent_in_browser(context, link: str, wrong_account: bool = False) -> str:
    """Open the sandbox consent page in a new tab, sign in (or not) as another seller,
    tick and Confirm; returns the callback URL shown on the landing page."""
    consent = context.new_page()
    consent.goto(link)
    if wrong_account:
        consent.click("#as-other")
    consent.check("#consent")
    consent.click("#confirm")
    consent.wait_for_selector("#callback-url")
    url = consent.input_value("#callback-url")
    consent.close()
    return url


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.fixture(scope="module")
def voila(tmp_path_factory, browser):
    from .voila_server import Voila

    server = Voila(tmp_path_factory.mktemp("voila"))
    yield server
    server.stop()
