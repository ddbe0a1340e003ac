"""Writers and readers in separate processes at once; a writer killed mid-load (warehouse.access).

Each process is a real Python process on the same DuckDB file: writers load through `writing` (one batch a
transaction, turns handed over while others wait), readers query through `run_sql` (`reading`).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import duckdb

from warehouse.connect import connect

REPO = Path(__file__).resolve().parents[2]
READER = """
import sys, time
from warehouse.query import run_sql
for _ in range(6):
    print(run_sql(sys.argv[1], "SELECT count(*) FROM sources")[1][0][0], flush=True)
    time.sleep(0.3)
"""


def start(*args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, *args], cwd=REPO, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True)


def writer(db: Path, tag: str, count: int, batch: int, pause: float) -> subprocess.Popen:
    return start("-m", "tests.warehouse.load_proc", str(db), tag, str(count), str(batch), str(pause))


def finish(process: subprocess.Popen) -> tuple[str, str]:
    out, err = process.communicate(timeout=240)
    assert process.returncode == 0, err
    return out, err


def test_two_writers_and_readers_at_once_all_succeed(tmp_path: Path) -> None:
    db = tmp_path / "shared.duckdb"
    connect(db).close()
    writers = [writer(db, tag, 600, 20, 0.15) for tag in ("a", "b")]
    readers = [start("-c", READER, str(db)) for _ in range(3)]
    outputs = [finish(p) for p in writers + readers]
    assert not [err for _, err in outputs if "lock" in err.lower()]
    hand_overs = sum(int(out.split("hand-overs ")[1]) for out, _ in outputs[:2])
    assert hand_overs > 0  # the writers took turns, they did not wait for each other's whole load
    for out, _ in outputs[2:]:
        seen = [int(line) for line in out.split()]
        assert len(seen) == 6 and seen == sorted(seen)  # each reader sees the database grow, never shrink
        assert all(n % 20 == 0 for n in seen)  # only committed batches, never part of one
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT count(*), count(DISTINCT article_id) FROM sources").fetchone() == (1200, 1200)


def table_rows(db: Path) -> dict[str, list[tuple]]:
    """Every loaded value by PMID (ids and timestamps differ between databases)."""
    with duckdb.connect(str(db), read_only=True) as con:
        return {
            "articles": con.execute("SELECT pmid, doi, title, abstract FROM articles ORDER BY pmid").fetchall(),
            "authors": con.execute("SELECT a.pmid, au.position, au.last, au.fore FROM authors au "
                                   "JOIN articles a USING (article_id) ORDER BY ALL").fetchall(),
            "sections": con.execute("SELECT a.pmid, s.position, s.label, s.text FROM abstract_sections s "
                                    "JOIN articles a USING (article_id) ORDER BY ALL").fetchall(),
            "sources": con.execute("SELECT s.input, a.pmid FROM sources s JOIN articles a USING (article_id) "
                                   "ORDER BY ALL").fetchall(),
        }


def test_a_writer_killed_mid_load_leaves_the_last_commit_and_a_rerun_completes_it(tmp_path: Path) -> None:
    killed, clean = tmp_path / "killed.duckdb", tmp_path / "clean.duckdb"
    process = writer(killed, "k", 3000, 100, 0.05)
    committed = 0
    for line in process.stdout:
        if line.startswith("committed"):
            committed = int(line.split()[1])
            if committed == 5:
                break
    os.kill(process.pid, signal.SIGKILL)
    process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    with duckdb.connect(str(killed), read_only=True) as con:
        sources, articles = con.execute("SELECT (SELECT count(*) FROM sources), (SELECT count(*) FROM articles)"
                                        ).fetchone()
        orphans = con.execute("SELECT count(*) FROM authors WHERE article_id NOT IN (SELECT article_id FROM articles)"
                              ).fetchone()[0]
    assert sources == articles and sources % 100 == 0 and 500 <= sources < 3000  # whole batches only
    assert orphans == 0
    finish(writer(killed, "k", 3000, 100, 0))  # the rerun: the lock died with the process
    finish(writer(clean, "k", 3000, 100, 0))
    assert table_rows(killed) == table_rows(clean)
    assert len(table_rows(killed)["sources"]) == 3000
