"""`support-kit diagnose` and `report` as an agent and a cron job use them."""

import csv
import json
import subprocess
import sys

from .conftest import CANARY_TOKEN, assert_no_canary, customer, run_cli, run_json, write_csv

AS_OF = "2026-12-01"


def test_diagnose_json_has_the_contract_fields(capsys):
    data = run_json(capsys, "diagnose", "C100005", "--as-of", AS_OF)
    for key in ("customer_id", "shop_name", "state", "expires_on", "days_left",
                "reminders_from", "consequences", "findings", "explanation"):
        assert key in data
    assert data["state"] == "expired"
    assert data["expires_on"] == "2026-10-22" and data["days_left"] == -40
    assert data["consequences"] == ["price_sync_stopped", "stock_sync_stopped",
                                    "order_import_stopped"]
    assert "22.10.2026" in data["explanation"]


def test_diagnose_text_in_english_names_what_stopped(capsys):
    code, out, _ = run_cli(capsys, "diagnose", "C100005", "--as-of", AS_OF, "--lang", "en")
    assert code == 0
    assert "Expired" in out and "Order import stopped since 22 October 2026" in out


def test_diagnose_accepts_german_as_of(capsys):
    assert run_json(capsys, "diagnose", "C100002", "--as-of", "01.12.2026")["days_left"] == 30


def test_unknown_customer_and_bad_file_exit_2_without_traceback(tmp_path):
    for args in (["diagnose", "NOPE"], ["diagnose", "1", "--input", str(tmp_path / "x.csv")]):
        result = subprocess.run([sys.executable, "-m", "support_kit.cli", *args],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 2
        assert "Traceback" not in result.stderr and result.stderr.startswith("support-kit: ")


def test_bad_as_of_is_a_usage_error(capsys):
    try:
        run_cli(capsys, "diagnose", "C100001", "--as-of", "tomorrow")
    except SystemExit as exit_:
        assert exit_.code == 2
    assert "not a date" in capsys.readouterr().err


def test_report_writes_summary_customers_and_rejects(tmp_path, capsys):
    rows = [customer("1", authorized_at="2025-12-01"), customer("1"),
            customer("2", marketplace="uk", refresh_token=CANARY_TOKEN,
                    shop_name="=cmd|' /C calc'!A0")]
    source = write_csv(tmp_path / "in.csv", rows)
    code, out, err = run_cli(capsys, "report", str(source), "--as-of", AS_OF,
                             "--out", str(tmp_path / "out"))
    assert code == 0, err
    out_dir = tmp_path / "out"
    summary = json.loads((out_dir / "summary.json").read_text())
    assert (summary["rows_in"], summary["rows_loaded"], summary["rows_rejected"]) == (3, 2, 1)
    assert summary["by_state"]["expired"] == 1 and summary["by_state"]["valid"] == 1
    with open(out_dir / "customers.csv", newline="", encoding="utf-8") as fh:
        table = list(csv.DictReader(fh))
    assert [r["customer_id"] for r in table] == ["1", "2"]
    assert table[1]["marketplace"] == "GB" and table[0]["expires_on"] == "2026-12-01"
    assert table[1]["shop_name"].startswith("'=")
    with open(out_dir / "rejects.csv", newline="", encoding="utf-8") as fh:
        rejects = list(csv.DictReader(fh))
    assert rejects[0]["line"] == "3" and "first seen on line 2" in rejects[0]["reason"]
    for written in out_dir.iterdir():
        assert_no_canary(written.read_bytes().decode("utf-8", "replace"))


def test_canary_token_absent_from_diagnose_json(tmp_path, capsys):
    source = write_csv(tmp_path / "in.csv", [customer("1", refresh_token=CANARY_TOKEN)])
    code, out, err = run_cli(capsys, "diagnose", "1", "--input", str(source), "--json")
    assert code == 0
    assert_no_canary(out + err)
    assert json.loads(out)["has_refresh_token"] is True


def test_settings_customers_file_is_the_default(tmp_path, capsys, monkeypatch):
    source = write_csv(tmp_path / "in.csv", [customer("77")])
    monkeypatch.setenv("SUPPORT_KIT_CUSTOMERS", str(source))
    assert run_json(capsys, "diagnose", "77", "--as-of", AS_OF)["customer_id"] == "77"


def test_every_command_has_help():
    for command in ("diagnose", "report"):
        result = subprocess.run([sys.executable, "-m", "support_kit.cli", command, "--help"],
                                capture_output=True, text=True, check=False)
        assert result.returncode == 0 and "usage: support-kit" in result.stdout
