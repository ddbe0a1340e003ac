"""Loads `Article` records into the normalized tables: one transaction per document, idempotent by input."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from duckdb import DuckDBPyConnection

from transforms.article import Article
from warehouse.transaction import transaction

log = logging.getLogger(__name__)
Action = Literal["inserted", "updated", "unchanged"]
ARTICLE_COLUMNS = ("site", "source_kind", "source_url", "pmid", "pmcid", "doi", "title", "abstract",
                   "journal", "journal_abbrev", "issn", "volume", "issue", "pages", "pub_date", "pub_year",
                   "language", "vernacular_title", "pmid_version", "parser", "warnings")


@dataclass(frozen=True, slots=True)
class SourceRecord:
    """The document a record was parsed from: input path or URL as given, sha256 hex of its bytes."""

    input: str
    content_hash: str
    size_bytes: int
    parser: str


@dataclass(frozen=True, slots=True)
class LoadResult:
    article_id: int
    action: Action


@dataclass(slots=True)
class LoadReport:
    results: list[LoadResult] = field(default_factory=list)
    errors: list[tuple[str, Exception]] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ChildTable:
    """A child table: its columns after `article_id` (name, DuckDB type) and the rows an article gives."""

    name: str
    columns: tuple[tuple[str, str], ...]
    rows: Callable[[Article], list[tuple[Any, ...]]]


def _author_affiliations(article: Article) -> list[tuple[Any, ...]]:
    return [(i, j, aff) for i, author in enumerate(article.authors, 1)
            for j, aff in enumerate(author.affiliations, 1)]


CHILD_TABLES = (
    ChildTable("authors", (("position", "INTEGER"), ("last", "VARCHAR"), ("fore", "VARCHAR"),
                           ("initials", "VARCHAR"), ("collective", "VARCHAR"), ("orcid", "VARCHAR")),
               lambda a: [(i, x.last, x.fore, x.initials, x.collective, x.orcid)
                          for i, x in enumerate(a.authors, 1)]),
    ChildTable("author_affiliations", (("author_position", "INTEGER"), ("position", "INTEGER"),
                                       ("affiliation", "VARCHAR")), _author_affiliations),
    ChildTable("article_affiliations", (("position", "INTEGER"), ("affiliation", "VARCHAR")),
               lambda a: list(enumerate(a.affiliations, 1))),
    ChildTable("abstract_sections", (("position", "INTEGER"), ("label", "VARCHAR"), ("text", "VARCHAR")),
               lambda a: [(i, s.label, s.text) for i, s in enumerate(a.abstract_sections, 1)]),
    ChildTable("keywords", (("position", "INTEGER"), ("keyword", "VARCHAR")),
               lambda a: list(enumerate(a.keywords, 1))),
    ChildTable("mesh_terms", (("position", "INTEGER"), ("descriptor", "VARCHAR"), ("major", "BOOLEAN"),
                              ("qualifiers", "VARCHAR[]"), ("ui", "VARCHAR")),
               lambda a: [(i, m.descriptor, bool(m.major), list(m.qualifiers or []), m.ui)
                          for i, m in enumerate(a.mesh_terms, 1)]),
    ChildTable("other_abstracts", (("position", "INTEGER"), ("type", "VARCHAR"), ("language", "VARCHAR"),
                                   ("text", "VARCHAR")),
               lambda a: [(i, o.type, o.language, o.text) for i, o in enumerate(a.other_abstracts, 1)]),
    ChildTable("article_links", (("position", "INTEGER"), ("kind", "VARCHAR"), ("pmid", "VARCHAR"),
                                 ("note", "VARCHAR")),
               lambda a: [(i, x.kind, x.pmid, x.note) for i, x in enumerate(a.links, 1)]),
    ChildTable("publication_types", (("position", "INTEGER"), ("publication_type", "VARCHAR")),
               lambda a: list(enumerate(a.publication_types, 1))),
)


def load_document(con: DuckDBPyConnection, article: Article, source: SourceRecord) -> LoadResult:
    """Load one document in one transaction; on any error nothing of it remains and the error is re-raised."""
    with transaction(con):
        known = _find_source(con, source.input)
        if known and known[1:] == (source.content_hash, source.parser):
            return LoadResult(known[0], "unchanged")
        if known:
            _update_article(con, known[0], article)
            _update_source(con, article, source)
            return LoadResult(known[0], "updated")
        match = _find_same_article(con, article)
        if match is not None and not _is_older_version(con, match, article):
            _update_article(con, match, article)
        article_id = match if match is not None else _insert_article(con, article)
        _insert_source(con, article_id, article, source)
        return LoadResult(article_id, "updated" if match is not None else "inserted")


def load_documents(con: DuckDBPyConnection, items: Iterable[tuple[Article, SourceRecord]]) -> LoadReport:
    """Load each document on its own; a failing one is recorded as (input, exception) and the rest go on."""
    report = LoadReport()
    for article, source in items:
        try:
            report.results.append(load_document(con, article, source))
        except Exception as exc:
            log.warning("%s: not loaded (%s: %s)", source.input, type(exc).__name__, exc)
            report.errors.append((source.input, exc))
    return report


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _find_source(con: DuckDBPyConnection, input_: str) -> tuple[int, str, str] | None:
    """(article_id, content_hash, parser) of the source loaded under `input_`, if any."""
    sql = "SELECT article_id, content_hash, parser FROM sources WHERE input = ?"
    row = con.execute(sql, [input_]).fetchone()
    return (int(row[0]), row[1], row[2]) if row else None


def _find_same_article(con: DuckDBPyConnection, article: Article) -> int | None:
    """An existing article with the same PMID or DOI (simple rule; the full merge is designed later)."""
    if not article.pmid and not article.doi:
        return None
    row = con.execute("SELECT min(article_id) FROM articles WHERE pmid = ? OR doi = ?",
                      [article.pmid, article.doi]).fetchone()
    return int(row[0]) if row and row[0] is not None else None


def _is_older_version(con: DuckDBPyConnection, article_id: int, article: Article) -> bool:
    """PubMed versions a PMID (`<PMID Version="2">`): an earlier version never replaces a later one."""
    row = con.execute("SELECT pmid, pmid_version FROM articles WHERE article_id = ?", [article_id]).fetchone()
    if row is None or row[0] != article.pmid or row[1] is None or article.pmid_version is None:
        return False
    return int(article.pmid_version) < int(row[1])


def delete_pmids(con: DuckDBPyConnection, pmids: list[str], input_: str | None = None) -> int:
    """Apply PubMed's DeleteCitation in one transaction: the articles and their rows go; the PMIDs are kept."""
    with transaction(con):
        ids = [r[0] for r in con.execute("SELECT article_id FROM articles WHERE pmid IN (SELECT unnest(?))",
                                          [pmids]).fetchall()]
        if ids:
            for table in (*(t.name for t in CHILD_TABLES), "sources", "articles"):
                con.execute(f"DELETE FROM {table} WHERE article_id IN (SELECT unnest(?))", [ids])
        con.execute("INSERT OR REPLACE INTO deleted_pmids SELECT unnest(?::VARCHAR[]), ?, ?",
                    [pmids, _now(), input_])
    return len(ids)


