"""The keeper as a JupyterHub service, tested with a real hub (its own proxy, its token API),
the keeper in its own process and the store on a real PostgreSQL server.

Agents' desks (``Desk.open`` with ``SUPPORT_KIT_KEEPER_URL`` and a hub token) hold no secret;
the keeper signs, exchanges, checks and records under the hub's name for the token.
"""

from __future__ import annotations

import contextlib
import csv
import datetime as dt
import json
import os
import secrets
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
import requests
from cryptography.fernet import Fernet

from support_kit.config import Secret, load_settings
from support_kit.customers import demo_path, load
from support_kit.errors import SupportKitError

from .conftest import (
    AS_OF,
    CANARY_SECRET,
    CANARY_STATE_KEY,
    CANARY_TOKEN,
    TEST_ENV,
    assert_no_canary,
    confirm_consent,
)
from .smtp_server import CANARY_SMTP_PASSWORD, SmtpServer
from .store_fixtures import _admin, dump_store, free_port

pytestmark = pytest.mark.timeout(240)
KEEPER_SCOPE = "access:services!service=keeper"


def _missing(what: str) -> None:
    if os.environ.get("CI"):
        pytest.fail(what)
    pytest.skip(what)


def _wait(url: str, process: subprocess.Popen, log: Path, ok=(200,)) -> None:
    deadline = time.monotonic() + 90
    while True:
        try:
            if requests.get(url, timeout=2).status_code in ok:
                return
        except requests.RequestException:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            pytest.fail(f"{url} did not answer:\n" + log.read_text(errors="replace")[-3000:])
        time.sleep(0.3)


def _customers_file(folder: Path) -> Path:
    """The demo customers (tokens the sandbox knows) and one row with a canary token."""
    rows = list(csv.DictReader(demo_path().open(encoding="utf-8")))
    rows.append(rows[4] | {"customer_id": "C900001", "seller_id": "A900001XYZ",
                           "refresh_token": CANARY_TOKEN})
    path = folder / "customers.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def hub(tmp_path_factory, postgres_server):
    """JupyterHub on 127.0.0.1 with users anna and ben and the keeper service; a sandbox
    Amazon; tokens for anna, ben and a token without access to the keeper."""
    from support_kit.sandbox import Sandbox

    folder = tmp_path_factory.mktemp("hub")
    database = f"keeper_{uuid.uuid4().hex[:10]}"
    _admin(postgres_server, f'CREATE DATABASE "{database}"')
    store = f"{postgres_server}/{database}"
    role = f"keeper_{uuid.uuid4().hex[:8]}"  # the keeper's own role: events insert-only
    _grant_keeper(postgres_server, database, store, role)
    keeper_store = f"{postgres_server.replace('//postgres@', f'//{role}@')}/{database}"
    token_key = Fernet.generate_key().decode()
    customers = _customers_file(folder)
    smtp = SmtpServer(password=CANARY_SMTP_PASSWORD)
    sandbox = Sandbox(load(demo_path()), load_settings(TEST_ENV), as_of=AS_OF, seed=1).start()
    # what `make hub` would be started with: the secrets, for the keeper only
    secret_env = TEST_ENV | {
        "SUPPORT_KIT_CUSTOMERS": str(customers),
        "SUPPORT_KIT_STORE": keeper_store, "SUPPORT_KIT_SMTP_URL": smtp.url(),
        "SUPPORT_KIT_MAIL_FROM": "Support <desk@example.com>",
        "SUPPORT_KIT_TOKEN_KEY": token_key, "SUPPORT_KIT_TIMEZONE": "Europe/Berlin",
        "SUPPORT_KIT_LWA_ENDPOINT": f"{sandbox.url}/auth/o2/token",
        "SUPPORT_KIT_SPAPI_ENDPOINT": sandbox.url, "SUPPORT_KIT_SELLER_CENTRAL_URL": sandbox.url}
    try:
        with _running_hub(folder, secret_env) as (keeper_url, log, token):
            yield {"url": keeper_url, "log": log, "store": store, "keeper_store": keeper_store,
                   "token_key": token_key, "customers": customers, "smtp": smtp,
                   "sandbox": sandbox, "anna": token("anna", [KEEPER_SCOPE]),
                   "ben": token("ben", [KEEPER_SCOPE]),
                   "no_access": token("anna", ["read:users:name!user"])}
    finally:
        sandbox.stop()
        smtp.stop()
        from support_kit.store import Store

        Store.close_all()
        _admin(postgres_server, f'DROP DATABASE "{database}" WITH (FORCE)')
        _admin(postgres_server, f'DROP ROLE "{role}"')


