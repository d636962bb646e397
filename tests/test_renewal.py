"""Renewal links and callback verification."""

import datetime as dt
from urllib.parse import parse_qs, urlencode, urlsplit

import pytest

from support_kit.config import Secret, load_settings
from support_kit.errors import SupportKitError
from support_kit.renewal import NoLink, renewal_link, sign_state, verify_callback

from .conftest import TEST_ENV, assert_no_canary, customer, run_cli, write_csv

NOW = dt.datetime(2026, 12, 1, 9, 0, tzinfo=dt.UTC)


def query(url):
    return {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}


def callback(state, seller="ATXGPCQ8XEK1KF", code="ANcode123"):
    params = {"state": state}
    if seller:
        params["selling_partner_id"] = seller
    if code:
        params["spapi_oauth_code"] = code
    return "https://desk.example/callback?" + urlencode(params)


def test_link_goes_to_the_sellers_own_seller_central(demo, settings):
    link = renewal_link(demo, "C100005", settings, now=NOW)  # DE
    assert link.url.startswith("https://sellercentral-europe.amazon.com/apps/authorize/consent?")
    assert (link.host, link.region) == ("sellercentral-europe.amazon.com", "EU")
    q = query(link.url)
    assert q["application_id"] == TEST_ENV["SUPPORT_KIT_APP_ID"]
    assert "version" not in q and "redirect_uri" not in q
    us = renewal_link(demo, "C100006", settings, now=NOW)
    assert us.host == "sellercentral.amazon.com" and us.region == "NA"
    assert renewal_link(demo, "C100007", settings, now=NOW).host == "sellercentral.amazon.co.jp"


def test_draft_redirect_and_lifetime(demo, settings):
    link = renewal_link(demo, "C100005", settings, redirect_uri="https://desk.example/cb",
                        draft=True, valid_days=3, now=NOW)
    q = query(link.url)
    assert q["version"] == "beta" and q["redirect_uri"] == "https://desk.example/cb"
    assert link.state_expires_at == NOW + dt.timedelta(days=3)


def test_instructions_in_the_customers_language(demo, settings):
    de = renewal_link(demo, "C100005", settings, now=NOW)
    en = renewal_link(demo, "C100003", settings, now=NOW)
    assert "Loggen Sie sich bitte aktiv aus allen Amazon Seller Central" in de.instructions
    assert "Pop-up" in de.instructions and "08.12.2026" in de.instructions
    assert "sign out of every Amazon Seller Central session" in en.instructions
    assert "8 December 2026" in en.instructions and en.url in en.instructions


@pytest.mark.parametrize(("fields", "reason"), [
    ({"marketplace": "XX"}, "marketplace is unknown"),
    ({"account_type": "vendor_central"}, "Vendor Central"),
    ({"account_type": "amazon_payments"}, "Amazon Payments"),
    ({"selling_plan": "individual"}, "Professional plan"),
])
def test_no_link_with_a_reason(tmp_path, settings, fields, reason):
    from support_kit.customers import load

    customers = load(write_csv(tmp_path / "c.csv", [customer("1", **fields)]))
    with pytest.raises(NoLink, match=reason):
        renewal_link(customers, "1", settings, now=NOW, message_lang="en")


def test_missing_app_id_is_named(demo):
    settings = load_settings({"SUPPORT_KIT_STATE_SECRET": "x"})
    with pytest.raises(SupportKitError, match="SUPPORT_KIT_APP_ID"):
        renewal_link(demo, "C100005", settings)


def test_seller_central_url_setting_replaces_the_host(demo):
    settings = load_settings(TEST_ENV | {"SUPPORT_KIT_SELLER_CENTRAL_URL": "http://127.0.0.1:9"})
    assert renewal_link(demo, "C100005", settings).url.startswith(
        "http://127.0.0.1:9/apps/authorize/consent?")


def test_good_callback(demo, settings):
    state = query(renewal_link(demo, "C100005", settings, now=NOW).url)["state"]
    result = verify_callback(callback(state), demo, settings, now=NOW)
    assert result.ok and result.customer_id == "C100005" and result.problems == ()
    assert result.code.reveal() == "ANcode123"
    assert "ANcode123" not in repr(result) and "ANcode123" not in str(result.to_dict())


