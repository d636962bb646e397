"""The desk's memory on SQLite and on a real PostgreSQL server: events from several
processes, schema upgrades without loss, tokens sealed, renewals laid over the list."""

import datetime as dt
import json
import sqlite3
import subprocess
import sys
import textwrap

import pytest
from cryptography.fernet import Fernet
from sqlalchemy import text

from support_kit.config import Secret, load_settings
from support_kit.customers import load
from support_kit.errors import SupportKitError
from support_kit.rules import evaluate
from support_kit.store import Event, Store, TokenVault
from support_kit.store import engine as engines
from support_kit.store.authorizations import with_desk_renewals

from .conftest import CANARY_TOKEN, assert_no_canary, customer, run_cli, run_json, write_csv
from .store_fixtures import dump_store

WRITER = textwrap.dedent("""
    import sys, time
    from support_kit import cli
    start, who = float(sys.argv[1]), sys.argv[2]
    while time.time() < start:
        time.sleep(0.005)
    for i in range(20):
        assert cli.main(["note", "C100001", f"{who} note {i}", "--contacted"]) == 0
""")


def test_forty_notes_from_two_processes_at_once(desk_store, capsys):
    import os
    import time

    start = str(time.time() + 3)  # both open the fresh store (and migrate it) together
    env = os.environ | {"SUPPORT_KIT_AGENT": "x"}
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, start, who], env=env,
                                stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
               for who in ("anna", "ben")]
    for writer in writers:
        assert writer.wait(timeout=120) == 0, writer.stderr.read().decode()
    history = run_json(capsys, "history", "C100001")
    texts = sorted(e["detail"]["text"] for e in history)
    assert len(history) == 40 and len(set(texts)) == 40
    assert {e["kind"] for e in history} == {"contacted"}


def test_an_old_store_is_upgraded_without_loss(desk_store, capsys):
    engine = engines.connect(desk_store)
    engines.upgrade(engine, "0001")  # the first schema version, with data in it
    with engine.begin() as connection:
        connection.execute(text(
            "INSERT INTO events (at, agent, kind, customer_id, seller_id, detail) VALUES "
            "('2026-11-02 10:00:00', 'carla', 'note', 'C100001', 'A1', '{\"text\": \"old\"}')"))
        connection.execute(text(
            "INSERT INTO renewals (code_hash, customer_id, seller_id, seller_new, agent, "
            "claimed_at, renewed_at, token) VALUES ('h1', 'C100005', 'ATXGPCQ8XEK1KF', "
            "false, 'carla', '2026-11-03 09:00:00', '2026-11-03 09:00:05', 'sealed')"))
        assert engines.current_revision(connection) == "0001"
    engine.dispose()
    store = Store.open(desk_store)
    with store.engine.connect() as connection:
        assert engines.current_revision(connection) == engines.head_revision() == engines.HEAD
        assert connection.execute(text("SELECT count(*) FROM report_runs")).scalar() == 0
    old = store.history("C100001")
    assert [(e.agent, e.kind, e.detail) for e in old] == [("carla", "note", {"text": "old"})]
    assert old[0].at == dt.datetime(2026, 11, 2, 10, tzinfo=dt.UTC)
    assert store.renewal("h1").renewed_at == dt.datetime(2026, 11, 3, 9, 0, 5, tzinfo=dt.UTC)
    assert run_json(capsys, "history", "C100001")[0]["detail"] == {"text": "old"}


def test_nothing_secret_reaches_an_event(desk_store):
    store = Store.open(desk_store)
    store.record(Event("note", "C1", detail={"text": f"seller pasted {CANARY_TOKEN}"},
                       agent="anna"))
    assert_no_canary(dump_store(desk_store))
    assert "[secure]" in store.history("C1")[0].detail["text"]


def test_unknown_event_kind_and_empty_note_are_refused(desk_store, capsys):
    with pytest.raises(SupportKitError, match="Unknown event kind"):
        Event("deleted", "C1")
    code, _out, err = run_cli(capsys, "note", "C100001", "   ", "--lang", "en")
    assert code == 2 and "empty" in err
    code, _out, err = run_cli(capsys, "note", "C999999", "hello")
    assert code == 2 and "C999999" in err


