"""No two parts of the troubleshooting page contradict each other: for every situation the
badge, the next step, the reply and the ticket say the same; after a renewal all of them
follow at once; a page shows what the store holds when it is refreshed."""

import pytest

from support_kit import rules
from support_kit.config import load_settings
from support_kit.desk import Desk
from support_kit.store import Event
from support_kit.widgets import ReportPanel, TroubleshootPanel

from .conftest import AS_OF, confirm_consent, customer, write_csv


@pytest.fixture
def desk(demo):
    desk = Desk(load_settings({}), demo, AS_OF)
    yield desk
    desk.close()


def assert_agrees(panel: TroubleshootPanel, lang: str) -> None:
    case = panel.value
    d = case.diagnosis
    ticket, view = panel.ticket.value, panel.diagnosis_view.value
    assert f'data-situation="{d.situation}"' in view or d.situation_label in view
    assert d.situation_label in ticket, (d.customer_id, d.situation)
    assert d.next_step.split(":")[0] in ticket
    draft = panel.desk.reply(d.customer_id, case.link)
    assert draft.situation == d.situation
    assert panel.reply_text.value == draft.body
    if d.gap_text:  # a red box about the order gap: no "nothing to do" above it
        assert not d.next_step.startswith({"de": "Nichts zu tun", "en": "Nothing to do"}[lang])
        assert d.gap_from.strftime("%Y") in draft.body
    assert panel.link_button.disabled == (not d.link_allowed)


@pytest.mark.parametrize("lang", ["de", "en"])
def test_every_situation_agrees_across_badge_next_step_reply_and_ticket(desk, lang):
    panel = TroubleshootPanel(desk, lang=lang)
    seen = set()
    frame = rules.evaluate(desk.customers.customers, AS_OF, desk.settings.timezone)
    for situation, rows in frame.groupby("situation", observed=True):
        panel.search.value = ""
        panel.show(str(rows["customer_id"].iloc[0]))
        assert_agrees(panel, lang)
        seen.add(situation)
    assert len(seen) >= 8, seen


def test_after_a_renewal_every_part_follows_at_once(today_desk):
    panel = TroubleshootPanel(today_desk, customer_id="C100005", lang="en")
    assert panel.value.diagnosis.situation == "expired"
    panel.link_button.click()
    panel.callback_url.value = confirm_consent(panel.value.link.url).headers["Location"]
    panel.verify_button.click()
    d = panel.value.diagnosis
    assert d.situation == "renewed" and d.state == "valid"
    assert_agrees(panel, "en")
    ticket = panel.ticket.value
    assert "Renewed" in ticket and "import the orders" in ticket
    assert "overdue" not in ticket and "Send the renewal link" not in ticket
    reply = panel.reply_text.value  # in the seller's language (German)
    assert "Die Erneuerung Ihres Amazon Tokens ist bestätigt" in reply
    assert "erneut importieren" in reply or "erneut." in reply
    assert "abgelaufen" not in reply and "Confirm" not in reply  # no renewal steps again
    assert 'data-kind="renewed"' in panel.timeline_view.value
    panel.language.value = "de"  # the same, in the other language
    assert "Erneuert" in panel.ticket.value and "erneut importieren" in panel.ticket.value
    assert_agrees(panel, "de")


def test_refresh_shows_what_others_recorded(desk):
    panel = TroubleshootPanel(desk, customer_id="C100006", lang="en")
    desk.store.record(Event("note", "C100006", agent="terminal",
                            detail={"text": "called back, renews tonight"}))
    assert "renews tonight" not in panel.timeline_view.value
    panel.refresh_button.click()
    assert "renews tonight" in panel.timeline_view.value
    assert "sk-error" not in panel.status.value


def test_worklist_most_urgent_first_a_click_opens_and_contact_removes(today_desk):
    desk = today_desk  # a contact is recorded now: the list of today
    rows = desk.worklist()
    assert rows["state"].iloc[0] in rules.STOPPED_STATES
    stopped = rows["state"].isin(rules.STOPPED_STATES)
    assert stopped.tolist() == sorted(stopped, reverse=True)  # the stopped before the expiring
    assert rows.loc[stopped, "stopped_since"].is_monotonic_increasing
    assert rows.loc[~stopped, "expires_on"].is_monotonic_increasing
    panel = TroubleshootPanel(desk, lang="en")
    first = rows["customer_id"].iloc[0]
    assert panel.worklist.options[0][1] == first and "To do today" in panel.worklist_heading.value
    assert panel.value.diagnosis is None  # listing opens nobody
    panel.worklist.value = first  # the click
    assert panel.value.diagnosis.customer_id == first
    panel.note_text.value, panel.contacted.value = "called, renews today", True
    panel.note_button.click()
    assert first not in [value for _, value in panel.worklist.options]
    panel.language.value = "de"
    assert "Heute zu tun" in panel.worklist_heading.value
    assert "gestoppt seit" in panel.worklist.options[0][0]


def test_refresh_reads_a_changed_customer_file_and_keeps_the_list_when_it_breaks(tmp_path):
    """The lead replaces the customer file while pages are open: the refresh button shows
    the new customers; a file that no longer loads is said, the list shown before stays."""
    listed = write_csv(tmp_path / "customers.csv", [customer("C1", shop_name="Erster Laden")])
    desk = Desk.open(listed, as_of=AS_OF, store="sqlite://")
    panel = TroubleshootPanel(desk, customer_id="C1", lang="en")
    report = ReportPanel(desk, out_dir=tmp_path / "out", lang="en")
    write_csv(listed, [customer("C1", shop_name="Erster Laden"),
                       customer("C2", shop_name="Zweiter Laden")])
    panel.refresh_button.click()
    assert desk.search("Zweiter")[0] == "C2" and "sk-error" not in panel.status.value
    report.refresh_button.click()
    assert set(report.value["customer_id"]) == {"C1", "C2"}

    listed.write_bytes(b"\x00\x01 not a customer list")
    panel.refresh_button.click()
    assert "sk-error" in panel.status.value and "customers.csv" in panel.status.value
    assert "Traceback" not in panel.status.value
    assert desk.search("Zweiter")[0] == "C2"  # nothing lost: the list read before stays
    desk.close()
