"""SUPPORT_KIT_ROLES_CHANGED_ON: Amazon wants a new consent "anytime you add a role", so
working authorizations from before that day become the finding `roles_changed`."""

import json

from support_kit.config import load_settings

from .conftest import customer, run_cli, run_json, write_csv


def listed(tmp_path):
    return str(write_csv(tmp_path / "customers.csv", [
        customer("A", authorized_at="2026-03-01"),  # valid, from before the change
        customer("B", authorized_at="2026-09-01"),  # valid, after it
        customer("C", authorized_at="2025-10-01"),  # expired: a renewal is due anyway
        customer("D", authorized_at="2025-12-20"),  # expiring, from before the change
    ]))


def test_roles_changed_day_turns_older_authorizations_into_findings(tmp_path, capsys,
                                                                    monkeypatch):
    customers = listed(tmp_path)
    before = run_json(capsys, "diagnose", "A", "--input", customers, "--as-of", "2026-12-01")
    assert before["situation"] == "working" and before["findings"] == []

    monkeypatch.setenv("SUPPORT_KIT_ROLES_CHANGED_ON", "2026-08-01")
    assert load_settings().demo  # a desk setting: it does not leave demo mode
    shown = {c: run_json(capsys, "diagnose", c, "--input", customers, "--as-of", "2026-12-01",
                         "--lang", "en") for c in "ABCD"}
    assert [f["id"] for f in shown["A"]["finding_details"]] == ["roles_changed"]
    assert shown["A"]["state"] == "valid" and shown["A"]["situation"] == "roles_changed"
    assert shown["A"]["link_allowed"] and "role change" in shown["A"]["next_step"]
    assert shown["A"]["situation_label"] == "Roles changed"
    assert shown["B"]["situation"] == "working" and shown["B"]["findings"] == []
    assert shown["C"]["situation"] == "expired" and shown["C"]["findings"] == []
    assert shown["D"]["findings"] == ["roles_changed"] and shown["D"]["state"] == "expiring"

    link = run_json(capsys, "link", "A", "--input", customers)
    assert "/apps/authorize/consent?" in link["url"]
    reply = run_json(capsys, "reply", "A", "--input", customers, "--lang", "en",
                     "--as-of", "2026-12-01")
    assert "new permissions (roles)" in reply["body"] and "Confirm" in reply["body"]

    code, out, err = run_cli(capsys, "report", customers, "--out", str(tmp_path / "r"),
                             "--as-of", "2026-12-01")
    assert code == 0, err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert summary["by_finding"]["roles_changed"] == 2


def test_a_roles_changed_day_that_is_not_a_day_is_told(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_ROLES_CHANGED_ON", "last August")
    code, out, err = run_cli(capsys, "diagnose", "A", "--input", listed(tmp_path))
    assert code == 2 and "Traceback" not in err
    assert "SUPPORT_KIT_ROLES_CHANGED_ON='last August'" in err and "2026-11-01" in err
