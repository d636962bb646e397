"""One customer, several authorizations (one per Amazon region): a seller on amazon.de and
amazon.com holds two, each with its own date, token and 365-day clock. The diagnosis, the
report, the reminders and a renewal at the desk handle each one."""

import datetime as dt
import json

import requests
from cryptography.fernet import Fernet

from support_kit.customers import load
from support_kit.dates import today
from support_kit.sandbox import Sandbox
from support_kit.store import Store

from .conftest import TEST_ENV, confirm_consent, customer, run_cli, run_json, write_csv


def day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).isoformat()


def two_regions(path, language="en"):
    """M1 sells in Germany (valid) and the US (expiring in 9 days); a second EU row for M1
    (France) is the same authorization twice; S1 holds one authorization."""
    return write_csv(path, [
        customer("M1", marketplace="DE", authorized_at=day(-183), language=language,
                 contact_email="m1@example.com", refresh_token="Atzr|m1-eu"),
        customer("M1", marketplace="US", authorized_at=day(-356), language=language,
                 contact_email="m1@example.com", refresh_token="Atzr|m1-na"),
        customer("M1", marketplace="FR", authorized_at=day(-10), language=language),
        customer("S1", authorized_at=day(-100)),
    ])


def test_one_row_per_customer_and_region_the_same_region_twice_is_rejected(tmp_path):
    loaded = load(two_regions(tmp_path / "c.csv"))
    assert loaded.customers["customer_id"].tolist() == ["M1", "M1", "S1"]
    assert loaded.rejects["line"].tolist() == [4]
    assert loaded.rejects["reason"].iloc[0] == "duplicate customer_id M1: first seen on line 2"
    assert loaded.refresh_tokens.get("M1", "NA").reveal() == "Atzr|m1-na"
    assert loaded.refresh_tokens.get("M1", "EU").reveal() == "Atzr|m1-eu"


def test_diagnosis_shows_every_authorization_the_most_urgent_on_top(tmp_path, capsys):
    listed = str(two_regions(tmp_path / "c.csv"))
    shown = run_json(capsys, "diagnose", "M1", "--input", listed, "--lang", "en")
    assert (shown["region"], shown["marketplace"], shown["state"], shown["days_left"]) == (
        "NA", "US", "expiring", 9)
    assert [(a["region"], a["marketplace"], a["state"], a["days_left"], a["authorized_source"])
            for a in shown["authorizations"]] == [("NA", "US", "expiring", 9, "list"),
                                                  ("EU", "DE", "valid", 182, "list")]
    assert shown["authorizations"][0]["expires_on"] == day(9)
    single = run_json(capsys, "diagnose", "S1", "--input", listed)
    assert [a["region"] for a in single["authorizations"]] == ["EU"]
    code, out, _ = run_cli(capsys, "diagnose", "M1", "--input", listed, "--lang", "en")
    assert "NA (US): Expiring" in out and "EU (DE): Valid" in out


def test_report_counts_authorizations_and_customers(tmp_path, capsys):
    listed = str(two_regions(tmp_path / "c.csv"))
    code, _, err = run_cli(capsys, "report", listed, "--out", str(tmp_path / "r"))
    assert code == 0, err
    summary = json.loads((tmp_path / "r" / "summary.json").read_text())
    assert (summary["rows_loaded"], summary["customers"], summary["rows_rejected"]) == (3, 2, 1)
    assert summary["by_region"] == {"EU": 2, "NA": 1}
    rows = (tmp_path / "r" / "customers.csv").read_text().splitlines()
    m1 = [r for r in rows if r.startswith('"M1"') or r.startswith("M1")]
    assert len(m1) == 2 and any("US" in r and "expiring" in r for r in m1)


def test_reminder_names_the_region_and_a_renewal_renews_that_region_only(
        tmp_path, capsys, monkeypatch, settings):
    listed = str(two_regions(tmp_path / "c.csv"))
    with Sandbox(load(listed), settings) as amazon:  # Amazon knows M1 in both regions
        for key, value in TEST_ENV.items():
            monkeypatch.setenv(key, value)
        monkeypatch.setenv("SUPPORT_KIT_LWA_ENDPOINT", f"{amazon.url}/auth/o2/token")
        monkeypatch.setenv("SUPPORT_KIT_SPAPI_ENDPOINT", amazon.url)
        monkeypatch.setenv("SUPPORT_KIT_SELLER_CENTRAL_URL", amazon.url)
        monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
        renew_one_region(listed, capsys, amazon)


