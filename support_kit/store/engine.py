"""Opening the store: the URL, the engine, and the schema brought up to date under a lock.

Default: an SQLite file in the user's data folder (``demo-desk.sqlite`` in demo mode), so the
desk needs no set-up; a team sets ``SUPPORT_KIT_STORE`` to a PostgreSQL URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import time
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from ..errors import SupportKitError
from ..folders import data_dir, private_folder

SQLITE_BUSY_S = 30
#: A write that must not be lost (a spent code's token, a sent mail's record) is tried this
#: often while the store is busy or briefly unreachable, pausing between tries.
WRITE_TRIES = 3
WRITE_PAUSE_S = 1.0
#: The newest migration in ``migrations/versions`` (a test holds the two together).
HEAD = "0004"
_PG_MIGRATION_LOCK = 0x5375_7070  # any constant: one advisory lock for schema changes


def default_url(demo: bool) -> str:
    """The store used when ``SUPPORT_KIT_STORE`` is not set.

    >>> default_url(True).endswith("demo-desk.sqlite")
    True
    """
    folder = data_dir()
    return f"sqlite:///{folder / ('demo-desk.sqlite' if demo else 'desk.sqlite')}"


def masked(url: str) -> str:
    """The URL with its password hidden, for messages.

    >>> masked("postgresql+psycopg://desk:hunter2@db/desk")
    'postgresql+psycopg://desk:***@db/desk'
    """
    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return "(an unreadable URL)"


def connect(url: str, create_folder: bool = False) -> Engine:
    """An engine for ``url``; SQLite in WAL mode with a busy timeout (several processes).

    The folder of an SQLite file is made only for the default store (``create_folder``): a
    mistyped ``SUPPORT_KIT_STORE`` must not start a new, empty desk memory somewhere else.
    """
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise SupportKitError(
            f"SUPPORT_KIT_STORE={masked(url)} is not a database URL; write it like "
            "sqlite:////path/desk.sqlite or postgresql+psycopg://user:password@host/db.") from None
    sqlite = parsed.get_backend_name() == "sqlite"
    if sqlite and parsed.database and parsed.database != ":memory:":
        folder = Path(parsed.database).expanduser().parent
        _check_sqlite_file(Path(parsed.database).expanduser(), url)
        if create_folder:
            private_folder(folder)
        elif not folder.is_dir():
            raise SupportKitError(
                f"SUPPORT_KIT_STORE={masked(url)}: the folder {folder} does not exist. Check "
                "the path (an absolute path needs four slashes: sqlite:////path/desk.sqlite).")
    busy = _busy_seconds(parsed, url) if sqlite else SQLITE_BUSY_S
    try:
        engine = create_engine(parsed, pool_pre_ping=not sqlite,
                               connect_args={"timeout": busy} if sqlite else {})
    except (NoSuchModuleError, ModuleNotFoundError) as exc:
        raise SupportKitError(
            f"The store {masked(url)} needs a database driver that is not installed "
            f"({exc}). For PostgreSQL: pip install 'support_kit[postgres]'.") from None
    if sqlite:
        event.listen(engine, "connect", lambda dbapi, _record: _sqlite_pragmas(dbapi, busy))
    return engine


def _busy_seconds(parsed, url: str) -> float:
    """How long an SQLite store waits for another writer: ``?timeout=`` seconds in the URL
    (``sqlite:////path/desk.sqlite?timeout=5``), else :data:`SQLITE_BUSY_S`."""
    value = parsed.query.get("timeout")
    if value is None:
        return SQLITE_BUSY_S
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        seconds = -1
    if not 0 <= seconds <= 3600:
        raise SupportKitError(f"SUPPORT_KIT_STORE={masked(url)}: timeout= must be the seconds "
                              "to wait for a busy store, from 0 to 3600.")
    return seconds


def _sqlite_pragmas(dbapi_connection, busy: float) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")  # readers never wait for a writer
    cursor.execute(f"PRAGMA busy_timeout={int(busy * 1000)}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def is_new(engine: Engine) -> bool:
    """Whether ``engine`` points at no store yet: a missing SQLite file, or a database
    without the desk's tables (checked before the schema is made)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if engine.dialect.name == "sqlite":
        return bool(database) and database != ":memory:" and not Path(database).exists()
    return _stored_revision(engine) is None


def make_private_file(engine: Engine) -> None:
    """Make a new SQLite store's file for this user only (0600) before SQLite makes it
    (its write-ahead log and index files take the same rights)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        return
    try:
        os.close(os.open(Path(database).expanduser(), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         0o600))
    except FileExistsError:
        pass
    except OSError:
        pass  # the folder is missing or not writable: told when SQLite opens it


def _alembic_config():
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(files("support_kit.store") / "migrations"))
    return config


def _stored_revision(engine: Engine) -> str | None:
    """The schema version recorded in the store (``None``: not a store yet, or unreadable)."""
    try:
        with engine.connect() as connection:
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    except SQLAlchemyError:
        return None


def head_revision() -> str:
    """The newest schema version this kit knows."""
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config()).get_current_head()


