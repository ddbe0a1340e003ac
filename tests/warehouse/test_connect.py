"""Opening the warehouse: offline settings, clear errors for a missing or locked file, FTS loaded by path."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from warehouse.connect import connect, load_fts
from warehouse.errors import WarehouseError

REPO = Path(__file__).resolve().parents[2]
HOLD_LOCK = ("import sys; from warehouse.connect import connect; c = connect(sys.argv[1]); "
             "print('ready', flush=True); sys.stdin.read()")


def test_nothing_is_ever_downloaded_or_autoloaded(con: duckdb.DuckDBPyConnection) -> None:
    settings = con.execute("SELECT current_setting('autoinstall_known_extensions'), "
                           "current_setting('autoload_known_extensions')").fetchone()
    assert settings == (False, False)


def test_read_only_open_of_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    missing = tmp_path / "missing.duckdb"
    with pytest.raises(WarehouseError, match=rf"^database {re.escape(str(missing))} does not exist$"):
        connect(missing, read_only=True)
    assert not missing.exists()


def test_a_file_locked_by_another_process_is_a_clear_error(db: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(db)], cwd=REPO, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "ready"
        for read_only in (False, True):
            locked = rf"database {re.escape(str(db))} is locked: another process is writing"
            with pytest.raises(WarehouseError, match=locked):
                connect(db, read_only=read_only)
    finally:
        holder.communicate("", timeout=30)
    connect(db).close()


def test_fts_loads_by_path_and_indexes_a_temp_table(con: duckdb.DuckDBPyConnection) -> None:
    load_fts(con)
    [(loaded, path)] = con.execute("SELECT loaded, install_path FROM duckdb_extensions() "
                                   "WHERE extension_name = 'fts'").fetchall()
    assert loaded and path == ""  # loaded from the package's file, not installed from the network
    con.execute("CREATE TEMP TABLE docs (id INTEGER, body VARCHAR)")
    con.execute("INSERT INTO docs VALUES (1, 'aspirin lowers fever'), (2, 'statins lower cholesterol')")
    con.execute("PRAGMA create_fts_index('docs', 'id', 'body')")
    hits = con.execute("SELECT id FROM (SELECT id, fts_main_docs.match_bm25(id, 'cholesterol') AS score "
                       "FROM docs) WHERE score IS NOT NULL").fetchall()
    assert hits == [(2,)]
