"""Reminders by e-mail, once: `support-kit remind` against a real SMTP server on 127.0.0.1,
the mails read back as the sellers would get them."""

import datetime as dt
import json
import os
import subprocess
import sys
import time
from collections import Counter
from urllib.parse import parse_qs, urlsplit

import pytest

from support_kit.config import Secret, load_settings
from support_kit.dates import today
from support_kit.renewal import read_state
from support_kit.store import Store

from .conftest import (
    CANARY_STATE_KEY,
    TEST_ENV,
    assert_no_canary,
    customer,
    run_cli,
    run_json,
    write_csv,
)
from .smtp_server import CANARY_SMTP_PASSWORD, SmtpServer, self_signed
from .store_fixtures import dump_store

MAIL_FROM = "Support Desk <desk@example.com>"


def day(offset: int) -> str:
    return (today() + dt.timedelta(days=offset)).isoformat()


def customers(path, *extra):
    rows = [
        customer("A", authorized_at=day(-365 + 10), language="de"),  # expiring in 10 days
        customer("B", authorized_at=day(-365 - 5), language="en",  # stopped 5 days ago
                 marketplace="US", contact_email="b-shop@example.com"),
        customer("C", authorized_at=day(-365 - 400)),  # stopped 400 days ago: not reminded
        customer("D", authorized_at=day(-365 + 3)),  # expiring, but the desk called them
        customer("E", authorized_at=day(-100)),  # valid
        customer("F", authorized_at=day(-365 + 20), contact_email=""),  # no address
        *extra,
    ]
    return write_csv(path, rows)


@pytest.fixture
def mail_env(monkeypatch):
    """An agent's settings: links on (canary state key), mail through the given server."""
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUPPORT_KIT_MAIL_FROM", MAIL_FROM)
    monkeypatch.setenv("SUPPORT_KIT_AGENT", "lead")

    def use(server_url: str) -> None:
        monkeypatch.setenv("SUPPORT_KIT_SMTP_URL", server_url)

    return use


def reminders_sent(customer_id: str) -> list:
    return [e for e in Store.open().history(customer_id) if e.kind == "reminder_sent"]


def test_reminders_go_out_once_and_not_when_the_server_is_down(tmp_path, capsys, mail_env):
    server = SmtpServer(password=CANARY_SMTP_PASSWORD)  # log-in over 127.0.0.1
    try:
        mail_env(server.url())
        listed = customers(tmp_path / "customers.csv")
        assert run_cli(capsys, "note", "D", "called, renews today", "--contacted",
                       "--input", str(listed))[0] == 0

        plan = run_json(capsys, "remind", str(listed))  # a dry run: nothing sent or kept
        assert [m["customer_id"] for m in plan["mails"]] == ["A", "B"]
        assert [m["customer_id"] for m in plan["not_sendable"]] == ["F"]
        assert plan["mail_server"] == f"smtp://desk@127.0.0.1:{server.port}"
        assert server.mails == [] and reminders_sent("A") == []

        code, out, err = run_cli(capsys, "remind", str(listed), "--send")
        assert code == 0, err
        assert "2 of 2 reminders sent and recorded" in out and "F" in out
        mails = {m.to[0]: m for m in server.mails}
        assert set(mails) == {"shopA@example.de", "b-shop@example.com"}
        german, english = mails["shopA@example.de"], mails["b-shop@example.com"]
        assert german.message["From"] == MAIL_FROM and german.mail_from == "desk@example.com"
        assert german.message["Content-Language"] == "de"
        assert "läuft am" in german.message["Subject"] and "Guten Tag" in german.body
        assert english.message["Content-Language"] == "en"
        assert "expired" in english.message["Subject"] and "orders" in english.body
        for mail, customer_id, host in ((german, "A", "sellercentral-europe.amazon.com"),
                                        (english, "B", "sellercentral.amazon.com")):
            link = next(w for w in mail.body.split() if w.startswith("https://"))
            assert urlsplit(link).hostname == host
            state = parse_qs(urlsplit(link).query)["state"][0]
            assert read_state(state, Secret(CANARY_STATE_KEY))["c"] == customer_id
            assert_no_canary(mail.raw)
        assert_no_canary(out + err + dump_store(Store.open().url))

        event = reminders_sent("A")[0]
        assert event.agent == "lead" and event.seller_id == "AASELLER"
        assert {k: event.detail[k] for k in ("to", "language")} == {
            "to": "shopA@example.de", "language": "de"}
        assert event.detail["subject"] == german.message["Subject"]
        assert "body" not in event.detail

        code, out, err = run_cli(capsys, "remind", str(listed), "--send")  # the same day
        assert code == 0, err
        assert "0 of 0 reminders sent" in out and len(server.mails) == 2

        server.stop()  # a new seller is due, but the server is down
        customers(tmp_path / "customers.csv", customer("G", authorized_at=day(-365 + 5)))
        code, out, err = run_cli(capsys, "remind", str(listed), "--send")
        assert code == 2
        assert err.count("\n") == 1 and "Traceback" not in err
        assert f"smtp://desk@127.0.0.1:{server.port}" in err and "0 of 1" in err
        assert reminders_sent("G") == [] and len(reminders_sent("A")) == 1
        assert_no_canary(out + err)
    finally:
        server.stop()


