"""Loading customer lists: every row loaded or rejected with its line and reason."""

import json
import sqlite3

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from support_kit.customers import COLUMNS, load
from support_kit.errors import SupportKitError

from .conftest import CANARY_TOKEN, assert_no_canary, customer, write_csv


def test_csv_with_bom_and_semicolons(tmp_path):
    path = write_csv(tmp_path / "c.csv", [customer("1"), customer("2")], sep=";",
                     encoding="utf-8-sig")
    loaded = load(path)
    assert loaded.customers["customer_id"].tolist() == ["1", "2"]
    assert loaded.customers["line"].tolist() == [2, 3]


def test_cp1252_file_keeps_umlauts(tmp_path):
    path = write_csv(tmp_path / "c.csv", [customer("1", shop_name="Müller & Söhne")],
                     sep=";", encoding="cp1252")
    assert load(path).customers.loc[0, "shop_name"] == "Müller & Söhne"


def test_headers_are_case_insensitive_and_trimmed(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text(" Customer_ID ,SHOP_NAME, Marketplace\n7,Shop,de\n", encoding="utf-8")
    frame = load(path).customers
    assert (frame.loc[0, "customer_id"], frame.loc[0, "shop_name"]) == ("7", "Shop")
    assert frame.loc[0, "selling_plan"] == ""


def test_missing_required_column_is_one_clear_error(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("id,shop_name\n1,x\n", encoding="utf-8")
    with pytest.raises(SupportKitError, match="no column 'customer_id'.*found: id, shop_name"):
        load(path)


def test_duplicates_and_missing_ids_are_rejected_with_lines(tmp_path):
    rows = [customer("1"), customer(""), customer("1", shop_name="Later"), customer("2")]
    loaded = load(write_csv(tmp_path / "c.csv", rows))
    assert loaded.customers["customer_id"].tolist() == ["1", "2"]
    assert loaded.customers.loc[0, "shop_name"] == "Shop 1"
    rejects = loaded.rejects.set_index("line")
    assert "no customer_id" in rejects.loc[3, "reason"]
    assert rejects.loc[4, "reason"] == "duplicate customer_id 1: first seen on line 2"
    assert "Later" in rejects.loc[4, "raw"]


def test_malformed_row_is_rejected_and_the_rest_loaded(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("customer_id,shop_name,refresh_token\n1,a,\n2,b,"
                    f"{CANARY_TOKEN},extra\n3,c,\n", encoding="utf-8")
    loaded = load(path)
    assert loaded.customers["customer_id"].tolist() == ["1", "3"]
    assert loaded.customers["line"].tolist() == [2, 4]
    reject = loaded.rejects.iloc[0]
    assert reject.line == 3 and "4 fields, the header has 3" in reject.reason
    assert reject.raw == "2,b,[secure]"  # the token may have moved: masked from its place on
    assert_no_canary(reject.raw)


def test_bad_values_stay_as_findings_not_rejects(tmp_path):
    rows = [customer("1", authorized_at="not a date", marketplace="XX", selling_plan="gold")]
    loaded = load(write_csv(tmp_path / "c.csv", rows))
    assert loaded.rows_loaded == 1 and loaded.rows_rejected == 0


def test_blank_lines_are_not_rows(tmp_path):
    path = tmp_path / "c.csv"
    path.write_text("customer_id,shop_name\n1,a\n\n2,b\n", encoding="utf-8")
    loaded = load(path)
    assert loaded.rows_in == 2 and loaded.customers["line"].tolist() == [2, 4]


def test_xlsx(tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(["Customer_ID", "shop_name", "authorized_at"])
    sheet.append([1001, "Excel Shop", "03.05.2024"])
    sheet.append([None, "no id", None])
    book.save(tmp_path / "c.xlsx")
    loaded = load(tmp_path / "c.xlsx")
    assert loaded.customers.loc[0, "customer_id"] == "1001"
    assert loaded.rejects.loc[0, "line"] == 3


def test_json_list_and_non_objects(tmp_path):
    path = tmp_path / "c.json"
    path.write_text(json.dumps({"customers": [customer("1"), ["not", "an", "object"]]}))
    loaded = load(path)
    assert loaded.rows_loaded == 1 and loaded.rejects.loc[0, "line"] == 2


def test_sqlite_file_and_url(tmp_path):
    db = tmp_path / "c.db"
    with sqlite3.connect(db) as connection:
        pd.DataFrame([customer("1"), customer("2")]).to_sql("customers", connection)
        pd.DataFrame([customer("9")]).to_sql("other", connection)
    assert load(db).rows_loaded == 2
    assert load(f"sqlite:///{db}?table=other").customers["customer_id"].tolist() == ["9"]
    with pytest.raises(SupportKitError, match="no table 'missing'"):
        load(f"sqlite:///{db}?table=missing")


def test_unreadable_and_missing_files_are_clear_errors(tmp_path):
    with pytest.raises(SupportKitError, match="does not exist"):
        load(tmp_path / "nope.csv")
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(SupportKitError, match="not valid JSON"):
        load(bad)


def test_refresh_tokens_are_loaded_but_never_shown(tmp_path):
    loaded = load(write_csv(tmp_path / "c.csv", [customer("1", refresh_token=CANARY_TOKEN)]))
    assert loaded.refresh_tokens.get("1").reveal() == CANARY_TOKEN
    assert "refresh_token" not in loaded.customers.columns
    for shown in (repr(loaded), str(loaded.customers), repr(loaded.refresh_tokens),
                  repr(loaded.refresh_tokens.get("1")), loaded.customers.to_csv()):
        assert_no_canary(shown)


field_text = st.text(alphabet=st.characters(blacklist_categories=("Cs",),
                                            blacklist_characters="\x00\r"), max_size=8)


@settings(max_examples=60, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(rows=st.lists(st.lists(field_text, min_size=0, max_size=len(COLUMNS) + 2), max_size=12),
       sep=st.sampled_from([",", ";"]))
def test_every_row_is_loaded_or_rejected(tmp_path, rows, sep):
    """rows_in == rows_loaded + rows_rejected, for any rows a spreadsheet could write."""
    import csv
    import io

    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=sep, lineterminator="\n")
    writer.writerow(COLUMNS)
    nonblank = 0
    for row in rows:
        line = io.StringIO()
        csv.writer(line, delimiter=sep, lineterminator="\n").writerow(row)
        writer.writerow(row)
        if line.getvalue().strip():  # a line of white space alone is a blank line, not a row
            nonblank += any(field.strip() for field in row) or len(row) != len(COLUMNS)
    path = tmp_path / "prop.csv"
    path.write_text(buffer.getvalue(), encoding="utf-8")
    loaded = load(path)
    assert loaded.rows_in == loaded.rows_loaded + loaded.rows_rejected
    assert loaded.rows_in == nonblank
    lines = sorted(loaded.customers["line"].tolist() + loaded.rejects["line"].tolist())
    assert len(lines) == len(set(lines))
