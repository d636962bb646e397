"""Customer lists from CSV, XLSX, JSON, SQLite or SQLAlchemy, validated into one schema.

Every input row ends up either loaded or rejected with its line, reason and raw text.
A row is rejected only when it cannot be attributed to a customer; every other bad value
stays in the row and becomes a finding of :mod:`support_kit.rules`.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import re
import sqlite3
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from urllib.parse import parse_qs, parse_qsl, urlencode, urlsplit

import numpy as np
import pandas as pd

from . import marketplaces
from .columns import as_text
from .config import Secret
from .errors import SupportKitError

COLUMNS = (
    "customer_id",
    "shop_name",
    "seller_id",
    "marketplace",
    "selling_plan",
    "account_type",
    "authorized_at",
    "revoked_at",
    "contact_email",
    "language",
    "refresh_token",
)
REQUIRED = ("customer_id",)
#: Loaded, but kept out of the frame so no view or export can show it.
SECRET_COLUMN = "refresh_token"  # noqa: S105 (a column name)
PUBLIC_COLUMNS = tuple(c for c in COLUMNS if c != SECRET_COLUMN)
REJECT_COLUMNS = ("line", "reason", "raw")
DEMO_FILE = "demo_customers.csv"
_BLOCK_SIZE = 1 << 24  # Arrow parses in blocks; no row may be longer
#: Limits a customer file must keep (far above any real list; hostile files stop here).
MAX_CELL = 100_000  # characters in one value: a shop name or an address is short
XLSX_MAX_UNPACKED = 512 * 1024 * 1024  # bytes unpacked: more than a full sheet of customers
XLSX_MAX_COLUMNS = 1_000  # cells in one row of a workbook
_LONGEST_HEADER = 1 << 16
_SURROGATE = re.compile("[\ud800-\udfff]")
#: An LWA token's shape (``Atzr|...``, ``Atza|...``, also URL-encoded ``Atzr%7C...``).
_TOKEN_LIKE = re.compile(r"(Atz[ra](?:\||%7[cC]))[^\s,;\"'}&<>]+")
_MASKED = "[secure]"


def authorization_key(customer_id: object, region: object = "") -> str:
    """The key of one authorization: the customer id, and the region when it has one (a
    seller holds one authorization per region: NA, EU, FE).

    >>> authorization_key("C1", "EU"), authorization_key("C1", None)
    ('C1@EU', 'C1')
    """
    region = str(region or "") if not isinstance(region, float) else ""
    return f"{customer_id}@{region}" if region else str(customer_id)


class RefreshTokens:
    """The customers' refresh tokens, by :func:`authorization_key`; never shown. Asked for
    a customer without a region, the token of their only (or first) authorization.

    >>> tokens = RefreshTokens({"42@EU": "Atzr|canary", "42@NA": "Atzr|other"})
    >>> tokens, tokens.get("42", "EU"), tokens.get("42", "NA").reveal(), "42" in tokens
    (<refresh tokens: 2 [secure]>, [secure], 'Atzr|other', True)
    """

    def __init__(self, by_customer: dict[str, str] | pd.Series):
        self._source = by_customer
        self._mapping: dict[str, str] | None = None

    @property
    def _by_customer(self) -> dict[str, str]:
        if self._mapping is None:  # built on first use: a report never needs it
            items = self._source.items()
            self._mapping = {str(k): str(v) for k, v in items if v}
        return self._mapping

    def _key(self, customer_id: object, region: object = "") -> str:
        """The stored key for a customer (and region): exact, else their first one."""
        key = authorization_key(customer_id, region)
        if key in self._by_customer or (region and str(customer_id) not in self._by_customer):
            return key
        if str(customer_id) in self._by_customer:
            return str(customer_id)
        prefix = f"{customer_id}@"
        return next((k for k in self._by_customer if k.startswith(prefix)), key)

    def get(self, customer_id: str, region: str | None = None) -> Secret | None:
        value = self._by_customer.get(self._key(customer_id, region))
        return Secret(value) if value else None

    def __contains__(self, customer_id: object) -> bool:
        return self._key(customer_id) in self._by_customer

    def __len__(self) -> int:
        return len(self._by_customer)

    def __repr__(self) -> str:
        return f"<refresh tokens: {len(self)} [secure]>"

    def pairs(self) -> Iterable[tuple[str, str]]:
        """``(authorization key, token)`` pairs, revealed: only for the sandbox, which plays
        Amazon and must know the tokens it accepts. Never print them."""
        return self._by_customer.items()


@dataclass
class CustomerList:
    """A loaded customer list: the customers, the rejected rows, and where they came from.

    ``customers`` has the public columns of DESIGN.md as text plus ``line``;
    ``rejects`` has ``line``, ``reason`` and ``raw``.

    >>> loaded = load(demo_path())
    >>> loaded.rows_in == loaded.rows_loaded + loaded.rows_rejected
    True
    """

    customers: pd.DataFrame
    rejects: pd.DataFrame
    source: str
    refresh_tokens: RefreshTokens = field(repr=False, default_factory=lambda: RefreshTokens({}))

    @property
    def rows_loaded(self) -> int:
        return len(self.customers)

    @property
    def rows_rejected(self) -> int:
        return len(self.rejects)

    @property
    def rows_in(self) -> int:
        return self.rows_loaded + self.rows_rejected

    def find(self, customer_id: str) -> pd.DataFrame:
        """The rows of ``customer_id`` (one per authorization: region); a clear error when
        it is not there."""
        wanted = str(customer_id).strip()
        row = self.customers[self.customers["customer_id"] == wanted]
        if row.empty:
            raise SupportKitError(
                f"Customer {wanted!r} is not in {self.source}. Check the customer id "
                "(search by shop name or e-mail in the troubleshooting notebook)."
            )
        return row

    def __repr__(self) -> str:
        return (f"CustomerList(source={self.source!r}, rows_loaded={self.rows_loaded}, "
                f"rows_rejected={self.rows_rejected})")


def demo_path() -> Path:
    """The bundled demo customers (synthetic)."""
    return Path(str(files("support_kit") / "data" / DEMO_FILE))


def load(source: str | Path | pd.DataFrame) -> CustomerList:
    """Load and validate customers from a file, a database URL or a frame.

    ``source`` is a ``.csv``/``.txt``, ``.xlsx``, ``.json`` or SQLite file (``.db``,
    ``.sqlite``), ``sqlite:///path.db[?table=name]``, any SQLAlchemy URL (extra ``sql``),
    or a DataFrame.

    >>> load(demo_path()).rows_loaded > 100
    True
    """
    if isinstance(source, pd.DataFrame):
        frame = source.astype(object).where(source.notna(), "").astype(str)
        frame.columns = [str(c) for c in frame.columns]
        raw = _Raw(frame, np.arange(2, len(frame) + 2), [], ",")
        return _validate(raw, "the given table")
    text = str(source)
    scheme = urlsplit(text).scheme.lower()
    if "://" in text and len(scheme) > 1:
        name = _mask_url(text)
        return _validate(_read_sql(text), name)
    path = Path(text).expanduser()
    if path.is_dir():
        raise SupportKitError(f"The customer file {text} is a folder: name the file in it "
                              "(CSV, XLSX, JSON or SQLite).")
    if path.exists() and not path.is_file():
        kind = ("a named pipe (FIFO)" if path.is_fifo() else "a device" if
                path.is_char_device() or path.is_block_device() else "a socket"
                if path.is_socket() else "not a regular file")
        raise SupportKitError(
            f"The customer file {text} is {kind}, not a file with customers: save the list "
            "to a file (CSV, XLSX, JSON or SQLite) and name that.")
    if not path.is_file():
        raise SupportKitError(
            f"The customer file {text} does not exist. Check the path "
            "(or unset SUPPORT_KIT_CUSTOMERS to use the demo data)."
        )
    suffix = path.suffix.lower()
    readers = {".xlsx": _read_xlsx, ".xlsm": _read_xlsx, ".json": _read_json,
               ".db": _read_sqlite_file, ".sqlite": _read_sqlite_file,
               ".sqlite3": _read_sqlite_file}
    reader = readers.get(suffix, _read_csv)
    try:
        return _validate(reader(path), str(path))
    except SupportKitError:
        raise
    except (OSError, ValueError, KeyError, sqlite3.Error, zipfile.BadZipFile) as exc:
        raise SupportKitError(
            f"The customer file {path} could not be read ({mask_secrets(str(exc))}). "
            "Save it as CSV (UTF-8), XLSX or JSON and try again."
        ) from None


@dataclass
class _Raw:
    """A source read as text: columns as in the file, the line of each row, parse rejects."""

    frame: pd.DataFrame
    lines: np.ndarray
    rejects: list[tuple[int, str, str]]
    delimiter: str


def _header_key(name: object) -> str:
    return re.sub(r"[\s-]+", "_", str(name).strip().lstrip("\ufeff").lower())


def _read_csv(path: Path) -> _Raw:
    import pyarrow as pa
    import pyarrow.csv as pacsv

    data = _utf8(path.read_bytes())
    if b"\n" not in data and b"\r" in data:  # old Mac line ends (CR only)
        data = data.replace(b"\r", b"\n")
    first_line = data[:_LONGEST_HEADER].split(b"\n", 1)[0].decode("utf-8", "replace")
    if len(first_line) >= _LONGEST_HEADER:
        raise SupportKitError(
            f"The customer file {path} is not a customer list: its first line is over "
            f"{_LONGEST_HEADER // 1024} KB long, a header line is short (customer_id, ...). "
            "Check that you chose the right file and that its line breaks are intact.")
    first_line = first_line.rstrip("\r")
    if not first_line.strip():
        raise SupportKitError(f"The customer file {path} is empty or starts with a blank line; "
                              "the first line must be the header (customer_id, ...).")
    delimiter = max(";,\t", key=first_line.count)
    header = next(csv.reader([first_line], delimiter=delimiter))
    secret_at = [i for i, name in enumerate(header) if _header_key(name) == SECRET_COLUMN]
    bad: list[tuple[int, str, str]] = []

    def on_invalid_row(row) -> str:
        if row.text.strip():
            reason = (f"malformed row: {row.actual_columns} fields, the header has "
                      f"{row.expected_columns}; check quotes and delimiters ({delimiter!r})")
            bad.append((row.number, reason, _mask_line(row.text, delimiter, secret_at,
                                                       len(header))))
        else:
            bad.append((row.number, "", ""))
        return "skip"

    def parse(threads: bool) -> pa.Table:
        return pacsv.read_csv(
            io.BytesIO(data),
            read_options=pacsv.ReadOptions(use_threads=threads, block_size=_BLOCK_SIZE),
            parse_options=pacsv.ParseOptions(
                delimiter=delimiter, newlines_in_values=True, ignore_empty_lines=False,
                invalid_row_handler=on_invalid_row),
            convert_options=pacsv.ConvertOptions(
                column_types={name: pa.string() for name in header},
                strings_can_be_null=False, quoted_strings_can_be_null=False),
        )

    try:
        # Threads are fast but do not number the rows they reject; so when a file has
        # malformed rows it is read again on one thread, which gives each its line.
        table = parse(threads=True)
        if bad:
            bad.clear()
            table = parse(threads=False)
    except pa.ArrowInvalid as exc:
        raise _csv_problem(path, data, exc) from None
    # one chunk per column: a later filter or sort on a chunked column copies it whole first
    frame = table.combine_chunks().to_pandas()
    frame.columns = header if len(set(header)) == len(header) else frame.columns
    total = len(frame) + len(bad)
    skipped = np.array([b[0] for b in bad], dtype=np.int64)
    lines = np.setdiff1d(np.arange(2, total + 2), skipped, assume_unique=True)
    return _Raw(frame, lines, [b for b in bad if b[1]], delimiter)


def _utf8(data: bytes) -> bytes:
    """The file's text as UTF-8: a BOM dropped, UTF-16 (with BOM) converted; bytes that are
    not UTF-8 read as Windows-1252 (so a file mixing both keeps every umlaut)."""
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):  # Excel's "Unicode text"
        return data.decode("utf-16", errors="replace").encode("utf-8")
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        if not _has_utf8_sequence(data):  # all Windows-1252: one fast decode
            return data.decode("cp1252", errors="replace").encode("utf-8")
        return data.decode("utf-8", errors="support-kit-cp1252").encode("utf-8")
    return data


def _has_utf8_sequence(data: bytes) -> bool:
    """Whether some byte that starts a UTF-8 character (0xC2-0xF4) is followed by one that
    continues it (0x80-0xBF); in Windows-1252 text such pairs hardly occur ("Ã¼")."""
    raw = np.frombuffer(data, dtype=np.uint8)
    leads = np.flatnonzero(raw[:-1] >= 0xC2)
    lead, follow = raw[leads], raw[leads + 1]
    return bool(((lead <= 0xF4) & (follow >= 0x80) & (follow <= 0xBF)).any())


def _cp1252_fallback(exc: UnicodeDecodeError) -> tuple[str, int]:
    return exc.object[exc.start:exc.end].decode("cp1252", errors="replace"), exc.end


codecs.register_error("support-kit-cp1252", _cp1252_fallback)


def _csv_problem(path: Path, data: bytes, exc: Exception) -> SupportKitError:
    """Why Arrow could not parse a CSV file, in the words of the likely cause."""
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == ord("\n"))
    bounds = np.concatenate(([-1], ends, [len(data)]))
    lengths = np.diff(bounds) - 1
    longest = int(lengths.argmax())
    if lengths[longest] >= _BLOCK_SIZE:
        return SupportKitError(
            f"The customer file {path} has a line of {lengths[longest] / 1e6:.0f} MB (line "
            f"{longest + 1}); a customer row is short. Check that you chose the right file and "
            "that its line breaks are intact.")
    return SupportKitError(
        f"The customer file {path} is not valid CSV ({mask_secrets(str(exc))}). "
        "Most often a quote is not closed; fix that line and load again.")


def _read_xlsx(path: Path) -> _Raw:
    try:
        return _xlsx_rows(path)
    except (zipfile.BadZipFile, KeyError, IndexError, ValueError, SyntaxError, EOFError,
            zlib.error) as exc:
        raise SupportKitError(  # SyntaxError: broken XML inside the workbook
            f"The customer file {path} is not a readable Excel workbook "
            f"({type(exc).__name__}: {mask_secrets(str(exc))[:120]}). Open it in Excel and "
            "save it again as .xlsx, or save it as CSV (UTF-8).") from None


def _check_unpacked(path: Path) -> None:
    """A workbook is a zip: its parts' unpacked size is told before any is read."""
    with zipfile.ZipFile(path) as archive:
        unpacked = sum(item.file_size for item in archive.infolist())
    if unpacked > XLSX_MAX_UNPACKED:
        raise SupportKitError(
            f"The customer file {path} unpacks to {unpacked / 2**20:,.0f} MB, more than the "
            f"{XLSX_MAX_UNPACKED // 2**20} MB a workbook of customers may take: it is not a "
            "plain customer list (or holds far more than one). Save the list as CSV (UTF-8) "
            "and load that.")


