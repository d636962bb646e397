"""A spent code always keeps its token: the store locked by a real second SQLite connection
during the exchange, the token kept aside (sealed, 0600) and taken in by the next command;
an exchange answer without a refresh token is a clear amazon_problem, the code released."""

import json
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from cryptography.fernet import Fernet

from support_kit.folders import data_dir
from support_kit.sandbox import Faults
from support_kit.store import Store

from .conftest import CANARY_SECRET, assert_no_canary, confirm_consent, run_cli, run_json
from .store_fixtures import dump_store


def _callback(capsys, customer_id):
    return confirm_consent(run_json(capsys, "link", customer_id)["url"]).headers["Location"]


@pytest.mark.parametrize("then", ["next-command", "retry-in-the-same-process"])
def test_a_store_locked_during_the_exchange_loses_no_token(sandbox_env, capsys, monkeypatch,
                                                           tmp_path, then):
    database = tmp_path / "desk.sqlite"
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{database}?timeout=1")
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    callback = _callback(capsys, "C100005")
    sandbox_env.faults = Faults(latency_ms=1500)  # Amazon takes its time with the code
    outcome = {}

    def exchange():
        outcome["result"] = run_cli(capsys, "verify-callback", callback, "--exchange",
                                    "--lang", "en", "--json")

    worker = threading.Thread(target=exchange)
    worker.start()
    other = sqlite3.connect(database, timeout=10, isolation_level=None)  # another program
    deadline = time.monotonic() + 30
    while not other.execute("SELECT count(*) FROM renewals").fetchone()[0]:
        assert time.monotonic() < deadline, "the code was never claimed"
        time.sleep(0.05)
    other.execute("BEGIN EXCLUSIVE")  # the store is locked while Amazon answers
    try:
        worker.join(timeout=120)
    finally:
        other.execute("ROLLBACK")
        other.close()
    code, out, err = outcome["result"]
    exchange = json.loads(out)["exchange"]
    assert code == 1 and exchange["status"] == "failed"
    assert exchange["problem"] == "store_problem"
    assert "database is locked" in exchange["message"] and "Traceback" not in err
    assert "Do not ask the seller to authorize again" in exchange["message"]
    kept = next(data_dir().rglob("renewal-*.json"))  # in the user's data folder
    assert str(kept) in exchange["message"] and kept.stat().st_mode & 0o777 == 0o600
    assert "Atzr|" not in kept.read_text() and not [p for p in kept.parent.iterdir()
                                                    if p.suffix == ".part"]
    assert_no_canary(out + err + kept.read_text())
    sandbox_env.faults = Faults()

    if then == "next-command":  # a new process opens the store: the token is taken in
        Store.close_all()
        code, _out, err = run_cli(capsys, "history", "C100005")
        assert code == 0 and "kept 1 renewal(s)" in err and "C100005" in err
    else:  # the agent presses the button again on the open page (the store stays open)
        code, out, _err = run_cli(capsys, "verify-callback", callback, "--exchange",
                                  "--lang", "en", "--json")
        assert json.loads(out)["exchange"]["status"] == "already_renewed"
    history = run_json(capsys, "history", "C100005")
    assert [e["kind"] for e in history].count("renewed") == 1 and not kept.exists()
    assert run_json(capsys, "diagnose", "C100005")["authorized_source"] == "desk"
    live = run_json(capsys, "live-check", "C100005")["results"][0]
    assert live["live_state"] == "alive"  # the token Amazon gave for the spent code
    code, out, _err = run_cli(capsys, "verify-callback", callback, "--exchange", "--lang",
                              "en", "--json")
    assert json.loads(out)["exchange"]["status"] == "already_renewed"
    assert "Atzr|" not in dump_store(f"sqlite:///{database}")


class _NoRefreshToken(BaseHTTPRequestHandler):
    """An LWA endpoint that says yes to a code but sends no refresh token."""

    def do_POST(self):
        self.rfile.read(int(self.headers.get("Content-Length", 0)))
        body = json.dumps({"access_token": "Atza|only-access", "token_type": "bearer",
                           "expires_in": 3600}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *_args):
        pass


def test_an_answer_without_refresh_token_is_an_amazon_problem(sandbox_env, desk_store, capsys,
                                                              monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    callback = _callback(capsys, "C100005")
    lwa = ThreadingHTTPServer(("127.0.0.1", 0), _NoRefreshToken)
    threading.Thread(target=lwa.serve_forever, daemon=True).start()
    try:
        monkeypatch.setenv("SUPPORT_KIT_LWA_ENDPOINT",
                           f"http://127.0.0.1:{lwa.server_address[1]}/auth/o2/token")
        code, out, err = run_cli(capsys, "verify-callback", callback, "--exchange", "--lang",
                                 "en", "--json")
    finally:
        lwa.shutdown()
        lwa.server_close()
    exchange = json.loads(out)["exchange"]
    assert code == 1 and exchange["status"] == "failed" and "Traceback" not in err
    assert exchange["problem"] == "amazon_problem" and "no refresh token" in exchange["message"]
    assert Store.open().renewal(_hash(callback)) is None  # released: no "in progress" left
    assert "renewed" not in [e["kind"] for e in run_json(capsys, "history", "C100005")]
    assert CANARY_SECRET not in out + err


def _hash(callback_url):
    import hashlib
    from urllib.parse import parse_qs, urlsplit

    code = parse_qs(urlsplit(callback_url).query)["spapi_oauth_code"][0]
    return hashlib.sha256(code.encode()).hexdigest()


def test_a_failed_exchange_reads_in_one_language(sandbox_env, desk_store, capsys,
                                                  monkeypatch):
    import requests

    from .conftest import TEST_ENV

    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    callback = _callback(capsys, "C100005")
    from urllib.parse import parse_qs, urlsplit

    spent = requests.post(f"{sandbox_env.url}/auth/o2/token", timeout=5, data={  # elsewhere
        "grant_type": "authorization_code", "client_id": TEST_ENV["SUPPORT_KIT_LWA_CLIENT_ID"],
        "client_secret": TEST_ENV["SUPPORT_KIT_LWA_CLIENT_SECRET"],
        "code": parse_qs(urlsplit(callback).query)["spapi_oauth_code"][0]})
    assert spent.status_code == 200
    code, out, err = run_cli(capsys, "verify-callback", callback, "--exchange", "--lang", "en")
    assert code == 1 and "Exchanging the code failed" in out
    assert "Live check with Amazon:" in out and "Live-Check" not in out


def test_a_wrong_key_skips_the_tokens_it_cannot_open_and_checks_the_others(
        sandbox_env, desk_store, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    assert run_cli(capsys, "verify-callback", _callback(capsys, "C100005"), "--exchange")[0] == 0
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())  # mistyped
    code, out, err = run_cli(capsys, "live-check", "C100005", "C100002", "C100003", "--json")
    results = {r["customer_id"]: r for r in json.loads(out)["results"]}
    assert code == 0 and set(results) == {"C100005", "C100002", "C100003"}, err
    assert results["C100002"]["live_state"] == "alive"  # everyone else checked
    assert results["C100005"]["live_state"] == "no_token"  # its desk token: not opened
    assert "not the key they were stored with" in results["C100005"]["detail"]
    assert "Traceback" not in err
