"""The only place that opens DuckDB: offline settings, schema migration, clear errors naming the file."""

from __future__ import annotations

from pathlib import Path

import duckdb

from warehouse.errors import WarehouseError
from warehouse.migrate import check_schema, migrate

# Never download or auto-load an extension: everything we use is installed with the package.
OFFLINE_CONFIG = {"autoinstall_known_extensions": False, "autoload_known_extensions": False}
LOCK_MESSAGE = "Could not set lock on file"
# A writer checkpoints when its WAL passes this size, not DuckDB's default 16 MB: a bulk load then rewrites its
# tables' row groups a few times instead of after every batch (half a load's time; bench/pubmed_xml.py). The WAL
# is replayed on the next open after a crash, so nothing committed is lost.
# DuckDB's buffer pool may take 80 % of the machine by default; a loader next to parsers needs little of it.
WRITER_SETTINGS = ("SET checkpoint_threshold = '256MB'", "SET memory_limit = '512MB'")


def connect(path: str | Path, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open `path`; read-write opens migrate the schema, read-only opens refuse a schema not the code's."""
    path = Path(path)
    if read_only and not path.exists():
        raise WarehouseError(f"database {path} does not exist")
    if not read_only:
        path.parent.mkdir(parents=True, exist_ok=True)
    con = open_file(path, read_only)
    try:
        if read_only:
            check_schema(con)
        else:
            if migrate(con):
                # Migrations go to disk at once: DuckDB 1.5.5 cannot replay a WAL holding `ALTER TABLE ... ADD
                # COLUMN` on a table whose column default calls a function (`nextval`) -- a crash right after
                # creating a database would leave it unopenable (tests/warehouse/test_concurrency.py).
                con.execute("CHECKPOINT")
            for setting in WRITER_SETTINGS:
                con.execute(setting)
    except BaseException:
        con.close()
        raise
    return con


def open_file(path: Path, read_only: bool) -> duckdb.DuckDBPyConnection:
    """DuckDB on `path` offline, with lock and open errors naming the file; no schema check (index files)."""
    try:
        con = duckdb.connect(str(path), read_only=read_only, config=OFFLINE_CONFIG)
        con.execute("SET enable_progress_bar = false")  # DuckDB's own bar would write over the CLI's output
        return con
    except duckdb.IOException as exc:
        if LOCK_MESSAGE in str(exc):
            raise WarehouseError(
                f"database {path} is locked: another process is writing to it; wait for it to finish "
                f"({exc})") from exc
        raise WarehouseError(f"cannot open database {path}: {exc}") from exc
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot open database {path}: {exc}") from exc


def fts_extension_path(version: str, platform: str) -> Path:
    """The FTS extension file shipped by the `duckdb-extension-fts` package for this DuckDB and platform."""
    try:
        import duckdb_extension_fts
    except ImportError as exc:
        raise WarehouseError(f"full-text search needs duckdb-extension-fts=={version} installed") from exc
    root = Path(duckdb_extension_fts.__file__).parent / "extensions"
    found = [p for p in sorted(root.rglob("*.duckdb_extension")) if f"v{version}" in p.parts]
    named = [p for p in found if platform in p.relative_to(root).parts]
    if not found:
        raise WarehouseError(f"no FTS extension for DuckDB {version} ({platform}) under {root}: "
                             f"install duckdb-extension-fts=={version}")
    return (named or found)[0]


def load_fts(con: duckdb.DuckDBPyConnection) -> None:
    """Load the FTS extension from its installed file, never from the network."""
    row = con.execute("PRAGMA platform").fetchone()
    path = fts_extension_path(duckdb.__version__, row[0] if row else "")
    quoted = str(path).replace("'", "''")
    try:
        con.execute(f"LOAD '{quoted}'")
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot load the FTS extension from {path}: {exc}") from exc
