"""The notebooks as a trainer opens them in JupyterLab (`make lab`): guided steps readable
before anything runs, no news pop-up, and a notebook run and saved unchanged in git."""

import time

import pytest
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from support_kit.texts import text

from .conftest import ARTIFACTS, screenshot
from .voila_server import NOTEBOOKS

STEPS = {"01_troubleshoot_seller.ipynb": ("troubleshoot", (
             "find", "diagnosis", "live", "reply", "confirm", "note", "consent", "ticket")),
         "02_expiry_report.ipynb": ("report", (
             "changes", "filters", "overview", "files", "remind", "table", "mail")),
         "03_training_walkthrough.ipynb": ("walkthrough", ("steps", "quiz", "progress"))}


#: The notebook on screen (Lab keeps the others open in hidden tabs).
OPEN = ".jp-NotebookPanel:not(.lm-mod-hidden)"


def read_down(page) -> tuple[list[str], str]:
    """Go through the notebook cell by cell, as a reader would, collecting the step headings
    and the text shown (Lab renders only the cells near the screen)."""
    headings: list[str] = []
    shown = ""
    page.click(f"{OPEN} .jp-MarkdownOutput h1", timeout=60_000)  # Lab is slow on 2 busy cores
    page.keyboard.press("Escape")
    for _cell in range(40):
        for heading in page.locator(f"{OPEN} .jp-MarkdownOutput h2").all_inner_texts():
            if heading not in headings:
                headings.append(heading)
        shown += page.inner_text(f"{OPEN} .jp-Notebook")
        page.keyboard.press("j")
    return headings, shown


def run_all_cells(page) -> None:
    """Run > Run All Cells, again if Lab (still restoring its tabs) closed the menu before
    the click reached it: the run has started once a cell shows an execution count."""
    started = f"{OPEN} .jp-InputPrompt:text-matches('\\[(\\*|\\d+)\\]')"
    for _attempt in range(3):
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        try:
            page.wait_for_selector(started, timeout=20_000)
            return
        except PlaywrightTimeout:
            page.keyboard.press("Escape")
    raise AssertionError("Run All Cells did not start the notebook")


@pytest.fixture(scope="module")
def lab(tmp_path_factory, browser):
    from .lab_server import Lab

    server = Lab(tmp_path_factory.mktemp("lab"))
    yield server
    server.stop()


@pytest.mark.parametrize("notebook", sorted(STEPS))
def test_each_notebook_reads_as_numbered_steps_before_running(page, lab, notebook):
    panel, names = STEPS[notebook]
    page.goto(lab.url(notebook), timeout=120_000)
    page.wait_for_selector(f"{OPEN} .jp-MarkdownOutput h1", timeout=120_000)
    assert page.locator(f"{OPEN} .jp-OutputArea-output").count() == 0  # nothing has run
    headings, shown = read_down(page)
    for number, name in enumerate(names, 1):
        title = text("en", f"section.{panel}.{name}.title")
        assert any(h.startswith(f"{number}. {title}") for h in headings), (name, headings)
        assert text("en", f"section.{panel}.{name}.why")[:60] in shown
    # JupyterLab's announcements plugin asks about "official Jupyter news" at start-up
    # (checked: without deploy/lab it does); make lab switches it off
    time.sleep(3)
    assert "news" not in page.inner_text("body").lower()
    screenshot(page, f"lab-{notebook.removesuffix('.ipynb')}")


def test_a_notebook_run_and_saved_in_lab_is_unchanged(page, lab):
    notebook = "01_troubleshoot_seller.ipynb"
    path = lab.workdir / notebook
    stored, saved_at = path.read_bytes(), path.stat().st_mtime_ns
    # a fresh workspace: only this notebook open, as a trainer opens it
    page.goto(lab.url(notebook) + "&reset", timeout=120_000)
    page.wait_for_selector(f"{OPEN} .jp-MarkdownOutput h1", timeout=120_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=120_000)
    page.click(f"{OPEN} .jp-MarkdownOutput h1")  # the notebook has the focus, Run acts on it
    run_all_cells(page)
    # the panel's steps render in the page language (German) beside the English notes;
    # Lab follows the run down to the last step
    try:
        page.wait_for_selector(f"{OPEN} .sk-section-head[data-section='ticket'] "
                               "h3:has-text('8. Für das Ticket')", timeout=120_000)
    finally:
        screenshot(page, "lab-run-all")
    page.wait_for_selector(".sk-ticket-summary[data-customer-id='C100005']", timeout=60_000)
    page.wait_for_selector(".jp-Notebook-ExecutionIndicator[data-status='idle']",
                           timeout=60_000)
    page.keyboard.press("Control+s")
    deadline = time.monotonic() + 30
    while path.stat().st_mtime_ns == saved_at and time.monotonic() < deadline:
        time.sleep(0.2)
    assert path.stat().st_mtime_ns != saved_at, "the notebook was not saved"
    if path.read_bytes() != stored:  # kept for a look at what changed
        (ARTIFACTS / notebook).write_bytes(path.read_bytes())
    assert path.read_bytes() == stored == (NOTEBOOKS / notebook).read_bytes()
