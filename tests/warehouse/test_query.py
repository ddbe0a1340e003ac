"""Ad-hoc SQL: read-only by default, DuckDB's message on error, and the three output formats."""

from __future__ import annotations

import json
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from transforms.article import Article
from warehouse.errors import WarehouseError
from warehouse.load import SourceRecord, load_document
from warehouse.query import format_result, run_sql

COLUMNS = ["id", "title", "day", "at", "price", "tags", "missing"]
ROWS = [(1, "Aspirin, fever", date(2024, 3, 1), datetime(2024, 3, 1, 12, 30), Decimal("1.50"), ["a", "b"],
         None),
        (22, 'Line "two"\nnext', date(2023, 1, 2), datetime(2023, 1, 2, 0, 0), Decimal("10"), [], None)]


@pytest.fixture
def loaded(con: duckdb.DuckDBPyConnection, db: Path, article: Article, source: SourceRecord) -> Path:
    load_document(con, article, source)
    con.close()
    return db


def test_run_sql_returns_columns_and_rows(loaded: Path) -> None:
    columns, rows = run_sql(loaded, "SELECT article_id, title, pub_year FROM articles")
    assert (columns, rows) == (["article_id", "title", "pub_year"], [(1, "Aspirin and fever", 2024)])


def test_run_sql_read_only_rejects_writes(loaded: Path) -> None:
    with pytest.raises(WarehouseError, match="read-only"):
        run_sql(loaded, "DELETE FROM keywords")
    assert run_sql(loaded, "SELECT count(*) FROM keywords")[1] == [(2,)]


def test_a_sql_error_carries_duckdbs_message(loaded: Path) -> None:
    with pytest.raises(WarehouseError, match="Table with name no_such_table does not exist"):
        run_sql(loaded, "SELECT * FROM no_such_table")


def test_run_sql_on_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WarehouseError, match="does not exist"):
        run_sql(tmp_path / "none.duckdb", "SELECT 1")


def test_table_format_is_aligned_with_a_row_count() -> None:
    assert format_result(COLUMNS, ROWS, "table").splitlines() == [
        "id  title             day         at                   price  tags        missing",
        "--  ----------------  ----------  -------------------  -----  ----------  -------",
        ' 1  Aspirin, fever    2024-03-01  2024-03-01T12:30:00   1.50  ["a", "b"]',
        '22  Line "two"\\nnext  2023-01-02  2023-01-02T00:00:00     10  []',
        "(2 rows)"]
    assert format_result(["n"], [(1,)], "table").splitlines()[-1] == "(1 row)"
    assert format_result(["n"], [], "table").splitlines() == ["n", "-", "(0 rows)"]


def test_csv_format_has_a_header_row() -> None:
    assert format_result(COLUMNS, ROWS, "csv") == (
        "id,title,day,at,price,tags,missing\n"
        '1,"Aspirin, fever",2024-03-01,2024-03-01T12:30:00,1.50,"[""a"", ""b""]",\n'
        '22,"Line ""two""\nnext",2023-01-02,2023-01-02T00:00:00,10,[],')


def test_json_format_is_one_json_safe_object_per_line() -> None:
    lines = format_result(COLUMNS, ROWS, "json").splitlines()
    assert [json.loads(line) for line in lines] == [
        {"id": 1, "title": "Aspirin, fever", "day": "2024-03-01", "at": "2024-03-01T12:30:00", "price": 1.5,
         "tags": ["a", "b"], "missing": None},
        {"id": 22, "title": 'Line "two"\nnext', "day": "2023-01-02", "at": "2023-01-02T00:00:00",
         "price": 10.0, "tags": [], "missing": None}]


def test_formats_of_real_query_results(loaded: Path) -> None:
    sql = "SELECT a.*, s.loaded_at FROM articles a JOIN sources s USING (article_id)"
    columns, rows = run_sql(loaded, sql)
    [record] = [json.loads(line) for line in format_result(columns, rows, "json").splitlines()]
    assert record["warnings"] == ["no affiliations for author 2"] and isinstance(record["loaded_at"], str)
    assert format_result(columns, rows, "table").endswith("(1 row)")


def test_unknown_format_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown format 'xml'"):
        format_result(["a"], [], "xml")
