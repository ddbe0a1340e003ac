"""`litingest backfill` and `litingest nightly` as a user runs them: exit codes, summaries, gaps by name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb

from tests.scrapers.eutils_stub import EutilsStub, Fault

EXE = shutil.which("litingest", path=str(Path(sys.executable).parent)) or "litingest"


def run(args: list[str], stub: EutilsStub, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "LITINGEST_EUTILS_URL": stub.base_url, "LITINGEST_EMAIL": "tests@litingest.invalid"}
    return subprocess.run([EXE, *args], capture_output=True, text=True, env=env, cwd=cwd, timeout=300)


def test_backfill_command_loads_and_a_failing_chunk_sets_the_exit_code(tmp_path: Path) -> None:
    db = tmp_path / "c.duckdb"
    with EutilsStub() as stub:
        stub.inject(*[Fault.not_xml(endpoint="efetch") for _ in range(8)])
        first = run(["backfill", "--term", "all[sb]", "--from", "2025-12-01", "--to", "2026-01-31",
                     "--chunk", "month", "--db", str(db)], stub, tmp_path)
        assert first.returncode == 1, first.stderr
        assert "error: 'all[sb]' 2025-12-01..2025-12-31" in first.stderr and "not XML" in first.stderr
        stub.faults.clear()
        second = run(["backfill", "--term", "all[sb]", "--from", "2025-12-01", "--to", "2026-01-31",
                      "--db", str(db)], stub, tmp_path)
        assert second.returncode == 0, second.stderr
        want = set(stub.matching("all[sb]", "edat", "2025/12/01", "2026/01/31"))
    assert "0 missing, 0 failed" in second.stdout
    with duckdb.connect(str(db), read_only=True) as con:
        assert {r[0] for r in con.execute("SELECT pmid FROM articles").fetchall()} == want


def test_nightly_without_saved_searches_says_how_to_add_one(tmp_path: Path) -> None:
    with EutilsStub() as stub:
        result = run(["nightly", "--db", str(tmp_path / "n.duckdb")], stub, tmp_path)
    assert result.returncode == 2 and "no saved searches" in result.stderr and "[[searches]]" in result.stderr
