"""The loader's records and tables, and loading one document at a time (a batch of one: warehouse/bulk.py)."""

from __future__ import annotations

import logging
from collections.abc import Iterable
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
    """A child table: its columns after `article_id` (name, DuckDB type) and the Article field its rows are made
    from (equal fields, equal rows): `source` is a list of values, or of elements whose `attrs` give the columns
    after `position`, or (`nested`) of elements each holding a list whose values are the rows."""

    name: str
    columns: tuple[tuple[str, str], ...]
    source: str
    attrs: tuple[str, ...] = ()
    nested: str = ""

    def rows(self, article: Article) -> list[tuple[Any, ...]]:
        """The article's rows one by one (the bulk loader builds the same columns in Arrow: bulk._child_table)."""
        values = getattr(article, self.source)
        if self.nested:
            return [(i, j, v) for i, x in enumerate(values, 1) for j, v in enumerate(getattr(x, self.nested), 1)]
        if self.attrs:
            return [(i, *(getattr(x, name) for name in self.attrs)) for i, x in enumerate(values, 1)]
        return list(enumerate(values, 1))


CHILD_TABLES = (
    ChildTable("authors", (("position", "INTEGER"), ("last", "VARCHAR"), ("fore", "VARCHAR"),
                           ("initials", "VARCHAR"), ("collective", "VARCHAR"), ("orcid", "VARCHAR")),
               "authors", ("last", "fore", "initials", "collective", "orcid")),
    ChildTable("author_affiliations", (("author_position", "INTEGER"), ("position", "INTEGER"),
                                       ("affiliation", "VARCHAR")), "authors", nested="affiliations"),
    ChildTable("article_affiliations", (("position", "INTEGER"), ("affiliation", "VARCHAR")), "affiliations"),
    ChildTable("abstract_sections", (("position", "INTEGER"), ("label", "VARCHAR"), ("text", "VARCHAR")),
               "abstract_sections", ("label", "text")),
    ChildTable("keywords", (("position", "INTEGER"), ("keyword", "VARCHAR")), "keywords"),
    ChildTable("mesh_terms", (("position", "INTEGER"), ("descriptor", "VARCHAR"), ("major", "BOOLEAN"),
                              ("qualifiers", "VARCHAR[]"), ("ui", "VARCHAR")),
               "mesh_terms", ("descriptor", "major", "qualifiers", "ui")),
    ChildTable("other_abstracts", (("position", "INTEGER"), ("type", "VARCHAR"), ("language", "VARCHAR"),
                                   ("text", "VARCHAR")), "other_abstracts", ("type", "language", "text")),
    ChildTable("article_links", (("position", "INTEGER"), ("kind", "VARCHAR"), ("pmid", "VARCHAR"),
                                 ("note", "VARCHAR")), "links", ("kind", "pmid", "note")),
    ChildTable("publication_types", (("position", "INTEGER"), ("publication_type", "VARCHAR")), "publication_types"),
)


def load_document(con: DuckDBPyConnection, article: Article, source: SourceRecord) -> LoadResult:
    """Load one document in one transaction; on any error nothing of it remains and the error is re-raised.

    A batch of one (warehouse/bulk.py): the record is matched to the article it belongs to (warehouse/merge.py),
    stored as one of that article's sources, and the article merged again from all of them.
    """
    from warehouse.bulk import load_batch  # bulk builds on this module's records and tables

    result = load_batch(con, [(article, source)])
    action: Action = "inserted" if result.inserted else "updated" if result.updated else "unchanged"
    return LoadResult(result.article_ids[0], action)


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


def delete_pmids(con: DuckDBPyConnection, pmids: list[str], input_: str | None = None) -> int:
    """Apply PubMed's DeleteCitation in one transaction; the PMIDs are kept in `deleted_pmids`.

    What PubMed published under a deleted PMID goes (its XML records and its own pages); an article that other
    sources still describe (a publisher page, a text copy) stays, merged again from them; one left without any
    source goes with all its rows. Returns the number of articles that lost sources.
    """
    from warehouse.bulk import delete_citations, paused_gc

    with paused_gc(), transaction(con):
        return delete_citations(con, pmids, input_)


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