def test_tampered_foreign_and_expired_state(demo, settings):
    state = query(renewal_link(demo, "C100005", settings, now=NOW).url)["state"]
    tampered = state.replace(state[5], "A" if state[5] != "A" else "B", 1)
    foreign = sign_state("C100005", "ATXGPCQ8XEK1KF", Secret("another-desk"),
                         NOW + dt.timedelta(days=7))
    assert verify_callback(callback(tampered), demo, settings, now=NOW).problems == (
        "state_invalid",)
    assert verify_callback(callback(foreign), demo, settings, now=NOW).problems == (
        "state_invalid",)
    late = NOW + dt.timedelta(days=7, seconds=1)
    expired = verify_callback(callback(state), demo, settings, now=late)
    assert expired.problems == ("state_expired",) and expired.customer_id == "C100005"


def test_wrong_seller_explains_the_other_session(demo, settings):
    state = query(renewal_link(demo, "C100005", settings, now=NOW).url)["state"]
    result = verify_callback(callback(state, seller="A2OTHERSELLER9X"), demo, settings,
                             lang="en", now=NOW)
    assert result.problems == ("seller_mismatch",) and not result.ok
    assert "A2OTHERSELLER9X" in result.messages[0]
    assert "sign out of every Seller Central session" in result.messages[0]


def test_missing_code_and_unknown_customer(demo, settings, tmp_path):
    from support_kit.customers import load

    state = query(renewal_link(demo, "C100005", settings, now=NOW).url)["state"]
    assert verify_callback(callback(state, code=None), demo, settings, now=NOW).problems == (
        "code_missing",)
    other = load(write_csv(tmp_path / "c.csv", [customer("1")]))
    assert "customer_unknown" in verify_callback(callback(state), other, settings,
                                                 now=NOW).problems


def test_cli_link_json_and_verify_exit_codes(capsys, monkeypatch):
    import json

    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    code, out, err = run_cli(capsys, "link", "C100003", "--json")
    assert code == 0, err
    data = json.loads(out)
    assert set(data) >= {"url", "host", "region", "state_expires_at", "instructions"}
    assert_no_canary(out)
    state = query(data["url"])["state"]
    code, out, _ = run_cli(capsys, "verify-callback", callback(state, seller="AWRONG"), "--json")
    assert code == 1 and json.loads(out)["problems"] == ["seller_mismatch"]
    code, out, _ = run_cli(capsys, "verify-callback", callback("x.y"), "--json")
    assert code == 1 and json.loads(out)["problems"] == ["state_invalid"]
    code, _, err = run_cli(capsys, "link", "C100015")
    assert code == 2 and "marketplace" in err


def test_callback_without_seller_is_refused(demo, settings):
    state = sign_state("C100005", "ATXGPCQ8XEK1KF", settings.state_secret,
                       NOW + dt.timedelta(days=7))
    result = verify_callback(callback(state, seller=None), demo, settings, now=NOW, lang="en")
    assert not result.ok and result.problems == ("seller_missing",)
    assert "selling_partner_id" in result.messages[0]


def test_customer_without_seller_id_gets_amazons_as_new(tmp_path, settings):
    from support_kit.customers import load

    customers = load(write_csv(tmp_path / "c.csv", [customer("7", seller_id="")]))
    state = sign_state("7", "", settings.state_secret, NOW + dt.timedelta(days=7))
    result = verify_callback(callback(state, seller="ANEWSELLER1"), customers, settings,
                             now=NOW, lang="en")
    assert result.ok and result.seller_new
    assert "ANEWSELLER1 (new)" in str(result) and "Compare it" in str(result)
    assert not verify_callback(callback(state, seller=None), customers, settings,
                               now=NOW).ok  # no seller at all: still refused


def test_callback_for_another_customer_than_on_screen(demo, settings):
    state = sign_state("C100005", "ATXGPCQ8XEK1KF", settings.state_secret,
                       NOW + dt.timedelta(days=7))
    result = verify_callback(callback(state), demo, settings, now=NOW, lang="en",
                             customer_id="C100001")
    assert result.problems == ("customer_mismatch",)
    assert "belongs to customer C100005, not to customer C100001" in result.messages[0]
