"""Shared test helpers: files written to disk, canary secrets, the CLI run in-process."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from support_kit import cli
from support_kit.customers import COLUMNS, demo_path, load

from .chromium import browser  # noqa: F401
from .smtp_server import smtp_server  # noqa: F401
from .store_fixtures import demo_sandbox_process, desk_store, postgres_server  # noqa: F401

AS_OF = dt.date(2026, 12, 1)
CANARY_TOKEN = "Atzr|CANARY-refresh-7f3a9c"
CANARY_SECRET = "CANARY-client-secret-91b2"
CANARY_STATE_KEY = "CANARY-state-key-55e0"
CANARIES = (CANARY_TOKEN, CANARY_SECRET, CANARY_STATE_KEY, "CANARY")


@pytest.fixture(autouse=True)
def _no_settings(monkeypatch):
    """Each test starts in demo mode unless it sets SUPPORT_KIT_* itself."""
    import os

    for name in list(os.environ):
        if name.startswith("SUPPORT_KIT_"):
            monkeypatch.delenv(name)


@pytest.fixture(autouse=True)
def _own_store(tmp_path_factory, monkeypatch):
    """Each test has its own desk memory: the default store lives in a fresh data folder
    (outside the test's own tmp_path, which some tests check for stray files)."""
    from support_kit.store import Store

    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("data")))
    yield
    Store.close_all()


@pytest.fixture(scope="session")
def demo():
    return load(demo_path())


@pytest.fixture
def today_desk(demo):
    """A demo desk as of today, so a renewal confirmed now counts in its views."""
    from support_kit.config import load_settings
    from support_kit.desk import Desk

    desk = Desk(load_settings({}), demo)
    yield desk
    desk.close()


def write_csv(path: Path, rows: list[dict], columns=COLUMNS, sep=",", encoding="utf-8") -> Path:
    """Write customer rows as CSV exactly as a spreadsheet would (quoted where needed)."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n", quoting=csv.QUOTE_ALL)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([str(row.get(c, "")) for c in columns])
    path.write_bytes(buffer.getvalue().encode(encoding))
    return path


def customer(customer_id: str, **fields) -> dict:
    base = {"customer_id": customer_id, "shop_name": f"Shop {customer_id}",
            "seller_id": f"A{customer_id}SELLER", "marketplace": "DE",
            "selling_plan": "professional", "account_type": "seller_central",
            "authorized_at": "2026-06-01", "revoked_at": "", "contact_email":
            f"shop{customer_id}@example.de", "language": "de", "refresh_token": ""}
    return base | fields


def run_cli(capsys, *args: str) -> tuple[int, str, str]:
    code = cli.main(list(args))
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def run_json(capsys, *args: str):
    code, out, err = run_cli(capsys, *args, "--json")
    assert code == 0, err
    return json.loads(out)


def assert_no_canary(text: str) -> None:
    for canary in CANARIES:
        assert canary not in text, f"secret canary {canary!r} leaked"


def confirm_consent(url: str, sign_in_as: str = "own"):
    """Do what a seller does on the sandbox's consent page over HTTP: tick, Confirm.

    Returns the response (a 302 to the callback URL when Amazon accepts)."""
    import re

    import requests

    page = requests.get(url + ("" if sign_in_as == "own" else f"&as={sign_in_as}"),
                        timeout=5).text
    form = {k: v.replace("&amp;", "&") for k, v in
            re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page)}
    return requests.post(url.split("/apps/")[0] + "/apps/authorize/confirm",
                         data=form | {"consent": "on"}, allow_redirects=False, timeout=5)


TEST_ENV = {
    "SUPPORT_KIT_APP_ID": "amzn1.sp.solution.11111111-2222-4333-8444-555555555555",
    "SUPPORT_KIT_STATE_SECRET": CANARY_STATE_KEY,
    "SUPPORT_KIT_LWA_CLIENT_ID": "amzn1.application-oa2-client.test",
    "SUPPORT_KIT_LWA_CLIENT_SECRET": CANARY_SECRET,
}


@pytest.fixture
def settings():
    from support_kit.config import load_settings

    return load_settings(TEST_ENV)


@pytest.fixture
def sandbox(demo, settings):
    """A real sandbox on 127.0.0.1 with the demo customers, and settings pointing at it."""
    from support_kit.sandbox import Sandbox

    with Sandbox(demo, settings, as_of=AS_OF, seed=1) as amazon:
        yield amazon


@pytest.fixture
def sandbox_env(sandbox, monkeypatch):
    """The environment of an agent whose settings point at the sandbox."""
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUPPORT_KIT_LWA_ENDPOINT", f"{sandbox.url}/auth/o2/token")
    monkeypatch.setenv("SUPPORT_KIT_SPAPI_ENDPOINT", sandbox.url)
    monkeypatch.setenv("SUPPORT_KIT_SELLER_CENTRAL_URL", sandbox.url)
    return sandbox


@pytest.fixture
def small_disk(tmp_path):
    """Mount a small tmpfs for the test (needs root, as in CI): ``small_disk("3m")`` gives
    its folder; unmounted at the end."""
    import subprocess

    mounted = []

    def mount(size: str) -> Path:
        disk = tmp_path / f"disk-{len(mounted)}"
        disk.mkdir()
        done = subprocess.run(["mount", "-t", "tmpfs", "-o", f"size={size}", "tmpfs",
                               str(disk)], capture_output=True, text=True, check=False)
        if done.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.strip()}")
        mounted.append(disk)
        return disk

    yield mount
    for disk in mounted:
        subprocess.run(["umount", "-l", str(disk)], check=False)
