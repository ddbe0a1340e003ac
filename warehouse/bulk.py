"""Loads thousands of `Article` records per transaction through Arrow staging tables, so bulk PubMed files load fast."""

from __future__ import annotations

import gc
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain, repeat
from operator import attrgetter
from typing import Any

import pyarrow as pa
from duckdb import DuckDBPyConnection

from transforms.article import Article
from warehouse.load import ARTICLE_COLUMNS, CHILD_TABLES, ChildTable, LoadResult, SourceRecord, _now, load_documents
from warehouse.transaction import transaction

log = logging.getLogger(__name__)

Item = tuple[Article, SourceRecord]
# Placeholder ids of the articles a batch creates: above any real id, in creation order, so that "the smallest
# matching id" picks what it would pick one by one; replaced by ids from `article_id_seq` before writing.
NEW_ID_BASE = 1 << 62
ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(),
               "VARCHAR[]": pa.list_(pa.string())}
SOURCE_COLUMNS = (("article_id", "BIGINT"), ("input", "VARCHAR"), ("content_hash", "VARCHAR"),
                  ("size_bytes", "BIGINT"), ("site", "VARCHAR"), ("source_kind", "VARCHAR"), ("parser", "VARCHAR"))
# Two lookups, not one with OR: each side then gets its own join filter, and the PMID side skips the row groups
# outside the batch's PMID range (a baseline file's PMIDs are close together). The DOI side scans the column.
ARTICLE_KEYS = "SELECT article_id, pmid, doi, pmid_version FROM articles"
STAGING = "bulk_staging_"  # prefix of the names the Arrow tables are registered under, on this connection only


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Counts by action, and the article id of each loaded record in input order."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    article_ids: list[int] = field(default_factory=list)


def load_batch(con: DuckDBPyConnection, items: Sequence[Item]) -> BatchResult:
    """Load `items` in one transaction, leaving what `load_document` one by one in order would; on error, nothing.

    The decisions (unchanged, update in place, attach by PMID or DOI, keep the later PMID version, new id) are
    taken in memory against the rows the batch can touch, read once; the writes are then one or two set-based
    statements per table (`INSERT ... BY NAME SELECT` from registered Arrow tables, `UPDATE ... FROM`).
    """
    if not items:
        return BatchResult()
    with paused_gc(), transaction(con):
        plan = _BatchPlan(*_read_state(con, items))
        for article, source in items:
            plan.add(article, source)
        real = _allocate_ids(con, plan.new_count)
        _write(con, plan, real)
    return BatchResult(*(plan.actions.count(a) for a in ("inserted", "updated", "unchanged")),
                       article_ids=[real(i) for i in plan.ids])


def load_batch_or_isolate(con: DuckDBPyConnection, items: Sequence[Item]
                          ) -> tuple[BatchResult, list[tuple[str, Exception]]]:
    """`load_batch`; if the batch fails, each record on its own so only the bad ones stay out (by input)."""
    try:
        return load_batch(con, items), []
    except Exception as exc:
        log.warning("batch of %d records failed (%s: %s): loading them one by one", len(items),
                    type(exc).__name__, exc)
    report = load_documents(con, items)
    return _result_of(report.results), report.errors


@contextmanager
def paused_gc() -> Iterator[None]:
    """No cyclic garbage collection in the block (process-wide), for loops that hold a batch of records.

    A batch is a few hundred thousand acyclic objects living until its end: the collector walked all of them
    several times a batch, a third of `load_batch`'s time (and as much again in a parse loop filling a batch).
    Reference counting still frees everything; parsed records make no cycles.
    """
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _result_of(results: Iterable[LoadResult]) -> BatchResult:
    results = list(results)
    actions = [r.action for r in results]
    return BatchResult(actions.count("inserted"), actions.count("updated"), actions.count("unchanged"),
                       [r.article_id for r in results])


# ---------------------------------------------------------------- deciding, in memory


