"""The store's test fixtures: a real PostgreSQL server started by the suite, one fresh
database (SQLite file or PostgreSQL database) per test, and a demo sandbox in a process."""

from __future__ import annotations

import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

import pytest
import requests


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _pg_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if found:
        return Path(found[-1]).parent
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


@pytest.fixture(scope="session")
def postgres_server():
    """A PostgreSQL server on 127.0.0.1 for this test session (Debian's ``postgresql``).

    As root it runs as the ``postgres`` system user (the server refuses root)."""
    bindir = _pg_bin()
    if bindir is None:
        message = "PostgreSQL is not installed (apt-get install postgresql; .ci/run does)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    base = Path(tempfile.mkdtemp(prefix="support-kit-pg-"))
    as_postgres: list[str] = []
    if os.geteuid() == 0:
        as_postgres = ["runuser", "-u", "postgres", "--"]
        shutil.chown(base, "postgres", "postgres")
    data, port = base / "data", free_port()

    def run(*args: str) -> None:
        subprocess.run(as_postgres + list(args), check=True, capture_output=True, timeout=120)

    run(str(bindir / "initdb"), "-D", str(data), "-A", "trust", "-U", "postgres", "-E", "UTF8",
        "--no-sync")
    run(str(bindir / "pg_ctl"), "-D", str(data), "-l", str(base / "server.log"), "-w", "-o",
        f"-p {port} -k {base} -c listen_addresses=127.0.0.1 -c fsync=off "
        "-c synchronous_commit=off -c full_page_writes=off", "start")
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:{port}"
    finally:
        run(str(bindir / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop")
        shutil.rmtree(base, ignore_errors=True)


def _admin(server: str, sql: str) -> None:
    import psycopg

    with psycopg.connect(server.replace("+psycopg", "") + "/postgres",
                         autocommit=True) as connection:
        connection.execute(sql)


@pytest.fixture(params=["sqlite", "postgresql"])
def desk_store(request, tmp_path, monkeypatch):
    """``SUPPORT_KIT_STORE`` pointing at a fresh store: an SQLite file, or a new database on
    the real PostgreSQL server. Yields the URL."""
    from support_kit.store import Store

    if request.param == "sqlite":
        url, drop = f"sqlite:///{tmp_path / 'desk.sqlite'}", None
    else:
        server = request.getfixturevalue("postgres_server")
        name = f"desk_{uuid.uuid4().hex[:12]}"
        _admin(server, f'CREATE DATABASE "{name}"')
        url, drop = f"{server}/{name}", (server, name)
    monkeypatch.setenv("SUPPORT_KIT_STORE", url)
    yield url
    Store.close_all()
    if drop:
        _admin(drop[0], f'DROP DATABASE "{drop[1]}" WITH (FORCE)')


def dump_store(url: str) -> str:
    """Every row of every table of the store as text (what a database dump would show)."""
    from sqlalchemy import MetaData, create_engine, select

    engine = create_engine(url)
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        with engine.connect() as connection:
            return "\n".join(repr(row) for table in metadata.sorted_tables
                             for row in connection.execute(select(table)))
    finally:
        engine.dispose()


@pytest.fixture
def demo_sandbox_process(tmp_path):
    """`support-kit sandbox` in its own process on the demo port, as the README says."""
    from support_kit.config import DEMO_SELLER_CENTRAL_URL

    port = int(DEMO_SELLER_CENTRAL_URL.rsplit(":", 1)[1])
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    process = subprocess.Popen([sys.executable, "-m", "support_kit.cli", "sandbox", "--port",
                                str(port)], env=env | {"XDG_DATA_HOME": str(tmp_path / "sb")},
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                if requests.get(DEMO_SELLER_CENTRAL_URL + "/", timeout=1).ok:
                    break
            except requests.RequestException:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail("the sandbox did not start: " + process.stderr.read().decode())
            time.sleep(0.2)
        yield DEMO_SELLER_CENTRAL_URL
    finally:
        process.terminate()
        process.wait(timeout=10)
