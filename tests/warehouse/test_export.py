"""Export: Parquet partitioned by year that DuckDB and pyarrow (pandas' reader) read back whole, and CSV."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pyarrow.dataset as ds
import pytest

from tests.warehouse.seed_pages import load_seeds
from transforms.article import Article
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.export import export, exported_select
from warehouse.load import SourceRecord, load_document

NULL_YEAR = "pub_year=__HIVE_DEFAULT_PARTITION__"


@pytest.fixture
def loaded(db: Path, con: duckdb.DuckDBPyConnection, article: Article, source: SourceRecord) -> Path:
    """The seeds, the full fixture article, and an article without a year; the writer closed."""
    load_seeds(con)
    load_document(con, article, source)
    undated = Article(site="generic", source_kind="html", title="An undated note", abstract="Text.",
                      keywords=["undated"])
    load_document(con, undated, SourceRecord("undated.html", "d" * 64, 1, "tests"))
    con.close()
    return db


def parquet(folder: Path) -> str:
    return f"read_parquet('{folder}/**/*.parquet', hive_partitioning = true)"


def columns(con: duckdb.DuckDBPyConnection, relation: str) -> list[str]:
    return [r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {relation}").fetchall()]


def test_parquet_reads_back_in_duckdb_with_the_same_rows(loaded: Path, tmp_path: Path) -> None:
    exported = export(loaded, tmp_path / "out")
    names = [e.name for e in exported]
    assert {"articles", "authors", "keywords", "mesh_terms", "sources", "article_view", "author_articles"} <= set(names)
    assert "schema_migrations" not in names and "search_watermarks" not in names
    con = connect(loaded, read_only=True)
    try:
        for item in exported:
            own = columns(con, item.name)
            back = f"SELECT {', '.join(own)} FROM {parquet(item.path)} ORDER BY ALL"
            want = con.execute(f"{exported_select(con, item.name)} ORDER BY ALL").fetchall()
            assert con.execute(back).fetchall() == want, item.name
            assert len(want) == item.rows
            if "article_id" in own:  # every row sits in its article's year
                wrong = con.execute(f"SELECT count(*) FROM {parquet(item.path)} p JOIN articles a USING "
                                    "(article_id) WHERE p.pub_year IS DISTINCT FROM a.pub_year").fetchone()
                assert wrong == (0,), item.name
    finally:
        con.close()


def test_which_fields_each_source_gave_are_exported_as_names(loaded: Path, tmp_path: Path) -> None:
    """Not the database's bit masks (migration 0009): pandas and Spark read the names as they are."""
    exported = {e.name: e.path for e in export(loaded, tmp_path / "out")}
    table = ds.dataset(exported["articles"], format="parquet", partitioning="hive").to_table()
    chosen = dict(zip(table.column("title").to_pylist(), table.column("chosen_from").to_pylist(), strict=True))
    [(source, fields)] = [(e["input"], e["fields"]) for e in chosen["An undated note"]]
    assert source == "undated.html"
    assert fields == ["site", "source_kind", "title", "abstract", "keywords", "parser"]
    con = connect(loaded, read_only=True)
    try:
        stored = con.execute("SELECT input, field FROM article_field_sources JOIN articles USING (article_id) "
                             "WHERE title = 'An undated note' ORDER BY field").fetchall()
    finally:
        con.close()
    assert stored == sorted((source, f) for f in fields)


def test_articles_without_a_year_go_to_the_null_partition(loaded: Path, tmp_path: Path) -> None:
    export(loaded, tmp_path / "out")
    for name in ("articles", "keywords", "article_view"):
        assert (tmp_path / "out" / name / NULL_YEAR).is_dir(), name
    assert (tmp_path / "out" / "articles" / "pub_year=2003").is_dir()
    with duckdb.connect() as con:
        rows = con.execute(f"SELECT title FROM {parquet(tmp_path / 'out' / 'articles')} WHERE pub_year IS NULL")
        assert rows.fetchall() == [("An undated note",)]


def test_pyarrow_reads_the_hive_layout(loaded: Path, tmp_path: Path) -> None:
    """pandas.read_parquet(folder) reads through this pyarrow dataset."""
    exported = export(loaded, tmp_path / "out")
    for item in exported:
        assert ds.dataset(item.path, format="parquet", partitioning="hive").count_rows() == item.rows, item.name
    table = ds.dataset(tmp_path / "out" / "articles", format="parquet", partitioning="hive").to_table()
    years = dict(zip(table.column("title").to_pylist(), table.column("pub_year").to_pylist(), strict=True))
    assert years["An undated note"] is None and years["Aspirin and fever"] == 2024


def test_csv_is_one_file_per_table(loaded: Path, tmp_path: Path) -> None:
    exported = export(loaded, tmp_path / "csv", fmt="csv")
    con = connect(loaded, read_only=True)
    try:
        for item in exported:
            assert [p.name for p in item.path.iterdir()] == [f"{item.name}.csv"]
            back = f"read_csv('{item.path / item.name}.csv', header = true)"
            assert columns(con, back) == columns(con, item.name)
            assert con.execute(f"SELECT count(*) FROM {back}").fetchone() == (item.rows,)
        titles = f"SELECT title FROM read_csv('{tmp_path}/csv/articles/articles.csv', header = true) ORDER BY 1"
        assert con.execute(titles).fetchall() == con.execute("SELECT title FROM articles ORDER BY 1").fetchall()
    finally:
        con.close()


def test_a_used_folder_is_refused_unless_overwritten(loaded: Path, tmp_path: Path) -> None:
    first = export(loaded, tmp_path / "out")
    with pytest.raises(WarehouseError, match="not empty"):
        export(loaded, tmp_path / "out")
    again = export(loaded, tmp_path / "out", overwrite=True)
    assert again == first
    with duckdb.connect() as con:
        count = con.execute(f"SELECT count(*) FROM {parquet(tmp_path / 'out' / 'authors')}").fetchone()
    assert count == (next(e.rows for e in again if e.name == "authors"),)
    with pytest.raises(ValueError, match="unknown export format"):
        export(loaded, tmp_path / "x", fmt="xlsx")
