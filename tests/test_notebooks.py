"""The notebooks as stored: guided steps whose notes come from the catalogue, one panel
section per step, a parameters cell, and nothing a run leaves behind."""

import json

import nbformat
import pytest

from support_kit.stored_notebook import clean
from support_kit.texts import text
from support_kit.widgets import ReportPanel, TroubleshootPanel, Walkthrough

from .browser.voila_server import CONFIG, NOTEBOOKS

PANELS = {"01_troubleshoot_seller.ipynb": ("troubleshoot", "panel", TroubleshootPanel),
          "02_expiry_report.ipynb": ("report", "panel", ReportPanel),
          "03_training_walkthrough.ipynb": ("walkthrough", "walkthrough", Walkthrough)}


def sections_of(kind) -> list[tuple[str, int | None]]:
    """The panel's sections (name, number) as the panel itself builds them."""
    from support_kit.desk import Desk

    desk = Desk.open(as_of="2026-12-01", store="sqlite://")
    panel = kind(desk) if kind is not ReportPanel else kind(desk, out_dir="/tmp/sk-nb-test")
    return [(name, section.number) for name, section in panel.sections.items()]


@pytest.mark.parametrize("name", sorted(PANELS))
def test_each_step_has_its_note_then_its_section(name):
    panel, variable, kind = PANELS[name]
    notebook = nbformat.read(NOTEBOOKS / name, as_version=4)
    cells = notebook.cells
    assert sum("parameters" in c.metadata.get("tags", []) for c in cells) == 1
    for cell in cells:  # notes are for Lab; the app shows the panels' own headings
        assert (cell.cell_type == "markdown") == ("lab-only" in cell.metadata.get("tags", []))
    sources = [c.source for c in cells]
    for section, number in sections_of(kind):
        shows = next(i for i, s in enumerate(sources)
                     if s.splitlines()[-1].startswith(f'{variable}.sections["{section}"]'))
        note = cells[shows - 1 if number else 0]  # the title note opens the notebook
        title = text("en", f"section.{panel}.{section}.title")
        heading = f"## {number}. {title}" if number else f"# {title}"
        assert note.cell_type == "markdown" and note.source.startswith(heading + "\n\n")
        assert text("en", f"section.{panel}.{section}.why") in note.source


@pytest.mark.parametrize("name", sorted(PANELS))
def test_stored_clean_as_lab_saves_them(name):
    raw = (NOTEBOOKS / name).read_text(encoding="utf-8")
    notebook = nbformat.reads(raw, as_version=4)
    assert nbformat.writes(clean(notebook)) + "\n" == raw  # what the pre-save hook writes


def test_the_app_leaves_the_notes_out():
    """Voila (make app, and the hub's servers) removes the English notes: the page shows
    each step's heading once, in the page's language."""
    voila = json.loads((CONFIG / "voila.json").read_text())
    assert voila["TagRemovePreprocessor"]["remove_cell_tags"] == ["lab-only"]
    assert "lab-only" in (CONFIG / "jupyter_server_config.py").read_text()
