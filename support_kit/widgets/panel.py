"""What every desk panel shares: a root widget, a status line, errors that never vanish."""

from __future__ import annotations

import html
import os
from collections.abc import Callable
from typing import Any

import ipywidgets as widgets
from IPython.display import display

from ..customers import mask_secrets
from ..problems import is_fixable, one_line, problem_line
from ..texts import DEFAULT_LANGUAGE, text


def in_app() -> bool:
    """Whether this kernel serves a page of the app (Voila: `make app`, the hub's pages),
    where files are written only when someone presses a button.

    >>> in_app()
    False
    """
    return "VOILA_BASE_URL" in os.environ or "VOILA_KERNEL_ID" in os.environ


class Panel:
    """Base of the panels: ``.value``, ``.layout``, ``_ipython_display_``, safe callbacks.

    A failing callback shows a short message for the agent and the details in a
    collapsible section; it never fails silently and never shows a secret.
    """

    lang = DEFAULT_LANGUAGE
    _opened = False

    def __init__(self) -> None:
        self.status = widgets.HTML(layout=widgets.Layout(min_height="0px"))
        self.details_text = widgets.HTML()
        self.details = widgets.Accordion(children=[self.details_text])
        self.details.set_title(0, text(self.lang, "ui.details"))
        self.details.selected_index = None
        self.details.layout.display = "none"
        self.widget: widgets.Box = widgets.VBox()
        self._here: widgets.HTML | None = None  # the status line beside the running action
        self._lines: list[widgets.HTML] = [self.status]

    @property
    def value(self) -> Any:  # pragma: no cover - each panel defines it
        raise NotImplementedError

    @property
    def layout(self) -> widgets.Layout:
        return self.widget.layout

    def _ipython_display_(self) -> None:
        self.opened()
        display(self.widget)

    def opened(self) -> None:
        """The page is shown: in a kernel the app preheated (Voila's pool), wait until a
        page is requested, then show the store and the customer list as of now, not as of
        the preheating. Sections call it before they are displayed; once per panel."""
        if self._opened:
            return
        self._opened = True
        if os.environ.get("VOILA_PREHEAT") == "True":
            from voila.utils import wait_for_request

            wait_for_request()
            self.guarded(self.reload)()

    def reload(self) -> None:
        """Show what the store and the customer list hold now (the refresh button)."""

    def attach(self, sections: Any) -> None:
        """Let each of ``sections`` open the panel before it is displayed."""
        for section in sections.values():
            section.before_display = self.opened

    def say(self, message: str, kind: str = "info", at: widgets.HTML | None = None) -> None:
        """Show ``message`` on ``at``, else beside the running action, else on the panel."""
        colours = {"info": "#1b5e20", "error": "#b71c1c", "busy": "#555"}
        (at or self._here or self.status).value = (
            f'<div class="sk-status sk-{kind}" style="color:{colours[kind]};'
            f'font-weight:600">{html.escape(message)}</div>')
        if kind != "error":
            self.details.layout.display = "none"

    def fail(self, message: str, details: str = "") -> None:
        self.say(text(self.lang, "ui.failed", message=message), "error")
        shown = html.escape(mask_secrets(details))
        self.details_text.value = f"<pre>{shown}</pre>" if details else ""
        self.details.layout.display = "" if details else "none"

    def status_line(self) -> widgets.HTML:
        """A status line to place beside an action's button (see :meth:`guarded`)."""
        line = widgets.HTML(layout=widgets.Layout(min_height="0px"))
        self._lines.append(line)
        return line

    def feedback(self) -> str:
        """Every status line's HTML (the panel's and each action's), as shown."""
        return "".join(line.value for line in self._lines)

    def guarded(self, action: Callable[..., Any], here: widgets.HTML | None = None
                ) -> Callable[..., Any]:
        """Wrap a callback so any failure ends as a message on the panel: on ``here`` (the
        status line beside the button pressed) when given, else the panel's status line."""

        def run(*args: Any, **kwargs: Any) -> Any:
            outer, self._here = self._here, here or self._here
            if here is not None:
                here.value = ""
            try:
                return action(*args, **kwargs)
            except Exception as exc:
                if is_fixable(exc):  # a setting, a file, a full disk: what to do
                    self.fail(problem_line(exc))
                else:  # a bug: a message, and for support staff its class and message only
                    kind = f"{type(exc).__module__}.{type(exc).__qualname__}"
                    self.fail(f"{type(exc).__name__}: {one_line(exc, 200)}",
                              f"{kind.removeprefix('builtins.')}: {one_line(exc, 2000)}")
            finally:
                self._here = outer
            return None

        return run


def demo_banner(lang: str = DEFAULT_LANGUAGE) -> widgets.HTML:
    """The visible "demo data" banner."""
    return widgets.HTML(
        f'<div class="sk-demo-banner" style="background:#fff3cd;border:1px solid #f0c36d;'
        f'padding:6px 10px;border-radius:4px;font-weight:600">'
        f'{html.escape(text(lang, "demo_banner"))}</div>')


def banners(desk: Any, lang: str = DEFAULT_LANGUAGE) -> list[widgets.HTML]:
    """The banners every panel shows on top: demo data, and the app's own LWA client secret
    from 90 days before it expires, urgent from 30 (every seller stops then; nobody needs
    to re-authorize)."""
    shown = [demo_banner(lang)] if desk.demo else []
    secret = desk.app_secret
    if secret.banner(lang):
        colours = ("#fdecea", "#c62828") if secret.tone == "urgent" else ("#fff3cd", "#f0c36d")
        shown.append(widgets.HTML(
            f'<div class="sk-app-banner" data-state="{secret.state}" data-tone="{secret.tone}" '
            f'style="background:{colours[0]};border:1px solid {colours[1]};padding:6px 10px;'
            'border-radius:4px;font-weight:600">'
            f'{html.escape(secret.banner(lang))}</div>'))
    return shown
