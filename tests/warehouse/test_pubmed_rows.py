"""PubMed's own rows: other abstracts, links, MeSH UIs, versioned PMIDs and DeleteCitation."""

from __future__ import annotations

from dataclasses import replace

import duckdb

from transforms.article import Article, ArticleLink, MeshTerm, OtherAbstract
from warehouse.load import SourceRecord, delete_pmids, load_document


def test_pubmed_fields_have_their_rows(con: duckdb.DuckDBPyConnection, article: Article,
                                      source: SourceRecord) -> None:
    article.other_abstracts = [OtherAbstract("Resumen.", "Publisher", "spa")]
    article.links = [ArticleLink("ErratumIn", "999", "J Test. 2025;1:2")]
    article.mesh_terms = [MeshTerm("Aspirin", True, [], "D001241")]
    article.vernacular_title, article.pmid_version = "Aspirina y fiebre", 1
    aid = load_document(con, article, source).article_id
    assert con.execute("SELECT type, language, text FROM other_abstracts WHERE article_id = ?", [aid]).fetchall() \
        == [("Publisher", "spa", "Resumen.")]
    assert con.execute("SELECT kind, pmid, note FROM article_links").fetchall() == [
        ("ErratumIn", "999", "J Test. 2025;1:2")]
    assert con.execute("SELECT ui FROM mesh_terms").fetchall() == [("D001241",)]
    assert con.execute("SELECT vernacular_title, pmid_version FROM articles").fetchall() == [
        ("Aspirina y fiebre", 1)]


def test_an_earlier_version_never_replaces_a_later_one(con: duckdb.DuckDBPyConnection, article: Article) -> None:
    v2 = replace(article, title="Version two", pmid_version=2)
    v1 = replace(article, title="Version one", pmid_version=1)
    load_document(con, v2, SourceRecord("f.xml#123.2", "h", 1, "p"))
    load_document(con, v1, SourceRecord("f.xml#123.1", "h", 1, "p"))
    assert con.execute("SELECT title, pmid_version FROM articles").fetchall() == [("Version two", 2)]
    load_document(con, replace(article, title="Version three", pmid_version=3), SourceRecord("g#123.3", "h", 1, "p"))
    assert con.execute("SELECT title FROM articles").fetchall() == [("Version three",)]


def test_delete_citation_removes_every_row_and_remembers_the_pmid(
        con: duckdb.DuckDBPyConnection, article: Article, source: SourceRecord, counts) -> None:
    load_document(con, article, source)
    other = replace(article, pmid="456", doi=None, title="Kept")
    load_document(con, other, SourceRecord("/data/other.html", "b" * 64, 1, "p"))
    assert delete_pmids(con, ["123", "789"], "update.xml.gz") == 1
    assert con.execute("SELECT pmid FROM articles").fetchall() == [("456",)]
    assert con.execute("SELECT count(*) FROM authors WHERE article_id NOT IN (SELECT article_id FROM articles)"
                       ).fetchone() == (0,)
    assert con.execute("SELECT count(*) FROM sources").fetchone() == (1,)
    assert sorted(r[0] for r in con.execute("SELECT pmid FROM deleted_pmids").fetchall()) == ["123", "789"]
