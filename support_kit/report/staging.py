"""A report folder written whole or not at all.

Files are written into a fresh temporary folder beside the report folder and moved into place
only when every one of them is written. A failure (a full disk, a bug, a killed process) leaves
the previous report as it was. Moving replaces a symlink that sits in the report folder
instead of writing through it, so nothing outside the folder is ever overwritten.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ..errors import SupportKitError
from ..problems import os_problem

_MARK = ".support-kit-writing-"


def check_folder(out: str | Path) -> Path:
    """``out`` as a report folder, or a clear error when it cannot be one.

    >>> check_folder("report") == Path("report")
    True
    """
    if not str(out).strip():
        raise SupportKitError("No report folder given (--out is empty): name a folder, "
                              "e.g. --out report/ (it is created when missing).")
    path = Path(out).expanduser()
    try:
        is_file = path.exists() and not path.is_dir()
    except OSError as exc:  # a name too long, a loop of links
        raise _problem(exc, out) from None
    if is_file:
        raise SupportKitError(f"The report folder {path} (--out) is a file, not a folder: "
                              "name a folder (it is created when missing) or move the file.")
    return path


@contextmanager
def written_whole(out: str | Path, keep: str | Path | None = None) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success its files replace those in ``out``.

    ``keep`` (the customer file) is never replaced: a report that would is refused whole.

    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "report"
    >>> with written_whole(out) as folder:
    ...     _ = (folder / "summary.json").write_text("{}")
    >>> sorted(p.name for p in out.iterdir())
    ['summary.json']
    >>> shutil.rmtree(out.parent)
    """
    target = Path(os.path.realpath(check_folder(out)))  # --out itself may be a symlink
    made = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    try:
        for folder in reversed(made):  # made private (0700), as the report folder
            folder.mkdir(mode=0o700, exist_ok=True)
        target.parent.mkdir(parents=True, exist_ok=True)  # a file in the way: told
        _remove_abandoned(target)
        staging = _staging_folder(target)
    except OSError as exc:
        _remove_empty(made)
        raise _problem(exc, out) from None
    try:
        yield staging
        _refuse_to_replace(staging, target, keep)
        _move_into_place(staging, target)
    except BaseException as exc:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(made)
        if isinstance(exc, OSError):
            raise _problem(exc, out) from None
        raise


def _remove_empty(folders: list[Path]) -> None:
    """Remove the folders this run created on the way to ``--out`` (innermost first)."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return


def _staging_folder(target: Path) -> Path:
    """A new folder on the same file system as ``target`` (so moving is a rename)."""
    name = f"{_MARK}{os.getpid()}-{secrets.token_hex(4)}"
    beside = target.parent / f".{_short(target.name)}{name}"
    if target.is_dir() and os.stat(target).st_dev != os.stat(target.parent).st_dev:
        beside = target / name  # --out is a mount point: the folder beside it is elsewhere
    beside.mkdir(mode=0o700)  # fresh (no symlink can wait in it), private: a new report
    # folder is this one renamed, so it is 0700 too
    return beside


def _refuse_to_replace(staging: Path, target: Path, keep: str | Path | None) -> None:
    if keep is None or not Path(keep).is_file():
        return
    for path in staging.iterdir():
        there = target / path.name
        if there.is_file() and not there.is_symlink() and os.path.samefile(there, keep):
            raise SupportKitError(
                f"The report would replace the customer file {keep} with its own {path.name}; "
                "choose another folder for --out (nothing was written).")


def _short(name: str) -> str:
    """``name`` cut to 100 bytes, so the staging folder's name stays within 255 bytes."""
    return os.fsdecode(os.fsencode(name)[:100])


def _move_into_place(staging: Path, target: Path) -> None:
    """Swap the staged files in: checked first (a folder where a file belongs, a folder
    that cannot be written), and on a failure midway the earlier files are put back."""
    try:
        staging.rename(target)  # no report yet: the whole folder appears at once
        return
    except OSError as exc:
        if exc.errno not in (errno.EEXIST, errno.ENOTEMPTY, errno.EINVAL, errno.EBUSY):
            raise
    names = sorted(p.name for p in staging.iterdir())
    _check_replaceable(target, names)
    earlier = staging / f"{_MARK}earlier"
    earlier.mkdir()
    kept, placed = [], []
    try:
        for name in names:
            there = target / name
            if there.exists() or there.is_symlink():
                os.replace(there, earlier / name)  # moves a symlink, never writes through
                kept.append(name)
            os.replace(staging / name, there)
            placed.append(name)
    except BaseException:
        for name in placed:
            with contextlib.suppress(OSError):
                os.unlink(target / name)
        for name in kept:
            with contextlib.suppress(OSError):
                os.replace(earlier / name, target / name)
        raise
    shutil.rmtree(staging)


def _check_replaceable(target: Path, names: list[str]) -> None:
    """Every staged file can take its place: told before anything is replaced."""
    if not os.access(target, os.W_OK | os.X_OK):
        raise SupportKitError(f"The report folder {target} (--out) cannot be written (no "
                              "permission): choose another folder or ask for write access. "
                              "Any earlier report there is unchanged.")
    for name in names:
        there = target / name
        if there.is_dir() and not there.is_symlink():
            raise SupportKitError(
                f"The report cannot replace {there}: a folder is in the way where the report "
                f"puts its file {name}. Move or rename that folder, or choose another --out. "
                "Any earlier report there is unchanged.")


def _remove_abandoned(target: Path) -> None:
    """Remove staging folders left by killed runs (their process is gone)."""
    for folder in (target.parent, target):
        prefix = f".{_short(target.name)}{_MARK}" if folder == target.parent else _MARK
        if not folder.is_dir():
            continue
        for path in folder.glob(prefix + "*"):
            pid = path.name[len(prefix):].split("-", 1)[0]
            if pid.isdigit() and not _alive(int(pid)) and not path.is_symlink():
                shutil.rmtree(path, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _problem(exc: OSError, out: str | Path) -> SupportKitError:
    return SupportKitError(f"The report could not be written to {out} (--out): "
                           f"{os_problem(exc)} Any earlier report there is unchanged.")
