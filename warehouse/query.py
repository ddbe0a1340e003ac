"""Ad-hoc SQL on a warehouse file (read-only by default) and its result as a table, CSV or JSON lines."""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb

from warehouse.access import reading, writing
from warehouse.errors import WarehouseError

FORMATS = ("table", "csv", "json")


def run_sql(path: str | Path, sql: str, read_only: bool = True) -> tuple[list[str], list[tuple[Any, ...]]]:
    """Run one query; return its column names and rows. A SQL error is a WarehouseError with DuckDB's text.

    It runs in a turn on the database (warehouse.access): a loading writer hands over between transactions.
    """
    if read_only:
        with reading(path) as con:
            return _run(con, path, sql)
    with writing(path) as writer:
        return _run(writer.con, path, sql)


def _run(con: duckdb.DuckDBPyConnection, path: str | Path, sql: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    try:
        cursor = con.execute(sql)
        columns = [d[0] for d in cursor.description] if cursor.description else []
        return columns, (cursor.fetchall() if columns else [])
    except duckdb.Error as exc:
        raise WarehouseError(f"{path}: {exc}") from exc


def format_result(columns: list[str], rows: list[tuple[Any, ...]], fmt: str) -> str:
    """The result as `table` (aligned text, row count), `csv` (header row) or `json` (one object a line)."""
    if fmt == "table":
        return _table(columns, rows)
    if fmt == "csv":
        return _csv(columns, rows)
    if fmt == "json":
        return "\n".join(json.dumps(dict(zip(columns, map(json_safe, row), strict=True)), ensure_ascii=False)
                         for row in rows)
    raise ValueError(f"unknown format {fmt!r}: expected one of {', '.join(FORMATS)}")


def json_safe(value: Any) -> Any:
    """A value json.dumps accepts: dates and times as ISO strings, decimals as floats, NaN as null."""
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, bytes):
        return value.hex()
    if isinstance(value, UUID | timedelta):
        return str(value)
    return value


def _text(value: Any) -> str:
    """One cell as text: NULL as empty, strings and decimals exact, anything else in its JSON form."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value
    if isinstance(value, Decimal):
        return str(value)
    safe = json_safe(value)
    return safe if isinstance(safe, str) else json.dumps(safe, ensure_ascii=False)


def _csv(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows([_text(v) for v in row] for row in rows)
    return out.getvalue().rstrip("\n")


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [[_one_line(_text(v)) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(_align(v, raw, w) for v, raw, w in zip(r, row, widths, strict=True)).rstrip()
              for r, row in zip(cells, rows, strict=True)]
    lines.append(f"({len(rows)} row{'' if len(rows) == 1 else 's'})")
    return "\n".join(lines)


def _one_line(text: str) -> str:
    return text.replace("\r", "\\r").replace("\n", "\\n").replace("\t", " ")


def _align(text: str, raw: Any, width: int) -> str:
    """Numbers right-aligned, everything else left-aligned."""
    numeric = isinstance(raw, int | float | Decimal) and not isinstance(raw, bool)
    return text.rjust(width) if numeric else text.ljust(width)