@contextlib.contextmanager
def _running_hub(folder: Path, secret_env: dict):
    """JupyterHub (users anna and ben, the keeper with ``secret_env``); yields the keeper's
    address, the hub's log and a function making a user's token with given scopes."""
    if not shutil.which("configurable-http-proxy"):
        _missing("configurable-http-proxy is not installed (npm install -g "
                 "configurable-http-proxy; .ci/run does)")
    jupyterhub = Path(sys.executable).parent / "jupyterhub"
    if not jupyterhub.exists():
        _missing("jupyterhub is not installed (pip install -e '.[dev]')")
    ports = [free_port() for _ in range(4)]
    admin_token = secrets.token_hex(16)
    config = folder / "jupyterhub_config.py"
    config.write_text(f"""
import os, sys
c = get_config()
c.JupyterHub.bind_url = "http://127.0.0.1:{ports[0]}"
c.JupyterHub.hub_bind_url = "http://127.0.0.1:{ports[1]}"
c.ConfigurableHTTPProxy.api_url = "http://127.0.0.1:{ports[2]}"
c.JupyterHub.db_url = "sqlite:///{folder}/jupyterhub.sqlite"
c.JupyterHub.cookie_secret_file = "{folder}/cookie_secret"
c.ConfigurableHTTPProxy.pid_file = "{folder}/proxy.pid"
c.JupyterHub.authenticator_class = "dummy"
c.Authenticator.allowed_users = {{"anna", "ben"}}
c.JupyterHub.services = [
    {{"name": "keeper", "url": "http://127.0.0.1:{ports[3]}",
      "command": [sys.executable, "-m", "support_kit.keeper.service"],
      "environment": {{k: v for k, v in os.environ.items()
                       if k.startswith("SUPPORT_KIT_") or k in ("PATH", "XDG_DATA_HOME")}}}},
    {{"name": "test-admin", "api_token": "{admin_token}"}},
]
c.JupyterHub.load_roles = [
    {{"name": "user", "scopes": ["self", "{KEEPER_SCOPE}"]}},
    {{"name": "test-admin", "services": ["test-admin"], "scopes": ["admin:users", "tokens"]}},
]
""")
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    log = folder / "hub.log"
    process = subprocess.Popen([str(jupyterhub), "-f", str(config)], cwd=folder,
                               env=env | secret_env, stdout=log.open("wb"),
                               stderr=subprocess.STDOUT, start_new_session=True)
    keeper_url = f"http://127.0.0.1:{ports[3]}"
    try:
        api = f"http://127.0.0.1:{ports[1]}/hub/api"
        _wait(f"{api}/", process, log)
        _wait(f"{keeper_url}/api/whoami", process, log, ok=(401,))
        admin = {"Authorization": f"token {admin_token}"}

        def token(user: str, scopes: list[str]) -> str:
            answer = requests.post(f"{api}/users/{user}/tokens", headers=admin, timeout=10,
                                   json={"scopes": scopes, "note": "keeper test"})
            assert answer.status_code == 201, answer.text
            return answer.json()["token"]

        yield keeper_url, log, token
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)


def _grant_keeper(server: str, database: str, store: str, role: str) -> None:
    """The owner makes the schema; the keeper's role gets what grant_statements says."""
    import psycopg

    from support_kit.keeper.grants import grant_statements
    from support_kit.store import Store

    Store.open(store)
    Store.close_all()
    _admin(server, f'CREATE ROLE "{role}" LOGIN')
    with psycopg.connect(f"{server.replace('+psycopg', '')}/{database}",
                         autocommit=True) as connection:
        for statement in grant_statements(role):
            connection.execute(statement)


@pytest.fixture
def agent(hub, monkeypatch):
    """Open a desk as an agent's kernel would: only the keeper's address and a hub token
    (and a forged SUPPORT_KIT_AGENT, which must not matter)."""
    from support_kit.desk import Desk

    def open_as(user: str, forged_agent: str = "ben", as_of: dt.date | None = AS_OF) -> Desk:
        monkeypatch.setenv("SUPPORT_KIT_KEEPER_URL", hub["url"])
        monkeypatch.setenv("SUPPORT_KIT_AGENT", forged_agent)
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", hub[user])
        return Desk.open(as_of=as_of)

    return open_as


