"""Agents' own Jupyter servers (JupyterHub) serve the desk pages and nothing else.

A Jupyter server extension: every request whose path is not one the Voila pages need is
answered 403 before any handler runs, so JupyterLab, terminals, the contents, files,
sessions and kernels REST APIs stay closed whatever else is installed. Enabled by
``deploy/jupyter_server_config.py`` for agents; the hub's ``desk-admins`` group keeps
JupyterLab (README, "A desk team").

What the pages need (Voila 0.5 as a server extension, read from its source and checked in
the hub tests): the page itself, its static files, templates, themes and widget
extensions, its kernel's state (``GET api/kernels/<id>``) and websocket
(``api/kernels/<id>/channels``), Voila's own shutdown and execution endpoints, and
JupyterHub's login callback. Starting, listing, interrupting or deleting kernels is refused.

>>> allowed("GET", "voila/render/01_troubleshoot_seller.ipynb")
True
>>> allowed("GET", "api/kernels/0b5a3c7e-1d2f-4a6b-9c8d-7e6f5a4b3c2d/channels")
True
>>> allowed("POST", "api/kernels"), allowed("GET", "lab"), allowed("GET", "files/x.csv")
(False, False, False)
"""

from __future__ import annotations

import re

KERNEL_ID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
NOTEBOOK = r"[\w-]+\.ipynb"

# (methods, path below the server's base URL): the only requests an agent's server answers
ALLOWED = [
    ({"GET"}, r""),                                   # redirects to the troubleshooting page
    ({"GET"}, rf"voila/render/{NOTEBOOK}"),
    ({"GET"}, r"voila/(static|templates|labextensions|api/themes)/[\w./@~-]+"),
    ({"POST"}, rf"voila/api/shutdown/{KERNEL_ID}"),   # a closed page frees its kernel
    ({"GET"}, rf"voila/execution/{KERNEL_ID}"),       # progressive rendering (websocket)
    ({"GET"}, rf"api/kernels/{KERNEL_ID}"),           # the page asks its kernel's state
    ({"GET"}, rf"api/kernels/{KERNEL_ID}/channels"),  # the page's kernel (websocket)
    ({"GET"}, r"api"),                                # the server's version (the hub asks)
    ({"GET"}, r"static/[\w./@~-]+"),                  # the server's favicon and the like
    ({"GET"}, r"oauth_callback"),                     # JupyterHub's login
    ({"GET"}, r"logout"),
]
_RULES = [(methods, re.compile(path)) for methods, path in ALLOWED]


def allowed(method: str, path: str) -> bool:
    """Whether an agent's server answers ``method`` on ``path`` (below its base URL).

    >>> allowed("GET", "voila/tree"), allowed("POST", "api/terminals")
    (False, False)
    """
    if ".." in path.split("/"):
        return False
    return any(method in methods and rule.fullmatch(path) for methods, rule in _RULES)


def _jupyter_server_extension_points() -> list[dict]:
    return [{"module": "support_kit.agent_server"}]


def _load_jupyter_server_extension(server_app) -> None:
    """Put the allow list in front of every handler of the server."""
    from tornado.web import ErrorHandler

    web_app = server_app.web_app
    base = web_app.settings.get("base_url", "/")
    find_handler = web_app.find_handler

    def desk_only(request, **kwargs):
        path = request.path
        inside = path.startswith(base) or path + "/" == base
        if inside and allowed(request.method, path[len(base):]):
            return find_handler(request, **kwargs)
        return web_app.get_handler_delegate(request, ErrorHandler, {"status_code": 403})

    web_app.find_handler = desk_only
    server_app.log.info("support_kit: this server serves the desk pages only")
