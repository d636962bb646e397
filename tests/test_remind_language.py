"""The reminder section speaks the page's language (preview, button, results), the mails
the seller's; a language switch re-renders the preview without planning again."""

from support_kit.desk import Desk
from support_kit.remind import plan_reminders
from support_kit.texts import text
from support_kit.widgets import ReportPanel

from .conftest import AS_OF


def test_preview_in_the_page_language_and_switched_without_planning_again(tmp_path):
    panel = ReportPanel(Desk.open(as_of=AS_OF, store="sqlite://"), out_dir=tmp_path)
    plan = panel.remind.preview()
    n = len(plan.sendable)
    assert n > 1
    shown = panel.remind.preview_view.value
    assert "Erinnerungen zum 01.12.2026" in shown and "<th>Betreff</th>" in shown
    assert panel.remind.send_button.description == f"{n} Erinnerungen senden"
    assert "Zum Senden fehlt SUPPORT_KIT_SMTP_URL und SUPPORT_KIT_MAIL_FROM" in shown
    assert "Reminders" not in shown

    panel.language.value = "en"
    assert panel.remind.plan is plan  # the same plan, shown again in English
    shown = panel.remind.preview_view.value
    assert f"Reminders as of 2026-12-01: {n} to send" in shown and "<th>subject</th>" in shown
    assert panel.remind.send_button.description == f"Send {n} reminders"
    assert "Erinnerungen" not in shown


def test_mails_in_each_sellers_language_whatever_the_page(tmp_path):
    desk = Desk.open(as_of=AS_OF, store="sqlite://")
    plan = plan_reminders(desk)
    for mail in plan.sendable.itertuples():
        greeting = text(mail.language, "reply.greeting", shop="").split("{")[0][:5]
        assert greeting in mail.body
    assert set(plan.sendable["language"]) >= {"de", "en"}


def test_the_command_keeps_english(tmp_path):
    plan = plan_reminders(Desk.open(as_of=AS_OF, store="sqlite://"))
    assert str(plan).startswith("Reminders as of 2026-12-01:")
    assert plan.to_dict()["not_sendable"] == [] or "why" not in plan.to_dict()["not_sendable"][0]
