"""The desk panels driven in plain pytest: set values, click buttons, read .value and HTML."""

import dataclasses
import html

import pytest

from support_kit.config import load_settings
from support_kit.customers import load
from support_kit.desk import Desk
from support_kit.widgets import TroubleshootPanel

from .conftest import (
    AS_OF,
    CANARY_SECRET,
    CANARY_TOKEN,
    TEST_ENV,
    assert_no_canary,
    confirm_consent,
    customer,
    write_csv,
)


@pytest.fixture
def desk(demo):
    desk = Desk(load_settings({}), demo, AS_OF)
    yield desk
    desk.close()


def all_html(panel, text_too=False) -> str:
    """What the browser renders as HTML (and, with text_too, the plain-text fields)."""
    import ipywidgets

    parts = []

    def walk(widget):
        if isinstance(widget, ipywidgets.HTML) or text_too:
            for attr in ("value", "description", "placeholder"):
                value = getattr(widget, attr, None)
                if isinstance(value, str):
                    parts.append(value)
        for child in getattr(widget, "children", ()):
            walk(child)

    walk(panel.widget)
    return "\n".join(parts)


def test_search_suggests_then_shows_the_picked_customer(desk):
    panel = TroubleshootPanel(desk, lang="en")
    assert "demo data" in all_html(panel).lower()
    panel.search.value = "riverkontor"  # part of a shop name
    assert panel.suggestions.options and panel.value.diagnosis is None
    panel.suggestions.value = panel.suggestions.options[0][1]
    assert panel.value.diagnosis.shop_name.lower().startswith("riverkontor")
    panel.search.value = "C100005"
    diagnosis = panel.value.diagnosis
    assert diagnosis.state == "expired" and diagnosis.days_left == -40
    shown = panel.diagnosis_view.value
    assert 'data-state="expired"' in shown and "Order import stopped" in shown
    assert "since 22 October 2026" in shown


def test_unknown_search_says_so(desk):
    panel = TroubleshootPanel(desk, lang="en")
    panel.search.value = "no such shop"
    assert "No customer found" in panel.feedback() and panel.value.diagnosis is None


def test_language_switch_changes_the_agents_texts(desk):
    panel = TroubleshootPanel(desk, customer_id="C100005", lang="de")
    assert "Bestellimport gestoppt" in panel.diagnosis_view.value
    panel.language.value = "en"
    assert "Order import stopped" in panel.diagnosis_view.value
    assert panel.live_button.description == "Live check with Amazon"


def test_live_check_link_reply_and_callback_in_demo(desk):
    panel = TroubleshootPanel(desk, customer_id="C100005", lang="en")
    panel.live_button.click()
    assert panel.value.live.live_state == "expired"  # Amazon refuses the old token
    panel.link_button.click()
    link = panel.value.link
    assert link.url.startswith("http://127.0.0.1:")
    assert html.escape(link.url) in panel.link_view.value
    assert link.url in panel.reply_text.value  # the reply carries the link
    assert "Loggen Sie sich bitte aktiv aus" in panel.reply_text.value  # customer's language
    panel.reply_text.value += "\nP.S. edited by the agent"
    assert "edited%20by%20the%20agent" in panel.mailto_view.value
    assert panel.mailto_view.value.count("mailto:bluedepot.4%40example.com") == 0
    assert "mailto:bluedepot.4@example.com" in panel.mailto_view.value
    # the seller consents in the sandbox; the agent pastes the callback URL
    confirmed = confirm_consent(link.url)
    panel.callback_url.value = confirmed.headers["Location"]
    panel.verify_button.click()
    assert 'data-ok="true"' in panel.callback_view.value


def test_confirmed_renewal_counts_at_once_and_twice_is_already_renewed(today_desk):
    panel = TroubleshootPanel(today_desk, customer_id="C100005", lang="en")
    assert panel.value.diagnosis.state == "expired"
    panel.link_button.click()
    callback = confirm_consent(panel.value.link.url).headers["Location"]
    panel.callback_url.value = callback
    panel.verify_button.click()
    assert panel.value.callback.ok and panel.value.confirmed.status == "renewed"
    assert panel.value.confirmed.live.live_state == "alive"
    assert 'data-state="valid"' in panel.diagnosis_view.value  # the badge follows at once
    assert 'data-source="desk"' in panel.diagnosis_view.value
    assert "sk-error" not in panel.feedback()
    kinds = [e.kind for e in today_desk.history("C100005")]
    assert kinds[:3] == ["live_checked", "renewed", "callback_verified"]
    assert 'data-kind="renewed"' in panel.timeline_view.value
    # pressing "Verify" again: no second exchange, no green tick next to an Amazon error
    panel.callback_url.value = callback
    panel.verify_button.click()
    assert panel.value.confirmed.status == "already_renewed"
    assert "Already renewed" in panel.verify_status.value  # beside the button pressed
    assert "sk-error" not in panel.verify_status.value + panel.feedback()
    assert [e.kind for e in today_desk.history("C100005")].count("renewed") == 1


def test_another_customers_callback_is_refused_on_screen(today_desk):
    panel = TroubleshootPanel(today_desk, customer_id="C100005", lang="en")
    panel.link_button.click()
    callback = confirm_consent(panel.value.link.url).headers["Location"]
    panel.search.value = "C100001"  # the agent moved on to another customer
    assert panel.callback_url.value == "" and panel.callback_view.value == ""
    panel.callback_url.value = callback
    panel.verify_button.click()
    assert panel.value.callback.problems == ("customer_mismatch",)
    assert panel.value.confirmed is None  # nothing exchanged
    assert "customer C100005" in panel.feedback() and "sk-error" in panel.feedback()
    assert 'data-ok="false"' in panel.callback_view.value
    assert "renewed" not in [e.kind for e in today_desk.history("C100005")]


