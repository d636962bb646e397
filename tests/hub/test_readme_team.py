"""The README's "A desk team" section says what the hub tests and .ci/run do: the same
make target, proxy, user creation and settings (the tests run the rest for real)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

from .test_system_users import KEEPER_USERADD, USERADD

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
SECTION = README.split("### A desk team", 1)[1].split("\n### ", 1)[0]
HUB_CONFIG = (ROOT / "deploy" / "jupyterhub_config.py").read_text(encoding="utf-8")


def commands() -> list[str]:
    return [line.split("  #")[0].strip() for block in re.findall(r"```sh\n(.*?)```", SECTION,
                                                                  flags=re.S)
            for line in block.splitlines() if line.strip()]


def test_the_steps_are_the_ones_the_tests_and_ci_take():
    steps = commands()
    assert any(step.startswith(USERADD + " anna") for step in steps)  # test_system_users
    assert any(step.startswith(KEEPER_USERADD + " /var/lib/desk-keeper desk-keeper")
               for step in steps)
    proxy = next(step for step in steps if "configurable-http-proxy" in step)
    assert proxy.split()[-1] in (ROOT / ".ci" / "run").read_text()
    assert any("make .venv/.installed-hub PYTHON=/usr/bin/python3" in s for s in steps)
    assert any("exec make hub" in step for step in steps)


def test_make_hub_runs_the_config_the_tests_start():
    dry = subprocess.run(["make", "-n", "-W", ".venv/.installed-hub", "hub", "HUB_PORT=8123"],
                         cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert "HUB_PORT=8123" in dry.stdout and "deploy/jupyterhub_config.py" in dry.stdout


def test_every_setting_named_is_one_the_hub_or_the_kit_reads():
    from support_kit import config

    kit = {config.PREFIX + name for name in (*config.NAMES, *config.DESK_NAMES)}
    for source in (ROOT / "support_kit").rglob("*.py"):
        kit |= set(re.findall(r"SUPPORT_KIT_[A-Z_]+", source.read_text(encoding="utf-8")))
    hub = set(re.findall(r"SUPPORT_KIT_[A-Z_]+", HUB_CONFIG))
    named = set(re.findall(r"SUPPORT_KIT_[A-Z_]+", SECTION))
    assert named - kit - hub == set()
    assert {"SUPPORT_KIT_HUB_USERS", "SUPPORT_KIT_HUB_ADMINS", "SUPPORT_KIT_HUB_KEEPER_USER",
            "SUPPORT_KIT_HUB_TRIAL_PASSWORD"} <= named & hub
