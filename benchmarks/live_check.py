"""Live checks of 1,000 customers against the sandbox with 50 ms latency per API call:
sequential (concurrency 1) against concurrency 8, in the same run.

    .venv/bin/python benchmarks/live_check.py [--rows 1000] [--latency 50]
"""

import argparse
import time

from support_kit import demo
from support_kit.config import load_settings
from support_kit.customers import load
from support_kit.live_check import live_check
from support_kit.sandbox import Faults, Sandbox


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("--latency", type=int, default=50)
    args = parser.parse_args()
    customers = load(demo.generate(args.rows, seed=11))
    settings = load_settings({})
    timings = {}
    with Sandbox(customers, settings, as_of=demo.DEMO_AS_OF,
                 faults=Faults(latency_ms=args.latency)) as sandbox:
        client_settings = sandbox.client_settings()
        for concurrency in (1, 8):
            started = time.perf_counter()
            run = live_check(customers, client_settings, as_of=demo.DEMO_AS_OF,
                             concurrency=concurrency)
            timings[concurrency] = time.perf_counter() - started
            print(f"concurrency {concurrency}: {timings[concurrency]:6.1f} s  {run.counts}")
    print(f"speed-up with concurrency 8: {timings[1] / timings[8]:.1f}x (goal: >= 6x)")


if __name__ == "__main__":
    main()