def _too_long(path: Path | str, where: str, length: int) -> SupportKitError:
    return SupportKitError(
        f"The customer file {path} has a value of {length:,} characters ({where}); a customer's "
        f"field holds at most {MAX_CELL:,}. Check that you chose the right file, and shorten "
        "or remove that value.")


def _xlsx_rows(path: Path) -> _Raw:
    from openpyxl import load_workbook

    _check_unpacked(path)
    workbook = load_workbook(path, read_only=True, data_only=True)
    try:  # one column past the limit is read, to tell a row that goes beyond it (cells
        # further right are not read: a sheet may claim 16,384 columns for every row)
        rows = workbook.worksheets[0].iter_rows(values_only=True,
                                                max_col=XLSX_MAX_COLUMNS + 1)
        header = [_cell_text(c) if c is not None else "" for c in next(rows, ())]
        while header and header[-1] == "":
            header.pop()
        secret_at = [i for i, name in enumerate(header) if _header_key(name) == SECRET_COLUMN]
        records, lines, rejects = [], [], []
        if len(header) > XLSX_MAX_COLUMNS:
            raise SupportKitError(
                f"The customer file {path} has a header of more than {XLSX_MAX_COLUMNS:,} "
                "columns; a customer list has a dozen. Check that you chose the right file.")
        for number, row in enumerate(rows, start=2):
            cells = ["" if c is None else _cell_text(c) for c in row]
            if len(cells) > XLSX_MAX_COLUMNS and cells[XLSX_MAX_COLUMNS]:
                raise SupportKitError(
                    f"The customer file {path} has values in more than {XLSX_MAX_COLUMNS:,} "
                    f"columns (row {number}); a customer list has a dozen. Check that you "
                    "chose the right file and sheet.")
            if not any(cells):
                continue
            if any(cells[len(header):]):
                while cells and cells[-1] == "":
                    cells.pop()
                rejects.append((number, f"malformed row: values beyond the {len(header)} "
                                "header columns", mask_secrets(";".join(
                                    _masked_fields(cells, secret_at, len(header))))))
                continue
            records.append(cells[: len(header)] + [""] * (len(header) - len(cells)))
            lines.append(number)
    finally:
        workbook.close()
    frame = pd.DataFrame(records, columns=header, dtype=object)
    return _Raw(frame, np.array(lines, dtype=np.int64), rejects, ";")


