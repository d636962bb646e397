"""Desk is the one application service: the command and the panels call the same Desk
methods, so the same step is recorded the same way wherever it is taken."""

import datetime as dt

from support_kit.desk import Desk
from support_kit.widgets import ReportPanel, TroubleshootPanel

from .conftest import AS_OF, run_cli, run_json


def kinds(capsys, customer_id: str) -> list[str]:
    return [event["kind"] for event in run_json(capsys, "history", customer_id)]


def test_the_commands_reply_records_its_link_like_the_panel(capsys, tmp_path, monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{tmp_path / 'desk.db'}")
    reply = run_json(capsys, "reply", "C100005", "--as-of", AS_OF.isoformat())
    assert reply["link"] and reply["link"] in reply["body"]
    assert kinds(capsys, "C100005") == ["link_made"]  # as the panel's "Renewal link" does

    panel = TroubleshootPanel(Desk.open(as_of=AS_OF), "C100006")
    panel.make_link()
    assert kinds(capsys, "C100006") == ["link_made"]
    panel.desk.close()

    reply = run_json(capsys, "reply", "C100012", "--as-of", AS_OF.isoformat())
    assert reply["link"] is None and kinds(capsys, "C100012") == []  # no link: nothing made


def test_the_commands_link_is_the_desks(capsys, tmp_path, monkeypatch):
    """``support-kit link`` signs through the desk: recorded, and in demo mode aimed at
    ``support-kit sandbox`` (a sandbox in the command's own process would be gone)."""
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{tmp_path / 'desk.db'}")
    link = run_json(capsys, "link", "C100005", "--valid-days", "3")
    desk = Desk.open(as_of=AS_OF)
    assert link["url"].startswith(desk.settings.seller_central_url)
    assert kinds(capsys, "C100005") == ["link_made"]


def test_report_runs_recorded_the_same_from_the_command_and_the_page(capsys, tmp_path,
                                                                     monkeypatch):
    monkeypatch.setenv("SUPPORT_KIT_STORE", f"sqlite:///{tmp_path / 'desk.db'}")
    week_ago = AS_OF - dt.timedelta(days=7)
    # the command writes the files, then records the run
    assert run_cli(capsys, "report", "--as-of", week_ago.isoformat(), "--out",
                   str(tmp_path / "before"))[0] == 0
    desk = Desk.open(as_of=AS_OF)
    page = ReportPanel(desk, out_dir=tmp_path / "now")
    assert page.report.changes.since == week_ago  # the page compares with the command's run
    assert desk.report().changes.since == week_ago  # the one Desk method both use
    page.write_all()
    tomorrow = Desk.open(as_of=AS_OF + dt.timedelta(days=1))
    assert tomorrow.report().changes.since == AS_OF  # the page's run, recorded once
