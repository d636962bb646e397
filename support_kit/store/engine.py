"""Opening the store: the URL, the engine, and the schema brought up to date under a lock.

Default: an SQLite file in the user's data folder (``demo-desk.sqlite`` in demo mode), so the
desk needs no set-up; a team sets ``SUPPORT_KIT_STORE`` to a PostgreSQL URL.
"""

from __future__ import annotations

import contextlib
import fcntl
import time
from collections.abc import Callable, Iterator
from importlib.resources import files
from pathlib import Path

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError, SQLAlchemyError

from ..errors import SupportKitError
from ..folders import data_dir

SQLITE_BUSY_S = 30
#: A write that must not be lost (a spent code's token, a sent mail's record) is tried this
#: often while the store is busy or briefly unreachable, pausing between tries.
WRITE_TRIES = 3
WRITE_PAUSE_S = 1.0
#: The newest migration in ``migrations/versions`` (a test holds the two together).
HEAD = "0003"
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
        if create_folder:
            folder.mkdir(parents=True, exist_ok=True)
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
    """Bring the schema to ``revision`` (default: the newest), one process at a time."""
    if revision == "head" and _stored_revision(engine) == HEAD:
        return  # the common case, told without loading Alembic
    from alembic import command

    with engine.connect() as connection:
        if revision == "head" and current_revision(connection) == head_revision():
            return
    with _migration_lock(engine), engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(text(f"SELECT pg_advisory_xact_lock({_PG_MIGRATION_LOCK})"))
        config = _alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


@contextlib.contextmanager
def _migration_lock(engine: Engine) -> Iterator[None]:
    """A file lock beside an SQLite database (PostgreSQL takes an advisory lock instead)."""
    database = engine.url.database if engine.dialect.name == "sqlite" else None
    if not database or database == ":memory:":
        yield
        return
    with open(f"{Path(database).expanduser()}.lock", "a") as handle:
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
