"""Links that work: in demo mode the panel's renewal link points at the sandbox the README
names (`support-kit sandbox`, where the command's links point too) when it runs, and stays
valid after the page's desk is closed."""

import dataclasses
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
import requests

from support_kit.config import load_settings
from support_kit.desk import Desk
from support_kit.widgets import TroubleshootPanel

from .browser.voila_server import free_port


@pytest.fixture
def running_sandbox(tmp_path):
    """`support-kit sandbox` in its own process, as `make app` starts it."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("support-kit")), "sandbox", "--port", str(port)],
        env=env | {"XDG_DATA_HOME": str(tmp_path)}, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while socket.socket().connect_ex(("127.0.0.1", port)) != 0:
        assert time.monotonic() < deadline and process.poll() is None, "no sandbox"
        time.sleep(0.2)
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(timeout=10)


def test_the_panels_link_points_at_the_running_sandbox_and_outlives_the_page(
        demo, running_sandbox):
    settings = dataclasses.replace(load_settings({}), seller_central_url=running_sandbox)
    assert settings.demo
    desk = Desk(settings, demo, None)
    panel = TroubleshootPanel(desk, customer_id="C100005", lang="en")
    panel.link_button.click()
    url = panel.value.link.url
    assert url.startswith(running_sandbox + "/"), url  # the one the command's links use
    desk.close()  # the page's kernel ends
    consent = requests.get(url, timeout=30)
    assert consent.ok and "Confirm" in consent.text


def test_without_a_running_sandbox_the_page_starts_its_own(demo):
    settings = dataclasses.replace(load_settings({}),
                                   seller_central_url=f"http://127.0.0.1:{free_port()}")
    desk = Desk(settings, demo, None)
    panel = TroubleshootPanel(desk, customer_id="C100005", lang="en")
    panel.link_button.click()
    url = panel.value.link.url
    assert requests.get(url, timeout=30).ok
    assert not url.startswith(settings.seller_central_url)
    desk.close()
