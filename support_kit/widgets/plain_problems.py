"""In a notebook, a problem an agent can fix shows as its one clear line, not a traceback.

A bad customer file, store or setting raises :class:`~support_kit.errors.SupportKitError`
in the cell that opens the desk; IPython would print the whole traceback. Importing the
panels installs a handler that shows the message alone (secrets masked), in a red box.
"""

from __future__ import annotations

import html

from ..customers import mask_secrets
from ..errors import SupportKitError


def _show(shell, etype, value, tb, tb_offset=None) -> None:
    from IPython.display import display

    message = mask_secrets(str(value))
    box = (f'<div class="sk-problem" style="color:#b71c1c;border:1px solid #e57373;'
           f'padding:6px 10px;border-radius:4px;font-weight:600">{html.escape(message)}</div>')
    display({"text/html": box, "text/plain": message}, raw=True)


def show_problems_plainly() -> bool:
    """Install the handler in the running IPython kernel; ``False`` outside one.

    >>> show_problems_plainly()  # plain Python: nothing to do
    False
    """
    try:
        from IPython import get_ipython
    except ImportError:  # pragma: no cover - ipywidgets brings IPython
        return False
    shell = get_ipython()
    if shell is None:
        return False
    shell.set_custom_exc((SupportKitError,), _show)
    return True
