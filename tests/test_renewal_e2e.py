"""End to end over HTTP: link -> consent page -> callback -> verify -> exchange -> alive,
and the renewal then counts everywhere (diagnosis, live check, report, history)."""

import csv
import json

import requests
from cryptography.fernet import Fernet

from support_kit.renewal import renewal_link, verify_callback

from .conftest import assert_no_canary, confirm_consent, run_cli, run_json
from .store_fixtures import dump_store


def test_consent_page_shows_the_app_and_the_seller(sandbox, demo):
    settings = sandbox.client_settings()
    link = renewal_link(demo, "C100005", settings)
    assert link.url.startswith(sandbox.url + "/apps/authorize/consent?")
    page = requests.get(link.url, timeout=5)
    assert "I direct Amazon to provide" in page.text and "ATXGPCQ8XEK1KF" in page.text
    confirmed = confirm_consent(link.url)
    assert confirmed.status_code == 302
    callback_url = confirmed.headers["Location"]
    assert callback_url.startswith(sandbox.url + "/callback?")
    assert "spapi_oauth_code" in requests.get(callback_url, timeout=5).text
    assert verify_callback(callback_url, demo, settings).customer_id == "C100005"


def test_the_whole_renewal_loop(sandbox_env, desk_store, capsys, tmp_path, monkeypatch):
    key = Fernet.generate_key().decode()
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", key)
    monkeypatch.setenv("SUPPORT_KIT_AGENT", "anna")
    before = run_json(capsys, "diagnose", "C100005")
    assert before["state"] == "expired" and before["authorized_source"] == "list"

    link = run_json(capsys, "link", "C100005")
    callback_url = confirm_consent(link["url"]).headers["Location"]
    code, out, err = run_cli(capsys, "verify-callback", callback_url, "--exchange", "--json")
    assert code == 0, out + err
    exchange = json.loads(out)["exchange"]
    assert exchange["status"] == "renewed" and exchange["live_state"] == "alive"
    assert exchange["renewed_by"] == "anna"

    after = run_json(capsys, "diagnose", "C100005")
    assert after["state"] == "valid" and after["authorized_source"] == "desk"
    assert after["days_left"] >= 364 and not after["consequences"]
    live = run_json(capsys, "live-check", "C100005")["results"][0]
    assert live["live_state"] == "alive"  # with the token the desk received
    assert run_cli(capsys, "report", "--out", str(tmp_path / "report"))[0] == 0
    with open(tmp_path / "report" / "customers.csv", encoding="utf-8") as fh:
        row = next(r for r in csv.DictReader(fh) if r["customer_id"] == "C100005")
    assert row["state"] == "valid" and row["authorized_source"] == "desk"

    history = run_json(capsys, "history", "C100005")
    kinds = [e["kind"] for e in history]
    for kind in ("link_made", "callback_verified", "renewed", "live_checked"):
        assert kind in kinds
    assert kinds.index("renewed") < kinds.index("callback_verified") < kinds.index("link_made")
    assert {e["agent"] for e in history} == {"anna"}
    assert set(history[0]) == {"at", "agent", "kind", "customer_id", "seller_id", "detail"}

    # the integration reads the new token through the Python API, never on screen
    from support_kit.desk import Desk

    desk = Desk.open()
    token = desk.refresh_token("C100005")
    assert str(token) == "[secure]" and token.reveal().startswith("Atzr|sandbox-")
    issued = token.reveal()
    everything = dump_store(desk_store) + out + err
    assert issued not in everything and key not in everything
    assert_no_canary(everything)


def test_no_token_key_refuses_before_the_code_is_spent(sandbox_env, desk_store, capsys,
                                                       monkeypatch):
    link = run_json(capsys, "link", "C100005")
    callback_url = confirm_consent(link["url"]).headers["Location"]
    code, out, err = run_cli(capsys, "verify-callback", callback_url, "--exchange")
    assert code == 2 and "SUPPORT_KIT_TOKEN_KEY" in err and "Traceback" not in err
    assert "renewed" not in [e["kind"] for e in run_json(capsys, "history", "C100005")]

    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    code, out, err = run_cli(capsys, "verify-callback", callback_url, "--exchange", "--json")
    assert code == 0, out + err  # the same code still works
    assert json.loads(out)["exchange"]["status"] == "renewed"


