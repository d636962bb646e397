"""Consent-page errors explained: `support-kit explain` and the desk panel's code field."""

import pytest

from support_kit.config import load_settings
from support_kit.consent_errors import CODES, NO_CODE, UNCONFIRMED
from support_kit.desk import Desk
from support_kit.widgets import TroubleshootPanel

from .conftest import AS_OF, run_cli, run_json

#: What each explanation must say (English cause), as an agent would check it.
CAUSES = {"MD1000": "version=beta", "MD5101": "not registered", "MD5110": "(#)",
          "MD9010": "MWS developer id", "MD9100": "Login URI", "SPDC8143": "primary user",
          "SPSA0404": "business entity", "CONSENT_LIMIT_REACHED": "25",
          "INVALID_ACCESS": "primary user",
          "PROFESSIONAL_PRIMARY_USER": "Primary user of a Professional selling account"}


@pytest.mark.parametrize("code", CODES)
def test_explain_every_code_in_both_languages(capsys, code):
    typed = code.lower().replace("_", " ")  # any case, as read off a screenshot
    data = run_json(capsys, "explain", typed, "--lang", "en")
    assert data["code"] == code and CAUSES[code] in data["cause"] and data["remedy"]
    assert data["confirmed"] == (code not in UNCONFIRMED)
    assert ("not confirmed" in data["caution"]) == (code in UNCONFIRMED)
    german = run_json(capsys, "explain", code, "--lang", "de")
    assert german["cause"] != data["cause"] and german["remedy"] != data["remedy"]
    if code in UNCONFIRMED:
        assert "nicht bestätigt" in german["caution"] and "Wahrscheinlich" in german["cause"]
    code_, out, _ = run_cli(capsys, "explain", code, "--lang", "en")
    assert code_ == 0 and out.startswith(code) and "Remedy: " in out


def test_invalid_access_as_amazon_writes_it(capsys):
    assert run_json(capsys, "explain", "Invalid Access")["code"] == "INVALID_ACCESS"


def test_unknown_code_exits_2_and_lists_the_known_ones(capsys):
    code, out, err = run_cli(capsys, "explain", "MD4711", "--lang", "en")
    assert code == 2 and not out and "Traceback" not in err
    assert err.startswith("support-kit: ") and "'MD4711'" in err and "SPDC8143" in err


def test_panel_code_field_explains_and_refuses_unknown_codes(demo):
    desk = Desk(load_settings({}), demo, AS_OF)
    panel = TroubleshootPanel(desk, lang="en")
    panel.consent_code.value = " spdc-8143 "
    panel.explain_button.click()
    assert panel.value.consent_error.code == "SPDC8143"
    shown = panel.consent_view.value
    assert 'data-code="SPDC8143"' in shown and "primary user" in shown
    assert 'data-confirmed="false"' in shown and "not confirmed" in shown
    panel.language.value = "de"
    assert panel.explain_button.description == "Erklären"
    panel.consent_code.value = "XY123"
    panel.explain_button.click()
    assert "sk-error" in panel.feedback() and "XY123" in panel.feedback()
    assert panel.consent_view.value == ""  # the old explanation does not linger
    desk.close()


def test_panel_tells_the_seller_in_their_language(tmp_path):
    from support_kit.customers import load

    from .conftest import customer, write_csv

    listed = load(write_csv(tmp_path / "c.csv", [customer("F1", language="fr")]))
    desk = Desk(load_settings({}), listed, AS_OF)
    panel = TroubleshootPanel(desk, customer_id="F1", lang="de")
    panel.consent_code.value = "Invalid Access"
    panel.explain_button.click()
    shown = panel.consent_view.value
    assert "Keine Berechtigung" in shown and 'lang="fr"' in shown
    assert "Für den Verkäufer (fr)" in shown and "Selling Partner Appstore" in shown
    assert "Connectez-vous en tant qu'utilisateur principal" in shown.replace("&#39;", "'")
    desk.close()


def test_panel_refuses_a_link_in_the_panels_language(demo):
    desk = Desk(load_settings({}), demo, AS_OF)
    panel = TroubleshootPanel(desk, customer_id="C100010", lang="de")
    assert panel.value.diagnosis.situation == "individual_plan"
    panel.link_button.click()
    assert panel.value.link is None
    assert "Kein Erneuerungslink" in panel.feedback() and "Professional-Tarif" in \
        panel.feedback() and "No renewal" not in panel.feedback()
    assert "Einzelanbieter" in panel.reply_text.value.split("\n")[2]
    desk.close()


@pytest.mark.parametrize("code", CODES)
def test_sandbox_shows_each_consent_error(demo, settings, code):
    import requests

    from support_kit.renewal import renewal_link
    from support_kit.sandbox import Sandbox

    with Sandbox(demo, settings, as_of=AS_OF, consent_error=code) as amazon:
        link = renewal_link(demo, "C100001", amazon.client_settings())
        page = requests.get(link.url, timeout=5)
    shown = "Invalid Access" if code == "INVALID_ACCESS" else code
    if code in NO_CODE:  # a message without a code
        assert page.status_code == 400 and "Error" not in page.text
        assert "Primary user of a Professional selling account" in page.text
        return
    assert page.status_code == 400 and f"Error {shown}" in page.text


def test_sandbox_secondary_user_sees_invalid_access(sandbox, demo):
    import requests

    from support_kit.renewal import renewal_link

    link = renewal_link(demo, "C100001", sandbox.client_settings())
    page = requests.get(link.url + "&as=secondary", timeout=5).text
    assert "Invalid Access: You do not have permissions to view this page." in page
    assert 'id="as-secondary"' in requests.get(link.url, timeout=5).text


def test_sandbox_refuses_an_unknown_consent_error(demo, settings, capsys):
    code, _, err = run_cli(capsys, "sandbox", "--port", "0", "--consent-error", "MD4711")
    assert code == 2 and "MD4711" in err and "MD1000" in err


def test_training_quiz_asks_about_consent_codes_and_the_expired_secret(demo):
    from support_kit.demo import DEMO_AS_OF
    from support_kit.training import SCENARIOS, TrainingWorld

    world = TrainingWorld(demo, DEMO_AS_OF)
    expected = {s.id: s.expected(world, "en") for s in SCENARIOS
                if s.id in ("draft_app", "not_primary_user", "limit_reached", "secret_expired")}
    assert {k: v[:2] for k, v in expected.items()} == {
        "draft_app": ("MD1000", "resend_link_with_beta"),
        "not_primary_user": ("INVALID_ACCESS", "ask_primary_user"),
        "limit_reached": ("CONSENT_LIMIT_REACHED", "pass_to_developer"),
        "secret_expired": ("client_secret_expired", "rotate_client_secret")}
    assert "primary user" in expected["not_primary_user"][2]  # the remedy explain gives
    assert "nobody needs to re-authorize" in expected["secret_expired"][2]
