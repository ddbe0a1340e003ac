"""End to end through the real Prefect flow and a real DuckDB file, checked with `litingest sql`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from flows.ingest import ingest_files
from tests.gold import SHARED, check, load

SEEDS = SHARED / "seeds"
SPECS = sorted((SHARED / "gold" / "seeds").glob("*.json"))
TABLES = ("articles", "authors", "author_affiliations", "article_affiliations", "abstract_sections",
          "keywords", "mesh_terms", "publication_types", "sources")
CLI = [sys.executable, "-m", "flows.cli"]


def sql(db: Path, query: str) -> list[dict]:
    out = subprocess.run([*CLI, "sql", "--db", str(db), "--format", "json", query],
                         capture_output=True, text=True, check=True)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def counts(db: Path) -> dict[str, int]:
    union = " UNION ALL ".join(f"SELECT '{t}' AS t, count(*) AS n FROM {t}" for t in TABLES)
    return {r["t"]: r["n"] for r in sql(db, union)}


def record_from_db(db: Path, input_path: str) -> dict:
    """Rebuild the record of one loaded document from the normalized tables."""
    [art] = sql(db, f"SELECT a.* FROM articles a JOIN sources s USING (article_id) WHERE s.input = '{input_path}'")
    aid = art["article_id"]
    authors = sql(db, f"SELECT position, last, fore, initials FROM authors WHERE article_id = {aid} ORDER BY position")
    affs = sql(db, f"SELECT affiliation FROM author_affiliations WHERE article_id = {aid} "
                   f"UNION ALL SELECT affiliation FROM article_affiliations WHERE article_id = {aid}")
    art["authors"] = [{k: a[k] for k in ("last", "fore", "initials")} for a in authors]
    art["affiliations"] = [a["affiliation"] for a in affs]
    art["keywords"] = [r["keyword"] for r in sql(
        db, f"SELECT keyword FROM keywords WHERE article_id = {aid} ORDER BY position")]
    art["publication_types"] = [r["publication_type"] for r in sql(
        db, f"SELECT publication_type FROM publication_types WHERE article_id = {aid} ORDER BY position")]
    return art


@pytest.fixture(scope="module")
def loaded(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[Path]]:
    work = tmp_path_factory.mktemp("ingest")
    pages = work / "pages"
    shutil.copytree(SEEDS, pages)
    db = work / "seeds.duckdb"
    report = ingest_files([str(pages)], str(db))
    assert report.failures == [] and report.inserted == 5
    return db, sorted(pages.iterdir())


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.stem)
def test_seed_rows_meet_expectation(loaded: tuple[Path, list[Path]], spec_path: Path) -> None:
    db, pages = loaded
    spec = load(spec_path)
    [page] = [p for p in pages if p.name == spec["file"]]
    assert check(record_from_db(db, str(page)), spec) == []


def test_second_ingest_changes_no_row_counts(loaded: tuple[Path, list[Path]]) -> None:
    db, pages = loaded
    before = counts(db)
    report = ingest_files([str(pages[0].parent)], str(db))
    assert (report.inserted, report.updated, report.unchanged, report.failures) == (0, 0, 5, [])
    assert counts(db) == before


def test_changed_document_updates_its_rows(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    db = tmp_path / "w.duckdb"
    original = (SEEDS / "000_27b2c7a6d7c65bde.txt").read_text(encoding="utf-8")
    page.write_text(original, encoding="utf-8")
    assert ingest_files([str(page)], str(db)).inserted == 1
    [before] = sql(db, "SELECT article_id, title FROM articles")
    page.write_text(original.replace("Phase II trial", "Phase III trial"), encoding="utf-8")
    report = ingest_files([str(page)], str(db))
    assert report.updated == 1
    [after] = sql(db, "SELECT article_id, title FROM articles")
    assert after["article_id"] == before["article_id"]
    assert after["title"].startswith("Phase III trial")
    assert counts(db)["sources"] == 1


def test_cli_ingest_reports_bad_files_and_loads_the_rest(tmp_path: Path) -> None:
    """Through the installed console script, in its own process, with its own temporary Prefect server."""
    pages = tmp_path / "in"
    pages.mkdir()
    shutil.copy(SEEDS / "001_60d1e9a7e958879b.txt", pages / "good.txt")
    (pages / "empty.txt").write_bytes(b"")
    (pages / "image.png").write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    (pages / "unknown.txt").write_text("Shopping list\n\neggs\nmilk\n", encoding="utf-8")
    (pages / "noarticle.html").write_text("<html><body><nav>Home</nav><p>Closed today.</p></body></html>")
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "LITINGEST_DB": str(db)}
    exe = shutil.which("litingest", path=str(Path(sys.executable).parent)) or "litingest"
    run = subprocess.run([exe, "ingest", str(pages)], capture_output=True, text=True, env=env, timeout=300)
    assert run.returncode == 1, run.stderr
    errors = [line for line in run.stderr.splitlines() if line.startswith("error: ")]
    assert len(errors) == 4, run.stderr
    for name, reason in (("empty.txt", "empty document"), ("image.png", "binary file"),
                         ("unknown.txt", "unknown layout"), ("noarticle.html", "no article")):
        assert any(str(pages / name) in e and reason in e for e in errors), (name, errors)
    assert "1 inserted" in run.stdout
    assert counts(db)["articles"] == 1 and counts(db)["sources"] == 1


def test_cli_parse_prints_one_json_line_per_document() -> None:
    paths = [str(SEEDS / s.stem.split(".")[0]) + ".txt" for s in SPECS]
    run = subprocess.run([*CLI, "parse", *paths], capture_output=True, text=True, check=True)
    lines = [json.loads(x) for x in run.stdout.splitlines()]
    assert [x["input"] for x in lines] == paths
    for record, spec_path in zip(lines, SPECS, strict=True):
        assert check(record, load(spec_path)) == []


def test_pubmed_xml_file_ingests_one_source_per_record_and_reruns_unchanged(tmp_path: Path) -> None:
    xml = SHARED / "corpus" / "pubmed" / "efetch_4rec_2024.xml.gz"
    db = tmp_path / "x.duckdb"
    first = ingest_files([str(xml)], str(db))
    assert (first.inserted, first.failures) == (4, [])
    assert all(r["input"].startswith(f"{xml}#") for r in sql(db, "SELECT input FROM sources"))
    again = ingest_files([str(xml)], str(db))
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 4)


def test_the_search_index_is_rebuilt_only_by_a_run_that_changed_rows(tmp_path: Path) -> None:
    from warehouse.search import index_path, search

    page, db = tmp_path / "page.txt", tmp_path / "w.duckdb"
    original = (SEEDS / "000_27b2c7a6d7c65bde.txt").read_text(encoding="utf-8")
    page.write_text(original, encoding="utf-8")
    ingest_files([str(page)], str(db))
    built = index_path(db).stat().st_ino  # a rebuild swaps in a new file
    assert ingest_files([str(page)], str(db)).unchanged == 1
    assert index_path(db).stat().st_ino == built
    page.write_text(original.replace("Phase II trial", "Phase III trial"), encoding="utf-8")
    ingest_files([str(page)], str(db))
    assert index_path(db).stat().st_ino != built
    assert [h.title[:15] for h in search(db, "interleukin")] == ["Phase III trial"]
