"""HTML views: Jinja2 templates in ``templates/``, always autoescaped."""

from __future__ import annotations

from functools import cache

import jinja2

from .control_chars import for_display
from .texts import days_text, format_date, text, value_label


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("support_kit", "templates"),
        autoescape=True,  # customer text is data: every value is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        # control characters in customer text are shown, not acted on or dropped
        finalize=lambda value: for_display(value) if type(value) is str else value,
    )
    env.filters["date"] = lambda value, lang: format_date(value, lang)
    env.globals["t"] = text
    env.globals["label"] = value_label  # stored values by name: "Seller Central", not ids
    env.globals["days"] = days_text  # "38 Tage überfällig", not -38
    return env


def render(template: str, **context: object) -> str:
    """Render ``templates/<template>`` with autoescaping.

    >>> "&lt;b&gt;" in render("badge.html", state="valid", label="<b>", lang="en")
    True
    """
    return environment().get_template(template).render(**context)