def _article_values(article: Article) -> list[Any]:
    values = [getattr(article, name) for name in ARTICLE_COLUMNS]
    return [list(v) if isinstance(v, list) else v for v in values]


def _insert_article(con: DuckDBPyConnection, article: Article) -> int:
    columns = ", ".join((*ARTICLE_COLUMNS, "created_at", "updated_at"))
    marks = ", ".join("?" * (len(ARTICLE_COLUMNS) + 2))
    now = _now()
    row = con.execute(f"INSERT INTO articles ({columns}) VALUES ({marks}) RETURNING article_id",
                      [*_article_values(article), now, now]).fetchone()
    assert row is not None
    _insert_children(con, int(row[0]), article)
    return int(row[0])


def _update_article(con: DuckDBPyConnection, article_id: int, article: Article) -> None:
    """Rewrite the article row in place (same id) and replace all of its child rows."""
    assignments = ", ".join(f"{name} = ?" for name in (*ARTICLE_COLUMNS, "updated_at"))
    con.execute(f"UPDATE articles SET {assignments} WHERE article_id = ?",
                [*_article_values(article), _now(), article_id])
    for table in CHILD_TABLES:
        con.execute(f"DELETE FROM {table.name} WHERE article_id = ?", [article_id])
    _insert_children(con, article_id, article)


def _insert_children(con: DuckDBPyConnection, article_id: int, article: Article) -> None:
    """One INSERT ... BY NAME SELECT per table; the rows go column-wise as list parameters, unnested."""
    for table in CHILD_TABLES:
        rows = table.rows(article)
        if rows:
            columns = [list(col) for col in zip(*rows, strict=True)]
            con.execute(_child_insert_sql(table), [article_id, *columns])


def _child_insert_sql(table: ChildTable) -> str:
    unnested = ", ".join(f"unnest(?::{kind}[]) AS {name}" for name, kind in table.columns)
    return f"INSERT INTO {table.name} BY NAME SELECT ?::BIGINT AS article_id, {unnested}"


def _insert_source(con: DuckDBPyConnection, article_id: int, article: Article, source: SourceRecord) -> None:
    con.execute("INSERT INTO sources (article_id, input, content_hash, size_bytes, site, source_kind, "
                "parser, loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [article_id, source.input, source.content_hash, source.size_bytes, article.site,
                 article.source_kind, source.parser, _now()])


def _update_source(con: DuckDBPyConnection, article: Article, source: SourceRecord) -> None:
    con.execute("UPDATE sources SET content_hash = ?, size_bytes = ?, site = ?, source_kind = ?, parser = ?, "
                "loaded_at = ? WHERE input = ?",
                [source.content_hash, source.size_bytes, article.site, article.source_kind, source.parser,
                 _now(), source.input])
