"""The report panel's reminders driven in plain pytest: preview, then send with a progress
bar, against a real SMTP server on 127.0.0.1."""

from support_kit.config import load_settings
from support_kit.customers import load
from support_kit.desk import Desk
from support_kit.widgets import ReportPanel

from .conftest import TEST_ENV, assert_no_canary, customer, write_csv
from .smtp_server import CANARY_SMTP_PASSWORD, SmtpServer
from .test_remind import MAIL_FROM, customers, day
from .test_widgets import all_html


def panel_on(path, server, tmp_path) -> ReportPanel:
    settings = load_settings(TEST_ENV | {"SUPPORT_KIT_SMTP_URL": server.url(),
                                         "SUPPORT_KIT_MAIL_FROM": MAIL_FROM})
    return ReportPanel(Desk(settings, load(path)), out_dir=tmp_path / "out",
                       lang="en")  # the English page (German: test_remind_language.py)


def test_preview_then_send_with_a_progress_bar(tmp_path):
    listed = customers(tmp_path / "customers.csv")
    with SmtpServer(password=CANARY_SMTP_PASSWORD) as server:
        panel = panel_on(listed, server, tmp_path)
        section = panel.remind
        assert section.send_button.disabled  # nothing previewed yet
        section.preview_button.click()
        preview = section.preview_view.value
        assert "shopA@example.de" in preview and "b-shop@example.com" in preview
        assert "no usable e-mail address" in preview  # F: due, but no address
        assert server.mails == [] and not section.send_button.disabled
        assert section.send_button.description == "Send 3 reminders"  # A, B and D

        seen = []
        section.progress.observe(lambda change: seen.append(change["new"]), names="value")
        section.send_button.click()
        assert sorted(m.to[0] for m in server.mails) == [
            "b-shop@example.com", "shopA@example.de", "shopD@example.de"]
        assert seen[-1] == section.progress.max == 3 and 1 in seen and 2 in seen
        assert "3 of 3 reminders sent and recorded" in section.result_view.value
        assert section.send_button.disabled  # one click, one send
        assert [e.kind for e in panel.desk.store.history("A")] == ["reminder_sent"]

        section.preview_button.click()  # the same day: nobody is due any more
        assert section.send_button.disabled and "0 to send" in section.preview_view.value
        assert_no_canary(all_html(panel, text_too=True))

        server.stop()  # a seller newly due, and the mail server is down
        customers(listed, customer("G", authorized_at=day(-365 + 5)))
        panel = panel_on(listed, server, tmp_path)
        panel.remind.preview_button.click()
        panel.remind.send_button.click()
        shown = all_html(panel)
        assert "0 of 1 reminders sent" in panel.remind.result_view.value
        assert "cannot be used" in panel.status.value and "Traceback" not in shown
        assert [e.kind for e in panel.desk.store.history("G")] == []
        assert_no_canary(all_html(panel, text_too=True))


def test_a_preview_left_open_sends_only_to_those_still_due(tmp_path, smtp_server):
    listed = write_csv(tmp_path / "customers.csv",
                       [customer(c, authorized_at=day(-365 + 9)) for c in "XY"])
    first, second = (panel_on(listed, smtp_server, tmp_path) for _ in range(2))
    first.remind.preview_button.click()
    second.remind.preview_button.click()  # another agent, the same list
    second.remind.send_button.click()
    first.remind.send_button.click()  # later: both were reminded meanwhile
    assert len(smtp_server.mails) == 2
    assert "0 of 0 reminders sent" in first.remind.result_view.value


def test_each_mail_previewed_a_seller_left_out_then_counts_and_the_list_follows(tmp_path):
    listed = customers(tmp_path / "customers.csv")
    with SmtpServer() as server:
        panel = panel_on(listed, server, tmp_path)
        section = panel.remind
        section.preview_button.click()
        mails = section.mails_view.value
        assert 'data-customer-id="A"' in mails and "<pre" in mails  # subject, then the body
        assert "/apps/authorize/consent?" in mails  # the reminder carries the renewal link
        section.leave_out.value = ("B",)
        assert section.send_button.description == "Send 2 reminders"
        section.send_button.click()
        assert sorted(m.to[0] for m in server.mails) == ["shopA@example.de",
                                                         "shopD@example.de"]
        assert "Sent: 2 · refused or undeliverable: 0 · left out: 1." in \
            section.result_view.value
        # the list follows at once: B, left out, is still due; A and D are not
        assert [value for _, value in section.leave_out.options] == ["B"]
        assert section.send_button.description == "Send 1 reminder"
