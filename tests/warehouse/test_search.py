"""Full-text search: BM25 ranking over the seed pages, an index updated after loads, no waiting on a writer.

`search` sums per-posting BM25 shares instead of calling the FTS extension's `match_bm25` on every row; the tests
at the end hold it to match_bm25's ranking and scores on the seed pages plus every record of the shared corpus,
and hold an index updated with only the changed articles to what a full rebuild holds and answers.
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
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb
import pytest
import Stemmer

import warehouse.connect
from tests.gold import SHARED
from tests.warehouse.seed_pages import BR_J_CANCER_IL2, load_seeds, seed_paths
from transforms.article import Article, MeshTerm
from transforms.errors import ParseError
from transforms.pipeline import parse_bytes
from transforms.pubmed_xml import iter_pubmed
from warehouse.bulk import load_batch
from warehouse.connect import OFFLINE_CONFIG, connect, load_fts, open_file
from warehouse.errors import WarehouseError
from warehouse.load import SourceRecord, delete_pmids, load_document
from warehouse.search import (
    FTS_INDEX,
    SEARCHABLE_SQL,
    index_path,
    rebuild_search_index,
    refresh_search_index,
    search,
    update_search_index,
)

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


def test_a_writer_gets_its_memory_cap_back_after_a_build(db: Path, con: duckdb.DuckDBPyConnection) -> None:
    """Copying every article's text out needs more than a loading writer's cap (512 MB; 200,000 articles did not
    fit, bench/warehouse.py): the build runs under DuckDB's default, then the connection has its cap again."""
    load_seeds(con)
    con.execute("SET memory_limit = '64MB'")
    cap = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    rebuild_search_index(con, db)
    assert con.execute("SELECT current_setting('memory_limit')").fetchone()[0] == cap
    assert search(db, QUERY)


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


@pytest.mark.parametrize("build", [rebuild_search_index, update_search_index])
def test_a_rebuild_replaces_the_index_another_process_is_reading(db: Path, con: duckdb.DuckDBPyConnection,
                                                                article: Article, source: SourceRecord,
                                                                build: Callable[..., object]) -> None:
    load_seeds(con)
    rebuild_search_index(con, db)
    with held(index_path(db), "read"):
        article_id = load_document(con, article, source).article_id
        build(con, db)
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


def bm25_reference(con: duckdb.DuckDBPyConnection) -> duckdb.DuckDBPyConnection:
    """The FTS extension's own index over the database's current articles, in memory: match_bm25 to compare with."""
    searchable = con.execute(SEARCHABLE_SQL).to_arrow_table()
    ref = duckdb.connect(config=OFFLINE_CONFIG)
    load_fts(ref)
    ref.register("searchable", searchable)
    ref.execute("CREATE TABLE docs AS SELECT * FROM searchable")
    ref.execute(FTS_INDEX.format(table="docs"))
    return ref


