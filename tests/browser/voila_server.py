"""Start Voila on a copy of the notebooks, on 127.0.0.1, in demo mode."""

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Voila:
    def __init__(self, workdir: Path):
        self.workdir = workdir
        shutil.copytree(NOTEBOOKS, workdir, dirs_exist_ok=True)
        self.port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
        voila = Path(sys.executable).with_name("voila")
        self.process = subprocess.Popen(
            [str(voila), "--no-browser", f"--port={self.port}", "--Voila.ip=127.0.0.1",
             "--show_tracebacks=False", "--VoilaConfiguration.file_allowlist=['.*']", "."],
            cwd=workdir, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            if self.process.poll() is not None:
                raise RuntimeError(self.process.stderr.read().decode()[-2000:])
            time.sleep(0.3)
        raise RuntimeError("Voila did not start within 60 s")

    def url(self, notebook: str) -> str:
        return f"http://127.0.0.1:{self.port}/voila/render/{notebook}"

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
