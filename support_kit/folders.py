"""Where the kit writes files for the person at the desk: their own data folder.

Files the app writes (reports, training answers) go here, never into the folder the app
serves, so nobody can fetch them by URL. ``XDG_DATA_HOME`` moves it on Linux.

>>> folders = [reports_dir(dt.date(2026, 12, 1)), training_dir()]
>>> [f.relative_to(data_dir()).as_posix() for f in folders]
['reports/2026-12-01', 'training']
"""

from __future__ import annotations

import datetime as dt
import os
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
    """``folder`` made for this user only (0700, and so each folder made on the way): the
    desk's files hold customers' addresses, notes and sealed tokens. The data folder itself
    is made private too when it was open to others.

    >>> import tempfile
    >>> made = private_folder(Path(tempfile.mkdtemp()) / "a" / "b")
    >>> oct(made.stat().st_mode & 0o777), oct(made.parent.stat().st_mode & 0o777)
    ('0o700', '0o700')
    """
    for missing in reversed([p for p in (folder, *folder.parents) if not p.exists()]):
        missing.mkdir(mode=0o700, exist_ok=True)
    home = data_dir()
    if folder == home or home in folder.parents:
        _tighten(home)
    return folder


def _tighten(folder: Path) -> None:
    """Take group and others' access from a folder of this user's (an older kit made the
    data folder 0755)."""
    try:
        mode = folder.stat()
        if mode.st_uid == os.getuid() and mode.st_mode & 0o077:
            os.chmod(folder, 0o700)
    except OSError:
        pass
