"""Renewals kept aside: when the store cannot take a spent code's token (locked, full,
unreachable), the token (sealed with the token key) and its ``renewed`` event wait in a
private file in the data folder; the next opening of that store keeps them.

>>> import tempfile, pathlib
>>> folder = pathlib.Path(tempfile.mkdtemp())
>>> entry = {"code_hash": "ab12", "token": "gAAAA-sealed", "event": {}}
>>> path = keep_aside("sqlite:///desk.sqlite", entry, folder)
>>> oct(path.stat().st_mode & 0o777), [e["code_hash"] for _p, e in waiting(
...     "sqlite:///desk.sqlite", folder)]
('0o600', ['ab12'])
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

from ..folders import data_dir, private_folder


def folder_for(url: str, base: Path | None = None) -> Path:
    """The folder of one store's kept-aside renewals (named by a hash of its URL)."""
    name = hashlib.sha256(url.encode()).hexdigest()[:16]
    return (base or data_dir()) / "kept-aside" / name


def keep_aside(url: str, entry: dict, base: Path | None = None) -> Path:
    """Write ``entry`` (a sealed token and its event, never a clear token) whole, 0600."""
    folder = private_folder(folder_for(url, base))
    path = folder / f"renewal-{entry['code_hash'][:32]}.json"
    partial = path.with_suffix(".part")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(entry, handle)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(partial, path)
    return path


def waiting(url: str, base: Path | None = None) -> list[tuple[Path, dict]]:
    """The renewals kept aside for the store at ``url``, oldest first."""
    folder = folder_for(url, base)
    if not folder.is_dir():
        return []
    found = []
    for path in sorted(folder.glob("renewal-*.json"), key=lambda p: p.stat().st_mtime):
        try:
            found.append((path, json.loads(path.read_text(encoding="utf-8"))))
        except (OSError, ValueError):
            continue  # half a file cannot be: written whole; anything else is not ours
    return found
