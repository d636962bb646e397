"""Hostile and careless input, table-driven: each case gives its exit code and the one line the
agent reads; nothing is lost, no traceback shows, nothing is written outside ``--out``."""

from __future__ import annotations

import csv
import json
import os
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from .conftest import AS_OF, TEST_ENV, assert_no_canary, customer, run_cli, write_csv

HEADER = "customer_id,shop_name,marketplace,authorized_at,refresh_token"


def text_file(name: str, content: str | bytes):
    def make(folder: Path) -> Path:
        path = folder / name
        path.write_bytes(content.encode() if isinstance(content, str) else content)
        return path
    return make


def csv_rows(*rows: dict):
    return lambda folder: write_csv(folder / "in.csv", list(rows))


def corrupt_xlsx(folder: Path) -> Path:
    good = folder / "good.xlsx"
    book = Workbook()
    book.active.append(["customer_id", "shop_name"])
    book.active.append(["1", "Shop"])
    book.save(good)
    broken = folder / "in.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(broken, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            target.writestr(item, data[: len(data) // 2] if "sheet1" in item.filename else data)
    return broken


def xlsx_with_controls(folder: Path) -> Path:
    path = folder / "in.xlsx"
    book = Workbook()
    book.active.append(["customer_id", "shop_name", "authorized_at"])
    book.active.append(["1", "Tab\tand\nnewline", "2026-01-05"])
    book.active.append(["2", "=HYPERLINK(\"http://x\")", "2026-01-05"])
    book.save(path)
    return path


def truncated_xlsx(folder: Path) -> Path:
    path = corrupt_xlsx(folder)
    path.write_bytes(path.read_bytes()[:300])
    return path


@dataclass
class Case:
    """One hostile input: what it is, the command, and what the agent must see."""

    id: str
    args: tuple[str, ...]
    code: int
    says: tuple[str, ...] = ()  # parts of the one stderr line (exit 2) or of stdout (exit 0)
    make: object = None  # builds the input file in a folder; {input} in args is its path
    env: dict[str, str] = field(default_factory=dict)
    rows_in: int | None = None  # for reports: data rows in the input, all accounted for
    check: object = None  # extra look at the written report


def _shop_names_kept_and_shown(out: Path) -> None:
    with open(out / "customers.csv", newline="", encoding="utf-8") as fh:
        shops = {r["customer_id"]: r["shop_name"] for r in csv.DictReader(fh)}
    assert shops["1"] == "Tab\x0bVT" and shops["2"] == "Nul\x00Byte" and "\x1b[31m" in shops["3"]
    book = load_workbook(out / "report.xlsx")
    cells = {c.value for sheet in book.worksheets for row in sheet.iter_rows() for c in row}
    assert {"Tab\u240bVT", "Nul\u2400Byte", "Esc\u241b[31mRed"} <= cells
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "\x1b" not in html and "\x0b" not in html


def _umlauts(out: Path) -> None:
    with open(out / "customers.csv", newline="", encoding="utf-8") as fh:
        names = {r["shop_name"] for r in csv.DictReader(fh)}
    assert names == {"Müller UTF-8", "Müller cp1252 €"}


def _rejects(out: Path) -> dict[str, str]:
    with open(out / "rejects.csv", newline="", encoding="utf-8") as fh:
        return {r["line"]: r["raw"] for r in csv.DictReader(fh)}


def _tokens_masked_by_place(out: Path) -> None:
    raw = _rejects(out)
    assert raw.pop("3") == "2,Shop, Ltd,[secure]"  # shifted right: from its place on
    assert raw.pop("4") == "3,shop@example.de,[secure]"  # shifted left: not by substring
    duplicate = raw.pop("6")  # a duplicate id: the token column, and token shapes anywhere
    assert duplicate.startswith("4,Atzr%7C[secure],") and duplicate.endswith(",[secure]")
    assert not raw
    assert "CANARY" not in (out / "rejects.csv").read_text(encoding="utf-8")