def _post(hub, path: str, body: dict, token: str | None = None) -> requests.Response:
    headers = {"Authorization": f"token {token}"} if token else {}
    return requests.post(f"{hub['url']}/api/{path}", json=body, headers=headers, timeout=30)


def _kinds(desk, customer_id: str) -> list[tuple[str, str]]:
    return [(e.kind, e.agent) for e in desk.history(customer_id)]


def test_a_call_without_a_valid_hub_token_is_refused_and_records_nothing(hub, agent):
    note = {"kind": "note", "customer_id": "C100003", "detail": {"text": "forged"}}
    for token, status in ((None, 401), ("not-a-hub-token", 401), (hub["no_access"], 403)):
        answer = _post(hub, "events", note, token)
        assert answer.status_code == status, answer.text
        assert "error" in answer.json() and "Traceback" not in answer.text
    assert requests.get(f"{hub['url']}/api/history?customer_id=C100003",
                        timeout=10).status_code == 401
    assert _kinds(agent("anna"), "C100003") == []
    assert "forged" not in dump_store(hub["store"])


def test_an_event_carries_the_hub_users_name_whatever_the_agent_setting_says(hub, agent):
    anna = agent("anna", forged_agent="ben")
    assert anna.agent == "anna" and type(anna.keeper).__name__ == "RemoteKeeper"
    event = anna.note("C100007", "called, renews tonight", contacted=True)
    assert event.agent == "anna"
    ben = agent("ben", forged_agent="anna")
    timeline = ben.history("C100007", lang="en")  # ben sees anna's contact with her name
    assert [(e.kind, e.agent, e.detail["text"]) for e in timeline] == [
        ("contacted", "anna", "called, renews tonight")]
    assert "anna" in str(timeline)
    # a raw call cannot choose the name either, nor write the keeper's own kinds
    raw = _post(hub, "events", {"kind": "note", "customer_id": "C100007", "agent": "ben",
                                "detail": {"text": "raw"}}, hub["anna"])
    assert raw.status_code == 200 and raw.json()["agent"] == "anna"
    renewed = _post(hub, "events", {"kind": "renewed", "customer_id": "C100007"}, hub["anna"])
    assert renewed.status_code == 400 and "renewed" in renewed.json()["error"]
    assert [k for k, _ in _kinds(ben, "C100007")] == ["note", "contacted"]


def test_the_command_line_in_a_hub_terminal_records_through_the_keeper(hub, agent, capsys):
    from .conftest import run_cli

    agent("anna", forged_agent="ben")  # the environment of anna's server
    code, out, err = run_cli(capsys, "note", "C100008", "left a voicemail")
    assert code == 0 and "(anna)" in out, out + err
    code, out, err = run_cli(capsys, "history", "C100008", "--json")
    assert [(e["kind"], e["agent"]) for e in json.loads(out)] == [("note", "anna")]


def test_an_agents_desk_holds_no_secret(hub, agent):
    desk = agent("ben")
    s = desk.settings
    assert (s.lwa_client_secret, s.state_secret, s.token_key) == (None, None, None)
    assert not desk.demo and desk.customers.rows_loaded == 201
    assert len(desk.customers.refresh_tokens) == 0
    assert desk.customers.customers.set_index("customer_id").loc["C900001",
                                                                  "has_refresh_token"]
    with pytest.raises(SupportKitError, match="stay with the desk's keeper"):
        desk.refresh_token("C900001")
    assert desk.diagnose("C100005", "en").state == "expired"  # the rules run in the kernel


def test_a_link_made_through_the_remote_keeper_is_signed_and_recorded(hub, agent):
    from support_kit.renewal import read_state

    desk = agent("ben", forged_agent="anna")
    link = desk.link("C100001", message_lang="en")
    state = dict(p.split("=", 1) for p in link.url.split("?", 1)[1].split("&"))["state"]
    assert read_state(requests.utils.unquote(state), Secret(CANARY_STATE_KEY))["c"] == "C100001"
    assert read_state(requests.utils.unquote(state), Secret("another key")) is None
    assert link.url.startswith(hub["sandbox"].url) and link.url in link.instructions
    assert confirm_consent(link.url).status_code == 302  # "Amazon" takes it
    assert _kinds(desk, "C100001") == [("link_made", "ben")]


