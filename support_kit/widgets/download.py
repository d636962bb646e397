"""A download offered to one page: the file travels inside the widget, not by URL.

The app serves no file at all, so a written report cannot be fetched by anyone who guesses
its address; the panel that wrote it hands exactly that file to the page that asked.
"""

from __future__ import annotations

import base64
import html
import mimetypes
from pathlib import Path

#: Larger files stay on disk; the panel names their path instead.
MAX_BYTES = 50 * 1024 * 1024
#: A download looks like one: a blue button with the file's name, a pointer on hover.
LINK_STYLE = ("display:inline-block;margin:4px 12px 4px 0;padding:5px 12px;border-radius:4px;"
              "background:#0b57d0;color:#fff;font-weight:600;text-decoration:none;"
              "cursor:pointer;border:1px solid #0842a0")
#: Turns the base64 payload into a Blob URL on click (data: URLs are capped at 2 MB).
_ON_CLICK = ("const b=atob(this.dataset.b64),a=new Uint8Array(b.length);"
             "for(let i=0;i<b.length;i++)a[i]=b.charCodeAt(i);"
             "const l=document.createElement('a');l.download=this.getAttribute('download');"
             "l.href=window.URL.createObjectURL(new Blob([a],{type:this.dataset.type}));"
             "document.body.appendChild(l);l.click();l.remove();return false;")


def download_link(path: Path, kind: str, label: str | None = None) -> str:
    """An ``<a download>`` carrying ``path``'s bytes, or its path when it is too large.

    >>> import tempfile; p = Path(tempfile.mkdtemp()) / "a.csv"; _ = p.write_text("x")
    >>> link = download_link(p, "csv")
    >>> 'download="a.csv"' in link, 'data-b64="eA=="' in link
    (True, True)
    """
    name = html.escape(label or path.name)
    if path.stat().st_size > MAX_BYTES:
        return f'<span class="sk-file" data-kind="{kind}">{html.escape(str(path))}</span> '
    payload = base64.b64encode(path.read_bytes()).decode("ascii")
    mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return (f'<a class="sk-file" data-kind="{kind}" href="#" download="{html.escape(path.name)}" '
            f'data-type="{mime}" data-b64="{payload}" onclick="{_ON_CLICK}" '
            f'style="{LINK_STYLE}">{name}</a>')
