"""One language home: the desk's language on the panel, the customer's on the customer.
Results keep ids and render in the language asked for; a switch shows the case again
without evaluating it again, and keeps what the agent typed."""

from support_kit import rules
from support_kit.desk import Desk
from support_kit.live_check import LiveResult
from support_kit.texts import DEFAULT_LANGUAGE, text
from support_kit.widgets import TroubleshootPanel

from .conftest import AS_OF


def test_a_case_is_evaluated_once_and_a_switch_shows_it_again(monkeypatch):
    evaluated = []  # one customer's evaluations (the worklist evaluates the whole list)
    real = rules.evaluate

    def counted(frame, *args, **kwargs):
        if frame["customer_id"].nunique() == 1:
            evaluated.append(frame["customer_id"].iloc[0])
        return real(frame, *args, **kwargs)

    monkeypatch.setattr(rules, "evaluate", counted)
    panel = TroubleshootPanel(Desk.open(as_of=AS_OF, store="sqlite://"), "C100005")
    assert evaluated == ["C100005"]  # diagnosis, reply and ticket from one evaluation
    panel.run_live_check()
    panel.make_link()
    panel.reply_text.value += "\nPS: the agent's own line"
    panel.note_text.value = "ruft zurück"
    assert "Abgelaufen" in panel.diagnosis_view.value

    evaluated.clear()
    panel.language.value = "en"
    assert evaluated == []  # formatted again, not evaluated again
    shown = panel.diagnosis_view.value
    assert "Expired" in shown and "Abgelaufen" not in shown
    assert panel.case.live.label("en") in panel.live_view.value
    assert panel.reply_text.value.endswith("PS: the agent's own line")  # the seller's language
    assert panel.note_text.value == "ruft zurück" and panel.case.link is not None
    assert "State: Expired" in panel.ticket.value


def test_results_render_in_the_language_asked_for():
    result = LiveResult("C100005", "alive")
    assert text("de", "live_state.alive") in result._repr_html_()  # the one default
    assert text("en", "live_state.alive") in result.html("en")
    assert text("en", "live_state.alive") in result.shown_in_language("en")._repr_html_()
    assert result.shown_in_language("en") == result and "shown_in" not in result.to_dict()
    assert DEFAULT_LANGUAGE == "de"
