"""Where the kit writes files for the person at the desk: their own data folder.

Files the app writes (reports, training answers) go here, never into the folder the app
serves, so nobody can fetch them by URL. ``XDG_DATA_HOME`` moves it on Linux.

>>> folders = [reports_dir(dt.date(2026, 12, 1)), training_dir()]
>>> [f.relative_to(data_dir()).as_posix() for f in folders]
['reports/2026-12-01', 'training']
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import platformdirs


def data_dir() -> Path:
    """The user's data folder for support_kit (the store's SQLite file lives here too)."""
    return Path(platformdirs.user_data_dir("support_kit", appauthor=False))


def reports_dir(as_of: dt.date) -> Path:
    """The folder for the report of ``as_of`` (one per day: a rerun replaces its files)."""
    return data_dir() / "reports" / as_of.isoformat()


def training_dir() -> Path:
    """The folder for the trainees' saved quiz answers."""
    return data_dir() / "training"


def private_folder(folder: Path) -> Path:
    """``folder`` made (with its parents) for this user only (0700): the desk's files hold
    customers' addresses, notes and sealed tokens.

    >>> import tempfile
    >>> made = private_folder(Path(tempfile.mkdtemp()) / "a" / "b")
    >>> oct(made.stat().st_mode & 0o777)
    '0o700'
    """
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    return folder