def _xlsx_tokens_masked(out: Path) -> None:
    assert _rejects(out) == {"3": "2;Shop;DE;[secure]"}
    assert "CANARY" not in (out / "rejects.csv").read_text(encoding="utf-8")


def xlsx_with_a_shifted_token(folder: Path) -> Path:
    path = folder / "in.xlsx"
    book = Workbook()
    book.active.append(["customer_id", "shop_name", "marketplace", "refresh_token"])
    book.active.append(["1", "Shop", "DE", ""])
    book.active.append(["2", "Shop", "DE", "", "CANARY-beyond-the-header"])
    book.save(path)
    return path


LONG_SHOP = "Ü" + "long shop name " * 2_700  # 40,501 characters: over Excel's cell limit


def _long_text_cut_in_excel_whole_in_csv(out: Path) -> None:
    with open(out / "customers.csv", newline="", encoding="utf-8") as fh:
        assert next(csv.DictReader(fh))["shop_name"] == LONG_SHOP.strip()
    book = load_workbook(out / "report.xlsx", read_only=True)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows(values_only=True)
             for c in row if isinstance(c, str) and c.startswith("Ü")]
    assert cells and all(len(c) == 32_767 and c.endswith("the whole text is in the CSV files]")
                         for c in cells)


def xlsx_unpacking_to_600mb(folder: Path) -> Path:
    """A small workbook with a part that unpacks to 600 MB (a zip bomb's shape)."""
    path = folder / "in.xlsx"
    book = Workbook()
    book.active.append(["customer_id", "shop_name"])
    book.active.append(["1", "Shop"])
    book.save(path)
    with (zipfile.ZipFile(path, "a", zipfile.ZIP_DEFLATED) as archive,
          archive.open("xl/media/padding.bin", "w", force_zip64=True) as part):
        for _ in range(600):
            part.write(bytes(1 << 20))
    return path


def xlsx_row_past_1000_columns(folder: Path) -> Path:
    path = folder / "in.xlsx"
    book = Workbook()
    book.active.append(["customer_id", "shop_name"])
    book.active.append(["1", "Shop"])
    book.active.cell(row=3, column=1, value="2")
    book.active.cell(row=3, column=1_001, value="far out")
    book.save(path)
    return path


CONTROL_ROWS = [customer("1", shop_name="Tab\x0bVT", authorized_at="2025-12-05"),
                customer("2", shop_name="Nul\x00Byte"), customer("3", shop_name="Esc\x1b[31mRed")]
REPORT = ("report", "{input}", "--as-of", AS_OF.isoformat(), "--out", "{out}")

