"""What a seller reads comes in their language (de, en, fr, it, es), another code in English,
an empty one in SUPPORT_KIT_CUSTOMER_LANGUAGE: the catalogue is complete, and a reply and a
reminder mail (sent to a real SMTP server, read back) hold no other language's words."""

import datetime as dt
import re
import string

import pytest

from support_kit import rules
from support_kit.dates import today
from support_kit.texts import CUSTOMER_LANGUAGES, SELLER_KEYS, catalogue

from .conftest import TEST_ENV, customer, run_cli, run_json, write_csv
from .smtp_server import smtp_server  # noqa: F401 (a fixture)

#: Words only one language's seller texts use (its greeting, closing and a phrase).
OWN_WORDS = {lang: [catalogue()[lang]["reply"]["greeting"],
                    catalogue()[lang]["reply"]["closing"].split("\n")[0],
                    catalogue()[lang]["renewal"]["title"]] for lang in CUSTOMER_LANGUAGES}


def _flat(node, prefix=""):
    """Every leaf of a catalogue table as dotted key -> text (lists item by item)."""
    for key, value in node.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            yield from _flat(value, path + ".")
        elif isinstance(value, list):
            for n, item in enumerate(value):
                yield f"{path}[{n}]", item
        else:
            yield path, value


def _seller_key(key: str) -> bool:
    bare = key.split("[")[0]
    return any(re.fullmatch(re.escape(p).replace(r"\*", r"[^.]+") + r"(\..+)?", bare)
               for p in SELLER_KEYS)


def _placeholders(value: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(value) if name}


def test_every_seller_text_is_in_every_customer_language_with_the_same_placeholders():
    english = {k: v for k, v in _flat(catalogue()["en"]) if _seller_key(k)}
    assert len(english) > 80  # replies, steps, consent codes, authorizations, dates
    for lang in CUSTOMER_LANGUAGES:
        table = dict(_flat(catalogue()[lang]))
        seller = {k: v for k, v in table.items() if _seller_key(k)}
        assert sorted(set(english) - set(seller)) == [], f"{lang} lacks these"
        assert sorted(set(seller) - set(english)) == [], f"{lang} has extra keys"
        for key, value in seller.items():
            if isinstance(value, str) and key not in ("date.format",):
                assert _placeholders(value) == _placeholders(english[key]), (lang, key)
        if lang not in ("de", "en"):  # the rest of a seller's table is desk text: none
            assert set(table) == set(seller), f"{lang} holds desk texts"
    for situation, rule in rules.SITUATIONS.items():
        needed = ["subject", "reply_lead"] + ([] if rule.link_allowed else ["reply_todo"])
        for lang in CUSTOMER_LANGUAGES:
            assert set(needed) <= set(catalogue()[lang]["situation"][situation]), situation


def _no_other_language(text: str, lang: str) -> None:
    for own in OWN_WORDS[lang]:
        assert own in text, (lang, own)
    for other, words in OWN_WORDS.items():
        if other != lang:
            for word in words:
                assert word not in text, f"{other} words in a {lang} text: {word!r}"


@pytest.mark.parametrize("language, reads", [(c, c) for c in CUSTOMER_LANGUAGES]
                         + [("nl", "en"), ("PT", "en")])
def test_reply_in_the_sellers_language(tmp_path, capsys, monkeypatch, language, reads):
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    listed = write_csv(tmp_path / "customers.csv", [
        customer("X", authorized_at="2025-12-10", marketplace="FR", language=language)])
    reply = run_json(capsys, "reply", "X", "--input", str(listed), "--as-of", "2026-12-01")
    assert reply["lang"] == reads and reply["situation"] == "expiring"
    _no_other_language(reply["subject"] + "\n" + reply["body"], reads)
    assert reply["link"] and reply["link"] in reply["body"]
    month = catalogue()[reads]["date"]["months"][11]  # expires 10 December 2026
    assert month in reply["subject"] or reads == "de"
    assert "10.12.2026" in reply["subject"] or reads != "de"


def test_empty_language_is_the_desks_customer_language(tmp_path, capsys, monkeypatch):
    listed = write_csv(tmp_path / "customers.csv", [
        customer("X", authorized_at="2025-12-10", marketplace="ES", language="")])
    assert run_json(capsys, "reply", "X", "--input", str(listed),
                    "--as-of", "2026-12-01")["lang"] == "de"
    monkeypatch.setenv("SUPPORT_KIT_CUSTOMER_LANGUAGE", "es")  # stays in demo mode
    reply = run_json(capsys, "reply", "X", "--input", str(listed), "--as-of", "2026-12-01")
    assert reply["lang"] == "es"
    _no_other_language(reply["body"], "es")
    monkeypatch.setenv("SUPPORT_KIT_CUSTOMER_LANGUAGE", "nl")
    code, out, err = run_cli(capsys, "reply", "X", "--input", str(listed))
    assert code == 2 and "SUPPORT_KIT_CUSTOMER_LANGUAGE='nl'" in err and "Traceback" not in err


def test_reminder_mails_in_five_languages(tmp_path, capsys, monkeypatch, smtp_server):  # noqa: F811
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUPPORT_KIT_MAIL_FROM", "desk@example.com")
    monkeypatch.setenv("SUPPORT_KIT_SMTP_URL", smtp_server.url())
    expiring = (today() - dt.timedelta(days=365 - 12)).isoformat()
    codes = [*CUSTOMER_LANGUAGES, "nl"]
    listed = write_csv(tmp_path / "customers.csv", [
        customer(f"L{n}", authorized_at=expiring, language=code,
                 contact_email=f"{code}@example.com") for n, code in enumerate(codes)])
    code, out, err = run_cli(capsys, "remind", str(listed), "--send")
    assert code == 0, err
    mails = {m.to[0].split("@")[0]: m for m in smtp_server.mails}
    assert sorted(mails) == sorted(codes)
    for code in codes:
        reads = code if code in CUSTOMER_LANGUAGES else "en"
        mail = mails[code]
        assert mail.message["Content-Language"] == reads
        _no_other_language(mail.message["Subject"] + "\n" + mail.body, reads)


def test_consent_error_told_to_the_seller_in_their_language(capsys):
    for lang in CUSTOMER_LANGUAGES:
        explained = run_json(capsys, "explain", "Invalid Access", "--lang", "en",
                             "--seller-lang", lang)
        assert explained["seller_lang"] == lang and "Selling Partner Appstore" in \
            explained["seller"]
        assert explained["cause"].startswith("Amazon shows")  # the desk reads its own
    german = run_json(capsys, "explain", "CONSENT_LIMIT_REACHED", "--lang", "de")
    assert german["seller_lang"] == "de" and "Das lösen wir" in german["seller"]
