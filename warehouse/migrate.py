"""Numbered SQL migrations: the schema version is the highest file number, applied once each, in order."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.resources import files

import duckdb

from warehouse.errors import WarehouseError
from warehouse.transaction import transaction

log = logging.getLogger(__name__)
MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY, name VARCHAR NOT NULL, applied_at TIMESTAMP NOT NULL
)"""


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    sql: str


def migrations() -> list[Migration]:
    """The packaged migrations in version order; a misnamed or duplicate file is a packaging bug."""
    found: dict[int, Migration] = {}
    for entry in files("warehouse").joinpath("migrations").iterdir():
        if not entry.name.endswith(".sql"):
            continue
        match = MIGRATION_NAME.match(entry.name)
        if match is None or int(match.group(1)) in found:
            raise WarehouseError(f"migration file {entry.name}: expected a unique NNNN_name.sql")
        version = int(match.group(1))
        sql = entry.read_text(encoding="utf-8")
        found[version] = Migration(version, entry.name.removesuffix(".sql"), sql)
    return [found[v] for v in sorted(found)]


def code_version() -> int:
    """The schema version this code expects: the highest migration number."""
    return max((m.version for m in migrations()), default=0)


def applied_versions(con: duckdb.DuckDBPyConnection) -> set[int]:
    """Versions recorded in the database; empty when it has no `schema_migrations` table yet."""
    exists = con.execute(
        "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
        "AND schema_name = 'main' AND table_name = 'schema_migrations'").fetchone()
    if not exists or not exists[0]:
        return set()
    return {row[0] for row in con.execute("SELECT version FROM schema_migrations").fetchall()}


def database_path(con: duckdb.DuckDBPyConnection) -> str:
    sql = "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
    row = con.execute(sql).fetchone()
    return (row[0] if row else None) or ":memory:"


def check_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Refuse a database whose schema is older or newer than the code (used for read-only opens)."""
    _refuse_newer(con)
    pending = [m.version for m in migrations() if m.version not in applied_versions(con)]
    if pending:
        raise WarehouseError(
            f"database {database_path(con)} has schema version {max(applied_versions(con), default=0)}, "
            f"older than this code's {code_version()}: open it read-write once (e.g. `litingest ingest`) "
            "to migrate it")


def migrate(con: duckdb.DuckDBPyConnection) -> list[int]:
    """Apply each missing migration in its own transaction; return the versions applied."""
    con.execute(CREATE_LEDGER)
    _refuse_newer(con)
    done = applied_versions(con)
    applied = []
    for migration in migrations():
        if migration.version not in done:
            _apply(con, migration)
            applied.append(migration.version)
    return applied


def _refuse_newer(con: duckdb.DuckDBPyConnection) -> None:
    newest = max(applied_versions(con), default=0)
    if newest > code_version():
        raise WarehouseError(
            f"database {database_path(con)} has schema version {newest}, newer than this code's "
            f"{code_version()}: upgrade litingest to open it")


def _apply(con: duckdb.DuckDBPyConnection, migration: Migration) -> None:
    log.info("applying migration %s to %s", migration.name, database_path(con))
    try:
        with transaction(con):
            con.execute(migration.sql)
            con.execute("INSERT INTO schema_migrations VALUES (?, ?, ?)",
                        [migration.version, migration.name, datetime.now(UTC).replace(tzinfo=None)])
    except duckdb.Error as exc:
        path = database_path(con)
        raise WarehouseError(f"database {path}: migration {migration.name} failed: {exc}") from exc
