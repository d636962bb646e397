"""The app's own LWA client secret: the setting, Amazon's notification, summary.json, banners."""

import dataclasses
import datetime as dt
import json

import pytest

from support_kit.app_credentials import client_secret
from support_kit.config import load_settings
from support_kit.desk import Desk
from support_kit.widgets import ReportPanel, TroubleshootPanel

from .conftest import AS_OF, customer, run_cli, write_csv


@pytest.mark.parametrize(("expires_on", "state", "days_left"), [
    (None, "unknown", None),
    ("2027-03-02", "valid", 91),
    ("2027-03-01", "rotation_due", 90),  # Amazon announces it 90 days ahead: plan it
    ("2027-01-01", "rotation_due", 31),
    ("2026-12-31", "expiring", 30),  # urgent
    ("2026-12-02", "expiring", 1),
    ("2026-12-01", "expired", 0),  # on the day itself, as Amazon's tokens
    ("2026-11-01", "expired", -30),
])
def test_client_secret_states(expires_on, state, days_left):
    day = dt.date.fromisoformat(expires_on) if expires_on else None
    secret = client_secret(day, AS_OF)
    assert (secret.state, secret.days_left) == (state, days_left)
    assert bool(secret.banner("en")) == (state in ("rotation_due", "expiring", "expired"))
    assert secret.tone == {"rotation_due": "warn", "expiring": "urgent",
                           "expired": "urgent"}.get(state, "")
    if state == "rotation_due":
        assert "Plan the rotation" in secret.banner("en")
        assert "Rotation planen" in secret.banner("de")


def notification(path, expiry="2026-12-20T23:30:00Z", kind="APPLICATION_OAUTH_CLIENT_SECRET_"
                 "EXPIRY", client_id="amzn1.application-oa2-client.test"):
    """Amazon's notification as FACTS.md gives it, saved as a file."""
    path.write_text(json.dumps({
        "notificationVersion": "1.0", "notificationType": kind, "payloadVersion": "1.0",
        "eventTime": "2026-11-20T10:00:00Z",
        "payload": {"applicationOAuthClientSecretExpiry": {
            "clientId": client_id, "clientSecretExpiryTime": expiry,
            "clientSecretExpiryReason": "PERIODIC_ROTATION"}},
        "notificationMetadata": {"applicationId": "amzn1.sp.solution.x", "subscriptionId":
                                 "s-1", "publishTime": "2026-11-20T10:00:01Z",
                                 "notificationId": "n-1"}}), encoding="utf-8")
    return path


def test_summary_json_app_block_from_the_notification(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_LWA_SECRET_EXPIRES", str(notification(tmp_path / "n.json")))
    source = write_csv(tmp_path / "c.csv", [customer("1")])
    code, _, err = run_cli(capsys, "report", str(source), "--as-of", AS_OF.isoformat(),
                           "--out", str(tmp_path / "out"), "--lang", "en")
    assert code == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text())
    # 23:30 UTC on 20 December is 21 December in Berlin, the desk's time zone
    assert summary["app"] == {"client_secret_expires_on": "2026-12-21",
                              "client_secret_days_left": 20,
                              "client_secret_state": "expiring"}
    assert "WARNING: The app's LWA client secret expires on 21 December 2026" in err
    assert "nobody" in err.lower() or "no seller needs to re-authorize" in err.lower()


def test_setting_as_a_date_and_demo_mode_stays(monkeypatch):
    settings = load_settings({"SUPPORT_KIT_LWA_SECRET_EXPIRES": "01.05.2027"})
    assert settings.lwa_secret_expires == dt.date(2027, 5, 1) and settings.demo


@pytest.mark.parametrize(("make", "message"), [
    (lambda p: notification(p, kind="APPLICATION_OAUTH_CLIENT_NEW_SECRET"),
     "APPLICATION_OAUTH_CLIENT_NEW_SECRET notification, not APPLICATION_OAUTH_CLIENT_SECRET"),
    (lambda p: notification(p, client_id="amzn1.application-oa2-client.other"),
     "for the client id amzn1.application-oa2-client.other"),
    (lambda p: notification(p, expiry="soon"), "'soon' is not an ISO 8601 time"),
    (lambda p: (p.write_text("{not json", encoding="utf-8"), p)[1], "cannot be read as JSON"),
    (lambda p: "next spring", "is neither a date"),
])
def test_bad_setting_or_notification_is_one_line_exit_2(tmp_path, capsys, monkeypatch, make,
                                                        message):
    value = make(tmp_path / "n.json")
    monkeypatch.setenv("SUPPORT_KIT_LWA_CLIENT_ID", "amzn1.application-oa2-client.test")
    monkeypatch.setenv("SUPPORT_KIT_LWA_SECRET_EXPIRES", str(value))
    code, out, err = run_cli(capsys, "diagnose", "C100001")
    assert code == 2 and not out and "Traceback" not in err
    assert "SUPPORT_KIT_LWA_SECRET_EXPIRES" in err and message in err


def test_no_banner_while_the_secret_is_valid(capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_LWA_SECRET_EXPIRES", "2027-06-01")
    code, _, err = run_cli(capsys, "diagnose", "C100001", "--as-of", AS_OF.isoformat())
    assert code == 0 and "WARNING" not in err


def html_of(widget):
    """Every HTML value in a widget tree, top first (what the browser shows)."""
    if isinstance(getattr(widget, "value", None), str) and type(widget).__name__ == "HTML":
        yield widget.value
    for child in getattr(widget, "children", ()):
        yield from html_of(child)


def test_every_panel_shows_the_banner_when_expired(demo, tmp_path):
    settings = dataclasses.replace(load_settings({}), lwa_secret_expires=dt.date(2026, 11, 30))
    desk = Desk(settings, demo, AS_OF)
    for panel in (TroubleshootPanel(desk, customer_id="C100001", lang="de"),
                  ReportPanel(desk, out_dir=tmp_path, lang="de")):
        banner = next(v for v in html_of(panel.widget) if "sk-app-banner" in v)
        assert 'data-state="expired"' in banner and "30.11.2026" in banner
        assert "Kein Verkäufer muss neu autorisieren" in banner
    assert panel.report.summary()["app"]["client_secret_state"] == "expired"
    desk.close()


def test_from_90_days_the_panel_and_the_command_say_plan_the_rotation(demo, capsys,
                                                                     monkeypatch):
    settings = dataclasses.replace(load_settings({}), lwa_secret_expires=dt.date(2027, 2, 1))
    desk = Desk(settings, demo, AS_OF)
    panel = TroubleshootPanel(desk, customer_id="C100001", lang="en")
    banner = next(v for v in html_of(panel.widget) if "sk-app-banner" in v)
    assert 'data-state="rotation_due"' in banner and 'data-tone="warn"' in banner
    assert "Plan the rotation" in banner and "62 days left" in banner
    desk.close()
    monkeypatch.setenv("SUPPORT_KIT_LWA_SECRET_EXPIRES", "2027-02-01")
    code, _, err = run_cli(capsys, "diagnose", "C100001", "--as-of", AS_OF.isoformat(),
                           "--lang", "en")
    assert code == 0 and "WARNING: The app's LWA client secret expires on 1 February 2027" \
        in err and "Plan the rotation" in err
