"""Bulk loading must leave exactly the rows that loading the same records one by one leaves."""

from __future__ import annotations

import dataclasses
import gzip
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from transforms.article import AbstractSection, Article, ArticleLink, Author, MeshTerm, OtherAbstract
from transforms.errors import ParseError
from transforms.pubmed_xml import iter_pubmed
from warehouse.bulk import BatchResult, load_batch, load_batch_or_isolate
from warehouse.connect import connect
from warehouse.load import CHILD_TABLES, SourceRecord, load_document

Counts = Callable[[duckdb.DuckDBPyConnection], dict[str, int]]
Item = tuple[Article, SourceRecord]
PER_FILE = 12  # records taken from each corpus file: loading one by one takes ~30 ms a record
LONG_TITLE = "Intralesional interleukin-2 in soft-tissue melanoma metastases"


def src(input_: str, content_hash: str = "h1", parser: str = "p/1") -> SourceRecord:
    return SourceRecord(input_, content_hash, 100, parser)


@pytest.fixture
def full(article: Article) -> Article:
    """The fixture article with a row in every child table."""
    return dataclasses.replace(
        article, other_abstracts=[OtherAbstract("Resumen.", "Publisher", "spa")],
        links=[ArticleLink("ErratumIn", "999", "J Test. 2025;1:2")],
        mesh_terms=[MeshTerm("Aspirin", True, ["therapeutic use", "adverse effects"], "D001241"), MeshTerm("Fever")],
        vernacular_title="Aspirina y fiebre", pmid_version=1)


def variant(article: Article, **changes: object) -> Article:
    return dataclasses.replace(article, **changes)


@pytest.fixture
def preloaded(full: Article) -> list[Item]:
    """What the database holds before the batch: five articles, one of them at PMID version 2."""
    return [(variant(full, pmid="1", doi="10.1/a"), src("a.xml")),
            (variant(full, pmid="2", doi=None, pmid_version=2, title="B v2"), src("b.xml#2.2")),
            (variant(full, pmid="3", doi="10.1/c", title="C"), src("c.xml")),
            (variant(full, pmid="4", doi="10.1/d", title="D"), src("d4.xml")),
            (variant(full, pmid="5", doi="10.1/e", title="E"), src("e5.xml")),
            (variant(full, pmid="6", doi=None, pmcid=None, title=LONG_TITLE), src("long6.xml"))]


@pytest.fixture
def batch(full: Article) -> list[Item]:
    """New, unchanged, changed, attached by PMID and by DOI, versions in and across batches, repeated inputs."""
    fewer = {"authors": [Author(last="Doe", affiliations=["Elsewhere"])], "keywords": ["k"], "mesh_terms": [],
             "links": [], "other_abstracts": [], "abstract_sections": [AbstractSection(None, "Only.")]}
    return [
        (variant(full, pmid="10", doi="10.1/n1", title="N1"), src("n1.xml")),  # new
        (variant(full, pmid="1", doi="10.1/a"), src("a.xml")),  # unchanged
        (variant(full, pmid="3", doi="10.1/c", title="C edited", **fewer), src("c.xml", "h2")),  # changed hash
        (variant(full, pmid="1", doi="10.1/a-html", title="A from HTML"), src("a.html")),  # attached by PMID
        (variant(full, pmid=None, doi="10.1/n1", title="N1 by DOI"), src("n1.html")),  # by DOI, new in this batch
        (variant(full, pmid="2", doi=None, pmid_version=1, title="B v1"), src("b.xml#2.1")),  # older: kept out
        (variant(full, pmid="2", doi=None, pmid_version=3, title="B v3", **fewer), src("b.xml#2.3")),  # newer
        (variant(full, pmid="20", doi=None, pmid_version=1, title="V1"), src("u.xml#20.1")),
        (variant(full, pmid="20", doi=None, pmid_version=3, title="V3"), src("u.xml#20.3")),
        (variant(full, pmid="20", doi=None, pmid_version=2, title="V2"), src("u.xml#20.2")),  # V3 stays
        (variant(full, pmid="30", doi="10.1/x", title="X"), src("x.xml")),
        (variant(full, pmid="30", doi="10.1/x", title="X again"), src("x.xml", "h2")),  # same input, new hash
        (variant(full, pmid="30", doi="10.1/x", title="X again"), src("x.xml", "h2")),  # then unchanged
        (variant(full, pmid="30", doi="10.1/x", title="X parser 2"), src("x.xml", "h2", "p/2")),  # new parser
        (variant(full, pmid="31", doi="10.1/c2", title="C moved"), src("c.xml", "h3")),  # C no longer PMID 3
        (variant(full, pmid="3", doi=None, title="New 3"), src("d.xml")),  # so a new article
        (variant(full, pmid="5", doi="10.1/d", title="E's PMID, D's DOI"), src("de.html")),  # the older one: D
        (variant(full, pmid=None, doi=None, title="No ids", pmid_version=None), src("e.html")),
        (variant(full, pmid=None, doi=None, title="No ids twin", pmid_version=None), src("f.html")),
        # one article, many sources: a text copy joins by title and year, a page of another first author does not
        (variant(full, pmid=None, doi=None, pmcid=None, title=LONG_TITLE.upper(), source_kind="text"), src("l.txt")),
        (variant(full, pmid=None, doi="10.1/l", pmcid=None, title=LONG_TITLE, authors=[Author(last="Other")]),
         src("l.html")),
        (variant(full, pmid="7", doi=None, pmcid=None, title=LONG_TITLE), src("long7.xml")),  # its own PMID
        (variant(full, pmid=None, doi=None, pmcid=None, title=LONG_TITLE, source_kind="text"), src("l2.txt")),
        # a retraction notice for an article loaded before and one loaded after it
        (variant(full, pmid="60", doi=None, pmcid=None, title="Notice", publication_types=["Retraction of Publication"],
                 links=[ArticleLink("RetractionOf", "1"), ArticleLink("RetractionOf", "61")]), src("notice.xml")),
        (variant(full, pmid="61", doi=None, pmcid=None, title="Retracted later"), src("r61.xml")),
    ]


