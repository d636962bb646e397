"""A desk team on JupyterHub: how long an agent waits from the login page to a usable desk,
what an agent costs in memory, and ``--agents`` agents logging in at once.

`make hub`'s deploy/jupyterhub_config.py in its trial mode (shared password; the keeper on
an SQLite store with the demo customers), its real proxy, and Chromium:

- **first start**: one agent logs in; the hub starts the agent's server, the server the
  page's kernel; "usable" is the troubleshooting panel with its search field on screen;
- **warm**: the same agent logs in again from a new browser (the server already runs);
- **memory per agent**: resident memory of the agent's server and kernel, one page open;
- **at once**: ``--agents`` other agents submit the login form at the same moment; the
  median and slowest time to a usable page, and the memory of every process the hub runs.

    .venv/bin/python benchmarks/hub_agents.py [--agents 20]     (~4 min for 20 on 2 cores)
"""

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.chromium import CHROMIUM_ARGS  # noqa: E402
from tests.hub.hub_server import PASSWORD, Hub  # noqa: E402

READY = ".sk-troubleshoot input[placeholder]"


def rss_mb(processes) -> float:
    import psutil

    total = 0
    for process in processes:
        try:
            total += process.memory_info().rss
        except psutil.Error:
            continue
    return total / 2**20


def agents_processes(hub: Hub, names: set[str]) -> list:
    import psutil

    found = []
    for process in hub.processes():
        try:
            if process.environ().get("JUPYTERHUB_USER") in names:
                found.append(process)
        except psutil.Error:
            continue
    return found


async def log_in(browser, hub: Hub, user: str) -> float:
    """Seconds from opening the login page to a usable desk (infinity past 10 minutes)."""
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    page.set_default_timeout(600_000)  # a busy hub answers the login form late, not never
    started = time.perf_counter()
    try:
        await page.goto(hub.url + "/hub/login")
        await page.fill("#username_input", user)
        await page.fill("#password_input", PASSWORD)
        await page.click("#login_submit")
        await page.wait_for_selector(READY)
        return time.perf_counter() - started
    except Exception as error:  # noqa: BLE001 - a login that never became usable counts
        print(f"  {user}: not usable at {page.url}: {str(error)[:300]}", file=sys.stderr)
        return float("inf")


async def measure(hub: Hub, agents: int) -> None:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await playwright.chromium.launch(
            executable_path="/usr/bin/chromium", headless=True, args=CHROMIUM_ARGS)
        first = await log_in(browser, hub, "agent00")
        await asyncio.sleep(5)  # the page's kernel settles
        one = rss_mb(agents_processes(hub, {"agent00"}))
        warm = await log_in(browser, hub, "agent00")
        print(f"login to usable desk: first start {first:.1f} s, warm {warm:.1f} s")
        print(f"memory per agent (server + the kernel of one open page): {one:.0f} MB")

        names = [f"agent{i:02d}" for i in range(1, agents + 1)]
        times = await asyncio.gather(*(log_in(browser, hub, name) for name in names))
        await asyncio.sleep(5)
        team = rss_mb(agents_processes(hub, set(names)))
        everything = rss_mb([hub_process(hub), *hub.processes()])
        usable = sorted(times)
        print(f"{agents} agents at once: page-ready median {statistics.median(usable):.1f} s, "
              f"slowest {usable[-1]:.1f} s, not usable {sum(t == float('inf') for t in usable)}")
        print(f"memory: the {agents} agents {team / 1024:.2f} GB ({team / agents:.0f} MB each); "
              f"everything the hub runs {everything / 1024:.2f} GB")
        await browser.close()


def hub_process(hub: Hub):
    import psutil

    return psutil.Process(hub.process.pid)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--agents", type=int, default=20)
    args = parser.parse_args()
    workdir = Path(tempfile.mkdtemp(prefix="hub-bench-"))
    users = ",".join(f"agent{i:02d}" for i in range(args.agents + 1))
    hub = Hub(workdir, {"SUPPORT_KIT_HUB_TRIAL_PASSWORD": PASSWORD,
                        "SUPPORT_KIT_HUB_USERS": users,
                        "SUPPORT_KIT_STORE": f"sqlite:///{workdir / 'desk.sqlite'}"})
    try:
        asyncio.run(measure(hub, args.agents))
    finally:
        hub.stop()


if __name__ == "__main__":
    main()