class _BatchPlan:
    """`load_document`'s decisions for a sequence of records, kept against an in-memory mirror of the rows."""

    def __init__(self, known: dict[str, tuple[int, str, str]], articles: list[tuple[int, Any, Any, Any]]) -> None:
        self.known = known  # input -> (article_id, content_hash, parser), as each record leaves it
        self.existing_inputs = frozenset(known)
        self.keys: dict[int, tuple[Any, Any, Any]] = {}  # article_id -> (pmid, doi, pmid_version)
        self.by_pmid: dict[Any, set[int]] = {}
        self.by_doi: dict[Any, set[int]] = {}
        self.final: dict[int, Article] = {}  # article id -> the last record written to it
        self.sources: dict[str, tuple[int, SourceRecord, Article]] = {}  # input -> its row's final values
        self.new_count = 0
        self.actions: list[str] = []
        self.ids: list[int] = []
        for article_id, pmid, doi, version in articles:
            self._index(article_id, pmid, doi, version)

    def add(self, article: Article, source: SourceRecord) -> None:
        """One record, decided exactly as `load_document` decides it."""
        known = self.known.get(source.input)
        if known and known[1:] == (source.content_hash, source.parser):
            return self._record(known[0], "unchanged")
        if known:
            self._write_article(known[0], article)
            self._write_source(known[0], article, source)
            return self._record(known[0], "updated")
        match = self._find_same_article(article)
        if match is not None and not self._is_older_version(match, article):
            self._write_article(match, article)
        article_id = match if match is not None else self._new_article(article)
        self._write_source(article_id, article, source)
        self._record(article_id, "updated" if match is not None else "inserted")

    def new_ids(self) -> set[int]:
        return {i for i in self.final if i >= NEW_ID_BASE}

    def _record(self, article_id: int, action: str) -> None:
        self.ids.append(article_id)
        self.actions.append(action)

    def _find_same_article(self, article: Article) -> int | None:
        if not article.pmid and not article.doi:
            return None
        found = self.by_pmid.get(article.pmid, set()) if article.pmid is not None else set()
        if article.doi is not None:
            found = found | self.by_doi.get(article.doi, set())
        return min(found) if found else None

    def _is_older_version(self, article_id: int, article: Article) -> bool:
        pmid, _, version = self.keys[article_id]
        if pmid != article.pmid or version is None or article.pmid_version is None:
            return False
        return int(article.pmid_version) < int(version)

    def _new_article(self, article: Article) -> int:
        article_id = NEW_ID_BASE + self.new_count
        self.new_count += 1
        self._write_article(article_id, article)
        return article_id

    def _write_article(self, article_id: int, article: Article) -> None:
        old = self.keys.get(article_id)
        if old is not None:
            self.by_pmid.get(old[0], set()).discard(article_id)
            self.by_doi.get(old[1], set()).discard(article_id)
        self._index(article_id, article.pmid, article.doi, article.pmid_version)
        self.final[article_id] = article

    def _index(self, article_id: int, pmid: Any, doi: Any, version: Any) -> None:
        self.keys[article_id] = (pmid, doi, version)
        if pmid is not None:
            self.by_pmid.setdefault(pmid, set()).add(article_id)
        if doi is not None:
            self.by_doi.setdefault(doi, set()).add(article_id)

    def _write_source(self, article_id: int, article: Article, source: SourceRecord) -> None:
        self.known[source.input] = (article_id, source.content_hash, source.parser)
        self.sources[source.input] = (article_id, source, article)


def _read_state(con: DuckDBPyConnection, items: Sequence[Item]
                ) -> tuple[dict[str, tuple[int, str, str]], list[tuple[int, Any, Any, Any]]]:
    """The sources already loaded under the batch's inputs, and the articles its PMIDs or DOIs can match."""
    inputs = pa.table({"input": pa.array([s.input for _, s in items], pa.string())})
    keys = pa.table({"pmid": pa.array([a.pmid for a, _ in items], pa.string()),
                     "doi": pa.array([a.doi for a, _ in items], pa.string())})
    with _staged(con, inputs=inputs, keys=keys) as names:
        known = con.execute(f"SELECT input, article_id, content_hash, parser FROM sources WHERE input IN "
                            f"(SELECT input FROM {names['inputs']})").fetchall()
        articles = con.execute(f"{ARTICLE_KEYS} WHERE pmid IN (SELECT pmid FROM {names['keys']}) UNION "
                               f"{ARTICLE_KEYS} WHERE doi IN (SELECT doi FROM {names['keys']})").fetchall()
    return {r[0]: (int(r[1]), r[2], r[3]) for r in known}, articles


def _allocate_ids(con: DuckDBPyConnection, count: int) -> Callable[[int], int]:
    """Draw `count` ids from `article_id_seq` (ascending) and return the placeholder -> real id mapping."""
    drawn: list[int] = []
    if count:
        sql = "SELECT nextval('article_id_seq') FROM range(?)"
        drawn = sorted(r[0] for r in con.execute(sql, [count]).fetchall())
    return lambda i: drawn[i - NEW_ID_BASE] if i >= NEW_ID_BASE else i


# ---------------------------------------------------------------- writing, set-based


