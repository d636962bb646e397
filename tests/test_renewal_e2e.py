"""End to end over HTTP: link -> consent page -> callback -> verify -> exchange -> alive."""

import json

import requests

from support_kit.live_check import confirm_renewal
from support_kit.renewal import renewal_link, verify_callback

from .conftest import AS_OF, assert_no_canary, confirm_consent, run_cli


def test_link_consent_callback_verify_exchange_alive(sandbox, demo):
    settings = sandbox.client_settings()
    link = renewal_link(demo, "C100005", settings)  # expired: the renewal brings it back
    assert link.url.startswith(sandbox.url + "/apps/authorize/consent?")
    page = requests.get(link.url, timeout=5)
    assert "I direct Amazon to provide" in page.text and "ATXGPCQ8XEK1KF" in page.text
    confirmed = confirm_consent(link.url)
    assert confirmed.status_code == 302
    callback_url = confirmed.headers["Location"]
    assert callback_url.startswith(sandbox.url + "/callback?")
    shown = requests.get(callback_url, timeout=5)
    assert "spapi_oauth_code" in shown.text
    result = verify_callback(callback_url, demo, settings)
    assert result.ok and result.customer_id == "C100005"
    live, refresh_token = confirm_renewal(result, demo, settings, as_of=AS_OF)
    assert live.live_state == "alive" and refresh_token is not None
    # the code was used once; a second exchange fails
    again, _ = confirm_renewal(result, demo, settings, as_of=AS_OF)
    assert again.live_state == "error" and "invalid_grant" in again.detail


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

    with Sandbox(demo, settings, as_of=AS_OF, draft_app=True) as sb:
        client_settings = sb.client_settings()
        plain = renewal_link(demo, "C100001", client_settings)
        assert "MD1000" in requests.get(plain.url, timeout=5).text
        beta = renewal_link(demo, "C100001", client_settings, draft=True)
        assert "I direct Amazon" in requests.get(beta.url, timeout=5).text


def test_cli_verify_and_exchange_masks_the_refresh_token(sandbox_env, capsys, demo):
    from support_kit.config import load_settings

    link = renewal_link(demo, "C100001", load_settings())
    callback_url = confirm_consent(link.url).headers["Location"]
    code, out, err = run_cli(capsys, "verify-callback", callback_url, "--exchange", "--json")
    assert code == 0, out + err
    data = json.loads(out)
    assert data["ok"] and data["exchange"]["refresh_token"] == "[secure]"
    assert data["exchange"]["live_state"] == "alive"
    assert "Atzr|" not in out and "ANsandbox" not in out
    assert_no_canary(out + err)
