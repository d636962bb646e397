"""One decision per situation, table-driven: badge, next step, link, reply lead, order gap."""

import datetime as dt

import pandas as pd
import pytest

from support_kit import rules
from support_kit.customers import load
from support_kit.diagnosis import from_row
from support_kit.renewal import NoLink, renewal_link
from support_kit.replies import reply_draft

from .conftest import AS_OF, customer, run_cli, run_json, write_csv

NOW = dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC)

# situation: (customer fields, badge, link allowed, next step (en), reply lead (de), (en),
#             order gap or None)
CASES = {
    "working": ({}, "ok", True, "Nothing to do",
                "Ihr Amazon Token ist gültig bis 01.06.2027",
                "Your Amazon token is valid until 1 June 2027", None),
    "expiring": ({"authorized_at": "2025-12-20"}, "warn", True, "expires on 20 December 2026",
                 "läuft am 20.12.2026 ab", "expires on 20 December 2026", None),
    "expired": ({"authorized_at": "2025-10-22"}, "stopped", True, "orders since 22 October 2026",
                "Ihr Amazon Token ist am 22.10.2026 abgelaufen",
                "Your Amazon token expired on 22 October 2026", ("2026-10-22", "2026-12-01")),
    "revoked": ({"revoked_at": "2026-11-21"}, "stopped", True, "orders since 21 November 2026",
                "am 21.11.2026 in Ihrer Seller Central widerrufen",
                "revoked in your Seller Central on 21 November 2026",
                ("2026-11-21", "2026-12-01")),
    "not_authorized": ({"authorized_at": ""}, "idle", True, "first token",
                       "noch keine Amazon-Autorisierung", "No Amazon authorization is on file",
                       None),
    "wrong_account_payments": (
        {"account_type": "amazon_payments"}, "blocked", False, "Send no link",
        "Zugangsdaten von Amazon Payments hinterlegt",
        "on file with Amazon Payments credentials", None),
    "wrong_account_vendor": (
        {"account_type": "vendor_central"}, "blocked", False, "Send no link",
        "als Vendor-Central-Konto hinterlegt", "on file as a Vendor Central account", None),
    "individual_plan": ({"selling_plan": "individual"}, "blocked", False,
                        "switches to the Professional plan", "nutzt den Tarif Einzelanbieter",
                        "is on the Individual selling plan", None),
    "unknown_marketplace": ({"marketplace": "XX"}, "blocked", False, "Ask the seller for the "
                            "marketplace", "auf welchem Amazon-Marktplatz",
                            "which Amazon marketplace", None),
    "seller_id_missing": ({"seller_id": ""}, "data", True, "seller id (merchant token)",
                          "Verkäufer-ID (Merchant Token)", "seller id (merchant token)", None),
    "bad_data": ({"authorized_at": "31.02.2025"}, "data", True,
                 "Correct the authorization date", "nicht eindeutig bestimmen",
                 "could not determine the state", None),
    # renewed at the desk on 2026-11-28 after the token had stopped on 2026-10-22
    "renewed": ({"authorized_at": "2026-11-28", "previous_authorized_at": "2025-10-22",
                 "authorized_source": "desk"}, "ok", True, "import the orders from 22 October",
                "Die Erneuerung Ihres Amazon Tokens ist bestätigt",
                "The renewal of your Amazon token is confirmed", ("2026-10-22", "2026-11-28")),
    # authorized on 2026-06-01, the app's roles changed on 2026-07-01 (SUPPORT_KIT_ROLES_...)
    "roles_changed": ({"roles_changed_on": "2026-07-01"}, "warn", True,
                      "predates the app's role change", "neue Berechtigungen (Rollen)",
                      "new permissions (roles)", None),
}
#: What a wrong account or plan reply's lead names: the right one and the wrong one.
RIGHT_AND_WRONG = {"wrong_account_payments": ("Seller Central", "Amazon Payments"),
                   "wrong_account_vendor": ("Seller Central", "Vendor Central"),
                   "individual_plan": ("Professional", "Individual|Einzelanbieter")}


