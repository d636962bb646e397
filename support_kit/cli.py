"""The ``support-kit`` command: the same API as the notebooks, for terminals, cron and CI.

Every problem an agent can fix ends as a one-line message and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import gc
import json
import os
import re
import sys
import time
from collections.abc import Callable, Sequence
from typing import NoReturn

from . import dates
from .config import Settings, load_settings
from .control_chars import for_list
from .customers import CustomerList, load, source_for
from .desk import Desk
from .keeper import LocalKeeper
from .problems import is_fixable, json_text, one_line, problem_line, shown_safely
from .store import Store
from .texts import CUSTOMER_LANGUAGES, DEFAULT_LANGUAGE, LANGUAGES

EXIT_PROBLEM = 2


def parse_day(value: str) -> dt.date:
    """A date from ``YYYY-MM-DD`` or German ``dd.mm.yyyy``.

    >>> parse_day("03.05.2024"), parse_day("2024-05-03")
    (datetime.date(2024, 5, 3), datetime.date(2024, 5, 3))
    """
    for fmt in ("%Y-%m-%d", "%d.%m.%Y"):
        try:
            day = dt.datetime.strptime(value.strip(), fmt).date()
        except ValueError:
            continue
        if not 2000 <= day.year <= 2199:  # a desk's day; far dates overflow the date maths
            raise argparse.ArgumentTypeError(
                f"{value!r} is too far from today; use a day from 2000 to 2199")
        return day
    raise argparse.ArgumentTypeError(
        f"{value!r} is not a date; write it as 2024-05-03 or 03.05.2024")


def days(value: str) -> int:
    """A number of days for ``--stopped-within`` and ``--quiet-days``: 0 to 3650.

    >>> days("30")
    30
    """
    if not re.fullmatch(r"[0-9]+", value.strip()):
        raise argparse.ArgumentTypeError(f"{value!r} is not a number of days; "
                                         "write a whole number, e.g. 30")
    number = int(value.strip())
    if not 0 <= number <= 3650:
        raise argparse.ArgumentTypeError(f"{value!r} days is out of range; "
                                         "use 0 to 3650 days (ten years)")
    return number


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


def _desk(args: argparse.Namespace, settings: Settings) -> Desk:
    """The desk on the command's customers and day: the store's renewals laid over them.
    Its links outlive the command: in demo mode they point at ``support-kit sandbox``.
    With a keeper service (a hub's terminal) the keeper's list and memory, under the hub's
    name; never a store of its own."""
    if settings.keeper_url:
        explicit = getattr(args, "input", None) or getattr(args, "input_file", None)
        return Desk.open(explicit, getattr(args, "as_of", None), settings)
    customers = _customers(args, settings)
    keeper = LocalKeeper(settings, Store.open(settings=settings), customers, lasting_links=True)
    return Desk(settings, customers, getattr(args, "as_of", None), keeper=keeper)


def _print_json(data: object) -> None:
    print(json_text(json.dumps(data, indent=2, ensure_ascii=False, default=str)))


def cmd_diagnose(args: argparse.Namespace, settings: Settings) -> int:
    return _show(args, _desk(args, settings).diagnose(args.customer_id, args.lang))


def cmd_report(args: argparse.Namespace, settings: Settings) -> int:
    from .report.staging import check_folder

    stages = _Stages(sys.stderr.isatty())
    out = check_folder(args.out)  # before the long work: a bad --out is told at once
    desk = _desk(args, settings)
    customers = desk.customers
    stages(f"loaded {customers.rows_loaded:,} customers, rejected {customers.rows_rejected:,}")
    report = desk.report(args.as_of, args.lang, args.stopped_within, args.quiet_days)
    stages("evaluated states, dates and findings; compared with the last run; contacts")
    for path in desk.write_report(report, out, progress=stages):  # then records the run
        print(path)
    stages("recorded the run")
    return 0


def cmd_remind(args: argparse.Namespace, settings: Settings) -> int:
    from .remind import check_sendable, plan_reminders, send_reminders

    if args.send:  # before the long work: a missing setting or a past day is told at once
        from .mail import mail_server

        mail_server(settings)
        check_sendable(args.as_of or dates.today(settings.timezone), args.quiet_days,
                       settings.timezone)
    desk = _desk(args, settings)
    plan = plan_reminders(desk, args.as_of, args.stopped_within, args.quiet_days)
    if not args.send:
        _print_json(plan.to_dict()) if args.json else print(
            f"{plan}\nDry run: nothing was sent or recorded; --send sends them.")
        return 0
    bar = _ProgressBar(sys.stderr.isatty() and not args.json)
    try:
        result = send_reminders(desk, plan, progress=bar)
    finally:
        bar.close()
    _print_json(result.to_dict()) if args.json else print(result)
    if result.problem:
        print(f"support-kit: {one_line(result.problem)}", file=sys.stderr)
        return EXIT_PROBLEM
    return 0


def cmd_link(args: argparse.Namespace, settings: Settings) -> int:
    desk = _desk(args, settings)  # in demo mode the link points at `support-kit sandbox`
    link = desk.link(args.customer_id, lang=args.lang, message_lang=args.lang or "en",
                     redirect_uri=args.redirect_uri, draft=args.draft,
                     valid_days=args.valid_days, region=args.region)
    if args.json:
        _print_json(link.to_dict())
    else:
        print(link.instructions)
    return 0


def _show(args: argparse.Namespace, result: object, data: object = None) -> int:
    """Print a result as JSON (``--json``: ``data``, else its ``to_dict()``) or as text."""
    if args.json:
        _print_json(result.to_dict() if data is None else data)
    else:
        print(result)
    return 0


def cmd_reply(args: argparse.Namespace, settings: Settings) -> int:
    # the link in the reply is recorded (link_made), as the panel's is
    return _show(args, _desk(args, settings).reply_with_link(args.customer_id, args.lang))


def cmd_explain(args: argparse.Namespace, settings: Settings) -> int:
    from .consent_errors import explain

    return _show(args, explain(args.code, args.lang, args.seller_lang))


def cmd_verify_callback(args: argparse.Namespace, settings: Settings) -> int:
    desk = _desk(args, settings)
    result = desk.verify(args.url, args.lang)  # recorded: callback_verified or _rejected
    data = result.to_dict()
    confirmation = None
    if result.ok and args.exchange:
        try:  # in demo mode: the sandbox that issued the code, else one in this process
            confirmation = desk.confirm(result, args.lang)
        finally:
            desk.close()
        data["exchange"] = confirmation.to_dict()
    if args.json:
        _print_json(data)
    else:
        print("\n".join(result.messages))
        if confirmation is not None:
            print(confirmation)
    return 0 if result.ok and (confirmation is None or confirmation.ok) else 1


def cmd_history(args: argparse.Namespace, settings: Settings) -> int:
    timeline = _desk(args, settings).history(args.customer_id, args.lang)
    return _show(args, timeline, timeline.to_list())


def cmd_note(args: argparse.Namespace, settings: Settings) -> int:
    event = _desk(args, settings).note(args.customer_id, args.text, args.contacted, args.lang)
    print(f"{event.customer_id}: {event.label(args.lang)} ({event.agent})")
    return 0


def cmd_live_check(args: argparse.Namespace, settings: Settings) -> int:
    desk = _desk(args, settings)  # in demo mode: a sandbox in this process
    bar = _ProgressBar(sys.stderr.isatty() and not args.json)
    try:  # each result recorded (live_checked), also those done before a Ctrl-C
        run = desk.live_checks(args.customer_ids, args.concurrency, progress=bar)
    finally:
        bar.close()
        desk.close()
    if args.json:
        _print_json(run.to_dict())
        return _stopped_early(run)
    if run.app_problem:
        print(f"APP PROBLEM: {run.app_problem}")
    for r in run.results:
        extra = " ".join(filter(None, [r.region and f"[{r.region}]", r.plan_text("en"),
                                       ",".join(r.marketplaces), ";".join(r.findings)]))
        print(f"{for_list(r.customer_id):<12} {r.live_state:<24} {for_list(extra)} "
              f"{for_list(r.detail)}"
              + (f" [{r.request_id}]" if r.request_id else ""))
        if r.causes:
            print(f"{'':<12} likely: " + "; ".join(r.cause_texts("en"))
                  + f" Next: {r.next_step('en')}")
    print(", ".join(f"{k}: {v}" for k, v in run.counts.items() if v))
    return _stopped_early(run)


def _stopped_early(run) -> int:
    """130 after Ctrl-C (the finished checks were printed, the rest cancelled), else 0."""
    if not run.interrupted:
        return 0
    print(f"support-kit: stopped after {len(run.results)} of {run.total} checks; the others "
          "were cancelled.", file=sys.stderr)
    return 130


def cmd_sandbox(args: argparse.Namespace, settings: Settings) -> int:
    from .sandbox import Faults, Sandbox

    listed = load(source_for(args.customers, settings.customers))
    customers = Desk(settings, listed, args.as_of).customers  # it accepts the desk's tokens
    faults = Faults(args.latency, args.fail_rate, args.throttle_rate, args.drop_rate,
                    args.malformed_rate)
    sandbox = Sandbox(customers, settings, as_of=args.as_of, port=args.port, faults=faults,
                      draft_app=args.draft_app, account_role=not args.no_account_role,
                      client_secret_expired=args.client_secret_expired,
                      consent_error=args.consent_error)
    print(f"Sandbox Amazon on {sandbox.url} ({customers.rows_loaded} customers). Point the kit "
          "at it with:")
    print(f"  SUPPORT_KIT_LWA_ENDPOINT={sandbox.url}/auth/o2/token")
    print(f"  SUPPORT_KIT_SPAPI_ENDPOINT={sandbox.url}")
    print(f"  SUPPORT_KIT_SELLER_CENTRAL_URL={sandbox.url}")
    print("Stop with Ctrl+C.", flush=True)
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.close()
    return 0


class _ProgressBar:
    """A one-line progress bar on a terminal."""

    def __init__(self, enabled: bool):
        self.enabled = enabled

    def __call__(self, done: int, total: int) -> None:
        if self.enabled:
            filled = int(30 * done / max(total, 1))
            print(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{total}", end="",
                  file=sys.stderr, flush=True)

    def close(self) -> None:
        if self.enabled:
            print(file=sys.stderr)


COMMANDS: dict[str, Callable[[argparse.Namespace, Settings], int]] = {
    "diagnose": cmd_diagnose,
    "report": cmd_report,
    "remind": cmd_remind,
    "link": cmd_link,
    "reply": cmd_reply,
    "explain": cmd_explain,
    "verify-callback": cmd_verify_callback,
    "live-check": cmd_live_check,
    "history": cmd_history,
    "note": cmd_note,
    "sandbox": cmd_sandbox,
}


#: What a command may have written when a bug stops it (said in the "unexpected" line).
_IN_STORE = "events it recorded in the desk's store are kept; no other file was written"
WRITES = {None: "it writes no files", "link": _IN_STORE, "verify-callback": _IN_STORE,
          "live-check": _IN_STORE, "note": _IN_STORE,
          "remind": "reminders it sent are recorded in the desk's store; no file was written",
          "report": "the report folder {out} is as it was (the new files were in a temporary "
                    "folder, removed again)"}


class _Parser(argparse.ArgumentParser):
    """Usage mistakes as one line, like every other problem."""

    def error(self, message: str) -> NoReturn:
        self.exit(EXIT_PROBLEM, f"{self.prog}: {one_line(message)} (see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
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

    def reminder_options(p: argparse.ArgumentParser) -> None:
        p.add_argument("--stopped-within", type=days, default=30, metavar="DAYS",
                       help="remind sellers who stopped within this many days (default 30)")
        p.add_argument("--quiet-days", type=days, default=7, metavar="DAYS",
                       help="not those contacted or reminded within this many days (default 7)")

    def as_of_option(p: argparse.ArgumentParser) -> None:
        p.add_argument("--as-of", type=parse_day, metavar="DATE",
                       help="the reference day, YYYY-MM-DD or dd.mm.yyyy (default: today)")

    p = add("diagnose", "Show one customer's token state, what has stopped, and findings.")
    p.add_argument("customer_id")
    input_option(p)
    as_of_option(p)
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                   help="language of the texts")
    p.add_argument("--json", action="store_true", help="print a JSON object instead")

    p = add("report", "Write the bulk expiry report for all customers into a folder.")
    p.add_argument("input_file", nargs="?", metavar="INPUT",
                   help="customer file or database URL (default as for --input)")
    input_option(p)
    as_of_option(p)
    p.add_argument("--out", required=True, metavar="DIR", help="folder for the report files")
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                   help="language of the workbook and the web page (CSV files keep ids)")
    reminder_options(p)

    p = add("remind", "E-mail the sellers due for a reminder, once (a dry run without --send).")
    p.add_argument("input_file", nargs="?", metavar="INPUT",
                   help="customer file or database URL (default as for --input)")
    input_option(p)
    as_of_option(p)
    reminder_options(p)
    p.add_argument("--send", action="store_true", help="send them through SUPPORT_KIT_SMTP_URL "
                   "from SUPPORT_KIT_MAIL_FROM and record each (as of today only)")
    p.add_argument("--json", action="store_true", help="print the mails (dry run) or what was "
                   "sent and not sent as JSON")

    p = add("link", "Make the Seller Central renewal link and the customer's instructions.")
    p.add_argument("customer_id")
    input_option(p)
    p.add_argument("--redirect-uri", metavar="URI", help="one of the app's registered URIs")
    p.add_argument("--draft", action="store_true", help="the app is in Draft (adds version=beta)")
    p.add_argument("--lang", choices=CUSTOMER_LANGUAGES,
                   help="what the seller reads; default: the customer's language")
    p.add_argument("--valid-days", type=int, default=7, metavar="N",
                   help="how long the link works (default 7 days: links go out by e-mail)")
    p.add_argument("--region", choices=("NA", "EU", "FE"), type=str.upper,
                   help="the authorization to renew (default: the customer's most urgent)")
    p.add_argument("--json", action="store_true")

    p = add("reply", "The reply draft for one customer (as the desk panel shows it).")
    p.add_argument("customer_id")
    input_option(p)
    as_of_option(p)
    p.add_argument("--lang", choices=CUSTOMER_LANGUAGES,
                   help="what the seller reads; default: the customer's language")
    p.add_argument("--json", action="store_true",
                   help="print situation, subject, body and link (or null) as JSON")

    p = add("explain", "Explain an error code from Amazon's consent page: cause and remedy.")
    p.add_argument("code", help="e.g. MD1000, SPDC8143 or 'Invalid Access' (any case)")
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE,
                   help="language of the texts")
    p.add_argument("--seller-lang", choices=CUSTOMER_LANGUAGES,
                   help="language of what to tell the seller; default: --lang")
    p.add_argument("--json", action="store_true")

    p = add("verify-callback", "Check a callback URL from Amazon belongs to our link and seller.")
    p.add_argument("url")
    input_option(p)
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    p.add_argument("--exchange", action="store_true",
                   help="trade the code for tokens at the LWA endpoint (refresh token masked)")
    p.add_argument("--json", action="store_true")

    p = add("live-check", "Ask Amazon whether tokens still work (all customers by default).")
    p.add_argument("customer_ids", nargs="*", metavar="CUSTOMER_ID")
    input_option(p)
    as_of_option(p)
    p.add_argument("--concurrency", type=int, default=8, metavar="N")
    p.add_argument("--json", action="store_true")

    p = add("history", "Show what the desk did for one customer, newest first.")
    p.add_argument("customer_id")
    input_option(p)
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)
    p.add_argument("--json", action="store_true", help="a JSON list of events (at, agent, "
                   "kind, customer_id, seller_id, detail)")

    p = add("note", "Keep a note for one customer (e.g. what was agreed on the phone).")
    p.add_argument("customer_id")
    p.add_argument("text")
    input_option(p)
    p.add_argument("--contacted", action="store_true",
                   help="the seller was contacted: record a 'contacted' event with the text")
    p.add_argument("--lang", choices=LANGUAGES, default=DEFAULT_LANGUAGE)

    p = add("sandbox", "Run a local Amazon on 127.0.0.1 for demo, training and tests.")
    p.add_argument("--port", type=int, default=8765)
    p.add_argument("--customers", metavar="FILE", help="default: as for --input")
    as_of_option(p)
    p.add_argument("--latency", type=int, default=0, metavar="MS")
    p.add_argument("--fail-rate", type=float, default=0.0, metavar="R")
    p.add_argument("--throttle-rate", type=float, default=0.0, metavar="R")
    p.add_argument("--drop-rate", type=float, default=0.0, metavar="R")
    p.add_argument("--malformed-rate", type=float, default=0.0, metavar="R")
    p.add_argument("--draft-app", action="store_true",
                   help="behave like an app in Draft (links need version=beta)")
    p.add_argument("--no-account-role", action="store_true",
                   help="the app lacks the role for getAccount: it answers 403 (as Amazon)")
    p.add_argument("--client-secret-expired", action="store_true",
                   help="the app's LWA client secret has expired: every Sellers call is a 403")
    p.add_argument("--consent-error", metavar="CODE",
                   help="the consent page shows this error (e.g. MD9010, SPDC8143)")
    return parser


def _app_secret_banner(args: argparse.Namespace, settings: Settings) -> None:
    """Warn on stderr when the app's LWA client secret is expiring or expired."""
    from .app_credentials import client_secret

    day = getattr(args, "as_of", None) or dates.today(settings.timezone)
    banner = client_secret(settings.lwa_secret_expires, day).banner(
        getattr(args, "lang", None) or "en")
    if banner:
        print(f"support-kit: WARNING: {banner}", file=sys.stderr)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code (0 ok, 2 a problem to fix)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    with shown_safely():  # customer text never acts on the terminal
        try:
            settings = load_settings()
            _app_secret_banner(args, settings)
            return COMMANDS[args.command](args, settings)
        except KeyboardInterrupt:
            print("support-kit: stopped.", file=sys.stderr)
            return 130
        except BrokenPipeError:  # the reader went away (| head): stop quietly
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.__stdout__.fileno())
            return 1
        except Exception as exc:
            exc = Store.problem(exc) or exc  # a busy store, a full disk: in plain words
            if is_fixable(exc):  # one line naming what to fix
                print(f"support-kit: {problem_line(exc)}", file=sys.stderr)
                return EXIT_PROBLEM
            # a bug: never a traceback, and say what may have been written
            print("support-kit: " + one_line(
                f"unexpected {type(exc).__name__} ({one_line(exc, 200)}); "
                f"{WRITES.get(args.command, WRITES[None]).format(**vars(args))}. Please "
                "report this with the command "
                "you ran."), file=sys.stderr)
            return 1
        finally:
            for news in Store.news():  # a store made new, renewals taken in
                print(f"support-kit: {one_line(news)}", file=sys.stderr)


def run() -> NoReturn:
    """The ``support-kit`` console script: :func:`main`, then exit without the interpreter's
    last garbage collection over every loaded module (about a quarter of a second)."""
    code = main()
    Store.close_all()  # closed, so SQLite folds its write-ahead log into the store's file
    gc.freeze()  # the system frees what is left at exit
    sys.exit(code)


if __name__ == "__main__":
    run()
