"""The same work as naive_report.py, done by the kit: load, evaluate, write customers.csv.

Used by report_scale.py to compare like with like against the per-row loop.
"""

import datetime as dt
import sys
import time
from pathlib import Path

from support_kit import build_report, load_customers
from support_kit.report.files import write_customers_csv

started = time.perf_counter()
report = build_report(load_customers(sys.argv[1]), dt.date.fromisoformat(sys.argv[3]))
write_customers_csv(report, Path(sys.argv[2]))
print(f"work {time.perf_counter() - started:.3f}")