CASES = [
    # --- customer text is data: loaded, kept in CSV, shown visibly elsewhere ----------
    Case("control-characters-in-shop-names", REPORT, 0, make=csv_rows(*CONTROL_ROWS), rows_in=3,
         check=_shop_names_kept_and_shown),
    Case("cr-only-line-endings", REPORT, 0, rows_in=2, make=text_file(
        "in.csv", f"{HEADER}\r1,Mac Shop,DE,2026-01-01,\r2,Other,FR,2026-02-01,\r")),
    Case("mixed-utf8-and-cp1252", REPORT, 0, rows_in=2, check=_umlauts, make=text_file(
        "in.csv", "customer_id;shop_name\n1;Müller UTF-8\n".encode()
        + "2;Müller cp1252 €\n".encode("cp1252"))),
    Case("json-lone-surrogate", REPORT, 0, rows_in=1, make=text_file(
        "in.json", '[{"customer_id": "1", "shop_name": "bad \\ud800 text"}]')),
    Case("utf16-tab-separated-from-excel", REPORT, 0, rows_in=2, make=text_file(
        "in.csv", "customer_id\tshop_name\r\n1\tMüller\r\n2\tÇa va\r\n".encode("utf-16"))),
    Case("xlsx-with-control-characters", REPORT, 0, rows_in=2, make=xlsx_with_controls),
    Case("far-dates-in-the-data", REPORT, 0, rows_in=4, make=text_file(
        "in.csv", "customer_id,authorized_at,revoked_at\n1,0001-01-01,\n2,9999-12-31,\n"
        "3,31.12.9999,\n4,2026-13-45,\n")),
    Case("header-only", REPORT, 0, rows_in=0, make=text_file("in.csv", HEADER + "\n")),
    Case("diagnose-escapes-terminal-codes", ("diagnose", "3", "--input", "{input}"), 0,
         says=("Esc\u241b[31mRed",), make=csv_rows(*CONTROL_ROWS)),
    Case("tokens-in-malformed-rows-masked-by-place", REPORT, 0, rows_in=5,
         check=_tokens_masked_by_place, make=text_file(
             "in.csv", "customer_id,shop_name,marketplace,refresh_token\n"
             "1,Shop,DE,\n"
             "2,Shop, Ltd,DE,CANARY-not-token-shaped\n"  # an unquoted comma shifts it right
             "3,shop@example.de,de\n"  # a field missing: "de" is where the token would be
             "4,Shop,DE,\n"
             "4,Atzr%7CCANARY-url-encoded,DE,Atzr|CANARY-2\n")),
    Case("xlsx-token-beyond-the-header-masked", REPORT, 0, rows_in=2,
         check=_xlsx_tokens_masked, make=xlsx_with_a_shifted_token),
    Case("field-over-excels-cell-limit", REPORT, 0, rows_in=1,
         check=_long_text_cut_in_excel_whole_in_csv,
         make=csv_rows(customer("1", shop_name=LONG_SHOP, authorized_at="2025-12-10"))),
    # --- customer files a user can fix ------------------------------------------------------
    Case("single-line-50mb", REPORT, 2, ("in.csv", "first line is over 64 KB"),
         make=text_file("in.csv", "x" * 50_000_000)),
    Case("one-row-of-50mb", REPORT, 2, ("in.csv", "line of 50 MB (line 3)"),
         make=text_file("in.csv", f"{HEADER}\n1,a,DE,,\n2,{'b' * 50_000_000},DE,,\n")),
    Case("duplicate-refresh-token-column", REPORT, 2,
         ("in.csv", "'refresh_token' 2 times", "columns 2, 3"),
         make=text_file("in.csv", "customer_id,refresh_token,Refresh Token\n1,Atzr|a,Atzr|b\n")),
    Case("corrupt-xlsx", REPORT, 2, ("in.xlsx", "not a readable Excel workbook"),
         make=corrupt_xlsx),
    Case("truncated-xlsx", REPORT, 2, ("in.xlsx", "not a readable Excel workbook"),
         make=truncated_xlsx),
    Case("deeply-nested-json", REPORT, 2, ("in.json", "nests lists or objects too deeply"),
         make=text_file("in.json", "[" * 100_000 + "]" * 100_000)),
    Case("empty-file", REPORT, 2, ("in.csv", "empty"), make=text_file("in.csv", "")),
    Case("binary-garbage", REPORT, 2, ("in.csv", "customer_id"),
         make=text_file("in.csv", bytes(range(256)) * 40)),
    Case("missing-file", ("report", "nope.csv", "--out", "{out}"), 2, ("nope.csv", "not exist")),
    Case("database-driver-missing",
         ("diagnose", "1", "--input", "postgresql+psycopg2://desk:pw@127.0.0.1:1/crm"), 2,
         ("driver module 'psycopg2'", "postgresql+psycopg://", "[secure]")),
    Case("database-url-bad-port",
         ("diagnose", "1", "--input", "postgresql://desk:pw@127.0.0.1:port/crm"), 2,
         ("could not be read", "[secure]")),
    Case("input-is-a-fifo", REPORT, 2, ("in.fifo", "is a named pipe (FIFO)"),
         make=lambda folder: (os.mkfifo(folder / "in.fifo"), folder / "in.fifo")[1]),
    Case("input-is-dev-zero", ("report", "/dev/zero", "--out", "{out}"), 2,
         ("/dev/zero", "is a device")),
    Case("xlsx-unpacks-to-600mb", REPORT, 2, ("in.xlsx", "unpacks to 600 MB", "CSV"),
         make=xlsx_unpacking_to_600mb),
    Case("xlsx-row-past-1000-columns", REPORT, 2, ("in.xlsx", "more than 1,000 columns (row 3)"),
         make=xlsx_row_past_1000_columns),
    Case("value-over-the-cell-limit", REPORT, 2,
         ("in.csv", "150,000 characters", "line 3, column 'shop_name'"),
         make=text_file("in.csv", f"{HEADER}\n1,a,DE,,\n2,{'b' * 150_000},DE,,\n")),
    # --- options ----------------------------------------------------------------------------
    Case("out-is-a-file", ("report", "--out", "{input}"), 2, ("is a file, not a folder",),
         make=text_file("in.csv", "precious")),
    Case("out-is-empty", ("report", "--out", ""), 2, ("--out is empty",)),
    Case("out-name-too-long", ("report", "--out", "{out}/" + "x" * 300), 2,
         ("--out", "name is too long")),
    Case("valid-days-huge", ("link", "C100001", "--valid-days", "3650000"), 2,
         ("--valid-days", "1 to 365")),
    Case("valid-days-zero", ("link", "C100001", "--valid-days", "0"), 2, ("--valid-days",)),
    Case("valid-days-negative", ("link", "C100001", "--valid-days", "-3"), 2, ("--valid-days",)),
    Case("stopped-within-huge", ("report", "--out", "{out}", "--stopped-within", "9" * 30), 2,
         ("--stopped-within", "0 to 3650 days")),
    Case("quiet-days-not-a-number", ("remind", "--quiet-days", "a week"), 2,
         ("--quiet-days", "not a number of days")),
    Case("callback-not-utf8",
         ("verify-callback", "http://127.0.0.1:8765/callback?state=\udcff\udcfe&spapi_oauth_code=x"),
         2, ("not UTF-8", "copy the whole address again")),
    Case("unknown-customer-with-escape", ("diagnose", "NO\x1b[2JPE"), 2,
         ("NO\\x1b[2JPE", "Check the customer id")),
    Case("as-of-far-future", ("diagnose", "C100001", "--as-of", "9999-12-31"), 2,
         ("--as-of", "from 2000 to 2199")),
    Case("as-of-not-a-date", ("diagnose", "C100001", "--as-of", "31.02.2026"), 2,
         ("--as-of", "is not a date", "--help")),
    Case("valid-days-not-a-number", ("link", "C100001", "--valid-days", "abc"), 2,
         ("--valid-days", "invalid int value")),
    Case("unknown-command", ("bogus",), 2, ("invalid choice: 'bogus'",)),
    Case("out-below-a-file", ("report", "--out", "{input}/report"), 2,
         ("--out", "a file is in the way"), make=text_file("in.csv", "precious")),
    Case("input-is-a-folder", ("diagnose", "1", "--input", "{input}"), 2, ("is a folder",),
         make=lambda folder: folder),
    Case("concurrency-zero", ("live-check", "C100001", "--concurrency", "0"), 2,
         ("--concurrency",)),
    # --- settings ---------------------------------------------------------------------------
    Case("endpoint-without-scheme", ("diagnose", "C100001"), 2,
         ("SUPPORT_KIT_LWA_ENDPOINT", "https://"),
         env={"SUPPORT_KIT_LWA_ENDPOINT": "api.amazon.com/auth/o2/token"}),
    Case("endpoint-bad-port", ("diagnose", "C100001"), 2,
         ("SUPPORT_KIT_SPAPI_ENDPOINT", "1 to 65535"),
         env={"SUPPORT_KIT_SPAPI_ENDPOINT": "https://sellingpartnerapi-eu.amazon.com:99999"}),
    Case("seller-central-port-not-a-number", ("diagnose", "C100001"), 2,
         ("SUPPORT_KIT_SELLER_CENTRAL_URL",),
         env={"SUPPORT_KIT_SELLER_CENTRAL_URL": "http://127.0.0.1:eighty"}),
    Case("timezone-unknown", ("diagnose", "C100001"), 2, ("SUPPORT_KIT_TIMEZONE",),
         env={"SUPPORT_KIT_TIMEZONE": "Mars/Olympus"}),
]