def test_cli_note_and_history_text(desk_store, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_AGENT", "anna")
    assert run_cli(capsys, "note", "C100003", "rang, voicemail", "--lang", "en")[0] == 0
    assert run_cli(capsys, "note", "C100003", "spoke to Ms. Lee", "--contacted")[0] == 0
    code, out, _ = run_cli(capsys, "history", "C100003", "--lang", "en")
    lines = out.splitlines()
    assert code == 0 and "Contacted" in lines[0] and "spoke to Ms. Lee" in lines[0]
    assert "anna" in lines[1] and "Note" in lines[1] and "rang, voicemail" in lines[1]


def test_bad_store_settings_are_named(capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_STORE", "not a url")
    code, _out, err = run_cli(capsys, "history", "C100001")
    assert code == 2 and "SUPPORT_KIT_STORE" in err and "Traceback" not in err
    monkeypatch.setenv("SUPPORT_KIT_STORE", "postgresql+psycopg://desk:CANARY-pw@127.0.0.1:9/x")
    code, _out, err = run_cli(capsys, "history", "C100001")
    assert code == 2 and "cannot be opened" in err and "SUPPORT_KIT_STORE" in err
    assert_no_canary(err)


def test_a_mistyped_or_foreign_store_is_told_not_made(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{tmp_path / 'typo' / 'desk.sqlite'}")
    code, _out, err = run_cli(capsys, "history", "C100001")
    assert code == 2 and "does not exist" in err and not (tmp_path / "typo").exists()
    (tmp_path / "notes.sqlite").write_text("not a database")
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{tmp_path / 'notes.sqlite'}")
    code, _out, err = run_cli(capsys, "history", "C100001")
    assert code == 2 and "cannot be opened" in err and "unexpected" not in err


def test_token_key_problems_are_clear():
    with pytest.raises(SupportKitError, match="not a Fernet key"):
        TokenVault(Secret("CANARY-not-a-key"))
    sealed = TokenVault(Secret(Fernet.generate_key().decode())).seal(Secret(CANARY_TOKEN))
    with pytest.raises(SupportKitError, match="not the key they were stored with") as caught:
        TokenVault(Secret(Fernet.generate_key().decode())).open(sealed)
    assert_no_canary(str(caught.value))
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    rotated = TokenVault(Secret(f"{new},{old}"))
    assert rotated.open(TokenVault(Secret(old)).seal(Secret("t"))).reveal() == "t"


def _renewed(store, customer_id, at, seller="ASELLER", token="Atzr|x", key=None):
    vault = TokenVault(key or Secret(Fernet.generate_key().decode()))
    assert store.claim(f"h-{customer_id}-{at}", customer_id, seller, False, "anna", at) is None
    store.complete(f"h-{customer_id}-{at}", vault.seal(Secret(token)), at)


def test_desk_renewal_is_the_newest_authorization(tmp_path, desk_store):
    key = Fernet.generate_key().decode()
    settings = load_settings({"SUPPORT_KIT_TOKEN_KEY": key, "SUPPORT_KIT_APP_ID": "x"})
    customers = load(write_csv(tmp_path / "c.csv", [
        customer("1", authorized_at="2025-11-01", revoked_at="2026-10-05"),  # revoked, renewed
        customer("2", authorized_at="2026-11-20"),  # the list is newer than the desk
        customer("3", authorized_at="", seller_id=""),  # never authorized, renewed
        customer("4", authorized_at="2025-11-01", revoked_at="2026-11-28"),  # revoked after
        customer("5", authorized_at="2025-06-01"),  # renewed after the as-of day
    ]))
    store = Store.open(desk_store)
    moment = dt.datetime(2026, 11, 10, 15, 0, tzinfo=dt.UTC)
    for cid in ("1", "2", "3", "4"):
        _renewed(store, cid, moment, seller="ANEW3" if cid == "3" else f"A{cid}SELLER",
                 key=Secret(key))
    _renewed(store, "5", dt.datetime(2026, 12, 2, tzinfo=dt.UTC), key=Secret(key))
    desk = with_desk_renewals(customers, store, settings, as_of=dt.date(2026, 12, 1))
    frame = evaluate(desk.customers, dt.date(2026, 12, 1)).set_index("customer_id")
    assert frame.loc["1", "state"] == "valid" and frame.loc["1", "authorized_source"] == "desk"
    assert str(frame.loc["1", "authorized_on"].date()) == "2026-11-10"
    assert frame.loc["2", "authorized_source"] == "list"
    assert str(frame.loc["2", "authorized_on"].date()) == "2026-11-20"
    assert frame.loc["3", "state"] == "valid" and frame.loc["3", "seller_id"] == "ANEW3"
    assert frame.loc["4", "state"] == "revoked"  # a revocation after the renewal counts
    assert frame.loc["5", "authorized_source"] == "list"  # not yet renewed on that day
    assert desk.refresh_tokens.get("1").reveal() == "Atzr|x"
    assert "1" in desk.refresh_tokens and repr(desk.refresh_tokens).endswith("[secure]>")
    without_key = with_desk_renewals(customers, store, load_settings({"SUPPORT_KIT_APP_ID": "x"}),
                                     as_of=dt.date(2026, 12, 1))
    with pytest.raises(SupportKitError, match="SUPPORT_KIT_TOKEN_KEY"):
        without_key.refresh_tokens.get("1")


def test_history_json_is_a_list_of_events(desk_store, capsys):
    assert run_cli(capsys, "note", "C100001", "hello")[0] == 0
    events = run_json(capsys, "history", "C100001")
    assert events[0]["kind"] == "note" and events[0]["customer_id"] == "C100001"
    assert json.dumps(events)  # JSON all the way down
    assert dt.datetime.fromisoformat(events[0]["at"]).tzinfo is not None


def test_the_command_leaves_the_store_file_whole(tmp_path):
    """``support-kit`` closes the store before it exits: SQLite folds its write-ahead log
    into the file, so a copy of the file alone (a backup) holds every note."""
    import os
    import shutil
    import sqlite3

    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    env["XDG_DATA_HOME"] = str(tmp_path / "data")
    for words in ("called, renews tonight", "renewed"):
        subprocess.run([sys.executable, "-m", "support_kit.cli", "note", "C100005", words],
                       env=env, capture_output=True, text=True, check=True)
    store = next((tmp_path / "data").rglob("demo-desk.sqlite"))
    assert not store.with_name(store.name + "-wal").exists()
    shutil.copy(store, tmp_path / "backup.sqlite")
    with sqlite3.connect(tmp_path / "backup.sqlite") as copy:
        notes = copy.execute("SELECT detail FROM events WHERE customer_id = 'C100005'")
        assert [json.loads(d)["text"] for (d,) in notes] == ["called, renews tonight",
                                                            "renewed"]


def _bytes(path):
    return {p.name: p.read_bytes() for p in sorted(path.parent.iterdir()) if p.is_file()}


def test_a_store_of_a_newer_kit_is_refused_unchanged(tmp_path, capsys, monkeypatch):
    store = tmp_path / "desk.sqlite"
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{store}")
    assert run_cli(capsys, "note", "C100001", "kept")[0] == 0
    Store.close_all()
    with sqlite3.connect(store) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099'")
    connection.close()
    before = _bytes(store)
    code, _out, err = run_cli(capsys, "history", "C100001")
    assert code == 2 and err.count("\n") == 1 and "unexpected" not in err
    assert "made by a newer support_kit" in err and "upgrade support_kit" in err
    assert _bytes(store) == before


def test_a_foreign_database_is_refused_unchanged(tmp_path, capsys, monkeypatch):
    other = tmp_path / "shop.sqlite"
    with sqlite3.connect(other) as connection:
        connection.execute("CREATE TABLE orders (id INTEGER PRIMARY KEY, total REAL)")
        connection.execute("INSERT INTO orders (total) VALUES (9.5)")
    connection.close()
    before = _bytes(other)
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{other}")
    code, _out, err = run_cli(capsys, "note", "C100001", "hello")
    assert code == 2 and err.count("\n") == 1
    assert "not a support_kit store" in err and "orders" in err and "left unchanged" in err
    assert _bytes(other) == before


def test_a_new_store_is_made_and_said_once(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{tmp_path / 'dsek.sqlite'}")  # a typo
    code, out, err = run_cli(capsys, "history", "C100001")
    assert code == 0 and err.count("\n") == 1
    assert f"made a new store at sqlite:///{tmp_path / 'dsek.sqlite'}" in err
    assert "history starts empty" in err
    code, out, err = run_cli(capsys, "history", "C100001")
    assert code == 0 and err == ""


def test_a_store_locked_too_long_is_one_line(tmp_path, capsys, monkeypatch):
    store = tmp_path / "desk.sqlite"
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{store}?timeout=0.2")
    assert run_cli(capsys, "note", "C100001", "first")[0] == 0
    other = sqlite3.connect(store, isolation_level=None)  # another program holds it
    other.execute("BEGIN EXCLUSIVE")
    try:
        code, _out, err = run_cli(capsys, "note", "C100001", "CANARY-note-text")
    finally:
        other.execute("ROLLBACK")
        other.close()
    assert code == 2 and err.count("\n") == 1 and "is busy" in err
    assert "INSERT" not in err and "CANARY" not in err and "unexpected" not in err
    assert [e["detail"]["text"] for e in run_json(capsys, "history", "C100001")] == ["first"]


def test_a_full_disk_under_the_store_is_one_line(small_disk, capsys, monkeypatch):
    disk = small_disk("1m")
    try:
        monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{disk / 'desk.sqlite'}")
        assert run_cli(capsys, "note", "C100001", "first")[0] == 0
        filler = disk / "filler"
        with open(filler, "wb", buffering=0) as fh:  # the rest of the disk taken by another
            try:
                while fh.write(b"x" * 4096):
                    pass
            except OSError:
                pass
        code, _out, err = run_cli(capsys, "note", "C100001", "y" * 300_000)
        assert code == 2 and err.count("\n") == 1 and "the disk is full" in err, err
        assert "SUPPORT_KIT_STORE" not in err and "unexpected" not in err
    finally:
        Store.close_all()  # before the disk goes


def test_the_desks_files_are_private_by_default(tmp_path, capsys):
    from support_kit.folders import data_dir, reports_dir

    home = data_dir()
    assert not home.exists()  # a fresh user: the first command makes the folder and store
    assert run_cli(capsys, "note", "C100001", "private")[0] == 0
    store = home / "demo-desk.sqlite"
    assert oct(home.stat().st_mode & 0o777) == "0o700"
    for path in (store, home / "demo-desk.sqlite-wal", home / "demo-desk.sqlite.lock"):
        if path.exists():
            assert oct(path.stat().st_mode & 0o777) == "0o600", path
    out = reports_dir(dt.date(2026, 12, 1))
    assert run_cli(capsys, "report", "--as-of", "2026-12-01", "--out", str(out))[0] == 0
    for folder in (out, out.parent):
        assert oct(folder.stat().st_mode & 0o777) == "0o700", folder
    elsewhere = tmp_path / "shared" / "report"
    assert run_cli(capsys, "report", "--as-of", "2026-12-01", "--out", str(elsewhere))[0] == 0
    assert oct(elsewhere.stat().st_mode & 0o777) == "0o700"
    Store.close_all()
    home.chmod(0o755)  # made by an older kit: taken back on the next opening
    assert run_cli(capsys, "note", "C100001", "again")[0] == 0
    assert oct(home.stat().st_mode & 0o777) == "0o700"


def test_line_feeds_and_bidi_controls_make_no_fake_lines(desk_store, capsys):
    fake = "called\n2026-12-04 09:00  boss         Renewed\u202eevil"
    assert run_cli(capsys, "note", "C100001", fake)[0] == 0
    assert run_cli(capsys, "note", "C100001", "second\tnote")[0] == 0
    code, out, _err = run_cli(capsys, "history", "C100001", "--lang", "en")
    lines = out.splitlines()
    assert code == 0 and len(lines) == 2  # one line per event, whatever the note holds
    assert "called\u240a2026-12-04 09:00" in out and "\\u202eevil" in out
    assert "\u202e" not in out and "second\u2409note" in out
    assert run_json(capsys, "history", "C100001")[1]["detail"]["text"] == fake  # kept as is
