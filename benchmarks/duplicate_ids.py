"""A million rows with one customer id against a million different customers: the duplicate
rows are rejected (each listed in rejects.csv) within the usual report's time and memory.

    .venv/bin/python benchmarks/duplicate_ids.py [--rows 1000000]

Each report runs as its own `support-kit report` process (wall clock including start;
memory: the child's peak resident size), one after the other in the same run.
"""

from __future__ import annotations

import argparse
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = "customer_id,shop_name,marketplace,authorized_at,refresh_token\n"


def write(path: Path, rows: int, same_id: bool) -> Path:
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(HEADER)
        for i in range(rows):
            fh.write(f"{1 if same_id else i},Shop {i},DE,2026-01-01,\n")
    return path


def report(source: Path, folder: Path) -> tuple[float, float]:
    """Seconds and peak MB of one report in its own process."""
    env = os.environ | {"XDG_DATA_HOME": str(folder / f"data-{source.stem}")}
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "support_kit.cli", "report", str(source), "--as-of",
                    "2026-12-01", "--out", str(folder / f"out-{source.stem}")], env=env,
                   check=True, stdout=subprocess.DEVNULL)
    seconds = time.perf_counter() - start
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024  # the largest so far
    return seconds, peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    rows = parser.parse_args().rows
    with tempfile.TemporaryDirectory() as temp:
        folder = Path(temp)
        different = write(folder / "different.csv", rows, same_id=False)
        duplicate = write(folder / "duplicate.csv", rows, same_id=True)
        usual = report(different, folder)  # first: the peak of the children so far is its own
        dup = report(duplicate, folder)
    print(f"{rows:,} rows: different ids {usual[0]:.1f} s, {usual[1]:.0f} MB; one id "
          f"{dup[0]:.1f} s (x{dup[0] / usual[0]:.2f}), peak of both {dup[1]:.0f} MB")


if __name__ == "__main__":
    main()
