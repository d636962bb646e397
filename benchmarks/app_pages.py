"""The app's pages as a desk uses them: time until a page is ready, and kernel memory.

Two Voila servers on copies of the notebooks, in the same run: the baseline (the old
`make app`: a fresh kernel per page, nothing culled) and `make app`'s deploy/voila.json
(preheated kernels, closed pages' kernels culled). Chromium opens the troubleshooting page
``--opens`` times, one page after another, and closes each page; "ready" is the diagnosis
on screen. Kernel memory is the resident memory of the servers' kernel processes, right
after the last page closed and again ``--wait`` seconds later.

    .venv/bin/python benchmarks/app_pages.py [--opens 20] [--pause 2] [--wait 150]
"""

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

from playwright.sync_api import TimeoutError as PlaywrightTimeout
from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.browser.voila_server import Voila  # noqa: E402
from tests.chromium import CHROMIUM_ARGS  # noqa: E402

BASELINE = ["--Voila.ip=127.0.0.1", "--show_tracebacks=False",
            "--VoilaConfiguration.file_allowlist=[]"]
PAGE = "01_troubleshoot_seller.ipynb"


def memory(server: Voila) -> tuple[int, float]:
    import psutil

    sizes = []
    for kernel in server.kernels():
        try:
            sizes.append(kernel.memory_info().rss)
        except psutil.Error:  # ended since it was listed: its memory is free
            continue
    return len(sizes), sum(sizes) / 2**20


def opens(browser, server: Voila, count: int, pause: float) -> list[float]:
    """Seconds until each page is ready (infinity for a page not ready within 3 minutes).

    One browser, as an agent has: its cache keeps Voila's scripts; each page is closed."""
    times = []
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    for _ in range(count):
        page = context.new_page()
        started = time.perf_counter()
        try:
            page.goto(server.url(PAGE), timeout=180_000)
            page.wait_for_selector(".sk-troubleshoot .sk-diagnosis", timeout=180_000)
            times.append(time.perf_counter() - started)
        except PlaywrightTimeout:
            times.append(float("inf"))
        page.close(run_before_unload=True)
        time.sleep(pause)  # the next page, a moment later
    context.close()
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--opens", type=int, default=20)
    parser.add_argument("--pause", type=float, default=2.0)
    parser.add_argument("--wait", type=float, default=150.0)
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="sk-app-bench-"))
    servers = {"baseline (fresh kernel per page, no culling)":
               Voila(root / "baseline", config=BASELINE),
               "make app (deploy/voila.json)": Voila(root / "app")}
    try:
        time.sleep(20)  # both servers up; the preheated pool filled
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path="/usr/bin/chromium",
                                                 headless=True, args=CHROMIUM_ARGS)
            results = {name: opens(browser, server, args.opens, args.pause)
                       for name, server in servers.items()}
            browser.close()
        after = {name: memory(server) for name, server in servers.items()}
        time.sleep(args.wait)
        later = {name: memory(server) for name, server in servers.items()}
    finally:
        for server in servers.values():
            server.stop()

    base, app = (statistics.median(times[1:]) for times in results.values())
    print(f"troubleshooting page, {args.opens} opens one after another, {args.pause:g} s apart, "
          f"each page closed")
    for name, times in results.items():
        print(f"  {name}")
        missing = times.count(float("inf"))
        print(f"    page ready: first {times[0]:5.2f} s, median of the rest "
              f"{statistics.median(times[1:]):5.2f} s, slowest {max(times):5.2f} s"
              + (f"; {missing} pages not ready within 3 minutes" if missing else ""))
        print(f"    kernels after {args.opens} opens (all closed): {after[name][0]:2d} using "
              f"{after[name][1]:7.0f} MB; {args.wait:g} s later: {later[name][0]:2d} using "
              f"{later[name][1]:7.0f} MB")
    print(f"  median page ready: {base / app:.1f}x faster than the baseline "
          f"(goal: under 2 s after the first)")
    (_, base_mb), (_, app_mb) = later.values()
    print(f"  kernel memory {args.wait:g} s after the last page: {base_mb / app_mb:.1f}x less "
          f"than the baseline")


if __name__ == "__main__":
    main()