def one_by_one(con: duckdb.DuckDBPyConnection, items: list[Item]) -> list[tuple[int, str]]:
    return [(r.article_id, r.action) for r in (load_document(con, a, s) for a, s in items)]


def snapshot(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    """Every table's rows, sorted; timestamps and source ids dropped, each article id as its sources' inputs."""
    group = article_groups(con)
    out = {}
    for (table,) in con.execute("SELECT table_name FROM duckdb_tables() ORDER BY 1").fetchall():
        described = con.execute(f"DESCRIBE {table}").fetchall()
        kept = [(name, name == "article_id") for name, kind, *_ in described
                if kind != "TIMESTAMP" and name != "source_id"]
        rows = con.execute(f"SELECT {', '.join(n for n, _ in kept)} FROM {table}").fetchall()
        out[table] = sorted((tuple(group[v] if is_id else v for v, (_, is_id) in zip(row, kept, strict=True))
                             for row in rows), key=repr)
    return out


def broken_invariants(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Rows sharing a key (no table the loader writes has a primary key or UNIQUE constraint, migrations 0005 and
    0007: the loader alone keeps them apart), and rows of pmidless_keys out of step with article_sources."""
    keys = {t.name: "article_id, author_position, position" if t.name == "author_affiliations"
            else "article_id, position" for t in CHILD_TABLES}
    keys |= {"articles": "article_id", "sources": "source_id", "sources ": "input", "article_sources": "source_id"}
    out = {f"{table.strip()} ({key})": con.execute(f"SELECT count(*) FROM (SELECT {key} FROM {table} GROUP BY ALL "
                                                     f"HAVING count(*) > 1)").fetchone()[0]
           for table, key in keys.items()}
    # pmidless_keys mirrors the article_sources rows without a PMID (migration 0008): rows on one side only
    mirror = "SELECT source_id, article_id, doi, pmcid, title_key, pub_year FROM {}"
    keyed, sourced = mirror.format("pmidless_keys"), mirror.format("article_sources WHERE pmid IS NULL")
    out["pmidless_keys out of step"] = sum(con.execute(f"SELECT count(*) FROM (({a}) EXCEPT ALL ({b}))").fetchone()[0]
                                           for a, b in ((keyed, sourced), (sourced, keyed)))
    return out


def article_groups(con: duckdb.DuckDBPyConnection) -> dict[int, tuple[str, ...]]:
    rows = con.execute("SELECT article_id, list_sort(list(input)) FROM sources GROUP BY 1").fetchall()
    return {article_id: tuple(inputs) for article_id, inputs in rows}


@pytest.fixture
def twin(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "one_by_one.duckdb")
    yield connection
    connection.close()


def test_a_mixed_batch_leaves_what_one_by_one_loading_leaves(
        con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection, preloaded: list[Item],
        batch: list[Item]) -> None:
    for connection in (con, twin):
        one_by_one(connection, preloaded)
    expected = one_by_one(twin, batch)
    created = con.execute("SELECT article_id, created_at FROM articles ORDER BY 1").fetchall()
    result = load_batch(con, batch)
    assert snapshot(con) == snapshot(twin)
    assert set(broken_invariants(con).values()) == {0}
    assert con.execute("SELECT article_id, created_at FROM articles WHERE article_id <= ? ORDER BY 1",
                       [len(created)]).fetchall() == created  # updated in place: created_at kept
    groups, twin_groups = article_groups(con), article_groups(twin)
    assert [groups[i] for i in result.article_ids] == [twin_groups[i] for i, _ in expected]
    assert (result.inserted, result.updated, result.unchanged) == tuple(
        [a for _, a in expected].count(k) for k in ("inserted", "updated", "unchanged"))
    assert con.execute("SELECT title FROM articles WHERE pmid = '20'").fetchall() == [("V3",)]
    assert con.execute("SELECT title, pmid_version FROM articles WHERE pmid = '2'").fetchall() == [("B v3", 3)]
    assert sorted(groups[i] for i in {result.article_ids[n] for n, (_, s) in enumerate(batch)
                                      if s.input.startswith(("l", "long"))}) == [
        ("l.html",), ("l.txt", "l2.txt", "long6.xml"), ("long7.xml",)]
    assert con.execute("SELECT pmid FROM articles WHERE retracted ORDER BY pmid").fetchall() == [("1",), ("61",)]


def test_new_articles_get_sequence_ids_in_record_order(con: duckdb.DuckDBPyConnection,
                                                       twin: duckdb.DuckDBPyConnection, batch: list[Item]) -> None:
    expected = one_by_one(twin, batch)
    assert load_batch(con, batch).article_ids == [i for i, _ in expected]
    assert con.execute("SELECT nextval('article_id_seq')").fetchone() == twin.execute(
        "SELECT nextval('article_id_seq')").fetchone()


def test_the_pubmed_corpus_loads_the_same_in_bulk(con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection,
                                                  shared: Path) -> None:
    """Real records, half loaded before; the batch re-issues some, as PMID version 2 and then version 1."""
    items = corpus_items(shared)
    assert len(items) > 60
    half = len(items) // 2
    versions = [(variant(a, pmid_version=v, title=f"v{v}"), src(f"{s.input}.{v}")) for v in (2, 1)
                for a, s in items[half - 5 : half + 5]]
    for connection in (con, twin):
        one_by_one(connection, items[:half])
    one_by_one(twin, items[half:] + versions + items[:10])
    load_batch(con, items[half:] + versions + items[:10])
    assert snapshot(con) == snapshot(twin)
    assert {t.name for t in CHILD_TABLES if not snapshot(con)[t.name]} <= {"article_affiliations"}  # pre-2014


def corpus_items(shared: Path) -> list[Item]:
    items = []
    for path in sorted((shared / "corpus" / "pubmed").glob("*.xml*")):
        if path.suffix not in (".xml", ".gz"):
            continue
        with (gzip.open if path.suffix == ".gz" else open)(path, "rb") as f:
            try:
                records = list(iter_pubmed(f, path.name))
            except ParseError:  # E-utility answers beside the PubMed files
                continue
        articles = [r for r in records if isinstance(r, Article)][:PER_FILE]
        items += [(r, src(f"{path.name}#{r.pmid}.{r.pmid_version or 1}")) for r in articles]
    return items


def test_a_failing_batch_leaves_nothing(con: duckdb.DuckDBPyConnection, preloaded: list[Item],
                                        batch: list[Item], full: Article) -> None:
    one_by_one(con, preloaded)
    before = snapshot(con)
    bad = (variant(full, pmid="99", keywords=["ok", None]), src("bad.xml"))
    with pytest.raises(duckdb.ConstraintException):
        load_batch(con, [*batch, bad])
    assert snapshot(con) == before
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (len(preloaded),)


def test_isolation_loads_the_good_records_and_names_the_bad_one(
        con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection, preloaded: list[Item],
        batch: list[Item], full: Article) -> None:
    bad = (variant(full, pmid="99", doi=None, keywords=["ok", None]), src("bad.xml"))
    for connection in (con, twin):
        one_by_one(connection, preloaded)
    expected = one_by_one(twin, batch)
    result, errors = load_batch_or_isolate(con, [*batch[:5], bad, *batch[5:]])
    assert [(i, type(e)) for i, e in errors] == [("bad.xml", duckdb.ConstraintException)]
    assert snapshot(con) == snapshot(twin)
    assert len(result.article_ids) == len(batch)
    assert (result.inserted, result.updated, result.unchanged) == tuple(
        [a for _, a in expected].count(k) for k in ("inserted", "updated", "unchanged"))


def test_isolation_loads_in_halves_not_record_by_record(
        con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection, batch: list[Item], full: Article) -> None:
    """One bad record among 64: found in about 2 log2(64) smaller batches, each a transaction, not 64 loads."""
    items = [(variant(full, pmid=str(700 + i), doi=f"10.1/halves.{i}", title=f"Halves {i}"), src(f"h{i}.xml"))
             for i in range(64)]
    bad = (variant(full, pmid="99", doi=None, keywords=["ok", None]), src("bad.xml"))
    items.insert(41, bad)
    one_by_one(twin, [item for item in items if item is not bad])
    transactions = Counter()
    counting = CountingConnection(con, transactions)
    result, errors = load_batch_or_isolate(counting, items)  # type: ignore[arg-type]
    assert [i for i, _ in errors] == ["bad.xml"]
    assert snapshot(con) == snapshot(twin)
    assert result.inserted == 64 and len(result.article_ids) == 64
    assert transactions["BEGIN TRANSACTION"] <= 2 * 7 + 1


def test_a_failure_of_the_database_is_raised_not_isolated(con: duckdb.DuckDBPyConnection, batch: list[Item]) -> None:
    """An I/O error (a full disk) is no bad record: one attempt, the error raised, nothing loaded."""
    transactions = Counter()
    failing = CountingConnection(con, transactions, fail_on="INSERT INTO articles",
                                 error=duckdb.IOException("No space left on device"))
    with pytest.raises(duckdb.IOException, match="No space left"):
        load_batch_or_isolate(failing, batch)  # type: ignore[arg-type]
    assert transactions["BEGIN TRANSACTION"] == 1
    assert con.execute("SELECT count(*) FROM articles").fetchone() == (0,)


class CountingConnection:
    """A connection that counts the statements it runs by their text, and fails one kind if asked."""

    def __init__(self, con: duckdb.DuckDBPyConnection, seen: Counter, fail_on: str | None = None,
                 error: Exception | None = None) -> None:
        self.con, self.seen, self.fail_on, self.error = con, seen, fail_on, error

    def execute(self, sql: str, *args: object) -> duckdb.DuckDBPyConnection:
        self.seen[sql] += 1
        if self.fail_on and self.error and sql.startswith(self.fail_on):
            raise self.error
        return self.con.execute(sql, *args)

    def __getattr__(self, name: str) -> object:
        return getattr(self.con, name)


def test_the_same_batch_twice_changes_no_row(con: duckdb.DuckDBPyConnection, twin: duckdb.DuckDBPyConnection,
                                             batch: list[Item], counts: Counts) -> None:
    load_batch(con, batch)
    before, rows = counts(con), snapshot(con)
    load_batch(con, batch)  # its repeated inputs are rewritten on the way, and end as they were
    one_by_one(twin, batch + batch)
    assert counts(con) == before and snapshot(con) == rows == snapshot(twin)
    last = list({s.input: (a, s) for a, s in batch}.values())
    first = load_batch(con, last)
    again = load_batch(con, last)
    assert counts(con) == before and snapshot(con) == rows
    assert set(broken_invariants(con).values()) == {0}
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, len(last))
    assert again.article_ids == first.article_ids


def test_an_empty_batch_does_nothing(con: duckdb.DuckDBPyConnection) -> None:
    assert load_batch(con, []) == BatchResult()
    assert load_batch_or_isolate(con, []) == (BatchResult(), [])
