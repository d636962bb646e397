"""Start the desk team's JupyterHub as `make hub` does (deploy/jupyterhub_config.py), with its
real proxy (configurable-http-proxy), its keeper service and the idle culler.

Everything the hub keeps (its database, cookie secret, the trial's homes) is in the data
folder given to it; the hub and every process it started are stopped at the end.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "jupyterhub_config.py"
PASSWORD = "trial-password-for-tests"  # noqa: S105 - the trial hub's shared password


def hub_tools_or_skip() -> None:
    """Skip (outside CI) or fail (in CI) with one line when the hub cannot run here."""
    missing = []
    if shutil.which("configurable-http-proxy") is None:
        missing.append("configurable-http-proxy (npm install -g configurable-http-proxy)")
    try:
        import jupyterhub  # noqa: F401
    except ImportError:
        missing.append("jupyterhub (pip install -e '.[dev]')")
    if missing:
        message = "the hub tests need " + " and ".join(missing) + "; .ci/run installs them"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def free_port_block(size: int = 4) -> int:
    """A port p with p .. p+size-1 all free on 127.0.0.1 (the hub uses HUB_PORT + 0..3)."""
    for _ in range(50):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            base = s.getsockname()[1]
        if base + size > 65535:
            continue
        free = True
        for port in range(base, base + size):
            with socket.socket() as s:
                try:
                    s.bind(("127.0.0.1", port))
                except OSError:
                    free = False
                    break
        if free:
            return base
    raise RuntimeError("no block of free ports on 127.0.0.1")


class Hub:
    """`make hub` in a process: ``env`` is the environment an administrator starts it with."""

    def __init__(self, workdir: Path, env: dict[str, str], python: str = sys.executable):
        self.port = free_port_block()
        self.url = f"http://127.0.0.1:{self.port}"
        self.keeper_url = f"http://127.0.0.1:{self.port + 3}"
        self.data = workdir / "data"
        self.log = workdir / "hub.log"  # a file, not a pipe: a full pipe would stall the hub
        base = {k: v for k, v in os.environ.items()
                if not k.startswith(("SUPPORT_KIT_", "JUPYTERHUB_"))}
        self.env = base | {"XDG_DATA_HOME": str(self.data), "HUB_PORT": str(self.port)} | env
        self.process = subprocess.Popen([python, "-m", "jupyterhub", "-f", str(CONFIG)],
                                        cwd=workdir,
                                        env=self.env, stdout=subprocess.DEVNULL,
                                        stderr=self.log.open("wb"), start_new_session=True)
        self._wait_ready()

    def _wait_ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError("the hub stopped:\n" + self.tail())
            try:
                if (requests.get(self.url + "/hub/api/", timeout=2).ok
                        and requests.get(self.keeper_url + "/", timeout=2).status_code < 500):
                    return
            except requests.RequestException:
                pass
            time.sleep(0.5)
        raise RuntimeError("the hub did not start within 90 s:\n" + self.tail())

    def tail(self, chars: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-chars:]

    def processes(self) -> list:
        """Every process the hub started (proxy, keeper, culler, servers, kernels)."""
        import psutil

        try:
            return psutil.Process(self.process.pid).children(recursive=True)
        except psutil.NoSuchProcess:
            return []

    def stop(self) -> None:
        started = self.processes()
        self.process.send_signal(signal.SIGTERM)  # the hub stops its servers and its proxy
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
        for process in started:  # anything left behind
            with contextlib.suppress(Exception):  # already gone
                process.kill()


@dataclass
class Login:
    seconds: float  # from opening the login page to a usable desk
    kernel_socket: str  # the websocket of the desk page's kernel


def log_in(page, hub: Hub, user: str, password: str = PASSWORD) -> Login:
    """Log in on the hub's page as a person does, up to a usable troubleshooting page."""
    sockets: list[str] = []
    page.on("websocket", lambda socket: sockets.append(socket.url))
    start = time.monotonic()
    page.goto(hub.url + "/hub/login")
    page.fill("#username_input", user)
    page.fill("#password_input", password)
    page.click("#login_submit")
    page.wait_for_url("**/voila/render/01_troubleshoot_seller.ipynb*", timeout=180_000)
    page.wait_for_selector(".sk-troubleshoot input[placeholder]", timeout=180_000)
    seconds = time.monotonic() - start
    kernel = [url for url in sockets if "/api/kernels/" in url and "/channels" in url]
    return Login(seconds, kernel[-1] if kernel else "")


RUN_IN_KERNEL = """async ([url, code]) => {
  const ws = new WebSocket(url);
  await new Promise((ok, bad) => { ws.onopen = ok; ws.onerror = bad; });
  const id = crypto.randomUUID(), out = [];
  const done = new Promise(resolve => { ws.onmessage = event => {
    const m = JSON.parse(event.data);
    if (m.parent_header.msg_id !== id) return;
    if (m.msg_type === 'stream') out.push(m.content.text);
    if (m.msg_type === 'error') out.push(`${m.content.ename}: ${m.content.evalue}`);
    if (m.msg_type === 'status' && m.content.execution_state === 'idle') resolve(out.join(''));
  }; });
  ws.send(JSON.stringify({channel: 'shell', buffers: [], metadata: {}, parent_header: {},
    header: {msg_id: id, msg_type: 'execute_request', username: '', version: '5.3',
             session: crypto.randomUUID(), date: new Date().toISOString()},
    content: {code, silent: false, store_history: false, user_expressions: {},
              allow_stdin: false, stop_on_error: true}}));
  const text = await done; ws.close(); return text;
}"""


def run_in_page_kernel(page, kernel_socket: str, code: str) -> str:
    """Run ``code`` in the kernel of the agent's open desk page, as anyone holding the page
    can (the page's own websocket, the agent's cookies); returns what it printed."""
    url = kernel_socket.split("?")[0] + "?session_id=probe"
    return page.evaluate(RUN_IN_KERNEL, [url, code])
