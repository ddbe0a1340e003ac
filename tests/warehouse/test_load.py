"""Loading `Article` records: the right rows, idempotent reruns, updates in place, nothing half-loaded."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable

import duckdb
import pytest

from transforms.article import Article, Author
from warehouse import bulk as bulk_module
from warehouse.load import LoadResult, SourceRecord, load_document, load_documents
from warehouse.migrate import migrations

Counts = Callable[[duckdb.DuckDBPyConnection], dict[str, int]]


def rows(con: duckdb.DuckDBPyConnection, sql: str) -> list[tuple]:
    return con.execute(sql).fetchall()


def test_loading_an_article_creates_the_right_rows(con: duckdb.DuckDBPyConnection, article: Article,
                                                   source: SourceRecord) -> None:
    result = load_document(con, article, source)
    assert result == LoadResult(1, "inserted")
    [row] = rows(con, "SELECT site, source_kind, pmid, pmcid, doi, title, pub_year, language, parser, "
                      "warnings, created_at = updated_at FROM articles")
    assert row == ("pubmed", "html", "123", "PMC9", "10.1000/xyz", "Aspirin and fever", 2024, "eng",
                   "pubmed_html", ["no affiliations for author 2"], True)
    assert rows(con, "SELECT * FROM authors ORDER BY position") == [
        (1, 1, "Smith", "Jane", "J", None, "0000-0001"), (1, 2, None, None, None, "The Trial Group", None)]
    assert rows(con, "SELECT * FROM author_affiliations ORDER BY author_position, position") == [
        (1, 1, 1, "Univ A"), (1, 1, 2, "Hosp B")]
    assert rows(con, "SELECT * FROM article_affiliations") == [(1, 1, "Unattributed Inst")]
    assert rows(con, "SELECT * FROM abstract_sections ORDER BY position") == [
        (1, 1, "BACKGROUND", "Background."), (1, 2, None, "Methods.")]
    assert rows(con, "SELECT * FROM keywords ORDER BY position") == [(1, 1, "aspirin"), (1, 2, "fever")]
    assert rows(con, "SELECT * FROM mesh_terms ORDER BY position") == [
        (1, 1, "Aspirin", True, ["therapeutic use"], None), (1, 2, "Fever", False, [], None)]
    assert rows(con, "SELECT * FROM publication_types ORDER BY position") == [
        (1, 1, "Journal Article"), (1, 2, "Randomized Controlled Trial")]
    assert rows(con, "SELECT article_id, input, content_hash, size_bytes, site, source_kind, parser "
                     "FROM sources") == [(1, "/data/page.html", "a" * 64, 2048, "pubmed", "html",
                                          "litingest/1")]


def test_loading_again_changes_no_row(con: duckdb.DuckDBPyConnection, article: Article, source: SourceRecord,
                                      counts: Counts) -> None:
    load_document(con, article, source)
    before = counts(con)
    snapshot = rows(con, "SELECT * FROM articles"), rows(con, "SELECT * FROM sources")
    assert load_document(con, article, source) == LoadResult(1, "unchanged")
    assert counts(con) == before
    assert (rows(con, "SELECT * FROM articles"), rows(con, "SELECT * FROM sources")) == snapshot


def test_a_changed_document_updates_in_place(con: duckdb.DuckDBPyConnection, article: Article,
                                             source: SourceRecord, counts: Counts) -> None:
    load_document(con, article, source)
    [(created, first_update)] = rows(con, "SELECT created_at, updated_at FROM articles")
    changed = dataclasses.replace(article, title="Aspirin and fever, revised", authors=[Author(last="Doe")],
                                  keywords=["pyrexia"], mesh_terms=[], affiliations=[], abstract_sections=[])
    new_source = dataclasses.replace(source, content_hash="b" * 64, size_bytes=4096)
    assert load_document(con, changed, new_source) == LoadResult(1, "updated")
    [(article_id, title, created_at, updated_at)] = rows(
        con, "SELECT article_id, title, created_at, updated_at FROM articles")
    assert (article_id, title, created_at) == (1, "Aspirin and fever, revised", created)
    assert updated_at >= first_update
    assert rows(con, "SELECT position, last FROM authors") == [(1, "Doe")]
    assert rows(con, "SELECT keyword FROM keywords") == [("pyrexia",)]
    assert rows(con, "SELECT content_hash, size_bytes FROM sources") == [("b" * 64, 4096)]
    after = counts(con)
    assert (after["author_affiliations"], after["mesh_terms"], after["article_affiliations"],
            after["abstract_sections"], after["sources"]) == (0, 0, 0, 0, 1)


def test_a_new_parser_version_reloads_the_same_bytes(con: duckdb.DuckDBPyConnection, article: Article,
                                                      source: SourceRecord) -> None:
    load_document(con, article, source)
    result = load_document(con, article, dataclasses.replace(source, parser="litingest/2"))
    assert result == LoadResult(1, "updated")
    assert rows(con, "SELECT parser FROM sources") == [("litingest/2",)]


def test_a_new_input_with_a_known_pmid_or_doi_attaches_to_that_article(
        con: duckdb.DuckDBPyConnection, article: Article, source: SourceRecord, counts: Counts) -> None:
    load_document(con, article, source)
    other = SourceRecord("https://example.org/a", "c" * 64, 10, "litingest/1")
    by_pmid = dataclasses.replace(article, doi="10.1000/elsewhere", title="T2")
    assert load_document(con, by_pmid, other) == LoadResult(1, "updated")
    assert (counts(con)["articles"], counts(con)["sources"], counts(con)["authors"]) == (1, 2, 2)
    assert rows(con, "SELECT title, doi FROM articles") == [("T2", "10.1000/elsewhere")]
    third = SourceRecord("/data/other.html", "d" * 64, 10, "litingest/1")
    by_doi = dataclasses.replace(article, pmid=None, doi="10.1000/elsewhere")
    assert load_document(con, by_doi, third) == LoadResult(1, "updated")
    assert rows(con, "SELECT article_id FROM sources ORDER BY source_id") == [(1,), (1,), (1,)]
    fresh = SourceRecord("/data/new.html", "e" * 64, 10, "litingest/1")
    new = dataclasses.replace(article, pmid="999", doi="10.1000/other")
    assert load_document(con, new, fresh) == LoadResult(2, "inserted")


def failing_children(original: Callable[..., None]) -> Callable[..., None]:
    """The child-row inserts, failing (after the article rows are written) for a batch with a "BAD" title."""
    def insert(con: duckdb.DuckDBPyConnection, names: dict, tables: dict) -> None:
        if any((t or "").startswith("BAD") for t in tables["articles"].column("title").to_pylist()):
            raise RuntimeError("disk on fire")
        original(con, names, tables)
    return insert


def test_a_failure_midway_leaves_nothing_and_the_next_document_loads(
        con: duckdb.DuckDBPyConnection, article: Article, source: SourceRecord, counts: Counts,
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(bulk_module, "_write_children", failing_children(bulk_module._write_children))
    bad = dataclasses.replace(article, title="BAD page")
    with pytest.raises(RuntimeError, match="disk on fire"):
        load_document(con, bad, source)
    assert counts(con) == {**{t: 0 for t in counts(con)}, "schema_migrations": len(migrations())}
    good_source = dataclasses.replace(source, input="/data/good.html")
    report = load_documents(con, [(bad, source), (article, good_source)])
    assert [(i, type(e)) for i, e in report.errors] == [("/data/page.html", RuntimeError)]
    assert [r.action for r in report.results] == ["inserted"]
    assert rows(con, "SELECT input FROM sources") == [("/data/good.html",)]
    assert counts(con)["articles"] == 1 and counts(con)["authors"] == 2


def test_a_failed_update_keeps_the_previous_rows(con: duckdb.DuckDBPyConnection, article: Article,
                                                 source: SourceRecord, counts: Counts,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    load_document(con, article, source)
    before = counts(con), rows(con, "SELECT * FROM articles"), rows(con, "SELECT * FROM sources")
    monkeypatch.setattr(bulk_module, "_write_children", failing_children(bulk_module._write_children))
    with pytest.raises(RuntimeError):
        load_document(con, dataclasses.replace(article, title="BAD edit"),
                      dataclasses.replace(source, content_hash="f" * 64))
    assert (counts(con), rows(con, "SELECT * FROM articles"), rows(con, "SELECT * FROM sources")) == before


def test_a_constraint_violation_rolls_back_too(con: duckdb.DuckDBPyConnection, article: Article,
                                               source: SourceRecord, counts: Counts) -> None:
    """A real DuckDB error from the child inserts (NOT NULL) after the article row is written."""
    broken = dataclasses.replace(article, keywords=["ok", None])  # type: ignore[list-item]
    with pytest.raises(duckdb.ConstraintException):
        load_document(con, broken, source)
    assert counts(con)["articles"] == 0 and counts(con)["authors"] == 0