def _tree(folder: Path, skip: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): (p.read_bytes() if p.is_file() else b"")
            for p in folder.rglob("*") if skip not in (p, *p.parents)}


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_hostile_input(case: Case, tmp_path, capsys, monkeypatch):
    work = tmp_path / "work"
    work.mkdir()
    monkeypatch.chdir(work)
    for key, value in case.env.items():
        monkeypatch.setenv(key, value)
    source = case.make(tmp_path) if case.make else None
    out = tmp_path / "out"
    args = [a.format(input=source, out=out) for a in case.args]
    before = _tree(tmp_path, out)

    try:
        code, stdout, stderr = run_cli(capsys, *args)
    except SystemExit as usage:  # argparse: a usage mistake, told in one line
        code, (stdout, stderr) = usage.code, capsys.readouterr()

    assert code == case.code, stderr
    assert "Traceback" not in stdout + stderr and "\x1b" not in stdout + stderr
    assert_no_canary(stdout + stderr)
    if case.code == 2:
        assert re.match(r"support-kit( [a-z-]+)?: ", stderr) and stderr.count("\n") == 1, stderr
        assert "unexpected" not in stderr
    for part in case.says:
        assert part in (stderr if case.code else stdout), (part, stderr or stdout)
    assert _tree(tmp_path, out) == before  # nothing written or changed outside --out
    if case.code != 0 and case.args[0] == "report":
        assert not out.exists()  # a failed report leaves no half-written folder
    if case.rows_in is not None:
        summary = json.loads((out / "summary.json").read_text())
        assert summary["rows_in"] == case.rows_in
        assert summary["rows_in"] == summary["rows_loaded"] + summary["rows_rejected"]
    if case.check:
        case.check(out)


