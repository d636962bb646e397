"""`make hub` with settings that cannot work says what to set, in one line, and stops."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from .hub_server import CONFIG


def start(tmp_path, **settings) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    return subprocess.run([sys.executable, "-m", "jupyterhub", "-f", str(CONFIG)],
                          env=env | {"XDG_DATA_HOME": str(tmp_path), "HUB_PORT": "9"} | settings,
                          cwd=tmp_path, capture_output=True, text=True, timeout=60)


def test_nobody_named_to_log_in(tmp_path):
    done = start(tmp_path, SUPPORT_KIT_HUB_TRIAL_PASSWORD="trial-password")
    assert done.returncode != 0
    assert "Set SUPPORT_KIT_HUB_USERS" in done.stderr and "Traceback" not in done.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="as root the system-user hub may start")
def test_system_users_without_root(tmp_path):
    done = start(tmp_path, SUPPORT_KIT_HUB_USERS="anna")
    assert done.returncode != 0
    assert "needs root" in done.stderr and "Traceback" not in done.stderr