@pytest.fixture(scope="module")
def reference(corpus_db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    con = connect(corpus_db, read_only=True)
    ref = bm25_reference(con)
    con.close()
    # Held open, the (unchanging) index's DuckDB instance is reused by each `search` instead of opened again.
    held_index = open_file(index_path(corpus_db), read_only=True)
    yield ref
    held_index.close()
    ref.close()


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


def searchable_rows(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[object, ...]]:
    """Each article's searched and shown text as the database holds it now."""
    return {row[0]: row[1:] for row in con.execute(SEARCHABLE_SQL).fetchall()}


def what_changed(before: dict[int, tuple[object, ...]], after: dict[int, tuple[object, ...]]
                 ) -> tuple[set[int], set[int]]:
    """The articles an update must tokenize (new or changed text) and those whose old postings must go."""
    tokenize = {a for a, row in after.items() if before.get(a) != row}
    return tokenize, (tokenize & before.keys()) | (before.keys() - after.keys())


def all_hits(db: Path, queries: list[str]) -> dict[str, list[tuple[int, float]]]:
    return {query: [(h.article_id, h.score) for h in search(db, query, 100_000)] for query in queries}


def assert_match_bm25(con: duckdb.DuckDBPyConnection, found: dict[str, list[tuple[int, float]]]) -> None:
    """The hits are match_bm25's over the database's current articles: same order, scores within 1e-9."""
    ref = bm25_reference(con)
    try:
        for query, hits in found.items():
            expected = ref.execute(MATCH_BM25, [query, 100_000]).fetchall()
            assert [a for a, _ in hits] == [a for a, _ in expected], query
            assert all(abs(score - want) < 1e-9 for (_, score), (_, want) in zip(hits, expected, strict=True)), query
    finally:
        ref.close()


# What an index holds, whichever table its postings are in and whatever ids its terms got.
INDEX_CONTENT = {
    "stats": "SELECT num_docs, avgdl FROM stats",
    "terms": "SELECT term, df FROM dict ORDER BY term",
    "postings": "SELECT d.term, p.article_id, p.tf, p.len FROM (FROM postings UNION ALL FROM postings_new) AS p "
                "JOIN dict AS d USING (termid) ORDER BY ALL",
    "docs": "SELECT * FROM docs ORDER BY article_id",
}


def index_content(db: Path) -> dict[str, list[tuple[object, ...]]]:
    con = duckdb.connect(str(index_path(db)), read_only=True)
    try:
        return {name: con.execute(sql).fetchall() for name, sql in INDEX_CONTENT.items()}
    finally:
        con.close()


def new_postings(db: Path) -> int:
    con = duckdb.connect(str(index_path(db)), read_only=True)
    try:
        return con.execute("SELECT count(*) FROM postings_new").fetchone()[0]
    finally:
        con.close()


def assert_same_as_a_rebuild(con: duckdb.DuckDBPyConnection, db: Path,
                             found: dict[str, list[tuple[int, float]]]) -> None:
    """A full rebuild from the same database holds the same and answers the same, scores equal to the last bit."""
    updated = index_content(db)
    aside = db.with_name("updated.search.duckdb")
    os.replace(index_path(db), aside)
    try:
        assert rebuild_search_index(con, db) == index_path(db)
        assert index_content(db) == updated
        assert all_hits(db, list(found)) == found
    finally:
        os.replace(aside, index_path(db))  # the updated index goes on being updated


def single_source_pubmed(con: duckdb.DuckDBPyConnection, among: list[str]) -> list[tuple[str, int]]:
    """(pmid, article_id) of articles that only a PubMed record of `among` describes: deleting the PMID deletes them."""
    return con.execute("SELECT a.pmid, a.article_id FROM articles AS a JOIN sources AS s USING (article_id) "
                       "WHERE a.pmid IN (SELECT unnest($1)) GROUP BY ALL HAVING count(*) = 1 ORDER BY a.article_id",
                       [among]).fetchall()


def changed_abstract(items: list[tuple[Article, SourceRecord]], pmid: str, word: str) -> tuple[Article, SourceRecord]:
    article, source = next(item for item in items if item[0].pmid == pmid)
    return (dataclasses.replace(article, abstract=f"{article.abstract} A {word} finding."),
            dataclasses.replace(source, content_hash=hashlib.sha256(word.encode()).hexdigest()))


def test_an_update_tokenizes_only_what_changed_and_ranks_as_a_rebuild(tmp_path: Path) -> None:
    """Loads, an abstract changed and a PMID deleted, twice: each update tokenizes just the articles whose text
    changed, and its index holds and answers exactly what a full rebuild does, and what match_bm25 does."""
    db = tmp_path / "w.duckdb"
    items = corpus_items()
    pubmed = [n for n, (article, _) in enumerate(items) if article.source_kind == "pubmed_xml"]
    held_back = pubmed[len(pubmed) // 2:][:40]
    later = [items[n] for n in held_back]
    con = connect(db)
    try:
        load_batch(con, [item for n, item in enumerate(items) if n not in set(held_back)])
        first = update_search_index(con, db)  # no index yet: built whole
        rows = searchable_rows(con)
        assert (first.full, first.tokenized, first.removed, first.documents) == (True, len(rows), 0, len(rows))
        queries = [*sample_queries(bm25_reference(con))[:40], *EDGE_QUERIES, "zeugmatic", "quincuncial"]
        earlier = single_source_pubmed(con, [a.pmid for a, _ in items if a.source_kind == "pubmed_xml"])
        rounds = [(later, earlier[0], earlier[1], "zeugmatic"), ([], None, None, "quincuncial")]
        for n, (load_now, changed, deleted, word) in enumerate(rounds):
            before = searchable_rows(con)
            load_batch(con, load_now)
            if n == 1:  # now change and delete articles the first update added
                changed, deleted = single_source_pubmed(con, [a.pmid for a, _ in later])[:2]
            assert load_document(con, *changed_abstract(items, changed[0], word)).action == "updated"
            assert delete_pmids(con, [deleted[0]]) == 1
            after = searchable_rows(con)
            tokenize, remove = what_changed(before, after)
            assert changed[1] in tokenize & remove and deleted[1] in remove - after.keys()
            update = update_search_index(con, db)
            assert (update.full, update.tokenized, update.removed, update.documents) == (
                False, len(tokenize), len(remove), len(after))
            assert update.tokenized <= 41 and new_postings(db) > 0  # the update's postings beside the main ones
            found = all_hits(db, queries)
            assert [a for a, _ in found[word]] == [changed[1]]
            assert deleted[1] not in {a for hits in found.values() for a, _ in hits}
            assert_match_bm25(con, found)
            assert_same_as_a_rebuild(con, db, found)
    finally:
        con.close()


def test_a_refresh_after_each_load_updates_the_index(db: Path, con: duckdb.DuckDBPyConnection, article: Article,
                                                     source: SourceRecord) -> None:
    """As the flows call it, on the closed database: new, unchanged, deleted. Four times as many new postings
    as indexed ones go into the main table (the update rewrites it) rather than beside it."""
    first, *others = seed_paths()
    load_seeds(con, [first])
    con.close()
    assert (refresh_search_index(db).full, refresh_search_index(db).tokenized) == (True, 0)
    with connect(db) as writer:
        load_seeds(writer, others)
        aspirin = load_document(writer, article, source).article_id
    update = refresh_search_index(db)
    assert (update.full, update.tokenized, update.removed, update.documents) == (False, 5, 0, 6)
    assert [h.article_id for h in search(db, "aspirin fever")][:1] == [aspirin]
    assert new_postings(db) == 0
    kept = index_path(db).stat().st_ino
    assert (refresh_search_index(db).tokenized, refresh_search_index(db).removed) == (0, 0)
    assert index_path(db).stat().st_ino == kept  # nothing changed: the index file stays
    with connect(db) as writer:
        delete_pmids(writer, [article.pmid])
    update = refresh_search_index(db)
    assert (update.tokenized, update.removed, update.documents) == (0, 1, 5)
    assert search(db, "aspirin") == []
    with connect(db, read_only=True) as reader:
        assert_match_bm25(reader, all_hits(db, [QUERY, "melanoma", "interleukin-2 therapy", "fever"]))
    assert not [p.name for p in db.parent.iterdir() if p.name.endswith(".tmp")]
