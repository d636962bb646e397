"""The desk panels driven in plain pytest: set values, click buttons, read .value and HTML."""

import dataclasses
import html

import pytest

from support_kit.config import load_settings
from support_kit.customers import load
from support_kit.desk import Desk
from support_kit.widgets import ReportPanel, TroubleshootPanel

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
    assert "No customer found" in panel.status.value and panel.value.diagnosis is None


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
    assert panel.value.callback.ok and panel.value.confirmed.live_state == "alive"
    assert 'data-ok="true"' in panel.callback_view.value


def test_failing_live_check_shows_a_message_and_details(demo):
    settings = load_settings(TEST_ENV | {"SUPPORT_KIT_LWA_ENDPOINT": "http://127.0.0.1:9/x"})
    panel = TroubleshootPanel(Desk(settings, demo, AS_OF), customer_id="C100001", lang="en")
    panel.live_button.click()
    assert panel.value.live.live_state == "unreachable"
    assert "sk-error" in panel.status.value and "Amazon unreachable" in panel.status.value
    broken = TroubleshootPanel(Desk(dataclasses.replace(settings, app_id=None), demo, AS_OF),
                               customer_id="C100001", lang="en")
    broken.link_button.click()  # no app id: a clear message, no exception
    assert "SUPPORT_KIT_APP_ID" in broken.status.value
    assert broken.value.link is None


def test_unexpected_errors_go_to_the_details_section(desk, monkeypatch):
    panel = TroubleshootPanel(desk, customer_id="C100001", lang="en")

    secret = CANARY_TOKEN

    def boom(_customer_id):
        raise RuntimeError("exploded with " + secret)

    monkeypatch.setattr(desk, "live_check", boom)
    panel.live_button.click()
    assert "RuntimeError" in panel.status.value
    assert panel.details.layout.display == "" and "Traceback" in panel.details_text.value
    assert_no_canary(panel.status.value + panel.details_text.value)


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


def test_report_panel_filters_sorts_and_exports(desk, tmp_path):
    panel = ReportPanel(desk, out_dir=tmp_path)
    assert len(panel.value) == 200
    panel.state.value = ("expiring",)
    assert set(panel.value["state"]) == {"expiring"} and len(panel.value) == 14
    assert panel.value["days_left"].is_monotonic_increasing
    panel.descending.value = True
    assert panel.value["days_left"].is_monotonic_decreasing
    panel.state.value = ()
    panel.bucket.value = "<=7"
    panel.marketplace.value = "DE"
    assert set(panel.value["bucket"]) <= {"<=7"} and set(panel.value["marketplace"]) <= {"DE"}
    panel.marketplace.value = "unknown"
    panel.bucket.value = "(all)"
    assert len(panel.value) == 2
    assert panel.chart.value[:8] == b"\x89PNG\r\n\x1a\n"
    for kind, name in (("xlsx", "report.xlsx"), ("html", "report.html"),
                       ("csv", "customers.csv"), ("reminders", "reminders.csv")):
        panel.buttons[kind].click()
        assert (tmp_path / name).is_file()
        assert f'download="{name}"' in panel.files_view.value
    panel.as_of.value = AS_OF.replace(year=2027)
    assert panel.report.as_of.year == 2027


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
