"""A panel's sections: each numbered step with its heading and a short why-and-what in the
page's language, above the widgets it concerns. A notebook shows one section per cell (so
each step sits beside its own explanation); the panel as a whole shows them all.

Texts live in the catalogue under ``section.<panel>.<name>`` (``title``, ``why``).
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from html.parser import HTMLParser

import ipywidgets as widgets
from IPython.display import display

from ..texts import DEFAULT_LANGUAGE, text


class Section:
    """One step of a panel: a heading (numbered, or none for the panel's top), the why and
    what of the step, then its widgets.

    >>> step = Section("troubleshoot", "find", 1, [widgets.Text()])
    >>> step.relabel("en"); "1. Find the seller" in step.heading.value
    True
    """

    def __init__(self, panel: str, name: str, number: int | None,
                 children: list[widgets.Widget]):
        self.panel, self.name, self.number = panel, name, number
        self.heading = widgets.HTML()
        #: The step's widgets (hidden while the step has nothing to show, the heading stays).
        self.body = widgets.VBox(children)
        self.widget = widgets.VBox([self.heading, self.body])
        self.widget.add_class(f"sk-{panel}")  # the panel's styles and its page's selectors
        self.widget.add_class("sk-section")
        self._lang = DEFAULT_LANGUAGE
        #: Called before the section is displayed (the panel's :meth:`Panel.opened`).
        self.before_display: Callable[[], None] | None = None

    def title(self, lang: str) -> str:
        """The step's heading in ``lang``, numbered."""
        title = text(lang, f"section.{self.panel}.{self.name}.title")
        return f"{self.number}. {title}" if self.number else title

    def relabel(self, lang: str) -> None:
        """Heading and explanation in ``lang``."""
        self._lang = lang
        why = text(lang, f"section.{self.panel}.{self.name}.why")
        tag = "h3" if self.number else "h2"
        self.heading.value = (
            f'<div class="sk-section-head" data-section="{self.name}" lang="{lang}">'
            f'<{tag} style="margin:10px 0 2px">{html.escape(self.title(lang))}</{tag}>'
            f'<p class="sk-why" style="margin:0 0 6px">{html.escape(why)}</p></div>')

    @property
    def layout(self) -> widgets.Layout:
        return self.widget.layout

    def plain_text(self) -> str:
        """The step as text (its heading, why, and the text its views show): what a run
        without a browser (papermill) keeps as the cell's output."""
        parts = [self.title(self._lang), *(_words(child.value) for child in _views(self.body))]
        return "\n".join(part for part in parts if part)

    def _ipython_display_(self) -> None:
        if self.before_display is not None:
            self.before_display()
        bundle = self.widget._repr_mimebundle_()
        bundle["text/plain"] = self.plain_text()
        display(bundle, raw=True)


class Sections(dict):
    """A panel's sections by name, in order; ``relabel`` puts them all into one language."""

    def relabel(self, lang: str) -> None:
        for section in self.values():
            section.relabel(lang)

    def widgets(self) -> list[widgets.Widget]:
        return [section.widget for section in self.values()]


def _views(box: widgets.Widget) -> Iterator[widgets.HTML]:
    """The HTML views inside ``box``, in order."""
    for child in getattr(box, "children", ()):
        if isinstance(child, widgets.HTML):
            yield child
        else:
            yield from _views(child)


class _Words(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.words: list[str] = []
        self.hidden = 0  # inside <style> or <script>

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in ("style", "script")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in ("style", "script") and self.hidden > 0

    def handle_data(self, data: str) -> None:
        if data.strip() and not self.hidden:
            self.words.append(data.strip())


def _words(markup: str) -> str:
    """The text of an HTML fragment, one line per piece.

    >>> _words("<p>As of <b>1 May</b></p><style>p{}</style>")
    'As of\\n1 May'
    """
    parser = _Words()
    parser.feed(markup)
    return "\n".join(parser.words)
