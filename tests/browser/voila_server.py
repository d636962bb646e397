"""Start Voila as `make app` does (deploy/voila.json) on a copy of the notebooks, in demo mode.

The kernels' data folder (reports, training answers) is a temporary one beside the copy.
"""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = ROOT / "notebooks"
CONFIG = ROOT / "deploy"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def culling_after(idle: int, interval: int) -> list[str]:
    """`make app`'s configuration with a culler that ends idle kernels after ``idle``
    seconds, looking every ``interval`` (the app's: 60 and 15): the same rules, sooner."""
    return [f"--Voila.config_file_paths={CONFIG}",
            f"--MappingKernelManager.cull_idle_timeout={idle}",
            f"--MappingKernelManager.cull_interval={interval}"]


class Voila:
    def __init__(self, workdir: Path, env: dict[str, str] | None = None,
                 config: list[str] | None = None):
        """``config``: Voila options instead of `make app`'s deploy/voila.json."""
        self.workdir = workdir / "notebooks"
        self.data = workdir / "data"
        shutil.copytree(NOTEBOOKS, self.workdir, dirs_exist_ok=True)
        self.port = free_port()
        clean = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
        voila = Path(sys.executable).with_name("voila")
        self.log = workdir / "voila.log"  # a file, not a pipe: a full pipe would stall Voila
        self.process = subprocess.Popen(
            [str(voila), f"--port={self.port}",
             *(config or [f"--Voila.config_file_paths={CONFIG}"]), "."],
            cwd=self.workdir, env=clean | {"XDG_DATA_HOME": str(self.data)} | (env or {}),
            stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(self.log.read_text(errors="replace")[-2000:])
            time.sleep(0.3)
        raise RuntimeError("Voila did not start within 60 s")

    def kernels(self) -> list:
        """The kernel processes this Voila runs (open pages and the preheated pool).

        A kernel that has just ended (gone, or a zombie not yet reaped) no longer counts:
        its memory is free."""
        import psutil

        alive = []
        for process in psutil.Process(self.process.pid).children(recursive=True):
            try:
                if (process.status() != psutil.STATUS_ZOMBIE
                        and "ipykernel" in " ".join(process.cmdline())):
                    alive.append(process)
            except (psutil.ZombieProcess, psutil.NoSuchProcess):
                continue
        return alive

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/voila/render/{notebook}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