def test_settings_that_are_wrong_are_told_before_any_work(capsys, monkeypatch):
    """A wrong endpoint in a configured (non-demo) desk names the setting, not a crash."""
    for key, value in TEST_ENV.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("SUPPORT_KIT_SPAPI_ENDPOINT", "127.0.0.1:8765")
    code, _, err = run_cli(capsys, "live-check", "C100001")
    assert code == 2 and "SUPPORT_KIT_SPAPI_ENDPOINT='127.0.0.1:8765'" in err
    assert_no_canary(err)


def test_report_panel_tells_a_folder_in_the_way_in_one_line(tmp_path):
    from support_kit.desk import Desk
    from support_kit.widgets import ReportPanel

    out = tmp_path / "reports"
    (out / "report.html").mkdir(parents=True)  # a folder where the file should go
    panel = ReportPanel(Desk.open(as_of=AS_OF.isoformat()), out_dir=out)
    panel.guarded(panel.export)("html")
    assert "sk-error" in panel.feedback() and "a folder is in the way" in panel.feedback()
    assert panel.details.layout.display == "none"  # nothing more to show: no frames
    assert (out / "report.html").is_dir() and [p.name for p in out.iterdir()] == ["report.html"]


def test_json_output_shows_controls_as_escapes_and_stays_json(tmp_path, capsys):
    shop = "C1\x9b2J DEL\x7f ESC\x1b[0m"
    source = write_csv(tmp_path / "in.csv", [customer("1", shop_name=shop)])
    code, out, err = run_cli(capsys, "diagnose", "1", "--input", str(source), "--json")
    assert code == 0, err
    assert not any(c in out for c in "\x9b\x7f\x1b") and "\\u009b" in out
    assert json.loads(out)["shop_name"] == shop


