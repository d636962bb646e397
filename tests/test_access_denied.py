"""A 403 on the proof call after a good token refresh is `access_denied`, never `error`:
its likely causes ranked by what the desk knows, and the next step (real sockets)."""

import dataclasses

from support_kit.desk import Desk
from support_kit.live_check import live_check
from support_kit.store import Store
from support_kit.widgets import TroubleshootPanel

from .conftest import AS_OF, TEST_ENV, run_cli

EU, FE = "C100001", "C100008"  # working tokens: Germany (EU), Australia (FE)


def test_another_regions_endpoint_is_access_denied_with_the_region_first(sandbox, demo):
    eu_only = dataclasses.replace(sandbox.client_settings(), spapi_endpoint=sandbox.url + "/eu")
    run = live_check(demo, eu_only, [EU, FE], as_of=AS_OF)
    results = {r.customer_id: r for r in run.results}
    assert results[EU].live_state == "alive" and results[EU].causes == ()
    denied = results[FE]
    assert denied.live_state == "access_denied" and run.app_problem is None
    assert denied.causes == ("region_mismatch", "account_deactivated", "role_missing",
                             "authorization_ended")
    assert "Access to requested resource is denied" in denied.detail and denied.request_id
    assert "SUPPORT_KIT_SPAPI_ENDPOINT" in denied.next_step("en")
    assert denied.label("en") == "Access denied (403 after a good token refresh)"
    assert run.counts["access_denied"] == 1 and run.counts.get("error", 0) == 0


def test_the_right_regions_endpoint_rules_the_region_out(sandbox, demo):
    fe_only = dataclasses.replace(sandbox.client_settings(), spapi_endpoint=sandbox.url + "/fe")
    run = live_check(demo, fe_only, [EU, FE], as_of=AS_OF)
    results = {r.customer_id: r for r in run.results}
    assert results[FE].live_state == "alive"
    assert results[EU].live_state == "access_denied"
    assert results[EU].causes[0] == "region_mismatch"


def test_command_and_panel_show_access_denied_and_what_to_do(sandbox, demo, capsys,
                                                             monkeypatch):
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUPPORT_KIT_LWA_ENDPOINT", f"{sandbox.url}/auth/o2/token")
    monkeypatch.setenv("SUPPORT_KIT_SPAPI_ENDPOINT", sandbox.url + "/eu")
    code, out, err = run_cli(capsys, "live-check", FE, "--as-of", AS_OF.isoformat())
    assert code == 0, err
    assert f"{FE:<12} access_denied" in out and " error" not in out
    assert "likely: The call went to another region's endpoint" in out
    assert "Next: Check SUPPORT_KIT_SPAPI_ENDPOINT" in out
    recorded = [e for e in Store.open().history(FE) if e.kind == "live_checked"][0]
    assert recorded.detail["live_state"] == "access_denied"
    assert recorded.detail["causes"][0] == "region_mismatch"

    settings = dataclasses.replace(sandbox.client_settings(), spapi_endpoint=sandbox.url + "/eu")
    desk = Desk(settings, demo, AS_OF)
    panel = TroubleshootPanel(desk, customer_id=FE, lang="de")
    panel.live_button.click()
    shown = panel.live_view.value
    assert 'data-live-state="access_denied"' in shown and "Zugriff verweigert" in shown
    assert shown.index('data-cause="region_mismatch"') < shown.index(
        'data-cause="account_deactivated"')
    assert "SUPPORT_KIT_SPAPI_ENDPOINT prüfen" in shown and "Fehler bei der Prüfung" not in shown
    assert "Zugriff verweigert" in panel.feedback()
    desk.close()


def test_the_report_shows_the_last_live_check(sandbox, demo, capsys, monkeypatch, tmp_path):
    import csv

    from openpyxl import load_workbook

    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUPPORT_KIT_LWA_ENDPOINT", f"{sandbox.url}/auth/o2/token")
    monkeypatch.setenv("SUPPORT_KIT_SPAPI_ENDPOINT", sandbox.url + "/eu")
    assert run_cli(capsys, "live-check", FE, EU, "--as-of", AS_OF.isoformat())[0] == 0
    code, _, err = run_cli(capsys, "report", "--out", str(tmp_path / "r"), "--lang", "en")
    assert code == 0, err
    with open(tmp_path / "r" / "customers.csv", newline="", encoding="utf-8") as fh:
        rows = {r["customer_id"]: r for r in csv.DictReader(fh)}
    assert rows[FE]["last_live_check"] == "access_denied"
    assert rows[EU]["last_live_check"] == "alive" and rows["C100002"]["last_live_check"] == ""
    sheet = load_workbook(tmp_path / "r" / "report.xlsx", read_only=True)["All"]
    values = [[c for c in row] for row in sheet.iter_rows(values_only=True)]
    column = values[0].index("Last live check")
    shown = {row[0]: row[column] for row in values[1:] if row and row[0] in (FE, EU)}
    assert shown == {FE: "Access denied (403 after a good token refresh)", EU: "Token works"}