def evaluated(roles_changed_on: str | None = None, **fields) -> pd.Series:
    frame = pd.DataFrame([customer("1", **fields)])
    changed = dt.date.fromisoformat(roles_changed_on) if roles_changed_on else None
    return rules.evaluate(frame, AS_OF, roles_changed_on=changed).iloc[0]


def test_every_situation_is_in_the_table():
    assert set(CASES) == set(rules.SITUATIONS)


@pytest.mark.parametrize("situation", list(CASES))
def test_one_decision_per_situation(situation):
    fields, badge, link_allowed, next_step, lead_de, lead_en, gap = CASES[situation]
    row = evaluated(**fields)
    assert row.situation == situation
    diagnosis = from_row(row, AS_OF, "en")
    assert (diagnosis.situation_badge, diagnosis.link_allowed) == (badge, link_allowed)
    assert next_step in diagnosis.next_step
    shown = (diagnosis.gap_from.isoformat(), diagnosis.gap_to.isoformat()) \
        if diagnosis.gap_from else None
    assert shown == gap
    for lang, lead in (("de", lead_de), ("en", lead_en)):
        draft = reply_draft(row, None, lang)
        assert draft.situation == situation
        assert lead in draft.body.split("\n")[2], draft.body  # the line after the greeting
        gap_line = {"de": "Bestellungen aus der Zeit vom", "en": "orders from"}[lang]
        assert (gap_line in draft.body) == (gap is not None)
        if not link_allowed:
            assert "gültig bis" not in draft.body and "valid until" not in draft.body
            assert "Confirm" not in draft.body  # no renewal steps that cannot work
        if situation in RIGHT_AND_WRONG:
            right, wrong = RIGHT_AND_WRONG[situation]
            lead_line = draft.body.split("\n")[2]
            assert right in lead_line and any(w in lead_line for w in wrong.split("|"))


@pytest.mark.parametrize("situation", list(CASES))
def test_link_only_where_the_situation_allows(tmp_path, settings, situation):
    fields, _, link_allowed, *_ = CASES[situation]
    fields = {k: v for k, v in fields.items() if k != "roles_changed_on"}
    customers = load(write_csv(tmp_path / "c.csv", [customer("1", **fields)]))
    if link_allowed:
        assert renewal_link(customers, "1", settings, now=NOW).url
        return
    for lang, words in (("de", "Kein Erneuerungslink für Kunde 1"),
                        ("en", "No renewal link for customer 1")):
        with pytest.raises(NoLink, match=words) as refused:
            renewal_link(customers, "1", settings, now=NOW, message_lang=lang)
        other = "No renewal" if lang == "de" else "Kein Erneuerungslink"
        assert other not in str(refused.value)  # the chosen language only


def test_a_wrong_account_is_never_a_green_badge_alone():
    html = from_row(evaluated(account_type="amazon_payments"), AS_OF, "de")._repr_html_()
    badges = html.count('class="sk-badge')
    assert badges == 2 and "Falsches Konto: Amazon Payments" in html
    assert html.index("Falsches Konto") < html.index(">Gültig<")


def test_blocked_and_stopped_names_the_gap_but_sends_no_steps():
    row = evaluated(selling_plan="individual", authorized_at="2025-10-22")
    draft = reply_draft(row, None, "en")
    assert draft.situation == "individual_plan" and draft.link is None
    assert "orders from 22 October 2026 to 1 December 2026" in draft.body
    assert "Professional plan" in draft.body.split("\n")[2]


@pytest.mark.parametrize(("authorized_at", "revoked_at", "renewed_on", "gap"), [
    ("2025-10-22", "", "2026-11-15", ("2026-10-22", "2026-11-15")),  # stopped, then renewed
    ("2026-06-01", "2026-09-01", "2026-09-10", ("2026-09-01", "2026-09-10")),
    ("2025-12-20", "", "2026-12-01", None),  # renewed in time: no gap
])
def test_order_gap_ends_on_the_renewal_day(authorized_at, revoked_at, renewed_on, gap):
    before = rules.evaluate(pd.DataFrame([customer("1", authorized_at=authorized_at,
                                                   revoked_at=revoked_at)]), AS_OF)
    start, end = rules.order_gap(before, pd.Timestamp(renewed_on))
    shown = None if pd.isna(start.iloc[0]) else (start.iloc[0].date().isoformat(),
                                                  end.iloc[0].date().isoformat())
    assert shown == gap


