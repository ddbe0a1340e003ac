"""The analysts' views: one row per article with its lists flattened, one row per author per article."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

from tests.warehouse.seed_pages import load_seeds
from transforms.article import Article
from warehouse.load import SourceRecord, load_document

README = Path(__file__).resolve().parents[2] / "README.md"


def test_article_view_flattens_an_article(con: duckdb.DuckDBPyConnection, article: Article,
                                          source: SourceRecord) -> None:
    article_id = load_document(con, article, source).article_id
    row = con.execute("SELECT article_id, pmid, doi, title, journal, pub_year, pub_date, authors, first_author, "
                      "author_count, keywords, mesh_terms, publication_types, abstract FROM article_view").fetchall()
    assert row == [(article_id, "123", "10.1000/xyz", "Aspirin and fever", "J Test", 2024, "2024-03",
                    "Smith J, The Trial Group", "Smith J", 2, ["aspirin", "fever"], ["Aspirin", "Fever"],
                    ["Journal Article", "Randomized Controlled Trial"], "Background. Methods.")]


def test_an_article_without_authors_or_terms_has_empty_lists(con: duckdb.DuckDBPyConnection) -> None:
    bare = Article(site="generic", source_kind="html", title="Untitled note", abstract="Text.")
    load_document(con, bare, SourceRecord("bare.html", "c" * 64, 1, "tests"))
    row = con.execute("SELECT authors, first_author, author_count, keywords, mesh_terms, publication_types "
                      "FROM article_view").fetchone()
    assert row == (None, None, 0, [], [], [])


def test_author_articles_has_one_row_per_author(con: duckdb.DuckDBPyConnection, article: Article,
                                                source: SourceRecord) -> None:
    article_id = load_document(con, article, source).article_id
    rows = con.execute("SELECT * FROM author_articles ORDER BY position").fetchall()
    assert rows == [
        (article_id, 1, "Smith J", "Smith", "Jane", "J", None, "0000-0001", "Aspirin and fever", "J Test", 2024),
        (article_id, 2, "The Trial Group", None, None, None, "The Trial Group", None, "Aspirin and fever",
         "J Test", 2024)]


def test_the_views_keep_every_seed_article_and_author(con: duckdb.DuckDBPyConnection) -> None:
    load_seeds(con)
    counts = con.execute("SELECT (SELECT count(*) FROM articles), (SELECT count(DISTINCT article_id) FROM "
                         "article_view), (SELECT count(*) FROM article_view), (SELECT count(*) FROM authors), "
                         "(SELECT count(*) FROM author_articles)").fetchone()
    assert counts[0] == counts[1] == counts[2] == 5
    assert counts[3] == counts[4] > 0
    assert con.execute("SELECT sum(author_count) FROM article_view").fetchone()[0] == counts[3]


def test_the_readme_queries_run_on_the_seeds(con: duckdb.DuckDBPyConnection, article: Article,
                                             source: SourceRecord) -> None:
    load_seeds(con)
    load_document(con, article, source)  # the seeds carry no MeSH terms
    section = README.read_text(encoding="utf-8").split("### Querying", 1)[1]
    block = re.search(r"```sql\n(.*?)```", section, re.S)
    assert block, "README: no SQL block under ### Querying"
    queries = [q for q in block.group(1).split(";") if q.strip()]
    assert len(queries) == 4
    for query in queries:
        assert con.execute(query).fetchall(), query
