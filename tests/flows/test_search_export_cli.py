"""`litingest search` and `litingest export` as a user runs them (in process: neither needs Prefect)."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from flows.cli import main
from tests.warehouse.seed_pages import BR_J_CANCER_IL2, load_seeds
from warehouse.connect import connect
from warehouse.search import rebuild_search_index


def seeded(tmp_path: Path) -> tuple[Path, dict[str, int]]:
    db = tmp_path / "w.duckdb"
    con = connect(db)
    try:
        ids = load_seeds(con)
        rebuild_search_index(con, db)
    finally:
        con.close()
    return db, ids


def test_search_prints_the_hits_best_first(tmp_path: Path) -> None:
    db, ids = seeded(tmp_path)
    result = CliRunner().invoke(main, ["search", "intralesional interleukin-2 melanoma", "--db", str(db),
                                       "--format", "json", "--limit", "2"])
    assert result.exit_code == 0, result.output
    hits = [json.loads(line) for line in result.stdout.splitlines()]
    assert len(hits) == 2 and hits[0]["article_id"] == ids[BR_J_CANCER_IL2]
    assert set(hits[0]) == {"article_id", "score", "title", "journal", "pub_year", "pmid", "doi"}
    table = CliRunner().invoke(main, ["search", "melanoma", "--db", str(db)])
    assert table.exit_code == 0 and table.stdout.splitlines()[0].split()[:2] == ["article_id", "score"]


def test_search_errors_name_the_problem(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["search", "melanoma", "--db", str(tmp_path / "none.duckdb")])
    assert result.exit_code == 1
    assert "error: database" in result.stderr and "does not exist" in result.stderr


def test_export_writes_a_folder_per_table(tmp_path: Path) -> None:
    db, _ = seeded(tmp_path)
    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["export", str(out), "--db", str(db), "--format", "parquet"])
    assert result.exit_code == 0, result.output
    assert f"{out / 'articles'}: 5 rows" in result.stdout.splitlines()
    assert (out / "articles" / "pub_year=2003").is_dir()
    again = CliRunner().invoke(main, ["export", str(out), "--db", str(db)])
    assert again.exit_code == 1 and "not empty" in again.stderr