def test_diagnosis_names_the_gap_for_the_agent(capsys):
    data = run_json(capsys, "diagnose", "C100005", "--as-of", "2026-12-01", "--lang", "en")
    assert (data["situation"], data["gap_from"], data["gap_to"]) == (
        "expired", "2026-10-22", "2026-12-01")
    assert "must be imported again" in data["gap_text"] and data["next_step"]


def test_reply_command_json_and_text(capsys):
    data = run_json(capsys, "reply", "C100012", "--as-of", "2026-12-01", "--lang", "en")
    assert set(data) >= {"situation", "subject", "body", "link"}
    assert data["situation"] == "wrong_account_payments" and data["link"] is None
    assert "Amazon Payments" in data["subject"]
    data = run_json(capsys, "reply", "C100005", "--as-of", "2026-12-01")
    assert data["situation"] == "expired" and data["link"] in data["body"]
    assert "Bestellungen aus der Zeit vom 22.10.2026 bis 01.12.2026" in data["body"]
    code, out, _ = run_cli(capsys, "reply", "C100010", "--as-of", "2026-12-01", "--lang", "de")
    assert code == 0 and out.startswith("To: kiezladen.9@example.de\nSubject: ")
    assert "Einzelanbieter" in out and "Confirm" not in out


def test_link_refuses_an_individual_plan_seller(capsys):
    code, out, err = run_cli(capsys, "link", "C100010")
    assert code == 2 and not out
    assert err.startswith("support-kit: No renewal link for customer C100010")
    assert "Professional plan" in err and "Traceback" not in err


def test_after_a_desk_renewal_the_gap_ends_on_the_renewal_day(tmp_path):
    from cryptography.fernet import Fernet

    from support_kit.config import Secret, load_settings
    from support_kit.store import Store
    from support_kit.store.authorizations import with_desk_renewals
    from support_kit.store.vault import TokenVault

    key = Fernet.generate_key().decode()
    settings = load_settings({"SUPPORT_KIT_TOKEN_KEY": key, "SUPPORT_KIT_APP_ID": "x"})
    customers = load(write_csv(tmp_path / "c.csv", [
        customer("1", authorized_at="2025-10-22"), customer("2", authorized_at="2026-06-01")]))
    store = Store.open(f"sqlite:///{tmp_path / 'desk.db'}")
    moment = dt.datetime(2026, 11, 15, 9, tzinfo=dt.UTC)
    for cid in ("1", "2"):
        assert store.claim(f"h-{cid}", cid, f"A{cid}SELLER", False, "anna", moment) is None
        store.complete(f"h-{cid}", TokenVault(Secret(key)).seal(Secret("Atzr|x")), moment)
    desk = with_desk_renewals(customers, store, settings, as_of=AS_OF)
    frame = rules.evaluate(desk.customers, AS_OF).set_index("customer_id")
    row = frame.reset_index().iloc[0]
    assert row.state == "valid" and row.authorized_source == "desk"
    diagnosis = from_row(row, AS_OF, "en")
    assert (diagnosis.gap_from.isoformat(), diagnosis.gap_to.isoformat()) == (
        "2026-10-22", "2026-11-15")
    assert "22 October 2026 to 15 November 2026 (24 days)" in diagnosis.gap_text
    assert "orders from 22 October 2026 to 15 November 2026" in reply_draft(row, None,
                                                                            "en").body
    assert pd.isna(frame.loc["2", "gap_from"])  # renewed in time: no gap


def test_reply_json_keeps_secrets_out(tmp_path, capsys, monkeypatch):
    from .conftest import CANARY_TOKEN, TEST_ENV, assert_no_canary

    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    source = write_csv(tmp_path / "c.csv", [customer("1", authorized_at="2025-10-22",
                                                     refresh_token=CANARY_TOKEN)])
    code, out, err = run_cli(capsys, "reply", "1", "--input", str(source), "--json")
    assert code == 0 and "/apps/authorize/consent?" in out
    assert_no_canary(out + err)
