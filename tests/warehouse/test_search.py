"""Full-text search: BM25 ranking over the seed pages, an index rebuilt after loads, no waiting on a writer."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest

from tests.warehouse.seed_pages import BR_J_CANCER_IL2, load_seeds
from transforms.article import Article, MeshTerm
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.load import SourceRecord, load_document
from warehouse.search import index_path, rebuild_search_index, search

REPO = Path(__file__).resolve().parents[2]
QUERY = "intralesional interleukin-2 melanoma"
# A second process that opens a file (the database read-write, or the index read-only) and holds it until told.
HOLDER = """
import sys
import duckdb
from warehouse.connect import connect
path, mode = sys.argv[1:]
con = connect(path) if mode == "write" else duckdb.connect(path, read_only=True)
print("holding", flush=True)
sys.stdin.readline()
con.close()
"""


@contextmanager
def held(path: Path, mode: str) -> Iterator[None]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    proc = subprocess.Popen([sys.executable, "-c", HOLDER, str(path), mode], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO, env=env)
    try:
        line = proc.stdout.readline()
        assert line.strip() == "holding", proc.stderr.read()
        yield
    finally:
        proc.communicate("done\n", timeout=60)


def make_article(title: str, abstract: str, doi: str) -> Article:
    return Article(site="generic", source_kind="html", title=title, abstract=abstract, doi=doi, pub_year=2020)


def load(con: duckdb.DuckDBPyConnection, article: Article, name: str) -> int:
    return load_document(con, article, SourceRecord(name, name.ljust(64, "0"), 1, "tests")).article_id


def test_the_intralesional_il2_trial_ranks_first(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    ids = load_seeds(con)
    rebuild_search_index(con, db)
    hits = search(db, QUERY)
    assert hits[0].article_id == ids[BR_J_CANCER_IL2]
    assert (hits[0].journal, hits[0].pub_year) == ("Br J Cancer", 2003)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    assert len(hits) > 1  # other seeds treat with interleukin-2 too, ranked below


def test_only_matching_articles_come_back(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    load_seeds(con)
    rebuild_search_index(con, db)
    mention = {r[0] for r in con.execute(
        "SELECT article_id FROM articles WHERE concat_ws(' ', title, abstract) ILIKE '%melanoma%'").fetchall()}
    assert {h.article_id for h in search(db, "melanoma")} == mention != set()
    assert search(db, "xylophone") == []
    assert len(search(db, QUERY, limit=1)) == 1


def test_a_title_hit_outranks_the_same_words_in_an_abstract(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Both documents hold the same words; the one with the query word in its title wins (it was loaded later,
    so without field weighting the tie would go to the other)."""
    in_abstract = load(con, make_article("Fever study", "Aspirin trial", "10.1/a"), "a.html")
    in_title = load(con, make_article("Aspirin trial", "Fever study", "10.1/b"), "b.html")
    rebuild_search_index(con, db)
    assert [h.article_id for h in search(db, "aspirin")] == [in_title, in_abstract]


def test_keywords_and_mesh_terms_are_searched(db: Path, con: duckdb.DuckDBPyConnection, article: Article,
                                              source: SourceRecord) -> None:
    tagged = dataclasses.replace(article, keywords=["pyrexia"], mesh_terms=[MeshTerm("Salicylates")])
    article_id = load_document(con, tagged, source).article_id
    rebuild_search_index(con, db)
    assert [h.article_id for h in search(db, "pyrexia")] == [article_id]
    assert [h.article_id for h in search(db, "salicylate")] == [article_id]  # stemmed


def test_equal_scores_are_ordered_by_article_id(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    ids = [load(con, make_article("Aspirin and fever", "The same text.", f"10.1/{n}"), f"{n}.html")
           for n in range(3)]
    rebuild_search_index(con, db)
    hits = search(db, "aspirin")
    assert len({h.score for h in hits}) == 1
    assert [h.article_id for h in hits] == sorted(ids)


def test_results_follow_a_reload_once_the_index_is_rebuilt(db: Path, con: duckdb.DuckDBPyConnection,
                                                           article: Article, source: SourceRecord) -> None:
    load_seeds(con)
    rebuild_search_index(con, db)
    assert search(db, "aspirin") == []
    article_id = load_document(con, article, source).article_id
    assert search(db, "aspirin") == []  # the index is the last build's snapshot
    rebuild_search_index(con, db)
    assert [h.article_id for h in search(db, "aspirin")] == [article_id]
    changed = dataclasses.replace(article, title="Ibuprofen and fever", keywords=["ibuprofen"],
                                  mesh_terms=[MeshTerm("Ibuprofen")])
    assert load_document(con, changed, dataclasses.replace(source, content_hash="b" * 64)).action == "updated"
    rebuild_search_index(con, db)
    assert search(db, "aspirin") == []
    assert [(h.article_id, h.title) for h in search(db, "ibuprofen")] == [(article_id, "Ibuprofen and fever")]


def test_search_works_while_another_process_writes(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    ids = load_seeds(con)
    rebuild_search_index(con, db)
    con.close()
    with held(db, "write"):
        with pytest.raises(WarehouseError, match="locked"):
            connect(db, read_only=True)
        hits = search(db, QUERY)
    assert hits[0].article_id == ids[BR_J_CANCER_IL2]


def test_a_rebuild_replaces_the_index_another_process_is_reading(db: Path, con: duckdb.DuckDBPyConnection,
                                                                article: Article, source: SourceRecord) -> None:
    load_seeds(con)
    rebuild_search_index(con, db)
    with held(index_path(db), "read"):
        article_id = load_document(con, article, source).article_id
        rebuild_search_index(con, db)
        assert [h.article_id for h in search(db, "aspirin")] == [article_id]
    assert not [p.name for p in db.parent.iterdir() if p.name.endswith(".tmp")]


def test_a_missing_index_is_built_when_the_database_is_free(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    ids = load_seeds(con)
    con.close()
    with held(db, "write"):
        with pytest.raises(WarehouseError, match="search again when the load has finished"):
            search(db, QUERY)
    assert not index_path(db).exists()
    assert search(db, QUERY)[0].article_id == ids[BR_J_CANCER_IL2]
    assert index_path(db).exists()
    index_path(db).write_bytes(b"not a DuckDB file")  # unreadable (or of an older format): built again
    assert search(db, QUERY)[0].article_id == ids[BR_J_CANCER_IL2]


def test_bad_requests_get_clear_errors(db: Path, con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="empty"):
        search(db, "  ")
    with pytest.raises(WarehouseError, match="does not exist"):
        search(tmp_path / "none.duckdb", "melanoma")
    other = connect(tmp_path / "other.duckdb")
    try:
        with pytest.raises(WarehouseError, match="from a connection to"):
            rebuild_search_index(other, db)
    finally:
        other.close()
