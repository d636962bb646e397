"""Start JupyterLab as `make lab` does (deploy/lab: clean saves, no news pop-up) on a copy
of the notebooks, in demo mode, with its own settings, workspaces and runtime folders."""

import os
import secrets
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from .voila_server import NOTEBOOKS, ROOT, free_port

LAB_CONFIG = ROOT / "deploy" / "lab"


class Lab:
    def __init__(self, workdir: Path):
        self.workdir = workdir / "notebooks"
        shutil.copytree(NOTEBOOKS, self.workdir)
        self.port = free_port()
        self.token = secrets.token_hex(16)
        clean = {k: v for k, v in os.environ.items()
                 if not k.startswith(("SUPPORT_KIT_", "JUPYTER"))}
        folders = {name: str(workdir / name.lower()) for name in (
            "JUPYTER_RUNTIME_DIR", "JUPYTERLAB_SETTINGS_DIR", "JUPYTERLAB_WORKSPACES_DIR",
            "XDG_DATA_HOME")}
        self.log = workdir / "lab.log"
        root = ["--allow-root"] if os.geteuid() == 0 else []
        self.process = subprocess.Popen(
            [str(Path(sys.executable).with_name("jupyter")), "lab", "--no-browser",
             f"--ServerApp.port={self.port}", "--ServerApp.ip=127.0.0.1",
             f"--IdentityProvider.token={self.token}", "--ServerApp.root_dir=.", *root],
            cwd=self.workdir, stdout=subprocess.DEVNULL, stderr=self.log.open("wb"),
            env=clean | folders | {"JUPYTER_CONFIG_PATH": str(LAB_CONFIG),
                                   "JUPYTER_CONFIG_DIR": str(workdir / "config")})
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{self.port}/api/status?token="
                                       f"{self.token}", timeout=2)
                return
            except OSError:
                if self.process.poll() is not None:
                    raise RuntimeError(self.log.read_text(errors="replace")[-2000:]) from None
                time.sleep(0.5)
        raise RuntimeError("JupyterLab did not start within 90 s")

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/lab/tree/{notebook}?token={self.token}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