def renew_one_region(listed, capsys, amazon):
    plan = run_json(capsys, "remind", listed)
    mails = [m for m in plan["mails"] if m["customer_id"] == "M1"]
    assert len(mails) == 1  # one mail per customer
    body = mails[0]["body"]
    assert "North America (US): expires on" in body and "Europe (DE)" not in body

    eu = run_json(capsys, "link", "M1", "--input", listed, "--region", "eu")
    assert eu["region"] == "EU" and "sellercentral" not in eu["url"]  # (the sandbox)
    code, _, err = run_cli(capsys, "link", "M1", "--input", listed, "--region", "FE")
    assert code == 2 and "no authorization in region FE" in err and "Traceback" not in err
    link = run_json(capsys, "link", "M1", "--input", listed)
    assert link["region"] == "NA"
    page = requests.get(link["url"], timeout=5).text  # Seller Central of the link's region
    assert '<span id="marketplace-region">US (NA)</span>' in page
    callback = confirm_consent(link["url"]).headers["Location"]
    code, out, err = run_cli(capsys, "verify-callback", callback, "--input", listed,
                             "--exchange", "--json")
    assert code == 0, out + err
    result = json.loads(out)
    assert result["region"] == "NA" and result["exchange"]["status"] == "renewed"
    assert result["exchange"]["live_state"] == "alive"
    shown = run_json(capsys, "diagnose", "M1", "--input", listed, "--lang", "en")
    by_region = {a["region"]: a for a in shown["authorizations"]}
    assert by_region["NA"]["authorized_source"] == "desk" and by_region["NA"]["state"] == "valid"
    assert by_region["EU"]["authorized_source"] == "list"
    assert by_region["EU"]["expires_on"] == day(182)  # untouched
    assert shown["region"] == "EU" and shown["state"] == "valid"  # now the soonest
    renewed = [e for e in Store.open().history("M1") if e.kind == "renewed"]
    assert renewed[0].detail["region"] == "NA"
    assert run_json(capsys, "remind", listed)["mails"] == []  # nothing due any more
    checked = {r["customer_id"]: r for r in run_json(capsys, "live-check", "M1", "--input",
                                                     listed)["results"]}
    assert checked["M1"]["live_state"] == "alive"
    code, out, _ = run_cli(capsys, "live-check", "M1", "--input", listed)
    assert code == 0 and "[EU]" in out and "[NA]" in out  # one line per authorization


def test_reminder_for_two_due_regions_names_both_with_their_links(tmp_path, capsys,
                                                                 monkeypatch):
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    listed = str(write_csv(tmp_path / "c.csv", [
        customer("M2", marketplace="JP", authorized_at=day(-360), language="it"),
        customer("M2", marketplace="IT", authorized_at=day(-370), language="it"),
    ]))
    mails = run_json(capsys, "remind", listed)["mails"]
    assert len(mails) == 1 and mails[0]["language"] == "it"
    body = mails[0]["body"]
    assert "Europa (IT): scaduta il" in body and "Estremo Oriente (JP): scade il" in body
    assert "Link per la regione Estremo Oriente:" in body
    assert body.count("https://") == 3  # the lead's link in the steps, one per region below


def test_vendor_central_host_for_india_is_amazons():
    from support_kit.marketplaces import lookup

    assert lookup("IN").vendor_central_host == "www.vendorcentral.in"
    assert lookup("IN").seller_central_host == "sellercentral.amazon.in"


def test_live_check_asks_amazon_about_each_authorization_with_its_token(tmp_path, settings):
    import dataclasses

    from support_kit.live_check import live_check

    customers = load(two_regions(tmp_path / "c.csv"))
    with Sandbox(customers, settings) as amazon:
        run = live_check(customers, amazon.client_settings(), ["M1"])
        assert [(r.region, r.live_state, r.marketplaces) for r in run.results] == [
            ("EU", "alive", ("DE",)), ("NA", "alive", ("US",))]
        eu_only = dataclasses.replace(amazon.client_settings(),
                                      spapi_endpoint=amazon.url + "/eu")
        run = live_check(customers, eu_only, ["M1"])
    by_region = {r.region: r for r in run.results}
    assert by_region["EU"].live_state == "alive"
    assert by_region["NA"].live_state == "access_denied"
    assert by_region["NA"].causes[0] == "region_mismatch"


def test_panel_finds_the_customer_once_and_shows_each_authorization(tmp_path):
    from support_kit.config import load_settings
    from support_kit.desk import Desk
    from support_kit.widgets import TroubleshootPanel

    desk = Desk(load_settings({}), load(two_regions(tmp_path / "c.csv")))
    assert desk.search("multi") == [] and desk.search("Shop M1") == ["M1"]
    panel = TroubleshootPanel(desk, customer_id="M1", lang="en")
    assert panel.value.diagnosis.region == "NA"
    shown = html_of_panel(panel)
    assert 'class="sk-authorizations"' in shown
    assert shown.index('data-region="NA"') < shown.index('data-region="EU"')
    reply = panel.reply_text.value
    assert "North America (US): expires on" in reply and "Europe (DE): valid until" in reply
    desk.close()


def html_of_panel(panel) -> str:
    """Every HTML value in the panel's widget tree (what the browser shows)."""
    found, todo = [], [panel.widget]
    while todo:
        widget = todo.pop()
        if type(widget).__name__ == "HTML" and isinstance(widget.value, str):
            found.append(widget.value)
        todo.extend(getattr(widget, "children", ()))
    return "\n".join(found)


def test_changes_since_the_last_report_compare_each_region_with_itself(tmp_path, capsys):
    import csv

    first = str(two_regions(tmp_path / "c.csv"))
    assert run_cli(capsys, "report", first, "--out", str(tmp_path / "r1"),
                   "--as-of", day(-1))[0] == 0
    renewed = write_csv(tmp_path / "c.csv", [  # the next export: NA renewed, rows reordered
        customer("S1", authorized_at=day(-100)),
        customer("M1", marketplace="US", authorized_at=day(-1), language="en",
                 contact_email="m1@example.com"),
        customer("M1", marketplace="DE", authorized_at=day(-183), language="en",
                 contact_email="m1@example.com"),
    ])
    assert run_cli(capsys, "report", str(renewed), "--out", str(tmp_path / "r2"))[0] == 0
    with open(tmp_path / "r2" / "changes.csv", newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert [(r["customer_id"], r["change"], r["state_before"], r["state_now"])
            for r in rows] == [("M1", "renewed", "expiring", "valid")]
