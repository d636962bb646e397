"""The ``support-kit`` command: the same API as the notebooks, for terminals, cron and CI.

Every problem an agent can fix ends as a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path

from . import rules
from .config import Settings, load_settings
from .customers import CustomerList, load, source_for
from .diagnosis import diagnose
from .errors import SupportKitError
from .texts import LANGUAGES

EXIT_PROBLEM = 2


def parse_day(value: str) -> dt.date:
    """A date from ``YYYY-MM-DD`` or German ``dd.mm.yyyy``.

    >>> parse_day("03.05.2024"), parse_day("2024-05-03")
    (datetime.date(2024, 5, 3), datetime.date(2024, 5, 3))
    """
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            return dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a date; write it as 2024-05-03 or 03.05.2024")


class _Stages:
    """Prints "stage ... done in 1.2 s" lines to the terminal (silent when piped)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.started = time.perf_counter()

    def __call__(self, label: str) -> None:
        if self.enabled:
            elapsed = time.perf_counter() - self.started
            print(f"[{elapsed:7.1f} s] {label}", file=sys.stderr, flush=True)


def _customers(args: argparse.Namespace, settings: Settings) -> CustomerList:
    explicit = getattr(args, "input", None) or getattr(args, "input_file", None)
    return load(source_for(explicit, settings.customers))


def _print_json(data: object) -> None:
    print(json.dumps(data, indent=2, ensure_ascii=False, default=str))


def cmd_diagnose(args: argparse.Namespace, settings: Settings) -> int:
    as_of = args.as_of or rules.today(settings.timezone)
    result = diagnose(_customers(args, settings), args.customer_id, as_of, args.lang,
                      settings.timezone)
    if args.json:
        _print_json(result.to_dict())
    else:
        print(result)
    return 0


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from .report import build_report

    stages = _Stages(sys.stderr.isatty())
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    customers = _customers(args, settings)
    stages(f"loaded {customers.rows_loaded:,} customers, rejected {customers.rows_rejected:,}")
    report = build_report(customers, args.as_of, settings.timezone)
    stages("evaluated states, dates and findings")
    for path in report.write_all(out, settings, progress=stages):
        print(path)
    return 0


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "diagnose": cmd_diagnose,
    "report": cmd_report,
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="support-kit",
        description="Keep sellers' Amazon connections alive: token state, renewal links, "
        "live checks and expiry reports. Without SUPPORT_KIT_* settings it runs on demo data.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def add(name: str, help_text: str) -> argparse.ArgumentParser:
        return sub.add_parser(name, help=help_text, description=help_text)

    def input_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--input", metavar="FILE", help="customer file or database URL "
                       "(default: SUPPORT_KIT_CUSTOMERS, else the bundled demo data)")

    def as_of_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as-of", type=parse_day, metavar="DATE",
                       help="the reference day, YYYY-MM-DD or dd.mm.yyyy (default: today)")

    p = add("diagnose", "Show one customer's token state, what has stopped, and findings.")
    p.add_argument("customer_id")
    input_option(p)
    as_of_option(p)
    p.add_argument("--lang", choices=LANGUAGES, default="de", help="language of the texts")
    p.add_argument("--json", action="store_true", help="print a JSON object instead")

    p = add("report", "Write the bulk expiry report for all customers into a folder.")
    p.add_argument("input_file", nargs="?", metavar="INPUT",
                   help="customer file or database URL (default as for --input)")
    input_option(p)
    as_of_option(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report files")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 a problem to fix)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        settings = load_settings()
        return COMMANDS[args.command](args, settings)
    except SupportKitError as exc:
        print(f"support-kit: {exc}", file=sys.stderr)
        return EXIT_PROBLEM
    except KeyboardInterrupt:
        print("support-kit: stopped.", file=sys.stderr)
        return 130
    except Exception as exc:  # last line of defence: never a traceback for an agent
        print(f"support-kit: unexpected {type(exc).__name__}; nothing was changed. "
              "Please report this with the command you ran.", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
