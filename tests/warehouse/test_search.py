"""Full-text search: BM25 ranking over the seed pages, an index rebuilt after loads, no waiting on a writer.

`search` sums precomputed postings instead of calling the FTS extension's `match_bm25` on every row; the tests
at the end hold it to match_bm25's ranking and scores on the seed pages plus every record of the shared corpus.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import json
import os
import random
import re
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import Stemmer

import warehouse.connect
from tests.gold import SHARED
from tests.warehouse.seed_pages import BR_J_CANCER_IL2, load_seeds
from transforms.article import Article, MeshTerm
from transforms.errors import ParseError
from transforms.pipeline import parse_bytes
from transforms.pubmed_xml import iter_pubmed
from warehouse.bulk import load_batch
from warehouse.connect import OFFLINE_CONFIG, connect, load_fts
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


@pytest.mark.parametrize("query", ["aspirin", "aspirin fever same text"])
def test_equal_scores_are_ordered_by_article_id(db: Path, con: duckdb.DuckDBPyConnection, query: str) -> None:
    """Equal documents tie exactly, however many terms are summed, and go by article_id."""
    ids = [load(con, make_article("Aspirin and fever", "The same text.", f"10.1/{n}"), f"{n}.html")
           for n in range(12)]
    rebuild_search_index(con, db)
    hits = search(db, query)
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


# What the index answered before postings: the FTS extension's BM25 over every document.
MATCH_BM25 = ("SELECT article_id, score FROM (SELECT *, fts_main_docs.match_bm25(article_id, $1) AS score FROM docs) "
              "WHERE score IS NOT NULL ORDER BY score DESC, article_id LIMIT $2")
# Queries the random ones may miss: digits kept by the tokenizer, accents, dots, stopwords only, a repeated word,
# a word in no document, a word only stemming finds (plural in the corpus), punctuation only.
EDGE_QUERIES = ["interleukin-2", "p53 mutation", "Ménière disease", "E.coli infection", "the and of",
                "cancer cancer cancer", "COVID-19 vaccine", "xylophone", "randomised controlled trials",
                "CELLS", "--- ...", "T-cell receptor 2 3"]


def corpus_items() -> list[tuple[Article, SourceRecord]]:
    """Every PubMed record and every article page of the shared corpus, as a load would receive them."""
    items = []
    pubmed = SHARED / "corpus" / "pubmed"
    for path in sorted(pubmed.glob("*.xml")) + sorted(pubmed.glob("*.xml.gz")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            try:
                records = [r for r in iter_pubmed(f, path.name) if isinstance(r, Article)]
            except ParseError:  # an E-utilities answer beside the PubMed files
                continue
        items += [(r, SourceRecord(f"{path}#{r.pmid}", hashlib.sha256(f"{path}#{r.pmid}".encode()).hexdigest(),
                                   1, "tests/corpus")) for r in records]
    for spec_path in sorted((SHARED / "corpus" / "html").glob("*.html.json")):
        spec = json.loads(spec_path.read_text())
        if spec.get("status") == "no_article":
            continue
        page = spec_path.with_name(spec["file"])
        body = page.read_bytes()
        items.append((parse_bytes(body, str(page), url=spec.get("url")),
                      SourceRecord(str(page), hashlib.sha256(body).hexdigest(), len(body), "tests/corpus")))
    return items


@pytest.fixture(scope="module")
def corpus_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("corpus") / "w.duckdb"
    con = connect(db)
    try:
        load_seeds(con)
        load_batch(con, corpus_items())
        rebuild_search_index(con, db)
    finally:
        con.close()
    return db


@pytest.fixture(scope="module")
def reference(corpus_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = duckdb.connect(str(index_path(corpus_db)), read_only=True, config=OFFLINE_CONFIG)
    load_fts(con)
    yield con
    con.close()


def sample_queries(con: duckdb.DuckDBPyConnection) -> list[str]:
    """Three random words of a title, of an abstract, of keywords and MeSH terms: known-item searches."""
    rng = random.Random(11)
    rows = con.execute("SELECT title, abstract, concat_ws(' ', keywords, mesh) FROM docs "
                       "ORDER BY article_id").fetchall()
    queries = []
    for row in rng.sample(rows, 60):
        for text in row:
            words = re.findall(r"\S+", text or "")
            if words:
                queries.append(" ".join(rng.sample(words, min(3, len(words)))))
    return queries


def test_the_ranking_and_scores_are_match_bm25s(corpus_db: Path, reference: duckdb.DuckDBPyConnection) -> None:
    """Every match in the same order (ties by article_id), scores within 1e-9; also cut by a limit."""
    long_query = reference.execute("SELECT abstract FROM docs WHERE length(abstract) > 1500 LIMIT 1").fetchone()[0]
    queries = [*sample_queries(reference), *EDGE_QUERIES, long_query]
    assert reference.execute("SELECT count(*) FROM docs").fetchone()[0] > 700
    matched = 0
    for query in queries:
        expected = reference.execute(MATCH_BM25, [query, 100_000]).fetchall()
        for limit in (100_000, 5):
            hits = search(corpus_db, query, limit)
            assert [h.article_id for h in hits] == [a for a, _ in expected[:limit]], query
            assert all(abs(h.score - score) < 1e-9 for h, (_, score) in zip(hits, expected, strict=False)), query
        matched += bool(expected)
    assert matched > 0.9 * len(queries)


def test_queries_are_stemmed_as_the_index_stems(reference: duckdb.DuckDBPyConnection) -> None:
    """search stems with PyStemmer; the index was stemmed by the FTS extension's `stem`: every word agrees."""
    pairs = reference.execute(
        "SELECT token, stem(token, 'porter') FROM (SELECT DISTINCT unnest(fts_main_docs.tokenize("
        "concat_ws(' ', title_text, abstract, keywords, mesh))) AS token FROM docs)").fetchall()
    assert len(pairs) > 10_000
    stemmer = Stemmer.Stemmer("porter")
    assert [(token, stemmer.stemWord(token)) for token, _ in pairs] == pairs


def test_searching_needs_no_fts_extension(db: Path, con: duckdb.DuckDBPyConnection,
                                          monkeypatch: pytest.MonkeyPatch) -> None:
    ids = load_seeds(con)
    rebuild_search_index(con, db)

    def missing(version: str, platform: str) -> Path:
        raise WarehouseError("no FTS extension here")

    monkeypatch.setattr(warehouse.connect, "fts_extension_path", missing)
    assert search(db, QUERY)[0].article_id == ids[BR_J_CANCER_IL2]


def test_an_index_of_the_previous_format_is_rebuilt(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    ids = load_seeds(con)
    rebuild_search_index(con, db)
    con.close()
    old = duckdb.connect(str(index_path(db)))
    old.execute("DROP TABLE postings")
    old.execute("UPDATE search_meta SET format = format - 1")
    old.close()
    assert search(db, QUERY)[0].article_id == ids[BR_J_CANCER_IL2]
    again = duckdb.connect(str(index_path(db)), read_only=True)
    assert again.execute("SELECT count(*) FROM postings").fetchone()[0] > 0
    again.close()
