"""The live check as true to Amazon as the sandbox can be: getAccount only in the EU and only
with the role, an expired client secret, data the live check contradicts (real sockets)."""

import json

from support_kit.customers import load
from support_kit.live_check import live_check
from support_kit.sandbox import Sandbox

from .conftest import AS_OF, customer, run_cli, write_csv

EU, FE = "C100001", "C100008"  # working tokens: Germany, Australia


def test_get_account_refused_the_token_is_still_alive(demo, settings):
    with Sandbox(demo, settings, as_of=AS_OF, account_role=False) as amazon:
        run = live_check(demo, amazon.client_settings(), [EU, FE], as_of=AS_OF)
    results = {r.customer_id: r for r in run.results}
    for customer_id, check in ((EU, "refused"), (FE, "not_available")):
        result = results[customer_id]
        assert (result.live_state, result.selling_plan, result.plan_check) == (
            "alive", None, check)
        assert result.marketplaces and not result.findings and run.app_problem is None
    assert "the app lacks the Account Information" in results[EU].plan_text("en")
    assert "in the EU only" in results[FE].plan_text("en")


def test_plan_checked_in_the_eu_only(sandbox, demo):
    run = live_check(demo, sandbox.client_settings(), [EU, FE], as_of=AS_OF)
    results = {r.customer_id: r for r in run.results}
    assert (results[EU].selling_plan, results[EU].plan_check) == ("PROFESSIONAL", "checked")
    assert (results[FE].selling_plan, results[FE].plan_check) == (None, "not_available")


def test_expired_client_secret_is_one_app_problem_and_no_seller_is_blamed(demo, settings):
    working = demo.customers.loc[demo.customers["customer_id"].isin(
        [EU, FE, "C100002", "C100003", "C100004", "C100010"]), "customer_id"].tolist()
    with Sandbox(demo, settings, as_of=AS_OF, client_secret_expired=True) as amazon:
        run = live_check(demo, amazon.client_settings(), working, as_of=AS_OF, concurrency=1)
        everyone = live_check(demo, amazon.client_settings(), as_of=AS_OF, concurrency=2)
    assert "client secret has expired" in run.app_problem and "invalid_client" not in \
        run.app_problem
    assert [r.live_state for r in run.results] == ["app_credentials_invalid"]  # stopped once
    assert run.results[0].app_problem == "client_secret_expired"
    assert "nobody needs to re-authorize" in run.app_problem
    assert len(everyone.results) < 20 and everyone.counts["alive"] == 0
    blamed = [r for r in everyone.results if r.live_state in ("expired", "revoked")]
    assert all(r.app_problem is None and "invalid_grant" in r.detail for r in blamed)


def test_wrong_secret_and_expired_secret_are_told_apart(demo, settings, capsys, monkeypatch,
                                                        tmp_path):
    with Sandbox(demo, settings, as_of=AS_OF, client_secret_expired=True) as amazon:
        for key, value in {"SUPPORT_KIT_LWA_ENDPOINT": f"{amazon.url}/auth/o2/token",
                           "SUPPORT_KIT_SPAPI_ENDPOINT": amazon.url,
                           "SUPPORT_KIT_APP_ID": settings.app_id,
                           "SUPPORT_KIT_STATE_SECRET": settings.state_secret.reveal(),
                           "SUPPORT_KIT_LWA_CLIENT_ID": settings.lwa_client_id,
                           "SUPPORT_KIT_LWA_CLIENT_SECRET":
                               settings.lwa_client_secret.reveal()}.items():
            monkeypatch.setenv(key, value)
        code, out, _ = run_cli(capsys, "live-check", EU, "--as-of", AS_OF.isoformat())
        assert code == 0 and out.startswith("APP PROBLEM: The app's LWA client secret has "
                                            "expired")
        monkeypatch.setenv("SUPPORT_KIT_LWA_CLIENT_SECRET", "wrong")
        code, out, _ = run_cli(capsys, "live-check", EU, "--as-of", AS_OF.isoformat(),
                               "--json")
        assert "invalid_client" in json.loads(out)["app_problem"]


def test_live_check_contradicting_the_data_is_a_finding(tmp_path, settings):
    at_amazon = load(write_csv(tmp_path / "amazon.csv", [
        customer("1", selling_plan="individual", refresh_token="Atzr|one"),
        customer("2", refresh_token="Atzr|two"),
        customer("3", selling_plan="professional", refresh_token="Atzr|three")]))
    on_file = load(write_csv(tmp_path / "desk.csv", [
        customer("1", selling_plan="professional", refresh_token="Atzr|one"),
        customer("2", account_type="amazon_payments", refresh_token="Atzr|two"),
        customer("3", selling_plan="individual", refresh_token="Atzr|three")]))
    with Sandbox(at_amazon, settings, as_of=AS_OF) as amazon:
        run = live_check(on_file, amazon.client_settings(), as_of=AS_OF)
    findings = {r.customer_id: r.findings for r in run.results}
    assert findings == {"1": ("plan_not_professional", "data_says_professional"),
                        "2": ("data_says_wrong_account",), "3": ("data_says_individual",)}
    assert {r.live_state for r in run.results} == {"alive"}


def test_panel_shows_the_live_finding_in_its_language(demo):
    from support_kit.config import load_settings
    from support_kit.desk import Desk
    from support_kit.widgets import TroubleshootPanel

    desk = Desk(load_settings({}), demo, AS_OF)  # demo: the sandbox in this process
    panel = TroubleshootPanel(desk, customer_id="C100012", lang="de")
    assert "Falsches Konto: Amazon Payments" in panel.feedback()
    panel.live_button.click()
    assert panel.value.live.findings == ("data_says_wrong_account",)
    shown = panel.live_view.value
    assert 'data-id="data_says_wrong_account"' in shown and "seller_central korrigieren" in shown
    assert "token works" not in shown and "Token funktioniert" in shown
    desk.close()
