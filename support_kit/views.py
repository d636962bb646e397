"""HTML views: Jinja2 templates in ``templates/``, always autoescaped."""

from __future__ import annotations

from functools import cache

import jinja2

from .texts import format_date, text


@cache
def environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("support_kit", "templates"),
        autoescape=True,  # customer text is data: every value is escaped
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["date"] = lambda value, lang: format_date(value, lang)
    env.globals["t"] = text
    return env


def render(template: str, **context: object) -> str:
    """Render ``templates/<template>`` with autoescaping.

    >>> "&lt;b&gt;" in render("badge.html", state="valid", label="<b>", lang="en")
    True
    """
    return environment().get_template(template).render(**context)