def _write(con: DuckDBPyConnection, plan: _BatchPlan, real: Callable[[int], int]) -> None:
    if not plan.final and not plan.sources:
        return
    now, new = _now(), plan.new_ids()
    finals = [(real(i), i in new, a) for i, a in plan.final.items()]
    tables = {"articles": _article_table(con, finals),
              **{t.name: _child_table(t, finals) for t in CHILD_TABLES},
              "sources": _source_table(plan, real)}
    with _staged(con, **tables) as names:
        _write_articles(con, names["articles"], now, any(not is_new for _, is_new, _ in finals))
        for table in CHILD_TABLES:
            if tables[table.name].num_rows:
                con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM {names[table.name]}")
        _write_sources(con, names["sources"], now)


def _write_articles(con: DuckDBPyConnection, staged: str, now: Any, any_updated: bool) -> None:
    """New rows inserted; updated rows rewritten in place (same id, created_at kept), their child rows deleted."""
    con.execute(f"INSERT INTO articles BY NAME SELECT * EXCLUDE (is_new), ? AS created_at, ? AS updated_at "
                f"FROM {staged} WHERE is_new ORDER BY article_id", [now, now])
    if not any_updated:
        return
    assignments = ", ".join(f"{name} = s.{name}" for name in ARTICLE_COLUMNS)
    con.execute(f"UPDATE articles SET {assignments}, updated_at = ? FROM {staged} s "
                f"WHERE articles.article_id = s.article_id AND NOT s.is_new", [now])
    for table in CHILD_TABLES:
        con.execute(f"DELETE FROM {table.name} WHERE article_id IN "
                    f"(SELECT article_id FROM {staged} WHERE NOT is_new)")


def _write_sources(con: DuckDBPyConnection, staged: str, now: Any) -> None:
    """Inputs loaded before get their row rewritten (same source_id and article), new inputs a new row."""
    assignments = ", ".join(f"{name} = s.{name}" for name, _ in SOURCE_COLUMNS[2:])
    con.execute(f"UPDATE sources SET {assignments}, loaded_at = ? FROM {staged} s "
                f"WHERE sources.input = s.input AND s.existing", [now])
    con.execute(f"INSERT INTO sources BY NAME SELECT * EXCLUDE (existing, ord), ? AS loaded_at FROM {staged} "
                f"WHERE NOT existing ORDER BY ord", [now])


# ---------------------------------------------------------------- Arrow tables


def _article_table(con: DuckDBPyConnection, finals: list[tuple[int, bool, Article]]) -> pa.Table:
    types = dict(con.execute("SELECT column_name, data_type FROM duckdb_columns() "
                             "WHERE table_name = 'articles' AND schema_name = current_schema()").fetchall())
    values = attrgetter(*ARTICLE_COLUMNS)
    table = _from_rows([values(a) for _, _, a in finals], [(name, types[name]) for name in ARTICLE_COLUMNS])
    table = table.add_column(0, "article_id", pa.array([i for i, _, _ in finals], pa.int64()))
    return table.append_column("is_new", pa.array([n for _, n, _ in finals], pa.bool_()))


def _child_table(table: ChildTable, finals: list[tuple[int, bool, Article]]) -> pa.Table:
    """Every final article's rows of one child table, from the table's own row function, keyed by article id."""
    found = [table.rows(a) for _, _, a in finals]
    ids = chain.from_iterable(map(repeat, (i for i, _, _ in finals), map(len, found)))
    staged = _from_rows(list(chain.from_iterable(found)), table.columns)
    return staged.add_column(0, "article_id", pa.array(list(ids), pa.int64()))


def _source_table(plan: _BatchPlan, real: Callable[[int], int]) -> pa.Table:
    rows = [(real(aid), s.input, s.content_hash, s.size_bytes, a.site, a.source_kind, s.parser,
             s.input in plan.existing_inputs, n) for n, (aid, s, a) in enumerate(plan.sources.values())]
    return _from_rows(rows, (*SOURCE_COLUMNS, ("existing", "BOOLEAN"), ("ord", "BIGINT")))


def _from_rows(rows: list[tuple[Any, ...]], columns: Sequence[tuple[str, str]]) -> pa.Table:
    """Row tuples to a columnar table in one conversion (through a struct array: no Python transposition)."""
    kind = pa.struct([(name, ARROW_TYPES[sql_type]) for name, sql_type in columns])
    return pa.Table.from_struct_array(pa.array(rows, kind))


class _staged:
    """Register Arrow tables on the connection for the duration of a block, then unregister them."""

    def __init__(self, con: DuckDBPyConnection, **tables: pa.Table) -> None:
        self.con, self.names = con, {key: f"{STAGING}{key}" for key in tables}
        self.tables = tables

    def __enter__(self) -> dict[str, str]:
        for key, table in self.tables.items():
            self.con.register(self.names[key], table)
        return self.names

    def __exit__(self, *exc: object) -> None:
        for name in self.names.values():
            self.con.unregister(name)
