"""`support-kit report` at scale, against two baselines measured in the same run.

- 1,000,000 customers: the whole report against a bare pandas ``read_csv`` + ``to_csv`` of
  the same file (goal: at most 2x), and the report's peak memory (goal: under 2 GB);
- 100,000 customers: the report against a naive per-row Python loop over the same rows.

Each command runs in its own process; time is wall-clock, memory is the process's peak RSS.

    .venv/bin/python benchmarks/report_scale.py [--rows-large 1000000] [--rows-small 100000]
"""

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = "2026-12-01"


def run(command: list[str]) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB) of that process.

    A command that prints ``work SECONDS`` reports its own time without process start-up.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)
    output = process.stdout.read()
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        raise SystemExit(f"failed: {' '.join(command)}")
    for line in output.splitlines():
        if line.startswith("work "):
            elapsed = float(line.split()[1])
    return elapsed, usage.ru_maxrss / 1024


def customers(rows: int) -> Path:
    path = OUT / f"customers_{rows}.csv"
    if not path.exists():
        from support_kit.demo import generate

        generate(rows, seed=5).to_csv(path, index=False)
    return path


def report(path: Path) -> tuple[float, float]:
    return run([sys.executable, "-m", "support_kit.cli", "report", str(path), "--as-of", AS_OF,
                "--out", str(OUT / f"report_{path.stem}")])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows-large", type=int, default=1_000_000)
    parser.add_argument("--rows-small", type=int, default=100_000)
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)

    large = customers(args.rows_large)
    io_time, io_memory = run([sys.executable, str(HERE / "pandas_io.py"), str(large),
                              str(OUT / "pandas_io.csv")])
    kit_time, kit_memory = report(large)
    print(f"{args.rows_large:,} customers")
    print(f"  pandas read_csv + to_csv  {io_time:7.1f} s  peak {io_memory:7.0f} MB")
    print(f"  support-kit report        {kit_time:7.1f} s  peak {kit_memory:7.0f} MB")
    print(f"  ratio report / pandas I/O {kit_time / io_time:7.2f}x  (goal <= 2x; "
          f"memory goal < 2048 MB)")

    small = customers(args.rows_small)
    core_dir = OUT / "core"
    core_dir.mkdir(exist_ok=True)
    loop_time, _ = run([sys.executable, str(HERE / "naive_report.py"), str(small),
                        str(OUT / "naive.csv"), AS_OF])
    core_time, _ = run([sys.executable, str(HERE / "core_report.py"), str(small),
                        str(core_dir), AS_OF])
    kit_small, _ = report(small)
    print(f"{args.rows_small:,} customers (load, states, customers.csv; without process start)")
    print(f"  naive per-row loop        {loop_time:7.1f} s")
    print(f"  support_kit, same work    {core_time:7.1f} s")
    print(f"  speed-up over the loop    {loop_time / core_time:7.2f}x")
    print(f"  whole support-kit report  {kit_small:7.1f} s  (every file, xlsx included)")


if __name__ == "__main__":
    main()