def test_the_renewal_loop_through_the_keeper_leaks_no_secret(hub, agent):
    desk = agent("anna")
    assert desk.diagnose("C100005").state == "expired"
    link = desk.link("C100005")
    callback_url = confirm_consent(link.url).headers["Location"]
    verdict = desk.verify(callback_url, "en", customer_id="C100005")
    assert verdict.ok and verdict.customer_id == "C100005"
    confirmation = desk.confirm(verdict, "en")
    assert confirmation.status == "renewed" and confirmation.live.live_state == "alive"
    assert confirmation.renewal.agent == "anna"
    again = desk.confirm(verdict, "en")  # the code is spent once
    assert again.status == "already_renewed"
    # every desk sees the renewal (today's): the date from the keeper, no token
    ben = agent("ben", as_of=None)
    row = ben.customers.customers.set_index("customer_id").loc["C100005"]
    assert row["authorized_source"] == "desk" and ben.diagnose("C100005").state == "valid"
    assert ben.live_check("C100005").live_state == "alive"  # the keeper's sealed token
    run = ben.live_checks(["C100001", "C900001"])
    assert [r.customer_id for r in run.results] == ["C100001", "C900001"]
    kinds = _kinds(ben, "C100005")
    assert ("renewed", "anna") in kinds and ("live_checked", "ben") in kinds
    assert ("callback_verified", "anna") in kinds and ("link_made", "anna") in kinds
    # a forged verdict is not exchanged: the keeper checks the address again
    forged = callback_url.replace("state=", "state=x")
    with pytest.raises(SupportKitError) as refused:
        desk.keeper.confirm(type(verdict)(True, "C100005", verdict.selling_partner_id, (), (),
                                          verdict.code, verdict.redirect_uri, False,
                                          Secret(forged)), AS_OF, "en")
    seen = "\n".join([repr(desk), repr(desk.keeper), repr(desk.settings), str(link),
                      json.dumps(confirmation.to_dict()), json.dumps(verdict.to_dict()),
                      json.dumps(run.to_dict()), str(ben.history("C100005")),
                      str(refused.value),
                      dump_store(hub["store"]), hub["log"].read_text(errors="replace")])
    assert_no_canary(seen)
    assert hub["token_key"] not in seen and CANARY_SECRET not in seen
    assert "Atzr|sandbox-" not in seen  # the token Amazon issued stays sealed in the store


def test_the_report_and_reminders_read_the_desks_memory_through_the_keeper(hub, agent,
                                                                          tmp_path):
    from support_kit.remind import plan_reminders
    from support_kit.report import build_report

    desk = agent("ben", as_of=None)
    desk.note("C100006", "ruft Freitag zurück", contacted=True)
    day = dt.date.today()
    report = build_report(desk.customers, day, desk.settings.timezone).follow_up(desk.store)
    row = report.frame.set_index("customer_id").loc["C100006"]
    assert row["last_contacted_by"] == "ben"
    report.record_run(desk.store, desk.agent)
    assert desk.store.previous_run(report.source, day + dt.timedelta(days=1))[0] == day
    plan = plan_reminders(desk, day)
    assert "C100006" not in set(plan.sendable["customer_id"])  # contacted: quiet for now
    # the mail merge's links are signed by the keeper, bound to the sellers it has on file
    from support_kit.renewal import read_state

    linked = plan.sendable[plan.sendable["renewal_link"] != ""]
    assert len(linked) >= 3
    sellers = desk.customers.customers.set_index("customer_id")["seller_id"]
    for row in linked.head(3).itertuples():
        state = requests.utils.unquote(row.renewal_link.split("state=", 1)[1])
        payload = read_state(state, Secret(CANARY_STATE_KEY))
        assert (payload["c"], payload["s"]) == (row.customer_id, sellers[row.customer_id])


def test_reminders_go_out_through_the_keeper_once(hub, agent):
    from support_kit.remind import plan_reminders, send_reminders

    ben = agent("ben", as_of=None)
    assert ben.settings.smtp_url is None  # the mail server's password stays with the keeper
    plan = plan_reminders(ben)
    assert plan.missing() == [] and "127.0.0.1" in plan.server and len(plan.sendable) >= 3
    result = send_reminders(ben, plan, recheck=True)
    assert result.ok and 0 < len(result.sent) == len(hub["smtp"].mails)
    reached = result.sent[0]["customer_id"]
    assert ("reminder_sent", "ben") in _kinds(ben, reached)
    assert hub["smtp"].mails[0].message["From"] == "Support <desk@example.com>"
    again = send_reminders(agent("anna", as_of=None), plan)  # the same preview, once more
    assert again.sent == [] and len(hub["smtp"].mails) == len(result.sent)
    seen = str(plan) + str(result) + hub["log"].read_text(errors="replace")
    assert CANARY_SMTP_PASSWORD not in seen + repr(ben.settings)


