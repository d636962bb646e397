"""The date and state rules, pinned case by case (FAQ and Amazon, FACTS.md)."""

import datetime as dt

import pandas as pd
import pytest

from support_kit import rules
from support_kit.dates import parse_dates
from support_kit.rules import evaluate

AS_OF = dt.date(2025, 5, 3)


def one(authorized_at="", revoked_at="", as_of=AS_OF, tz="Europe/Berlin", **fields):
    frame = pd.DataFrame([{"customer_id": "1", "authorized_at": authorized_at,
                           "revoked_at": revoked_at, "marketplace": "DE",
                           "selling_plan": "professional", "account_type": "seller_central",
                           "seller_id": "A1", **fields}])
    return evaluate(frame, as_of, tz).iloc[0]


def day(value):
    return None if pd.isna(value) else value.date().isoformat()


@pytest.mark.parametrize(
    ("authorized_at", "as_of", "state", "days_left", "expires_on"),
    [
        # day 0: Amazon deactivates on the expiry day itself
        ("2024-05-03", "2025-05-03", "expired", 0, "2025-05-03"),
        ("2024-05-03", "2025-05-02", "expiring", 1, "2025-05-03"),
        ("2024-05-03", "2025-04-03", "expiring", 30, "2025-05-03"),
        ("2024-05-03", "2025-04-02", "valid", 31, "2025-05-03"),
        ("2024-05-03", "2025-05-04", "expired", -1, "2025-05-03"),
        ("2024-05-03", "2024-05-03", "valid", 365, "2025-05-03"),
        # leap day: the FAQ's "one year" gives 28 Feb, Amazon's 365 days the same
        ("2024-02-29", "2025-02-27", "expiring", 1, "2025-02-28"),
        # across a leap day Amazon's 365 days are earlier than the FAQ's year: take it
        ("2023-03-01", "2024-02-28", "expiring", 1, "2024-02-29"),
        ("2023-03-01", "2024-02-29", "expired", 0, "2024-02-29"),
        # German dates
        ("03.05.2024", "2025-05-02", "expiring", 1, "2025-05-03"),
        ("3.5.2024", "2025-05-02", "expiring", 1, "2025-05-03"),
        # 22:30 UTC on 2 May is already 3 May in Berlin
        ("2024-05-02T22:30:00Z", "2025-05-02", "expiring", 1, "2025-05-03"),
        ("2024-05-02T23:59:59+00:00", "2025-05-02", "expiring", 1, "2025-05-03"),
        # an offset that is the previous day in Berlin
        ("2024-05-03T00:30:00+05:00", "2025-05-02", "expired", 0, "2025-05-02"),
        # a naive datetime is taken as local
        ("2024-05-02T23:30:00", "2025-05-01", "expiring", 1, "2025-05-02"),
    ],
)
def test_expiry_and_state(authorized_at, as_of, state, days_left, expires_on):
    row = one(authorized_at, as_of=dt.date.fromisoformat(as_of))
    assert (row.state, int(row.days_left), day(row.expires_on)) == (state, days_left, expires_on)


def test_timezone_setting_changes_the_calendar_day():
    row = one("2024-05-02T22:30:00Z", as_of=dt.date(2025, 5, 1), tz="UTC")
    assert day(row.expires_on) == "2025-05-02"


def test_reminders_start_30_days_before_expiry():
    assert day(one("2024-05-03").reminders_from) == "2025-04-03"


@pytest.mark.parametrize(
    ("authorized_at", "revoked_at", "state", "stopped_since"),
    [
        ("2024-06-01", "2024-09-01", "revoked", "2024-09-01"),
        ("2024-06-01", "2024-06-01", "revoked", "2024-06-01"),
        # a revocation before the authorization was superseded by it
        ("2024-06-01", "2024-05-01", "expiring", None),
        # a revocation after as_of has not happened yet
        ("2024-06-01", "2025-06-01", "expiring", None),
        ("2024-06-01", "15.09.2024", "revoked", "2024-09-15"),
        ("2024-01-01", "", "expired", "2024-12-31"),
    ],
)
def test_revocation(authorized_at, revoked_at, state, stopped_since):
    row = one(authorized_at, revoked_at)
    assert (row.state, day(row.stopped_since)) == (state, stopped_since)
    assert rules.consequences(row.state) == (rules.CONSEQUENCES if stopped_since else ())


@pytest.mark.parametrize(
    ("authorized_at", "state", "finding"),
    [
        ("", "not_authorized", ""),
        ("31.02.2024", "unknown", "bad_authorized_at"),
        ("yesterday", "unknown", "bad_authorized_at"),
        ("2024-13-01", "unknown", "bad_authorized_at"),
        ("2025-05-04", "unknown", "authorized_in_future"),
    ],
)
def test_unusable_authorization_dates(authorized_at, state, finding):
    row = one(authorized_at)
    assert row.state == state
    assert rules.finding_ids(row.findings) == ([finding] if finding else [])
    assert pd.isna(row.days_left) and pd.isna(row.expires_on)


def test_bad_revocation_date_is_a_finding_and_ignored():
    row = one("2024-08-01", "gestern")
    assert row.state == "valid"
    assert rules.finding_ids(row.findings) == ["bad_revoked_at"]


@pytest.mark.parametrize(
    ("fields", "findings"),
    [
        ({"selling_plan": "individual"}, ["plan_not_professional"]),
        ({"selling_plan": "Professional"}, []),
        ({"selling_plan": ""}, ["plan_unknown"]),
        ({"selling_plan": "gold"}, ["plan_unknown"]),
        ({"account_type": "amazon_payments"}, ["account_not_seller_central"]),
        ({"account_type": "Vendor Central"}, ["account_not_seller_central"]),
        ({"account_type": ""}, ["account_type_unknown"]),
        ({"marketplace": "XX"}, ["unknown_marketplace"]),
        ({"marketplace": ""}, ["unknown_marketplace"]),
        ({"marketplace": "uk"}, []),
        ({"marketplace": "A1PA6795UKMFR9"}, []),
        ({"seller_id": " "}, ["seller_id_missing"]),
        ({"selling_plan": "individual", "account_type": "amazon_payments"},
         ["plan_not_professional", "account_not_seller_central"]),
    ],
)
def test_plan_account_and_data_findings(fields, findings):
    assert rules.finding_ids(one("2024-06-01", **fields).findings) == findings


def test_every_finding_has_severity_and_texts_in_both_languages():
    from support_kit.texts import text

    for finding in rules.FINDINGS.values():
        assert finding.severity in ("error", "warning")
        for lang in ("de", "en"):
            assert text(lang, f"finding.{finding.id}.title")
            assert text(lang, f"finding.{finding.id}.remedy", value="x")


def test_parse_dates_keeps_empty_apart_from_bad():
    dates, bad = parse_dates(pd.Series(["", None, "2024-01-01", "01/02/2024"]), "Europe/Berlin")
    assert bad.tolist() == [False, False, False, True]
    assert dates.notna().tolist() == [False, False, True, False]


def test_one_customer_and_the_bulk_agree(demo):
    bulk = evaluate(demo.customers, dt.date(2026, 12, 1))
    for position in range(0, len(demo.customers), 17):
        single = evaluate(demo.customers.iloc[[position]], dt.date(2026, 12, 1)).iloc[0]
        assert single.state == bulk.iloc[position].state
        assert single.findings == bulk.iloc[position].findings