def test_note_box_and_timeline(today_desk):
    panel = TroubleshootPanel(today_desk, customer_id="C100001", lang="en")
    assert "Nothing has been recorded" in panel.timeline_view.value
    panel.note_button.click()
    assert "The note is empty" in panel.feedback()
    panel.note_text.value = "Called <b>Mr. Ray</b>; he renews tonight"
    panel.contacted.value = True
    panel.note_button.click()
    assert panel.note_text.value == "" and panel.contacted.value is False
    panel.note_text.value = "mail sent as well"
    panel.note_button.click()
    events = today_desk.history("C100001")
    assert [e.kind for e in events] == ["note", "contacted"]
    shown = panel.timeline_view.value
    assert shown.index("mail sent as well") < shown.index("Mr. Ray")  # newest first
    assert "&lt;b&gt;Mr. Ray&lt;/b&gt;" in shown and "<b>Mr. Ray" not in shown
    assert today_desk.agent in shown


def test_failing_live_check_shows_a_message_and_details(demo):
    settings = load_settings(TEST_ENV | {"SUPPORT_KIT_LWA_ENDPOINT": "http://127.0.0.1:9/x"})
    panel = TroubleshootPanel(Desk(settings, demo, AS_OF), customer_id="C100001", lang="en")
    panel.live_button.click()
    assert panel.value.live.live_state == "unreachable"
    assert "sk-error" in panel.feedback() and "Amazon unreachable" in panel.feedback()
    broken = TroubleshootPanel(Desk(dataclasses.replace(settings, app_id=None), demo, AS_OF),
                               customer_id="C100001", lang="en")
    broken.link_button.click()  # no app id: a clear message, no exception
    assert "SUPPORT_KIT_APP_ID" in broken.feedback()
    assert broken.value.link is None


def test_unexpected_errors_go_to_the_details_section(desk, monkeypatch):
    panel = TroubleshootPanel(desk, customer_id="C100001", lang="en")

    secret = CANARY_TOKEN

    def boom(_customer_id):
        raise RuntimeError("exploded with " + secret)

    monkeypatch.setattr(desk, "live_check", boom)
    panel.live_button.click()
    assert "RuntimeError" in panel.feedback()
    details = panel.details_text.value  # for support staff: class and message, no frames
    assert panel.details.layout.display == "" and "RuntimeError: exploded with" in details
    assert "Traceback" not in details and 'File "' not in details
    assert_no_canary(panel.feedback() + panel.details_text.value)


def test_hostile_shop_name_stays_text(tmp_path):
    evil = "<script>alert('x')</script><img src=x onerror=alert(1)>"
    customers = load(write_csv(tmp_path / "c.csv", [customer("1", shop_name=evil,
                                                             refresh_token=CANARY_TOKEN)]))
    panel = TroubleshootPanel(Desk(load_settings({}), customers, AS_OF), lang="en")
    panel.search.value = "1"
    shown = all_html(panel)
    assert "<script>alert" not in shown and "<img src=x" not in shown
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in panel.diagnosis_view.value \
        or "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in panel.diagnosis_view.value
    assert_no_canary(all_html(panel, text_too=True))


def test_secrets_never_reach_the_panel(demo):
    settings = load_settings(TEST_ENV)
    panel = TroubleshootPanel(Desk(settings, demo, AS_OF), customer_id="C100005", lang="en")
    panel.link_button.click()
    assert_no_canary(all_html(panel, text_too=True) + repr(panel.value) + repr(panel.desk))
    assert CANARY_SECRET not in repr(settings)


def test_opening_and_diagnosing_among_100k_is_quick_enough_for_a_test():
    """The benchmark has the figure; this only guards against a per-row slip."""
    import time

    from support_kit import demo as demo_data

    big = load(demo_data.generate(100_000, seed=3))
    started = time.perf_counter()
    panel = TroubleshootPanel(Desk(load_settings({}), big, AS_OF))
    panel.search.value = "C150000"
    assert panel.value.diagnosis.customer_id == "C150000"
    assert time.perf_counter() - started < 5


def test_a_fixable_problem_in_a_notebook_cell_is_one_line_not_a_traceback(tmp_path):
    """What an agent sees in Lab when the cell that opens the desk hits a bad setting."""
    import os
    import subprocess
    import sys

    cell = ("from support_kit.desk import Desk\nfrom support_kit.widgets import "
            "TroubleshootPanel\ndesk = Desk.open()\n")
    kernel = ("from IPython.core.interactiveshell import InteractiveShell\n"
              f"InteractiveShell.instance().run_cell({cell!r})\n")
    env = os.environ | {"SUPPORT_KIT_CUSTOMERS": str(tmp_path / "missing.csv")}
    shown = subprocess.run([sys.executable, "-c", kernel], env=env, capture_output=True,
                           text=True, timeout=120)
    text = shown.stdout + shown.stderr
    assert "does not exist" in text and "missing.csv" in text
    assert "Traceback" not in text and "File " not in text


def test_a_renewal_by_another_agent_shows_on_an_open_panel(demo):
    """Two agents' desks on one store: the second's open panel follows the first's renewal."""
    first, second = Desk(load_settings({}), demo), Desk(load_settings({}), demo)
    try:
        panel = TroubleshootPanel(second, customer_id="C100001", lang="en")
        link = first.link("C100005")
        callback = first.verify(confirm_consent(link.url).headers["Location"],
                                customer_id="C100005")
        assert first.confirm(callback).status == "renewed"
        panel.search.value = "C100005"
        assert panel.value.diagnosis.state == "valid"
        assert panel.value.diagnosis.authorized_source == "desk"
        assert 'data-kind="renewed"' in panel.timeline_view.value
    finally:
        first.close()
        second.close()
