"""Problems told in one line: file-system errors in plain words, messages made single-line.

Used where a message leaves the kit (the command line, a panel); the layers raise
:class:`~support_kit.errors.SupportKitError` with the words, this module only shapes them.
"""

from __future__ import annotations

import errno
import re
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TextIO

from .control_chars import for_display
from .customers import mask_secrets
from .errors import SupportKitError

#: errno -> what happened and what to do. These are problems a user can fix.
_ADVICE = {
    errno.ENOSPC: "the disk is full. Free some space or choose a folder on another disk.",
    errno.EDQUOT: "the disk quota is used up. Free some space or choose another folder.",
    errno.EFBIG: "the file would be too large for this file system. Choose another folder.",
    errno.EACCES: "permission denied. Choose a folder you can write to, or ask your "
                  "administrator.",
    errno.EPERM: "the operation is not permitted. Choose a folder you can write to.",
    errno.EROFS: "the file system is read-only. Choose a folder you can write to.",
    errno.ENAMETOOLONG: "a name is too long for the file system. Use a shorter path.",
    errno.ENOENT: "a folder on the way does not exist. Check the path.",
    errno.ENOTDIR: "a part of the path is a file, not a folder. Check the path.",
    errno.EISDIR: "a folder is in the way where a file should go. Move it away.",
    errno.EEXIST: "a file is in the way where a folder should go. Check the path.",
    errno.ELOOP: "the path has a loop of symbolic links. Check the path.",
    errno.EMFILE: "too many files are open. Close other programs and try again.",
}
_ERRNO_IN_TEXT = re.compile(r"\[Errno (\d+)\]|(No space left on device)")


def errno_of(exc: OSError) -> int | None:
    """The errno of ``exc``, also when a library only put it into the message.

    >>> errno_of(OSError("IOError: [Errno 28] No space left on device")) == errno.ENOSPC
    True
    """
    if exc.errno is not None:
        return exc.errno
    found = _ERRNO_IN_TEXT.search(str(exc))
    if found is None:
        return None
    return int(found.group(1)) if found.group(1) else errno.ENOSPC


def is_fixable(exc: BaseException) -> bool:
    """Whether ``exc`` is a problem the user can fix: a :class:`SupportKitError`, or a
    file-system problem (a full disk, no rights); anything else is a bug.

    >>> is_fixable(PermissionError(13, "Permission denied")), is_fixable(OSError("?"))
    (True, False)
    """
    return isinstance(exc, SupportKitError) or (
        isinstance(exc, OSError) and errno_of(exc) in _ADVICE)


def problem_line(exc: BaseException) -> str:
    """The one line telling a fixable problem (see :func:`is_fixable`).

    >>> problem_line(PermissionError(13, "Permission denied", "/srv/x.csv"))
    '/srv/x.csv: permission denied. Choose a folder you can write to, or ask your administrator.'
    """
    if isinstance(exc, OSError) and not isinstance(exc, SupportKitError):
        where = f"{exc.filename}: " if exc.filename else ""
        return one_line(where + os_problem(exc))
    return one_line(exc)


def os_problem(exc: OSError) -> str:
    """What went wrong, in plain words, and what to do.

    >>> os_problem(OSError(errno.ENOSPC, "No space left on device"))
    'the disk is full. Free some space or choose a folder on another disk.'
    """
    advice = _ADVICE.get(errno_of(exc))
    if advice:
        return advice
    return f"{exc.strerror or exc} (error {exc.errno})." if exc.errno else f"{exc}."


def one_line(message: object, limit: int = 600) -> str:
    """``message`` as one safe line: whitespace folded, controls shown, secrets masked.

    >>> one_line("Row 3:\\n  bad \\x1b[2J value")
    'Row 3: bad ␛[2J value'
    """
    text = " ".join(for_display(mask_secrets(str(message))).split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


_JSON_UNSAFE = re.compile("[\x7f-\x9f\ud800-\udfff]")


def json_text(text: str) -> str:
    r"""JSON text whose DEL, C1 controls and stray surrogates are ``\uXXXX`` escapes (JSON
    escapes the other controls itself), so it prints safely and stays valid JSON.

    >>> print(json_text('"a\x9bb"'))
    "a\u009bb"
    """
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group(0)):04x}", text)


class _SafeWriter:
    """A text stream that shows control characters instead of passing them on."""

    def __init__(self, stream: TextIO):
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(for_display(text))

    def __getattr__(self, name: str):
        return getattr(self._stream, name)


@contextmanager
def shown_safely() -> Iterator[None]:
    """Within the block: what is printed to ``sys.stdout`` cannot act on the terminal, and
    errors Python can only report on the side (in a closing generator) print no traceback.
    """
    stdout, hook = sys.stdout, sys.unraisablehook
    sys.stdout = _SafeWriter(stdout)
    sys.unraisablehook = lambda _unraisable: None
    try:
        yield
    finally:
        sys.stdout, sys.unraisablehook = stdout, hook
