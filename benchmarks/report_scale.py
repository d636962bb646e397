"""`support-kit report` at scale, against baselines measured in the same run.

- 1,000,000 and 100,000 customers: the whole report (every file) against a bare pandas
  ``read_csv`` + ``to_csv`` of the same file (goal: at most 1.5x), the peak memory of the
  largest process (goal: under 1 GB; the forked workbook writer counts), and each file's size;
  at 100,000 customers the report should also take under 3 s;
- 100,000 customers: the core work (load, states, customers.csv) against a naive per-row
  Python loop over the same rows.

The report is run as a team lead runs it each week: with its own store
(``benchmarks/out/store.db``), which already holds the run of a week before (made once,
untimed), so the timed run compares itself with it (``changes.csv``) and is recorded too.

Each command runs in its own process; time is wall-clock including process start, memory
is the largest peak RSS among the process and the children it waited for (``wait4``).

    .venv/bin/python benchmarks/report_scale.py [--rows-large 1000000] [--rows-small 100000]
                                                [--runs 1]
"""

import argparse
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "out"
AS_OF = "2026-12-01"
WEEK_BEFORE = "2026-11-24"
STORE = OUT / "store.db"
RATIO_GOAL = 1.5
MEMORY_GOAL_MB = 1024
SMALL_GOAL_S = 3.0


def run(command: list[str]) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MB of its largest process).

    A command that prints ``work SECONDS`` reports its own time without process start-up.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith("SUPPORT_KIT_")}
    env["SUPPORT_KIT_STORE"] = f"sqlite:///{STORE}"
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
    if not path.exists():  # in a child: a large parent would lend its peak to every child
        subprocess.run([sys.executable, "-c", "import sys; from support_kit.demo import "
                        "generate; generate(int(sys.argv[1]), seed=5).to_csv(sys.argv[2], "
                        "index=False)", str(rows), str(path)], check=True)
    return path


def report(path: Path, as_of: str = AS_OF) -> tuple[float, float, Path]:
    out = OUT / f"report_{path.stem}"
    seconds, memory = run([sys.executable, "-m", "support_kit.cli", "report", str(path),
                           "--as-of", as_of, "--out", str(out)])
    return seconds, memory, out


def week_before(path: Path) -> None:
    """The run a week earlier that the timed run compares itself with (made once)."""
    marker = OUT / f"{path.stem}.{WEEK_BEFORE}.recorded"
    if not marker.exists():
        report(path, WEEK_BEFORE)
        marker.touch()


def compare(rows: int, run_number: int) -> None:
    """The whole report against pandas I/O of the same file, one after the other."""
    source = customers(rows)
    week_before(source)
    io_time, io_memory = run([sys.executable, str(HERE / "pandas_io.py"), str(source),
                              str(OUT / "pandas_io.csv")])
    kit_time, kit_memory, out = report(source)
    ratio = kit_time / io_time
    print(f"{rows:,} customers, run {run_number} ({source.stat().st_size / 1e6:,.0f} MB CSV)")
    print(f"  pandas read_csv + to_csv  {io_time:7.2f} s  peak {io_memory:6.0f} MB")
    print(f"  support-kit report        {kit_time:7.2f} s  peak {kit_memory:6.0f} MB"
          f"  (goal < {MEMORY_GOAL_MB} MB: {'yes' if kit_memory < MEMORY_GOAL_MB else 'NO'})")
    print(f"  ratio report / pandas I/O {ratio:7.2f}x  (goal <= {RATIO_GOAL}x: "
          f"{'yes' if ratio <= RATIO_GOAL else 'NO'})")
    if rows <= 100_000:
        print(f"  report under {SMALL_GOAL_S:.0f} s: {'yes' if kit_time < SMALL_GOAL_S else 'NO'}")
    sizes = ", ".join(f"{p.name} {_size(p.stat().st_size)}" for p in sorted(out.iterdir()))
    print(f"  files: {sizes}")


def naive_comparison(rows: int) -> None:
    small = customers(rows)
    core_dir = OUT / "core"
    core_dir.mkdir(exist_ok=True)
    loop_time, _ = run([sys.executable, str(HERE / "naive_report.py"), str(small),
                        str(OUT / "naive.csv"), AS_OF])
    core_time, _ = run([sys.executable, str(HERE / "core_report.py"), str(small),
                        str(core_dir), AS_OF])
    print(f"{rows:,} customers (load, states, customers.csv; without process start)")
    print(f"  naive per-row loop        {loop_time:7.2f} s")
    print(f"  support_kit, same work    {core_time:7.2f} s")
    print(f"  speed-up over the loop    {loop_time / core_time:7.2f}x")


def _size(size: int) -> str:
    return f"{size / 1e6:,.1f} MB" if size >= 100_000 else f"{size / 1e3:,.1f} kB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows-large", type=int, default=1_000_000)
    parser.add_argument("--rows-small", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=1, help="how often to compare at the "
                        "large size (the ratio moves with the machine's load)")
    args = parser.parse_args()
    OUT.mkdir(exist_ok=True)
    if not STORE.exists():  # a new store holds no week-before run yet
        for marker in OUT.glob("*.recorded"):
            marker.unlink()
    print(f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {platform.node()}: "
          f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}, "
          f"Python {platform.python_version()}")
    for number in range(1, args.runs + 1):
        compare(args.rows_large, number)
    compare(args.rows_small, 1)
    naive_comparison(args.rows_small)


if __name__ == "__main__":
    main()
