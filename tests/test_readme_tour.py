"""Every command of the README's tour runs as written on a fresh clone (demo mode)."""

import os
import re
import shlex
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import confirm_consent

README = Path(__file__).resolve().parents[1] / "README.md"
SANDBOX_PORT = 8765  # the tour's `support-kit sandbox` default


def blocks(heading: str) -> list[list[str]]:
    """The ```sh blocks of the README section under ``heading``, one command per line."""
    text = README.read_text(encoding="utf-8")
    section = text.split(heading, 1)[1].split("\n### ", 1)[0]
    return [[line for line in block.splitlines() if line.strip()]
            for block in re.findall(r"```sh\n(.*?)```", section, flags=re.S)]


def run(line: str, cwd: Path, env: dict) -> subprocess.CompletedProcess:
    args = shlex.split(line, comments=True)
    assert args[0] == "support-kit", line
    return subprocess.run([str(Path(sys.executable).with_name("support-kit")), *args[1:]],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


def port_free(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) != 0


@pytest.fixture
def fresh(tmp_path):
    """A fresh clone's situation: demo mode, an empty data folder, an empty working folder."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    return tmp_path, env | {"XDG_DATA_HOME": str(tmp_path / "data")}


class Sandbox:
    def __init__(self, cwd, env):
        if not port_free(SANDBOX_PORT):
            pytest.skip(f"port {SANDBOX_PORT} is taken on this machine")
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("support-kit")), "sandbox"], cwd=cwd, env=env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 30
        while port_free(SANDBOX_PORT):
            assert time.monotonic() < deadline and self.process.poll() is None, "no sandbox"
            time.sleep(0.2)

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def test_the_tour_runs_as_written(fresh):
    cwd, env = fresh
    (tour, *_), = [blocks("## A short tour")[:1]]
    for line in tour:
        if shlex.split(line, comments=True) == ["support-kit", "sandbox"]:
            Sandbox(cwd, env).stop()  # it starts and serves; the renewal path uses it below
            continue
        done = run(line, cwd, env)
        assert done.returncode == 0, f"{line}\n{done.stdout[-500:]}{done.stderr[-500:]}"
    assert (cwd / "report" / "report.xlsx").is_file()


def test_the_renewal_path_runs_as_written(fresh):
    cwd, env = fresh
    path = next(b for b in blocks("## A short tour") if "verify-callback" in " ".join(b))
    sandbox = Sandbox(cwd, env)
    try:
        callback = ""
        for line in path[1:]:
            if "verify-callback" in line:  # the address the seller lands on, as pasted
                line = line.replace("'http://127.0.0.1:8765/callback?state=...'",
                                    shlex.quote(callback))
            done = run(line, cwd, env)
            assert done.returncode == 0, f"{line}\n{done.stdout[-500:]}{done.stderr[-500:]}"
            if line.startswith("support-kit link"):
                link = re.search(r"http://127\.0\.0\.1:8765/apps/\S+", done.stdout).group(0)
                callback = confirm_consent(link).headers["Location"]
        assert "Gültig" in done.stdout or "valid" in done.stdout
    finally:
        sandbox.stop()