def _cell_text(value: object) -> str:
    if hasattr(value, "isoformat"):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value).strip()
    # a lone surrogate (JSON "\ud800") is no text any file can hold: shown as U+FFFD
    return _SURROGATE.sub("\ufffd", text)


def _read_json(path: Path) -> _Raw:
    try:
        data = json.loads(_utf8(path.read_bytes()))
    except json.JSONDecodeError as exc:
        raise SupportKitError(
            f"The customer file {path} is not valid JSON (line {exc.lineno}: {exc.msg})."
        ) from None
    except RecursionError:
        raise SupportKitError(
            f"The customer file {path} nests lists or objects too deeply to be a customer "
            'list; it must hold a list of flat objects, or {"customers": [...]}.') from None
    if isinstance(data, dict):
        data = data.get("customers")
    if not isinstance(data, list):
        raise SupportKitError(f"The customer file {path} must hold a list of customers "
                              'or {"customers": [...]}.')
    records, lines, rejects = [], [], []
    for number, item in enumerate(data, start=1):
        if not isinstance(item, dict):
            rejects.append((number, "malformed row: not an object with named fields",
                            mask_secrets(json.dumps(item, ensure_ascii=False)[:500])))
            continue
        records.append({_cell_text(k): "" if v is None else _cell_text(v)
                        for k, v in item.items()})
        lines.append(number)
    frame = pd.DataFrame.from_records(records, columns=_union_keys(records)).fillna("")
    return _Raw(frame, np.array(lines, dtype=np.int64), rejects, ",")


