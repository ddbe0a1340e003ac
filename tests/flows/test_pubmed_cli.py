"""`litingest backfill` and `litingest nightly` as a user runs them: exit codes, summaries, gaps by name."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from datetime import date
from pathlib import Path

import duckdb
import pytest

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


def test_backfill_killed_halfway_then_rerun_equals_an_uninterrupted_run(tmp_path: Path,
                                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """kill -9 of the CLI and its Prefect server mid-backfill; the rerun does only what is left."""
    import signal
    import time

    from flows.pubmed import backfill

    killed, clean = tmp_path / "killed.duckdb", tmp_path / "clean.duckdb"
    args = ["backfill", "--term", "all[sb]", "--from", "2025-10-01", "--to", "2026-02-28", "--chunk", "week"]
    with EutilsStub() as stub:
        env = {**os.environ, "LITINGEST_EUTILS_URL": stub.base_url, "LITINGEST_EMAIL": "tests@litingest.invalid"}
        process = subprocess.Popen([EXE, *args, "--db", str(killed)], env=env, cwd=tmp_path, start_new_session=True,
                                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 240
        while len([r for r in stub.requests if r.endpoint == "efetch"]) < 6 and process.poll() is None:
            assert time.monotonic() < deadline, "the backfill made no progress"
            time.sleep(0.05)
        os.killpg(process.pid, signal.SIGKILL)  # the CLI and the Prefect server it started
        process.wait(timeout=30)
        assert process.returncode == -signal.SIGKILL, "the backfill ended before it could be killed"
        with duckdb.connect(str(killed), read_only=True) as con:
            finished = con.execute("SELECT count(*) FROM backfill_chunks").fetchone()[0]
        weeks = 22
        assert 0 < finished < weeks
        before = len(stub.requests)
        rerun = subprocess.run([EXE, *args, "--db", str(killed)], env=env, cwd=tmp_path, capture_output=True,
                               text=True, timeout=300)
        assert rerun.returncode == 0, rerun.stderr
        searched = {r.params.get("mindate") for r in stub.requests[before:] if r.endpoint == "esearch"}
        assert len(searched) == weeks - finished  # only the chunks not recorded as finished
        for name in ("LITINGEST_EUTILS_URL", "LITINGEST_EMAIL"):
            monkeypatch.setenv(name, env[name])
        backfill("all[sb]", date(2025, 10, 1), date(2026, 2, 28), chunk="week", db=str(clean))
    tables = ("articles", "authors", "abstract_sections", "keywords", "mesh_terms", "sources", "backfill_chunks")
    for table in tables:
        with duckdb.connect(str(killed), read_only=True) as a, duckdb.connect(str(clean), read_only=True) as b:
            assert a.execute(f"SELECT count(*) FROM {table}").fetchone() == b.execute(
                f"SELECT count(*) FROM {table}").fetchone(), table
    with duckdb.connect(str(killed), read_only=True) as a, duckdb.connect(str(clean), read_only=True) as b:
        sql = "SELECT pmid, title, abstract, doi FROM articles ORDER BY pmid"
        assert a.execute(sql).fetchall() == b.execute(sql).fetchall()
