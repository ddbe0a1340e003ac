"""Run state for the PubMed flows: search watermarks and finished backfill chunks, kept in the database."""

from __future__ import annotations

from datetime import UTC, date, datetime

from duckdb import DuckDBPyConnection

from warehouse.transaction import transaction


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def watermark(con: DuckDBPyConnection, search_name: str) -> date | None:
    row = con.execute("SELECT watermark FROM search_watermarks WHERE search_name = ?", [search_name]).fetchone()
    return row[0] if row else None


def move_watermark(con: DuckDBPyConnection, search_name: str, term: str, value: date) -> None:
    """Called only after the search's records committed, so a crash before it repeats work, never skips it."""
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO search_watermarks VALUES (?, ?, ?, ?)",
                    [search_name, term, value, _now()])


def finished_chunks(con: DuckDBPyConnection, term: str, datetype: str) -> set[tuple[date, date]]:
    rows = con.execute("SELECT chunk_start, chunk_end FROM backfill_chunks WHERE term = ? AND datetype = ?",
                       [term, datetype]).fetchall()
    return {(r[0], r[1]) for r in rows}


def finish_chunk(con: DuckDBPyConnection, term: str, datetype: str, start: date, end: date,
                 counted: int, loaded: int) -> None:
    with transaction(con):
        con.execute("INSERT OR REPLACE INTO backfill_chunks VALUES (?, ?, ?, ?, ?, ?, ?)",
                    [term, datetype, start, end, counted, loaded, _now()])