def _union_keys(records: list[dict]) -> list[str]:
    keys: dict[str, None] = {}
    for record in records:
        keys.update(dict.fromkeys(record))
    return list(keys)


def _read_sqlite_file(path: Path, table: str = "customers") -> _Raw:
    with sqlite3.connect(f"file:{path}?mode=ro", uri=True) as connection:
        names = {r[0] for r in connection.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table', 'view')")}
        if table not in names:
            raise SupportKitError(
                f"The database {path} has no table {table!r} (it has: "
                f"{', '.join(sorted(names)) or 'none'}). Name it with ?table=NAME."
            )
        quoted = '"' + table.replace('"', '""') + '"'
        frame = pd.read_sql_query(f"SELECT * FROM {quoted}", connection, dtype=object)
    return _from_sql_frame(frame)


def _from_sql_frame(frame: pd.DataFrame) -> _Raw:
    frame = frame.astype(object).where(frame.notna(), "").map(
        lambda v: "" if v == "" else _cell_text(v))
    return _Raw(frame, np.arange(1, len(frame) + 1), [], ",")


def _read_sql(url: str) -> _Raw:
    parts = urlsplit(url)
    table = parse_qs(parts.query).get("table", ["customers"])[0]
    if parts.scheme.lower() == "sqlite":
        path = Path(url.split("://", 1)[1].split("?", 1)[0].removeprefix("/"))
        if not path.is_file():
            raise SupportKitError(f"The SQLite database {path} does not exist.")
        return _read_sqlite_file(path, table)
    try:
        import sqlalchemy
    except ImportError:
        raise SupportKitError(
            "Reading customers from a database server needs the optional extra: "
            "pip install 'support_kit[sql]' (and the database's driver)."
        ) from None
    rest = [(k, v) for k, v in parse_qsl(parts.query) if k != "table"]
    clean = url.split("?", 1)[0] + (f"?{urlencode(rest)}" if rest else "")
    try:
        engine = sqlalchemy.create_engine(clean)
        with engine.connect() as connection:
            quoted = engine.dialect.identifier_preparer.quote(table)
            frame = pd.read_sql_query(sqlalchemy.text(f"SELECT * FROM {quoted}"), connection)
    except ImportError as exc:  # the URL names a driver that is not installed
        raise SupportKitError(
            f"The customer database {_mask_url(url)} needs the driver module "
            f"{exc.name or str(exc)!r}, which is not installed. Install it with pip, or name "
            "an installed driver in the URL (for PostgreSQL: postgresql+psycopg://...)."
        ) from None
    except (sqlalchemy.exc.SQLAlchemyError, ValueError) as exc:
        raise SupportKitError(
            f"The customer database {_mask_url(url)} could not be read "
            f"({type(exc).__name__}). Check the URL, the table name and the driver."
        ) from None
    return _from_sql_frame(frame)


def _validate(raw: _Raw, source: str) -> CustomerList:
    frame = raw.frame
    keys = [_header_key(c) for c in frame.columns]
    missing = [c for c in REQUIRED if c not in keys]
    if missing:
        found = ", ".join(str(c) for c in frame.columns) or "none"
        raise SupportKitError(
            f"The customer file {source} has no column {missing[0]!r} (found: {found}). "
            "Add it; header names are case-insensitive."
        )
    twice = [k for k in COLUMNS if keys.count(k) > 1]
    if twice:
        at = [str(i + 1) for i, k in enumerate(keys) if k == twice[0]]
        raise SupportKitError(
            f"The customer file {source} has the column {twice[0]!r} {len(at)} times "
            f"(columns {', '.join(at)}); keep one, rename or delete the others, and load again.")
    frame = frame.set_axis(keys, axis=1)
    frame = frame.loc[:, ~frame.columns.duplicated()]  # repeated columns the kit does not use
    columns = {}
    for name in COLUMNS:
        values = as_text(frame[name] if name in frame else pd.Series("", index=frame.index))
        _check_length(values, name, raw.lines, source)
        stripped = values.str.strip()
        columns[name] = values if stripped.equals(values) else stripped  # one copy, not two
    clean = pd.DataFrame(columns)
    clean["line"] = raw.lines
    no_id = clean["customer_id"] == ""
    if no_id.any():  # blank lines are not rows; only rows without an id can be blank
        blank = no_id & (clean.loc[no_id, list(COLUMNS)] == "").all(axis=1).reindex(
            clean.index, fill_value=False)
        clean, no_id = clean[~blank], no_id[~blank]
    ids = clean["customer_id"]
    region = None  # one row per customer and region: the same pair twice is a duplicate
    if ids.is_unique:
        duplicate = pd.Series(False, index=clean.index)
    else:
        region = marketplaces.regions(clean["marketplace"])
        keys = ids + "@" + region
        duplicate = keys.duplicated(keep="first") & ~no_id
    reasons = pd.Series("", index=clean.index, dtype=object)
    reasons[no_id] = "no customer_id: the row cannot be attributed to a customer"
    if duplicate.any():
        firsts = clean[~duplicate & ~no_id].set_index(keys[~duplicate & ~no_id])["line"]
        ids, twice = clean.loc[duplicate, "customer_id"], keys[duplicate]
        reasons[duplicate] = ("duplicate customer_id " + ids.astype(str)  # in its region
                              + ": first seen on line " + twice.map(firsts).astype(str))
    rejected = no_id | duplicate
    bad_rows = clean[rejected]
    rejects = pd.DataFrame({
        "line": bad_rows["line"].astype(np.int64),
        "reason": reasons[rejected],
        "raw": _raw_text(bad_rows, raw.delimiter),
    })
    if raw.rejects:
        parsed = pd.DataFrame(raw.rejects, columns=list(REJECT_COLUMNS))
        rejects = pd.concat([parsed, rejects], ignore_index=True)
    rejects = rejects.sort_values("line", kind="stable").reset_index(drop=True)

    loaded = clean[~rejected] if rejected.any() else clean  # no copy when all are good
    tokens = loaded[SECRET_COLUMN]
    with_token = tokens != ""
    ids = loaded["customer_id"][with_token]
    if not loaded["customer_id"].is_unique:  # several authorizations: keyed by region too
        several = ids.duplicated(keep=False)
        regions = marketplaces.regions(loaded["marketplace"][with_token])
        ids = ids.where(~several, ids + "@" + regions)
    refresh_tokens = RefreshTokens(  # Arrow-backed text, no Python string per row
        tokens[with_token].set_axis(pd.Index(ids)))
    customers = loaded[list(PUBLIC_COLUMNS) + ["line"]].reset_index(drop=True)
    customers["has_refresh_token"] = with_token.to_numpy()
    return CustomerList(customers, rejects, source, refresh_tokens)


def _check_length(values: pd.Series, name: str, lines: np.ndarray, source: str) -> None:
    """No value longer than :data:`MAX_CELL`: a look at the byte lengths first (fast)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    text = pa.array(values.array)
    if not len(text) or (pc.max(pc.binary_length(text)).as_py() or 0) <= MAX_CELL:
        return
    lengths = pc.utf8_length(text).to_numpy(zero_copy_only=False)
    if lengths.max() > MAX_CELL:
        at = int(np.argmax(lengths > MAX_CELL))
        raise _too_long(source, f"line {lines[at]}, column {name!r}", int(lengths[at]))


def _raw_text(rows: pd.DataFrame, delimiter: str) -> pd.Series:
    """Rejected rows as one line each: the token column masked, token shapes anywhere
    masked; column by column in Arrow (a million duplicate rows in about a second)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    if rows.empty:
        return pd.Series([], dtype=object)
    columns = []
    for name in COLUMNS:
        text = pa.array(as_text(rows[name]).array, type=pa.large_string())
        if name == SECRET_COLUMN:
            text = pc.if_else(pc.equal(text, ""), text, pa.scalar(_MASKED, pa.large_string()))
        columns.append(text)
    joined = pc.binary_join_element_wise(*columns, pa.scalar(delimiter, pa.large_string()))
    masked = pc.replace_substring_regex(joined, pattern=_TOKEN_LIKE.pattern,
                                        replacement=r"\1" + _MASKED)
    return pd.Series(masked.to_pandas(types_mapper=pd.ArrowDtype).astype("str").array,
                     index=rows.index)


def mask_secrets(text: str) -> str:
    """Hide anything that looks like an LWA token in a message or raw line.

    >>> mask_secrets("token Atzr|abc and Atzr%7Cdef, mail shop@example.de")
    'token Atzr|[secure] and Atzr%7C[secure], mail shop@example.de'
    """
    return _TOKEN_LIKE.sub(lambda m: m.group(1) + _MASKED, text)


def _masked_fields(fields: list[str], secret_at: list[int], expected: int) -> list[str]:
    """A row's fields with the refresh token masked by its position. In a row that does not
    match the header (a field too many or too few), the token may have moved: everything
    from where it can be on is masked.

    >>> _masked_fields(["1", "shop@example.de", "de"], [3], expected=4)
    ['1', 'shop@example.de', '[secure]']
    >>> _masked_fields(["1", "Shop", " Ltd", "DE", "token"], [3], expected=4)
    ['1', 'Shop', ' Ltd', '[secure]']
    """
    if not secret_at:
        return fields
    if len(fields) == expected:
        return [_MASKED if i in secret_at and value else value for i, value in enumerate(fields)]
    first = min(secret_at)
    if len(fields) < expected:  # a field missing before the token moves it to the left
        first = min(first, len(fields) - (expected - first))
    first = max(first, 0)
    return fields[:first] + ([_MASKED] if len(fields) > first else [])


def _mask_line(text: str, delimiter: str, secret_at: list[int], expected: int) -> str:
    try:
        fields = next(csv.reader([text], delimiter=delimiter), [])
    except csv.Error:  # not even one CSV line: split plainly, mask by place all the same
        fields = text.split(delimiter)
    return mask_secrets(delimiter.join(_masked_fields(fields, secret_at, expected)))


def _mask_url(url: str) -> str:
    parts = urlsplit(url)
    if parts.password:
        return url.replace(parts.password, "[secure]")
    return url


def file_stamp(path: Path | None) -> tuple[int, int] | None:
    """When a customer file was last written and its size, to see that it changed; None
    for no file (a database, the keeper's list, a list given in code).

    >>> file_stamp(None), file_stamp(Path("/nonexistent"))
    (None, None)
    """
    try:
        found = path.stat() if path is not None else None
    except OSError:
        return None
    return (found.st_mtime_ns, found.st_size) if found and path.is_file() else None


def source_for(explicit: str | Path | None, configured: str | None) -> str | Path:
    """Which customers to load: the explicit one, else the configured one, else the demo.

    >>> source_for(None, None) == demo_path()
    True
    """
    return explicit or configured or demo_path()
