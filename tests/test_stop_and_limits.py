"""Ctrl-C that stops a live check, and a sandbox that careless or hostile clients cannot hurt.

The sandbox runs as `support-kit sandbox` in its own process, so its memory and its log lines
are its own."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from support_kit.http_limits import MAX_HEADER_BYTES
from support_kit.live_check import LIVE_STATES
from support_kit.sandbox import Sandbox

from .conftest import AS_OF, TEST_ENV, assert_no_canary

ROOT = Path(__file__).parents[1]


def _env() -> dict[str, str]:
    """The test's environment (its own desk memory) with settings for a configured desk."""
    return os.environ | TEST_ENV | {"PYTHONPATH": str(ROOT)}


def _start_sandbox(*options: str) -> tuple[subprocess.Popen, str]:
    process = subprocess.Popen([sys.executable, "-m", "support_kit.cli", "sandbox", "--port",
                                "0", "--as-of", AS_OF.isoformat(), *options],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               env=_env())
    first = process.stdout.readline()
    found = re.search(r"http://127\.0\.0\.1:\d+", first)
    assert found, first + process.stderr.read()
    return process, found.group(0)


def _stop(process: subprocess.Popen) -> str:
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=10)
    return err


@pytest.fixture
def amazon_process():
    process, url = _start_sandbox()
    yield process, url
    if process.poll() is None:
        _stop(process)


def _rss_kb(pid: int) -> int:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))


def _raw(url: str, request: bytes, timeout: float = 5) -> bytes:
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=timeout) as sock:
        sock.sendall(request)
        return sock.recv(4096)


def test_ctrl_c_stops_a_live_check_within_seconds_with_the_results_so_far():
    sandbox, url = _start_sandbox("--latency", "1500")  # a slow Amazon: 4.5 s a customer
    try:
        env = _env() | {"SUPPORT_KIT_LWA_ENDPOINT": f"{url}/auth/o2/token",
                     "SUPPORT_KIT_SPAPI_ENDPOINT": url, "SUPPORT_KIT_SELLER_CENTRAL_URL": url}
        check = subprocess.Popen([sys.executable, "-m", "support_kit.cli", "live-check",
                                  "--as-of", AS_OF.isoformat()], stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True, env=env)
        time.sleep(8)  # the first customers are checked; 190 more would take minutes
        assert check.poll() is None
        interrupted = time.monotonic()
        check.send_signal(signal.SIGINT)
        out, err = check.communicate(timeout=30)
        took = time.monotonic() - interrupted
    finally:
        _stop(sandbox)

    print(f"stopped {took:.2f} s after SIGINT")
    assert took < 8, f"took {took:.1f} s to stop"
    assert check.returncode == 130
    rows = [line for line in out.splitlines() if re.match(r"C1\d{5} ", line)]
    assert 0 < len(rows) < 200  # the finished checks, not the cancelled ones
    assert all(line.split()[1] in LIVE_STATES for line in rows)
    assert re.search(r"stopped after \d+ of 200 checks; the others were cancelled", err)
    assert "Traceback" not in out + err
    assert_no_canary(out + err)


def test_oversized_bodies_get_413_and_memory_stays_bounded(amazon_process):
    process, url = amazon_process
    host, port = url.removeprefix("http://").split(":")
    before = _rss_kb(process.pid)
    answers: list[bytes] = []

    def upload() -> None:  # 300 MB announced, sent as fast as the sandbox takes it
        with socket.create_connection((host, int(port)), timeout=10) as sock:
            sock.sendall(b"POST /auth/o2/token HTTP/1.1\r\nHost: x\r\nContent-Type: "
                         b"application/x-www-form-urlencoded\r\nContent-Length: 300000000\r\n\r\n")
            reader = threading.Thread(target=lambda: answers.append(sock.recv(200)))
            reader.start()
            chunk = b"a" * (1 << 20)
            try:
                for _ in range(300):
                    sock.sendall(chunk)
            except OSError:
                pass  # the sandbox closed the connection: it will not take the body
            reader.join(10)

    uploads = [threading.Thread(target=upload) for _ in range(4)]
    for thread in uploads:
        thread.start()
    for thread in uploads:
        thread.join(60)

    assert len(answers) == 4 and all(a.startswith(b"HTTP/1.1 413") for a in answers), answers
    grown = _rss_kb(process.pid) - before
    print(f"sandbox memory grew by {grown:,} kB while 4 x 300 MB were offered")
    assert grown < 20_000  # kB: not the 1.2 GB that was offered
    # and the sandbox still answers
    assert _raw(url, b"GET / HTTP/1.1\r\nHost: x\r\n\r\n").startswith(b"HTTP/1.1 200")


def test_malformed_and_oversized_requests_get_400_431_and_one_log_line(amazon_process):
    process, url = amazon_process
    cases = {
        b"GARBAGE\r\n\r\n": b"400",
        b"POST /auth/o2/token HTTP/1.1\r\nContent-Length: lots\r\n\r\n": b"400",
        b"POST /auth/o2/token HTTP/1.1\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\n": b"400",
        b"POST /auth/o2/token HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n": b"411",
        b"GET / HTTP/1.1\r\nX-Big: " + b"x" * MAX_HEADER_BYTES + b"\r\n\r\n": b"431",
        b"GET / HTTP/1.1\r\n" + b"X-Many: y\r\n" * 2000 + b"\r\n": b"431",
        b"GET /" + b"p" * 70_000 + b" HTTP/1.1\r\n\r\n": b"431",
        b"GET / HTTP/9.9\r\n\r\n": b"505",
    }
    for request, status in cases.items():
        answer = _raw(url, request)
        assert answer.split(b" ")[1] == status, (request[:60], answer[:80])
    err = _stop(process)
    log_lines = [line for line in err.splitlines() if line.startswith("sandbox: 127.0.0.1")]
    assert len(log_lines) == len(cases), err
    assert "Traceback" not in err


def test_an_idle_connection_is_closed(demo, settings):
    with Sandbox(demo, settings, as_of=AS_OF, idle_timeout=1) as amazon:
        with socket.create_connection(("127.0.0.1", amazon.port), timeout=10) as sock:
            started = time.monotonic()
            assert sock.recv(100) == b""  # closed by the sandbox, not by our timeout
            assert time.monotonic() - started < 5
        with socket.create_connection(("127.0.0.1", amazon.port), timeout=10) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")  # kept alive, then idle
            received = b""
            while chunk := sock.recv(65536):
                received += chunk
            assert received.startswith(b"HTTP/1.1 200") and b"sandbox" in received