def current_revision(connection: Connection) -> str | None:
    from alembic.runtime.migration import MigrationContext

    return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` (default: the newest), one process at a time.

    A store made by a newer kit, and a database that holds other tables but is no store,
    are refused and left unchanged."""
    stored = _stored_revision(engine)
    if revision == "head" and stored == HEAD:
        return  # the common case, told without loading Alembic
    from alembic import command

    _check_ours(engine, stored)

    with engine.connect() as connection:
        if revision == "head" and current_revision(connection) == head_revision():
            return
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def _check_ours(engine: Engine, stored: str | None) -> None:
    """Refuse a store of a newer kit and a database that is not a store (unchanged)."""
    from alembic.script import ScriptDirectory
    from alembic.util import CommandError

    where = masked(engine.url.render_as_string(hide_password=False))
    if stored is not None:
        try:
            ScriptDirectory.from_config(_alembic_config()).get_revision(stored)
        except CommandError:
            raise SupportKitError(
                f"The store {where} was made by a newer support_kit (schema {stored}; this "
                f"kit knows up to {HEAD}): upgrade support_kit (pip install -U support_kit) "
                "on this machine. The store was not changed.") from None
        return
    from sqlalchemy import inspect

    try:
        found = set(inspect(engine).get_table_names())
    except SQLAlchemyError:
        return  # told by the upgrade itself, in the store's words
    _refuse_foreign(found, where)


def _refuse_foreign(tables: set[str], where: str) -> None:
    from .schema import metadata

    foreign = sorted(tables - set(metadata.tables) - {"alembic_version"})
    if foreign:
        shown = ", ".join(foreign[:5]) + (" ..." if len(foreign) > 5 else "")
        raise SupportKitError(
            f"The database {where} is not a support_kit store: it holds other tables "
            f"({shown}) and was left unchanged. Check SUPPORT_KIT_STORE: name a new file "
            "or an empty database for the desk's memory.")


def _check_sqlite_file(path: Path, url: str) -> None:
    """An existing SQLite file that is no store is refused before the kit touches it (even
    switching its journal mode would change it); read only."""
    import sqlite3

    if not path.is_file():
        return
    try:
        with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True)) as db:
            tables = {row[0] for row in db.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
    except sqlite3.Error:
        return  # not a database at all: told when it is opened
    _refuse_foreign(tables, masked(url))


def problem(exc: BaseException, url: str | None = None) -> SupportKitError | None:
    """A database error as the one line a user can act on (``None``: not one of those):
    a store held locked too long, a full disk, a read-only file, a server out of reach.
    Never the SQL or its parameters.

    >>> from sqlalchemy.exc import OperationalError
    >>> str(problem(OperationalError("INSERT ...", {}, Exception("database is locked"))))[:40]
    'The store is busy: another program has h'
    """
    if not isinstance(exc, SQLAlchemyError):
        return None
    said = " ".join(str(getattr(exc, "orig", None) or "").split()).lower()
    where = f"The store {masked(url)}" if url else "The store"
    if "locked" in said or "lock timeout" in said or "could not obtain lock" in said:
        return SupportKitError(
            f"{where} is busy: another program has held it locked longer than support-kit "
            "waits. Try again in a moment; if it stays busy, close the program that holds it "
            "(a database browser, a stuck support-kit). Nothing of this step was kept.")
    if "disk is full" in said or "no space left" in said or "disk full" in said:
        return SupportKitError(
            f"{where} cannot be written: the disk is full. Free some space and try again; "
            "nothing of this step was kept.")
    if "readonly database" in said or "read-only" in said:
        return SupportKitError(
            f"{where} cannot be written: it is read-only for this user. Ask for write access "
            "to the file and its folder, or set SUPPORT_KIT_STORE to one you can write.")
    if "connection" in said and ("refused" in said or "timeout" in said or "closed" in said):
        return SupportKitError(
            f"{where} cannot be opened: the database server does not answer. Check that it "
            "runs, and SUPPORT_KIT_STORE; nothing of this step was kept.")
    return None


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A file lock beside an SQLite database (PostgreSQL takes an advisory lock instead)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    lock = os.open(f"{Path(database).expanduser()}.lock", os.O_RDWR | os.O_CREAT, 0o600)
    with os.fdopen(lock, "a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def retried(write: Callable[[], None], tries: int = WRITE_TRIES,
            pause: float = WRITE_PAUSE_S) -> None:
    """Run ``write`` (one transaction) again while the store is locked or unreachable;
    the last failure is raised.

    >>> retried(lambda: None)
    """
    for attempt in range(1, tries + 1):
        try:
            write()
            return
        except OperationalError:
            if attempt == tries:
                raise
            time.sleep(pause * attempt)
