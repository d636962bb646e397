"""The app over a day of idle gaps: every page opens every time, a preheated kernel that died
is replaced; and the app answers only to its own name and bounds what a client may cost."""

import json
import socket
import time

import psutil
import pytest
import requests

from .voila_server import Voila, culling_after

IDLE = 4  # the culler's idle timeout in these tests (the app's is 60 s), checked every second
PAGES = {"01_troubleshoot_seller.ipynb": ".sk-troubleshoot",
         "02_expiry_report.ipynb": ".sk-report",
         "03_training_walkthrough.ipynb": ".sk-walkthrough"}


@pytest.fixture(scope="module")
def quick_culling(tmp_path_factory, browser):
    """`make app`'s configuration with a culler that ends idle kernels after 4 s."""
    server = Voila(tmp_path_factory.mktemp("cull"), config=culling_after(IDLE, 1))
    yield server
    server.stop()


def pool_ready(voila, timeout=120.0) -> None:
    """Wait until the preheated pool is full again (one kernel per page, two for page 01)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if len(voila.kernels()) >= 4 and "is filled" in voila.log.read_text(errors="replace"):
            return
        time.sleep(0.5)
    raise AssertionError(f"pool not refilled: {len(voila.kernels())} kernels")


def test_pages_open_every_time_after_idle_gaps(browser, quick_culling):
    hangs = []
    for round_ in range(2):
        pool_ready(quick_culling)
        time.sleep(IDLE + 2)  # the preheated kernels are idle longer than the timeout
        opened = []
        for notebook in (*PAGES, "01_troubleshoot_seller.ipynb"):  # page 01 has two kernels
            context = browser.new_context()
            page = context.new_page()
            page.goto(quick_culling.url(notebook), timeout=120_000, wait_until="commit")
            opened.append((notebook, page))
        for notebook, page in opened:
            try:
                page.wait_for_selector(PAGES[notebook], timeout=60_000)
            except Exception as exc:  # a hang: counted, not stopped at
                hangs.append(f"{notebook} round {round_}: {type(exc).__name__}")
        time.sleep(IDLE + 2)  # the pages sit idle, connected: still alive
        for notebook, page in opened:
            if not hangs:
                page.locator(PAGES[notebook]).first.click(position={"x": 1, "y": 1})
            page.context.close()
    log = quick_culling.log.read_text(errors="replace")
    assert hangs == [], f"{hangs}\n{log[-3000:]}"
    assert "Culling" not in log or "with 1 connections" not in log


def test_a_dead_preheated_kernel_is_replaced_not_served(browser, quick_culling):
    pool_ready(quick_culling)
    killed = quick_culling.kernels()
    replaced = quick_culling.log.read_text().count("Replacing dead preheated")
    for process in killed:  # every preheated kernel dies (OOM, a crash)
        process.kill()
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # each is taken out of its pool, none restarted
        now = {p.pid for p in quick_culling.kernels()}
        if (quick_culling.log.read_text().count("Replacing dead preheated") >= replaced + 4
                and len(now) >= 4 and not now & {p.pid for p in killed}):
            break
        time.sleep(0.5)
    log = quick_culling.log.read_text()
    assert log.count("Replacing dead preheated") >= replaced + 4, log[-3000:]
    assert "restarting kernel" not in log
    context = browser.new_context()
    page = context.new_page()
    page.goto(quick_culling.url("03_training_walkthrough.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-walkthrough", timeout=60_000)
    context.close()


def raw_get(port: int, host: str, path: str = "/") -> int:
    response = requests.get(f"http://127.0.0.1:{port}{path}", headers={"Host": host},
                            timeout=30, allow_redirects=False)
    return response.status_code


def test_foreign_host_refused(quick_culling):
    port = quick_culling.port
    page = "/voila/render/01_troubleshoot_seller.ipynb"
    for host in ("evil.example", f"evil.example:{port}", "127.0.0.1.evil.example"):
        assert raw_get(port, host, page) == 403, host
        assert raw_get(port, host, "/") == 403, host
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert raw_get(port, host, "/") < 400, host


def kernel_socket(voila, page) -> str:
    """A kernel a page holds, as its websocket URL (the page is left open)."""
    page.goto(voila.url("03_training_walkthrough.ipynb"), timeout=120_000)
    page.wait_for_selector(".sk-walkthrough", timeout=60_000)
    kernels = requests.get(f"http://127.0.0.1:{voila.port}/api/kernels", timeout=30)
    ids = [k["id"] for k in kernels.json()] if kernels.ok else []
    if not ids:  # Voila does not list kernels: the page's own config names it
        ids = [page.evaluate("() => JSON.parse(document.getElementById("
                             "'jupyter-config-data').textContent).kernelId")]
    return f"ws://127.0.0.1:{voila.port}/api/kernels/{ids[0]}/channels"


def test_websocket_message_size_and_unread_replies_bounded(browser, quick_culling):
    from websocket import (
        WebSocketConnectionClosedException,
        WebSocketTimeoutException,
        create_connection,
    )

    context = browser.new_context()
    page = context.new_page()
    url = kernel_socket(quick_culling, page)
    server = psutil.Process(quick_culling.process.pid)

    big = create_connection(url, timeout=30)  # one message of 20 MB: the server hangs up
    closed = False
    try:
        big.send("x" * 20_000_000)
        for _ in range(1000):
            if not big.recv():  # the close frame
                closed = True
                break
    except (WebSocketConnectionClosedException, OSError):
        closed = True
    except WebSocketTimeoutException:
        pass
    assert closed, "a 20 MB message was taken"
    big.close()

    start = server.memory_info().rss
    flood = create_connection(url, timeout=30)  # old-format requests, replies never read
    flood.sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    request = {"header": {"msg_id": "", "msg_type": "kernel_info_request", "username": "",
                          "session": "flood", "version": "5.3", "date": ""},
               "parent_header": {}, "metadata": {}, "content": {}, "channel": "shell"}
    deadline, sent = time.monotonic() + 20, 0
    try:
        while time.monotonic() < deadline:
            request["header"]["msg_id"] = str(sent)
            flood.send(json.dumps(request))
            sent += 1
    except OSError:
        pass  # the server closed it: what we want
    grown = server.memory_info().rss - start
    flood.close()
    assert page.locator(".sk-walkthrough").first.is_visible()  # the page's own connection lives
    context.close()
    assert sent > 1000
    assert grown < 80_000_000, f"server grew by {grown / 1e6:.0f} MB after {sent} messages"