def test_a_new_customer_export_is_taken_at_the_next_call(hub, agent):
    path = hub["customers"]
    before = path.read_text(encoding="utf-8")
    first = before.splitlines()[1].split(",")
    path.write_text(before + ",".join(["C900002", "Neuer Laden", "A900002NEW"] + first[3:])
                    + "\n", encoding="utf-8")
    old = time.time() - 10  # written and settled
    os.utime(path, (old, old))
    desk = agent("ben")
    assert desk.customers.rows_loaded == 202 and desk.search("Neuer Laden") == ["C900002"]
    path.write_text("customer_id\n", encoding="utf-8")  # a broken export: no customer
    os.utime(path, (old + 1, old + 1))
    assert agent("ben").customers.rows_loaded == 202  # the list before is kept
    assert "kept the customer list loaded before" in hub["log"].read_text(errors="replace")


def test_a_trial_hub_without_secrets_renews_on_the_keepers_own_sandbox(tmp_path,
                                                                       monkeypatch):
    """No SUPPORT_KIT_ setting at all (a first trial of make hub): the keeper is in demo
    mode with its own sandbox; agents' desks say demo and hold no key, not even demo ones."""
    from support_kit.desk import Desk

    data = tmp_path / "keeper-data"
    with _running_hub(tmp_path, {"XDG_DATA_HOME": str(data)}) as (keeper_url, log, token):
        monkeypatch.setenv("SUPPORT_KIT_KEEPER_URL", keeper_url)
        monkeypatch.setenv("JUPYTERHUB_API_TOKEN", token("anna", [KEEPER_SCOPE]))
        desk = Desk.open()
        assert desk.demo and desk.settings.state_secret is None
        assert desk.customers.rows_loaded == 200 and not len(desk.customers.refresh_tokens)
        link = desk.link("C100005", message_lang="en")
        callback_url = confirm_consent(link.url).headers["Location"]
        verdict = desk.verify(callback_url, "en", customer_id="C100005")
        confirmation = desk.confirm(verdict, "en")
        assert confirmation.status == "renewed" and confirmation.renewal.agent == "anna"
        assert desk.diagnose("C100005").state == "valid"
        assert (data / "support_kit").is_dir()  # the demo store is the keeper's, not ours


def test_the_keeper_down_is_one_clear_line(monkeypatch):
    from support_kit.desk import Desk

    monkeypatch.setenv("SUPPORT_KIT_KEEPER_URL", f"http://127.0.0.1:{free_port()}")
    monkeypatch.setenv("JUPYTERHUB_API_TOKEN", "t")
    with pytest.raises(SupportKitError) as caught:
        Desk.open()
    assert "keeper" in str(caught.value) and "\n" not in str(caught.value)
    monkeypatch.delenv("JUPYTERHUB_API_TOKEN")
    with pytest.raises(SupportKitError, match="JUPYTERHUB_API_TOKEN"):
        Desk.open()


def test_a_keeper_that_drops_the_answer_is_told_apart_from_one_not_reached():
    """A call whose answer is lost may have been done: the agent is told to look first."""
    import socket
    import threading

    from support_kit.keeper import RemoteKeeper

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()

    def drop() -> None:  # read the request, then close without an answer
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            connection.recv(65536)
            connection.close()

    threading.Thread(target=drop, daemon=True).start()
    try:
        keeper = RemoteKeeper(f"http://127.0.0.1:{listener.getsockname()[1]}", Secret("t"))
        with pytest.raises(SupportKitError, match="did not answer") as caught:
            keeper.renewal_link("C100005", AS_OF)
        assert "history" in str(caught.value) and "\n" not in str(caught.value)
    finally:
        listener.close()


def test_the_keepers_own_role_adds_events_and_never_rewrites_one(hub):
    import sqlalchemy as sa

    engine = sa.create_engine(hub["keeper_store"])
    try:
        with engine.connect() as connection:
            assert connection.execute(sa.text("SELECT count(*) FROM events")).scalar() >= 0
        for sql in ("UPDATE events SET agent = 'ben'", "DELETE FROM events",
                    "TRUNCATE events"):
            with pytest.raises(sa.exc.ProgrammingError, match="permission denied"), \
                    engine.begin() as connection:
                connection.execute(sa.text(sql))
    finally:
        engine.dispose()
