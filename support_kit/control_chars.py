"""Control characters in customer text: kept where a format allows them, shown visibly where
it does not (Excel's XML, HTML, a terminal), never dropped silently.

C0 controls become their Unicode "control pictures" (ESC -> ``␛``, NUL -> ``␀``); C1 controls
and bytes that were not valid text become ``\\x9b``-style escapes.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pyarrow as pa

from .columns import as_text

#: What XML 1.0 (and so Excel's files) cannot hold: C0 controls other than tab, LF, CR, lone
#: surrogates, and the non-characters U+FFFE/U+FFFF.
_NOT_XML = "[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]"  # Arrow text holds no surrogates
_NOT_XML_RE = re.compile(_NOT_XML[:-1] + "\ud800-\udfff]")
#: What a terminal could act on: every C0 control but tab and LF, DEL, C1, lone surrogates,
#: and the bidirectional controls that reorder what follows (U+202E shows text backwards).
_NOT_TERMINAL_RE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff"
                              "\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def _visible(match: re.Match) -> str:
    char = match.group(0)
    code = ord(char)
    if code < 0x20:
        return chr(0x2400 + code)  # ␀ ... ␟
    if code == 0x7F:
        return "\u2421"  # ␡
    if 0xDC80 <= code <= 0xDCFF:  # a byte that was not valid UTF-8 (surrogateescape)
        return f"\\x{code - 0xDC00:02x}"
    if 0xD800 <= code <= 0xDFFF:
        return f"\\u{code:04x}"
    return f"\\x{code:02x}" if code <= 0xFF else f"\\u{code:04x}"  # C1; bidi controls


def for_excel(text: str) -> str:
    """``text`` with what Excel's XML cannot hold replaced visibly.

    >>> for_excel("A\\x0bB\\x00C\\tD")
    'A␋B␀C\\tD'
    """
    return _NOT_XML_RE.sub(_visible, text)


def for_display(text: str) -> str:
    """``text`` safe to show on a terminal or a web page: no escape sequence or control acts.

    Line feeds and tabs stay.

    >>> for_display("Shop\\x1b[31m red\\n\\x9b2J")
    'Shop␛[31m red\\n\\\\x9b2J'
    """
    return _NOT_TERMINAL_RE.sub(_visible, text)


def for_list(text: object) -> str:
    r"""``text`` as one field of a line in a terminal list: as :func:`for_display`, and a
    line feed or tab in it shown as a symbol, so it cannot start a fake line.

    >>> for_list("note\nC100002  anna  Renewed\u202e")
    'note␊C100002  anna  Renewed\\u202e'
    """
    return for_display(str(text)).replace("\n", "\u240a").replace("\t", "\u2409")


def excel_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """``frame`` with every text column passed through :func:`for_excel` (only rows that
    need it are touched).

    >>> excel_frame(pd.DataFrame({"shop": ["ok", "A\\x1bB"]}))["shop"].tolist()
    ['ok', 'A␛B']
    """
    out = frame
    for column in frame.columns:
        dtype = frame[column].dtype
        if not (pd.api.types.is_string_dtype(dtype) or isinstance(dtype, pd.CategoricalDtype)):
            continue
        text = as_text(frame[column])
        if not _may_hold_controls(text):
            continue
        hit = text.str.contains(_NOT_XML, regex=True)
        if hit.any():
            if out is frame:
                out = frame.copy()
            fixed = text.copy()
            fixed[hit] = text[hit].map(for_excel)
            out[column] = fixed
    return out


def _may_hold_controls(text: pd.Series) -> bool:
    """A quick look at the UTF-8 bytes: in UTF-8 a control character is one byte below 0x20
    (never part of another character), and U+FFFE/U+FFFF start with 0xEF 0xBF."""
    arrow = pa.array(text.array)  # zero-copy for Arrow-backed text
    for chunk in getattr(arrow, "chunks", [arrow]):
        data = chunk.buffers()[2]
        if data is None:
            continue
        raw = np.frombuffer(data, dtype=np.uint8)
        if np.isin(raw[raw < 0x20], (0x09, 0x0A, 0x0D), invert=True).any():
            return True
        lead = np.flatnonzero(raw[:-1] == 0xEF)  # rare: U+F000 to U+FFFF
        if (raw[lead + 1] == 0xBF).any():
            return True
    return False