def test_a_refused_mail_and_a_server_that_stops_midway(tmp_path, capsys, mail_env,
                                                       smtp_server):
    mail_env(smtp_server.url())
    listed = write_csv(tmp_path / "customers.csv", [
        customer(c, authorized_at=day(-365 + n)) for n, c in enumerate("PQRS", start=1)])
    smtp_server.inbox.refused.add("shopP@example.de")
    smtp_server.inbox.closes_after = 1  # the second accepted mail gets "421 shutting down"
    code, out, err = run_cli(capsys, "remind", str(listed), "--send", "--json")
    assert code == 2 and "421" in err and "1 of 4 reminders were sent" in err
    assert [m.to for m in smtp_server.mails] == [["shopQ@example.de"]]
    assert [len(reminders_sent(c)) for c in "PQRS"] == [0, 1, 0, 0]
    assert "refused" in out and "550" in out  # the refused address, in the JSON

    smtp_server.inbox.refused.clear()
    smtp_server.inbox.closes_after = None
    assert run_cli(capsys, "remind", str(listed), "--send")[0] == 0  # the rest, only them
    assert sorted(m.to[0][4] for m in smtp_server.mails) == ["P", "Q", "R", "S"]
    assert [len(reminders_sent(c)) for c in "PQRS"] == [1, 1, 1, 1]


def test_sending_needs_the_settings_and_today(tmp_path, capsys, mail_env, smtp_server,
                                             monkeypatch):
    listed = customers(tmp_path / "customers.csv")
    code, _out, err = run_cli(capsys, "remind", str(listed), "--send")
    assert code == 2 and "SUPPORT_KIT_SMTP_URL is not set" in err
    mail_env(smtp_server.url())
    for mail_from, said in (("", "SUPPORT_KIT_MAIL_FROM is not set"),
                            ("desk at example", "SUPPORT_KIT_MAIL_FROM='desk at example' is not")):
        monkeypatch.setenv("SUPPORT_KIT_MAIL_FROM", mail_from)
        code, _out, err = run_cli(capsys, "remind", str(listed), "--send")
        assert code == 2 and said in err, err
    monkeypatch.setenv("SUPPORT_KIT_MAIL_FROM", MAIL_FROM)
    mail_env(f"smtp://desk:{CANARY_SMTP_PASSWORD}@127.0.0.1")
    for bad, said in ((f"mail.example.com:{CANARY_SMTP_PASSWORD}", "not a mail server"),
                      (f"smtp://desk:{CANARY_SMTP_PASSWORD}@127.0.0.1:0", "no valid port"),
                      (f"smtp://desk:{CANARY_SMTP_PASSWORD}@127.0.0.1:{smtp_server.port}",
                       "offers no log-in")):
        mail_env(bad)
        code, out, err = run_cli(capsys, "remind", str(listed), "--send")
        assert code == 2 and said in err and err.count("\n") == 1, err
        assert_no_canary(out + err)
    assert smtp_server.mails == []

    with SmtpServer(password="right") as locked:  # a wrong password
        mail_env(locked.url(CANARY_SMTP_PASSWORD))
        code, out, err = run_cli(capsys, "remind", str(listed), "--send")
        assert code == 2 and "refused the log-in" in err and "535" in err
        assert_no_canary(out + err)

    mail_env(smtp_server.url())
    code, _out, err = run_cli(capsys, "remind", str(listed), "--send", "--as-of", day(-1))
    assert code == 2 and "as of today" in err
    assert run_cli(capsys, "remind", str(listed), "--as-of", day(-1))[0] == 0  # a dry run
    code, _out, err = run_cli(capsys, "remind", str(listed), "--send", "--quiet-days", "0")
    assert code == 2 and "--quiet-days" in err
    assert smtp_server.mails == [] and reminders_sent("A") == []


def test_smtp_settings_keep_their_password_and_demo_mode():
    settings = load_settings({"SUPPORT_KIT_SMTP_URL": f"smtps://u:{CANARY_SMTP_PASSWORD}@h",
                              "SUPPORT_KIT_MAIL_FROM": "desk@example.com"})
    assert settings.demo and CANARY_SMTP_PASSWORD not in repr(settings)
    from support_kit.mail import mail_server

    server = mail_server(settings)
    assert (str(server), server.port) == ("smtps://u@h:465", 465)
    assert CANARY_SMTP_PASSWORD not in repr(server) + str(server)
    assert server.password.reveal() == CANARY_SMTP_PASSWORD