@pytest.mark.parametrize("key", ["schlüssel-äöü-🔑", "ключ-秘密", "bytes-\udcff\udcfe"],
                         ids=["umlauts-emoji", "cyrillic-cjk", "not-utf8-bytes"])
def test_links_with_a_key_of_any_characters_any_number_of_times(key, demo):
    """A notebook cell run again makes the second, third ... link in the same process."""
    from urllib.parse import parse_qs, urlsplit

    from support_kit.config import load_settings
    from support_kit.renewal import renewal_link, verify_callback

    settings = load_settings(TEST_ENV | {"SUPPORT_KIT_STATE_SECRET": key})
    seller = demo.find("C100001")["seller_id"].iloc[0]
    for _ in range(3):
        link = renewal_link(demo, "C100001", settings)
        state = parse_qs(urlsplit(link.url).query)["state"][0]
        callback = (f"http://127.0.0.1:8765/callback?state={state}"
                    f"&selling_partner_id={seller}&spapi_oauth_code=ANcode")
        assert verify_callback(callback, demo, settings).ok
        other = load_settings(TEST_ENV | {"SUPPORT_KIT_STATE_SECRET": key + "x"})
        assert verify_callback(callback, demo, other).problems == ("state_invalid",)


def test_a_non_utf8_key_from_the_environment_signs_across_processes(tmp_path):
    """`link` in one process, `verify-callback` in the next, with a key that is not UTF-8."""
    import os
    import subprocess
    import sys

    env = {k.encode(): v.encode() for k, v in os.environ.items()}
    env.update({k.encode(): v.encode() for k, v in TEST_ENV.items()})
    env[b"SUPPORT_KIT_STATE_SECRET"] = "schlüssel".encode() + b"-\xff\xfe"
    env[b"PYTHONPATH"] = str(Path(__file__).parents[1]).encode()
    env[b"SUPPORT_KIT_SELLER_CENTRAL_URL"] = b"http://127.0.0.1:8765"

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "support_kit.cli", *args], env=env,
                              capture_output=True, text=True, check=False)

    made = cli("link", "C100001", "--json")
    assert made.returncode == 0, made.stderr
    url = json.loads(made.stdout)["url"]
    state = url.split("state=")[1].split("&")[0]
    seller = "A6SHQKZH531RPS"  # C100001 in the demo data
    checked = cli("verify-callback", "--json", f"http://127.0.0.1:8765/callback?state={state}"
                  f"&selling_partner_id={seller}&spapi_oauth_code=ANcode")
    verdict = json.loads(checked.stdout)
    assert checked.returncode == 0 and verdict["ok"] and verdict["problems"] == [], verdict


THROUGH_THE_COMMAND = ("corrupt-xlsx", "endpoint-without-scheme", "valid-days-huge",
                       "callback-not-utf8", "as-of-far-future")


@pytest.mark.parametrize("case", [c for c in CASES if c.id in THROUGH_THE_COMMAND],
                         ids=lambda c: c.id)
def test_the_command_itself_prints_one_line_and_no_traceback(case, tmp_path):
    """The same cases through the real entry point, as an agent's terminal sees them."""
    import os
    import subprocess
    import sys

    source = case.make(tmp_path) if case.make else None
    args = [os.fsencode(a.format(input=source, out=tmp_path / "out")) for a in case.args]
    env = os.environ | case.env | {"PYTHONPATH": str(Path(__file__).parents[1])}
    done = subprocess.run([sys.executable, "-m", "support_kit.cli", *args], env=env,
                          capture_output=True, check=False)
    err = done.stderr.decode()
    assert done.returncode == case.code and done.stdout == b""
    assert err.count("\n") == 1 and "Traceback" not in err
    assert all(part in err for part in case.says), err