def test_second_exchange_says_already_renewed(sandbox_env, desk_store, capsys, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    monkeypatch.setenv("SUPPORT_KIT_AGENT", "ben")
    link = run_json(capsys, "link", "C100001")
    callback_url = confirm_consent(link["url"]).headers["Location"]
    assert run_cli(capsys, "verify-callback", callback_url, "--exchange")[0] == 0
    exchanges = sandbox_env.code_exchanges
    recorded = len(run_json(capsys, "history", "C100001"))
    code, out, err = run_cli(capsys, "verify-callback", callback_url, "--exchange", "--lang",
                             "en")
    assert code == 0, err
    assert "Already renewed" in out and "by ben" in out
    assert sandbox_env.code_exchanges == exchanges  # Amazon not asked
    kinds = [e["kind"] for e in run_json(capsys, "history", "C100001")]
    assert kinds.count("renewed") == 1 and len(kinds) == recorded  # nothing new recorded


def test_wrong_account_is_caught_at_verification(sandbox, demo):
    settings = sandbox.client_settings()
    link = renewal_link(demo, "C100001", settings)
    callback_url = confirm_consent(link.url, sign_in_as="other").headers["Location"]
    result = verify_callback(callback_url, demo, settings, lang="en")
    assert result.problems == ("seller_mismatch",)


def test_consent_refusals_and_md_errors(sandbox, demo):
    settings = sandbox.client_settings()
    link = renewal_link(demo, "C100001", settings)
    individual = requests.get(link.url + "&as=individual", timeout=5).text
    assert "Professional selling plan required" in individual and 'id="confirm"' not in individual
    payments = requests.get(link.url + "&as=payments", timeout=5).text
    assert "no Amazon Seller Central account for these credentials" in payments.replace(
        "There is no", "no")
    bad_redirect = renewal_link(demo, "C100001", settings,
                                redirect_uri="https://evil.example/cb")
    assert "MD5101" in requests.get(bad_redirect.url, timeout=5).text
    unticked = requests.post(sandbox.url + "/apps/authorize/confirm", timeout=5,
                             data={"application_id": settings.app_id, "state": "x"},
                             allow_redirects=False)
    assert unticked.status_code == 200 and "Please tick the checkbox" in unticked.text


def test_draft_app_needs_version_beta(demo, settings):
    from support_kit.sandbox import Sandbox

    from .conftest import AS_OF

    with Sandbox(demo, settings, as_of=AS_OF, draft_app=True) as sb:
        client_settings = sb.client_settings()
        plain = renewal_link(demo, "C100001", client_settings)
        assert "MD1000" in requests.get(plain.url, timeout=5).text
        beta = renewal_link(demo, "C100001", client_settings, draft=True)
        assert "I direct Amazon" in requests.get(beta.url, timeout=5).text


def test_readme_path_demo_sandbox_in_another_process(capsys, demo_sandbox_process):
    """`support-kit sandbox` runs; link, consent, verify --exchange in this one (demo)."""
    link = run_json(capsys, "link", "C100005")
    assert link["url"].startswith(demo_sandbox_process)
    callback_url = confirm_consent(link["url"]).headers["Location"]
    code, out, err = run_cli(capsys, "verify-callback", callback_url, "--exchange", "--json")
    assert code == 0, out + err
    assert json.loads(out)["exchange"]["live_state"] == "alive"
    assert run_json(capsys, "diagnose", "C100005")["authorized_source"] == "desk"
    checked = run_json(capsys, "live-check", "C100005")["results"][0]
    assert checked["live_state"] == "alive", json.dumps(checked)


def _callback(capsys, customer_id):
    return confirm_consent(run_json(capsys, "link", customer_id)["url"]).headers["Location"]


def test_reply_after_a_desk_renewal_is_no_expiry_notice(sandbox_env, desk_store, capsys,
                                                        monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    assert run_json(capsys, "reply", "C100005")["situation"] == "expired"
    assert run_cli(capsys, "verify-callback", _callback(capsys, "C100005"), "--exchange")[0] == 0
    reply = run_json(capsys, "reply", "C100005", "--lang", "en")
    assert reply["situation"] != "expired" and "expired" not in reply["subject"].lower()


def test_a_key_that_cannot_open_the_stored_tokens_spends_no_code(sandbox_env, desk_store,
                                                                 capsys, monkeypatch):
    first = Fernet.generate_key().decode()
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", first)
    assert run_cli(capsys, "verify-callback", _callback(capsys, "C100001"), "--exchange")[0] == 0
    callback = _callback(capsys, "C100005")
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    code, out, err = run_cli(capsys, "verify-callback", callback, "--exchange", "--lang", "en")
    assert code == 2 and "not the key the desk's tokens are stored with" in err
    live = run_json(capsys, "live-check", "C100002")["results"][0]  # no desk token needed
    assert live["live_state"] == "alive"
    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", first)
    code, out, err = run_cli(capsys, "verify-callback", callback, "--exchange", "--json")
    assert code == 0 and json.loads(out)["exchange"]["status"] == "renewed"  # code still good


def test_a_code_moved_to_another_customers_callback_never_says_renewed(sandbox_env, desk_store,
                                                                       capsys, monkeypatch):
    from urllib.parse import parse_qs, urlencode, urlsplit

    monkeypatch.setenv("SUPPORT_KIT_TOKEN_KEY", Fernet.generate_key().decode())
    three, four = _callback(capsys, "C100003"), _callback(capsys, "C100004")
    query = {k: v[0] for k, v in parse_qs(urlsplit(three).query).items()}
    query["spapi_oauth_code"] = parse_qs(urlsplit(four).query)["spapi_oauth_code"][0]
    moved = three.split("?")[0] + "?" + urlencode(query)
    assert run_cli(capsys, "verify-callback", moved, "--exchange")[0] == 0
    code, out, err = run_cli(capsys, "verify-callback", four, "--exchange", "--lang", "en",
                             "--json")
    exchange = json.loads(out)["exchange"]
    assert code == 1 and exchange["status"] == "failed"
    assert "exchanged for customer C100003" in exchange["message"]
    assert "renewed" not in [e["kind"] for e in run_json(capsys, "history", "C100004")]


def test_demo_desk_with_another_key_still_checks_live(demo, monkeypatch):
    from support_kit.config import load_settings
    from support_kit.desk import Desk

    desk = Desk(load_settings({}), demo)
    link = desk.link("C100005")
    callback = desk.verify(confirm_consent(link.url).headers["Location"], customer_id="C100005")
    assert desk.confirm(callback).status == "renewed"
    desk.close()
    other = Desk(load_settings({"SUPPORT_KIT_TOKEN_KEY": Fernet.generate_key().decode()}), demo)
    try:
        assert other.live_check("C100001").live_state == "alive"
    finally:
        other.close()