def test_starttls_where_offered_smtps_and_a_certificate_checked(tmp_path, capsys, mail_env,
                                                          monkeypatch):
    context, cert_file = self_signed(tmp_path)
    listed = write_csv(tmp_path / "customers.csv", [customer("T", authorized_at=day(-360))])
    with SmtpServer(password=CANARY_SMTP_PASSWORD, starttls=context) as server:
        mail_env(server.url())
        code, out, err = run_cli(capsys, "remind", str(listed), "--send")  # not trusted
        assert code == 2 and "TLS certificate is not trusted (self-signed" in err, err
        assert server.mails == [] and reminders_sent("T") == []
        monkeypatch.setenv("SSL_CERT_FILE", cert_file)  # the desk trusts the server
        code, out, err = run_cli(capsys, "remind", str(listed), "--send")
        assert code == 0, err
        assert [(m.to, m.encrypted) for m in server.mails] == [(["shopT@example.de"], True)]
        assert_no_canary(out + err)
    write_csv(listed, [customer("U", authorized_at=day(-360))])
    with SmtpServer(password=CANARY_SMTP_PASSWORD, tls=context) as server:  # smtps://
        mail_env(server.url())
        assert run_cli(capsys, "remind", str(listed), "--send")[0] == 0
        assert [(m.to, m.encrypted) for m in server.mails] == [(["shopU@example.de"], True)]


SENDER = """
import sys, time
from support_kit import cli
start = float(sys.argv[1])
while time.time() < start:
    time.sleep(0.005)
sys.exit(cli.main(["remind", sys.argv[2], "--send", "--json"]))
"""


def test_two_runs_at_once_send_each_seller_one_mail(tmp_path, mail_env, smtp_server,
                                                    desk_store):
    mail_env(smtp_server.url())
    sellers = [f"S{n:03d}" for n in range(40)]
    listed = write_csv(tmp_path / "customers.csv", [
        customer(c, authorized_at=day(-365 + 5)) for c in sellers])
    start = str(time.time() + 3)  # both open the fresh store and plan, then send together
    runs = [subprocess.Popen([sys.executable, "-c", SENDER, start, str(listed)],
                             env=os.environ.copy(), stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [run.communicate(timeout=180) for run in runs]
    assert [run.returncode for run in runs] == [0, 0], outputs
    received = Counter(mail.to[0] for mail in smtp_server.mails)
    assert received == Counter({f"shop{c}@example.de": 1 for c in sellers})
    assert [len(reminders_sent(c)) for c in sellers] == [1] * 40
    first, second = ({m["customer_id"] for m in json.loads(out)["sent"]}
                     for out, _err in outputs)
    assert not first & second and first | second == set(sellers)
    for (out, _err), other in zip(outputs, (second, first), strict=True):
        told = json.loads(out)["not_sent"]  # claimed by the other run: named, not sent
        assert all("not sent again" in m["reason"] and not m["sendable"] for m in told)
        assert {m["customer_id"] for m in told} <= other


@pytest.mark.parametrize("smtputf8", [False, True])
def test_an_international_address_is_that_sellers_problem(tmp_path, capsys, mail_env,
                                                          smtputf8):
    with SmtpServer(smtputf8=smtputf8) as server:
        mail_env(server.url())
        listed = write_csv(tmp_path / "customers.csv", [
            customer("U", authorized_at=day(-365 + 4), contact_email="shöp@exämple.de"),
            customer("V", authorized_at=day(-365 + 5), contact_email="shop@exämple.de"),
            customer("W", authorized_at=day(-365 + 6))])
        code, out, err = run_cli(capsys, "remind", str(listed), "--send")
        got = sorted(to for mail in server.mails for to in mail.to)
        if smtputf8:  # the server takes international addresses: every mail goes out
            assert code == 0, err
            assert got == sorted(["shopW@example.de", "shop@xn--exmple-cua.de",
                                  "shöp@xn--exmple-cua.de"])
        else:  # the one address it cannot take is refused and listed; the run goes on
            assert code == 2 and err.count("\n") == 1 and "Traceback" not in err
            assert "1 of 3 reminders could not be sent" in err
            assert got == sorted(["shopW@example.de", "shop@xn--exmple-cua.de"])
            assert "not sent U" in out and "SMTPUTF8" in out
            assert [len(reminders_sent(c)) for c in "UVW"] == [0, 1, 1]
            code, out, _err = run_cli(capsys, "remind", str(listed), "--send")  # next day's
            assert code == 2 and "0 of 1" in out  # run: still only U, told again, no stop