# An article's rows read back as the record they hold (Article.to_dict's shape, provenance aside): a source that is
# its article's only one is stored without its record (`article_sources.record` NULL), as the rows are exactly it.
# `{ids}` names a one-column table (`v`) of article ids, between $low and $high. Each list is gathered unordered and
# sorted by position afterwards (`_ordered_list`): DuckDB's ordered aggregate (`list(v ORDER BY position)`) took most
# of the query (85 of 97 ms for 1,167 articles; 66 ms in all this way).
ROWS_AS_RECORD = """
WITH wanted AS (SELECT v AS article_id FROM {ids}),
affs AS (SELECT article_id, author_position, {affiliations} AS v FROM author_affiliations
         WHERE article_id BETWEEN $low AND $high AND article_id IN (SELECT article_id FROM wanted) GROUP BY ALL),
au AS (SELECT x.article_id, {authors} AS v
       FROM authors x LEFT JOIN affs f ON f.article_id = x.article_id AND f.author_position = x."position"
       WHERE x.article_id BETWEEN $low AND $high AND x.article_id IN (SELECT article_id FROM wanted) GROUP BY ALL),
{lists}
SELECT a.article_id, to_json({
    'site': a.site, 'source_kind': a.source_kind, 'source_url': a.source_url, 'pmid': a.pmid, 'pmcid': a.pmcid,
    'doi': a.doi, 'title': a.title, 'abstract': a.abstract, 'abstract_sections': coalesce(secs.v, []),
    'journal': a.journal, 'journal_abbrev': a.journal_abbrev, 'issn': a.issn, 'volume': a.volume, 'issue': a.issue,
    'pages': a.pages, 'pub_date': a.pub_date, 'pub_year': a.pub_year, 'authors': coalesce(au.v, []),
    'affiliations': coalesce(affl.v, []::VARCHAR[]), 'keywords': coalesce(kws.v, []::VARCHAR[]),
    'mesh_terms': coalesce(mesh.v, []), 'publication_types': coalesce(pts.v, []::VARCHAR[]),
    'language': a."language", 'vernacular_title': a.vernacular_title, 'other_abstracts': coalesce(oas.v, []),
    'links': coalesce(lks.v, []), 'pmid_version': a.pmid_version, 'parser': a.parser,
    'warnings': coalesce(a.warnings, []::VARCHAR[])})
FROM articles a
LEFT JOIN au USING (article_id) LEFT JOIN secs USING (article_id) LEFT JOIN affl USING (article_id)
LEFT JOIN kws USING (article_id) LEFT JOIN mesh USING (article_id) LEFT JOIN pts USING (article_id)
LEFT JOIN oas USING (article_id) LEFT JOIN lks USING (article_id)
WHERE a.article_id BETWEEN $low AND $high AND a.article_id IN (SELECT article_id FROM wanted)
"""
_ROW_LISTS = {"secs": ("abstract_sections", "{'label': \"label\", 'text': \"text\"}"),
              "affl": ("article_affiliations", "affiliation"), "kws": ("keywords", "keyword"),
              "mesh": ("mesh_terms", "{'descriptor': descriptor, 'major': major, 'qualifiers': qualifiers, 'ui': ui}"),
              "pts": ("publication_types", "publication_type"),
              "oas": ("other_abstracts", "{'text': \"text\", 'type': \"type\", 'language': \"language\"}"),
              "lks": ("article_links", "{'kind': kind, 'pmid': pmid, 'note': note}")}
_AUTHOR = ("{'last': x.\"last\", 'fore': x.fore, 'initials': x.initials, 'collective': x.collective, "
           "'affiliations': coalesce(f.v, []::VARCHAR[]), 'orcid': x.orcid}")


def _ordered_list(value: str, position: str = '"position"') -> str:
    """The values of a group as a list in `position` order: sorted after an unordered `list`."""
    return f"list_transform(list_sort(list({{'p': {position}, 'v': {value}}})), lambda e: e.v)"


ROWS_AS_RECORD = (ROWS_AS_RECORD
                  .replace("{affiliations}", _ordered_list("affiliation"))
                  .replace("{authors}", _ordered_list(_AUTHOR, 'x."position"'))
                  .replace("{lists}", ",\n".join(
                      f"{name} AS (SELECT article_id, {_ordered_list(value)} AS v FROM {table} WHERE article_id "
                      f"BETWEEN $low AND $high AND article_id IN (SELECT article_id FROM wanted) GROUP BY ALL)"
                      for name, (table, value) in _ROW_LISTS.items())))
