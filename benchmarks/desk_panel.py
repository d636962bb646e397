"""Opening the troubleshooting panel and diagnosing one customer out of 100,000.

Measured in one process after the customer list is loaded (loading is the report's
benchmark): creating the panel, the first search (which builds the search key), a later
search, and showing one diagnosis. Baseline in the same run: one pandas boolean lookup.

    .venv/bin/python benchmarks/desk_panel.py [--rows 100000]
"""

import argparse
import time

from support_kit import demo
from support_kit.config import load_settings
from support_kit.customers import load
from support_kit.desk import Desk
from support_kit.widgets import TroubleshootPanel


def timed(action) -> float:
    started = time.perf_counter()
    action()
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=100_000)
    args = parser.parse_args()
    customers = load(demo.generate(args.rows, seed=8))
    desk = Desk(load_settings({}), customers, demo.DEMO_AS_OF)
    frame = customers.customers
    lookup = timed(lambda: frame[frame["customer_id"] == "C150000"])
    holder = {}
    open_panel = timed(lambda: holder.setdefault("panel", TroubleshootPanel(desk, lang="en")))
    panel = holder["panel"]
    first = timed(lambda: setattr(panel.search, "value", "kaffeemarkt"))
    exact = timed(lambda: setattr(panel.search, "value", "C150000"))
    again = timed(lambda: setattr(panel.search, "value", "C175000"))
    assert panel.value.diagnosis.customer_id == "C175000"
    print(f"{args.rows:,} customers")
    print(f"  pandas boolean lookup of one id (baseline)   {lookup * 1000:7.1f} ms")
    print(f"  open the panel                               {open_panel * 1000:7.1f} ms")
    print(f"  first search (builds the search key)         {first * 1000:7.1f} ms")
    print(f"  type an id: search + diagnosis + reply draft {exact * 1000:7.1f} ms")
    print(f"  the next customer                            {again * 1000:7.1f} ms")
    print(f"  open + first diagnosis                       "
          f"{(open_panel + exact) * 1000:7.1f} ms  (goal: well under 1,000 ms)")


if __name__ == "__main__":
    main()
