"""Export the warehouse for other tools: one folder per table and view, Parquet partitioned by year or CSV.

Parquet folders use the Hive layout (`<table>/pub_year=2003/data_0.parquet`, no year in
`pub_year=__HIVE_DEFAULT_PARTITION__`) that DuckDB, pandas/pyarrow and Spark read as one table with a `pub_year`
column. A table without its own year gets its article's `pub_year` through `article_id`; a table with neither is
written as one file. CSV is one file per table (`<table>/<table>.csv`, header row, lists as `[a, b]`).
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.access import reading
from warehouse.errors import WarehouseError
from warehouse.transaction import transaction

FORMATS = ("parquet", "csv")
# Run state, the migration ledger and the loader's own lookup table (a copy of article_sources' keys) describe the
# pipeline, not the literature: not exported.
NOT_EXPORTED = frozenset({"schema_migrations", "search_watermarks", "backfill_chunks", "pmidless_keys"})
# The analysts' views are exported beside the tables: most readers want `article_view` alone.
VIEWS = ("article_view", "author_articles")
YEAR = "pub_year"
# Columns stored in a form only this database's macros read, exported readable: which fields each source gave, as
# names rather than migration 0009's bit masks (an unsigned 64-bit integer that pandas and Spark cannot decode).
DECODED = {("articles", "chosen_from"):
           "list_transform(chosen_from, lambda e: {'input': e.input, 'fields': chosen_fields(e.fields)})"}


@dataclass(frozen=True, slots=True)
class Exported:
    name: str
    rows: int
    path: Path


def export(db_path: str | Path, out_dir: str | Path, fmt: str = "parquet", overwrite: bool = False) -> list[Exported]:
    """Write every data table and view of `db_path` under `out_dir`, from one read-only snapshot.

    A table's folder that exists and is not empty is an error, unless `overwrite` (then only that folder is
    replaced). The database is opened read-only during a reader's turn (warehouse.access): a loading writer hands
    it over between transactions and waits until the export is written.
    """
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r}: expected one of {', '.join(FORMATS)}")
    out = Path(out_dir)
    with reading(db_path) as con:
        try:
            names = relations(con)
            folders = _prepare([out / name for name in names], overwrite)
            with transaction(con):
                return [_export_one(con, name, folder, fmt) for name, folder in zip(names, folders, strict=True)]
        except duckdb.Error as exc:
            raise WarehouseError(f"cannot export {db_path} to {out}: {exc}") from exc


def relations(con: duckdb.DuckDBPyConnection) -> list[str]:
    """The tables of the main schema (run state left out), then the analysts' views."""
    rows = con.execute("SELECT table_name FROM duckdb_tables() WHERE database_name = current_database() "
                       "AND schema_name = 'main' ORDER BY table_name").fetchall()
    return [r[0] for r in rows if r[0] not in NOT_EXPORTED] + list(VIEWS)


def _prepare(folders: list[Path], overwrite: bool) -> list[Path]:
    """Empty folders to write into; refuses before writing anything when one is in use and not `overwrite`."""
    busy = [f for f in folders if f.exists() and any(f.iterdir())]
    if busy and not overwrite:
        raise WarehouseError(f"export folder {busy[0]} is not empty ({len(busy)} of {len(folders)} are): "
                             "choose another folder or overwrite")
    for folder in folders:
        if folder in busy:
            shutil.rmtree(folder)
        folder.mkdir(parents=True, exist_ok=True)
    return folders


def _export_one(con: duckdb.DuckDBPyConnection, name: str, folder: Path, fmt: str) -> Exported:
    row = con.execute(f"SELECT count(*) FROM {_ident(name)}").fetchone()
    rows = int(row[0]) if row else 0
    if fmt == "csv":
        _copy(con, exported_select(con, name), folder / f"{name}.csv", "FORMAT csv, HEADER")
        return Exported(name, rows, folder)
    select = _with_year(con, name)
    if select is None or rows == 0:  # no year to split by, or nothing to split (a partitioned COPY writes no file)
        _copy(con, select or exported_select(con, name), folder / "data_0.parquet", "FORMAT parquet")
    else:
        _copy(con, select, folder, f"FORMAT parquet, PARTITION_BY ({YEAR})")
    return Exported(name, rows, folder)


def exported_select(con: duckdb.DuckDBPyConnection, name: str, columns: list[str] | None = None) -> str:
    """`SELECT` of the relation's columns (`columns`, else described) as exported: in order, the `DECODED` ones
    readable."""
    columns = columns if columns is not None else _columns(con, name)
    listed = ", ".join(f"{DECODED[name, c]} AS {_ident(c)}" if (name, c) in DECODED else _ident(c) for c in columns)
    return f"SELECT {listed} FROM {_ident(name)}"


def _with_year(con: duckdb.DuckDBPyConnection, name: str) -> str | None:
    """The relation as exported, with a `pub_year` column: its own, else its article's; None when it has no
    article."""
    columns = _columns(con, name)
    if YEAR in columns:
        return exported_select(con, name, columns)
    if "article_id" in columns:
        return (f"SELECT t.*, a.{YEAR} FROM ({exported_select(con, name, columns)}) t "
                f"LEFT JOIN (SELECT article_id, {YEAR} FROM articles) a ON a.article_id = t.article_id")
    return None


def _columns(con: duckdb.DuckDBPyConnection, name: str) -> list[str]:
    return [c[0] for c in con.execute(f"DESCRIBE {_ident(name)}").fetchall()]


def _copy(con: duckdb.DuckDBPyConnection, select: str, target: Path, options: str) -> None:
    quoted = str(target).replace("'", "''")
    con.execute(f"COPY ({select}) TO '{quoted}' ({options})")


def _ident(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'
