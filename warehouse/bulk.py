"""Loads batches of `Article` records in one transaction: each matched to its article and merged, written set-based.

A batch is decided in memory and written with a few set-based statements per table (Arrow tables registered on
the connection, `INSERT ... BY NAME SELECT`, `UPDATE ... FROM`), never row by row:

1. read, once, the stored sources the batch can touch: those under its inputs and those of every article its
   PMIDs, DOIs, PMCIDs or titles can match (keys only, not records);
2. take each record in order (`_Plan.add`): unchanged, a changed document, or a new source of a matched or a new
   article (warehouse/merge.py matches);
3. read the stored records of the articles that changed and merge each article from all of its sources;
4. write sources, article_sources, the merged articles and their child rows, and the retraction flags.

`load_document` is a batch of one, so loading one by one and in bulk take the same decisions by construction;
tests/warehouse/test_bulk.py checks that the in-memory state a batch keeps equals what the database would say.
"""

from __future__ import annotations

import gc
import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from itertools import chain
from operator import attrgetter
from typing import Any

import duckdb
import orjson
import pyarrow as pa
import pyarrow.compute as pc
from duckdb import DuckDBPyConnection

from transforms.article import Article
from warehouse import merge
from warehouse.load import (
    ARTICLE_COLUMNS,
    CHILD_TABLES,
    ROWS_AS_RECORD,
    ChildTable,
    SourceRecord,
    _now,
)
from warehouse.merge import Merged, SourceKeys
from warehouse.transaction import transaction

log = logging.getLogger(__name__)

Item = tuple[Article, SourceRecord]
# Placeholder ids of the articles and sources a batch creates: above any real id, in creation order, so that "the
# smallest matching id" and "the source loaded last" pick what they would one by one; replaced by ids drawn from
# the sequences before writing.
NEW_ID_BASE = 1 << 62
ARROW_TYPES = {"VARCHAR": pa.string(), "INTEGER": pa.int32(), "BIGINT": pa.int64(), "BOOLEAN": pa.bool_(),
               "VARCHAR[]": pa.list_(pa.string()), "JSON": pa.string()}
ARTICLE_TYPES = {**dict.fromkeys(ARTICLE_COLUMNS, "VARCHAR"), "pub_year": "INTEGER", "pmid_version": "INTEGER",
                 "warnings": "VARCHAR[]"}
SOURCE_COLUMNS = (("source_id", "BIGINT"), ("article_id", "BIGINT"), ("input", "VARCHAR"),
                  ("content_hash", "VARCHAR"), ("size_bytes", "BIGINT"), ("site", "VARCHAR"),
                  ("source_kind", "VARCHAR"), ("parser", "VARCHAR"))
ARTICLE_SOURCE_COLUMNS = (("source_id", "BIGINT"), ("article_id", "BIGINT"), ("input", "VARCHAR"),
                          ("source_kind", "VARCHAR"), ("site", "VARCHAR"), ("pmid", "VARCHAR"),
                          ("pmid_version", "INTEGER"), ("pmcid", "VARCHAR"), ("doi", "VARCHAR"), ("title", "VARCHAR"),
                          ("pub_year", "INTEGER"), ("title_key", "VARCHAR"), ("first_author", "VARCHAR"),
                          ("record", "JSON"), ("provenance", "JSON"))
LOOKUP_COLUMNS = (("input", "VARCHAR"), ("pmid", "VARCHAR"), ("doi", "VARCHAR"), ("pmcid", "VARCHAR"),
                  ("title_key", "VARCHAR"), ("pub_year", "INTEGER"))
UPDATED_COLUMNS = (*ARTICLE_COLUMNS, "retracted", "chosen_from")
# Failures of the database itself, not of a record: loading the batch in halves would only repeat them.
DATABASE_FAILURES = (duckdb.FatalException, duckdb.IOException)
STAGING = "bulk_staging_"  # prefix of the names the Arrow tables are registered under, on this connection only
# The stored sources of every article a batch can touch. Identifier lookups are one per kind (each its own join
# filter; the PMID and input sides skip row groups outside the batch's range: both follow load order). A record with
# a PMID matches by DOI, PMCID or title only an article without any PMID (merge.MatchIndex decides the rest), so a
# batch of PubMed records looks those keys up among the sources without a PMID (`pmidless_keys`, migration 0008)
# instead of scanning every stored DOI and title; a record without a PMID (a page, a text copy) searches them all.
STORED_KEYS = """
SELECT s.source_id, s.article_id, s.input, s.content_hash, s.parser, s.size_bytes, s.site, s.source_kind,
       k.pmid, k.doi, k.pmcid, k.title_key, k.pub_year, k.first_author, a.retracted, k.record IS NULL
FROM sources s JOIN article_sources k USING (source_id) JOIN articles a ON a.article_id = s.article_id
WHERE s.article_id IN ({candidates})
"""
BATCH_CANDIDATES = """
SELECT article_id FROM sources WHERE input IN (SELECT input FROM {lookups})
UNION SELECT article_id FROM article_sources WHERE pmid IN (SELECT pmid FROM {lookups})
UNION SELECT article_id FROM article_sources WHERE doi IN (SELECT doi FROM {lookups} WHERE pmid IS NULL)
UNION SELECT article_id FROM article_sources WHERE pmcid IN (SELECT pmcid FROM {lookups} WHERE pmid IS NULL)
UNION SELECT k.article_id FROM article_sources k
      JOIN (SELECT * FROM {lookups} WHERE pmid IS NULL) b ON k.title_key = b.title_key AND k.pub_year = b.pub_year
      JOIN articles a ON a.article_id = k.article_id
      WHERE (b.doi IS NULL OR coalesce(a.doi, '') = '') AND (b.pmcid IS NULL OR coalesce(a.pmcid, '') = '')
UNION SELECT article_id FROM pmidless_keys WHERE doi IN (SELECT doi FROM {lookups} WHERE pmid IS NOT NULL)
UNION SELECT article_id FROM pmidless_keys WHERE pmcid IN (SELECT pmcid FROM {lookups} WHERE pmid IS NOT NULL)
UNION SELECT k.article_id FROM pmidless_keys k
      JOIN (SELECT * FROM {lookups} WHERE pmid IS NOT NULL) b ON k.title_key = b.title_key AND k.pub_year = b.pub_year
      JOIN articles a ON a.article_id = k.article_id
      WHERE coalesce(a.pmid, '') = '' AND (b.doi IS NULL OR coalesce(a.doi, '') = '')
        AND (b.pmcid IS NULL OR coalesce(a.pmcid, '') = '')
"""
PMID_CANDIDATES = "SELECT article_id FROM article_sources WHERE pmid IN (SELECT v FROM {pmids})"
# Retraction notices (RetractionOf links) naming the batch's PMIDs, and those the batch's articles held before.
NOTICES = (f"SELECT article_id, pmid FROM article_links WHERE kind = '{merge.RETRACTION_OF}' "
           "AND pmid IN (SELECT v FROM {pmids}) UNION "
           f"SELECT article_id, pmid FROM article_links WHERE kind = '{merge.RETRACTION_OF}' "
           "AND article_id IN (SELECT v FROM {ids})")
# The same flag as merge.is_retracted + a notice naming the PMID, from the rows: for articles the batch did not merge.
RECOMPUTE_RETRACTED = f"""
UPDATE articles SET retracted =
    article_id IN (SELECT article_id FROM publication_types WHERE lower(publication_type) = '{merge.RETRACTED_TYPE}')
    OR article_id IN (SELECT article_id FROM article_links WHERE kind = '{merge.RETRACTED_IN}')
    OR pmid IN (SELECT pmid FROM article_links WHERE kind = '{merge.RETRACTION_OF}')
WHERE pmid IN (SELECT v FROM {{pmids}})
"""


@dataclass(frozen=True, slots=True)
class BatchResult:
    """Counts by action, and the article id of each loaded record in input order."""

    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    article_ids: list[int] = field(default_factory=list)

    @classmethod
    def of(cls, actions: list[str], article_ids: list[int]) -> BatchResult:
        return cls(*(actions.count(a) for a in ("inserted", "updated", "unchanged")), article_ids=article_ids)

    def __add__(self, later: BatchResult) -> BatchResult:
        """This batch's result followed by the next one's."""
        return BatchResult(self.inserted + later.inserted, self.updated + later.updated,
                           self.unchanged + later.unchanged, self.article_ids + later.article_ids)


def load_batch(con: DuckDBPyConnection, items: Sequence[Item]) -> BatchResult:
    """Load `items` in one transaction, leaving what `load_document` one by one in order would; on error, nothing."""
    if not items:
        return BatchResult()
    with paused_gc(), transaction(con):
        keys = [SourceKeys.of(article) for article, _ in items]
        plan = _plan_over(con, BATCH_CANDIDATES, lookups=_lookups(items, keys))
        for (article, source), record_keys in zip(items, keys, strict=True):
            plan.add(article, source, record_keys)
        real = _finish(con, plan)
    return BatchResult.of(plan.actions, [real.article(i) for i in plan.ids])


def load_batch_or_isolate(con: DuckDBPyConnection, items: Sequence[Item]
                          ) -> tuple[BatchResult, list[tuple[str, Exception]]]:
    """`load_batch`; a batch that fails is loaded in halves, each the same way, so only the bad records stay out
    (by input) and the rest still load in bulk, in order.

    One bad record among n costs about 2 log2(n) smaller batches, not n single loads (minutes for 5,000 records);
    halves loaded in order leave what the records one by one would (`load_batch`'s contract). A failure of the
    database itself (`DATABASE_FAILURES`: invalidated, disk) is raised at once, not blamed on the records.
    """
    try:
        return load_batch(con, items), []
    except DATABASE_FAILURES:
        raise
    except Exception as exc:
        if len(items) == 1:
            log.warning("%s: not loaded (%s: %s)", items[0][1].input, type(exc).__name__, exc)
            return BatchResult(), [(items[0][1].input, exc)]
        log.warning("batch of %d records failed (%s: %s): loading it in halves", len(items), type(exc).__name__, exc)
    middle = len(items) // 2
    first, first_errors = load_batch_or_isolate(con, items[:middle])
    second, second_errors = load_batch_or_isolate(con, items[middle:])
    return first + second, first_errors + second_errors


def delete_citations(con: DuckDBPyConnection, pmids: Sequence[str], input_: str | None) -> int:
    """Drop what PubMed published under `pmids` (its XML records, its own pages), merge what is left, and remember
    the PMIDs in `deleted_pmids`.

    Runs in the caller's transaction. An article left without sources goes with all its rows; one that keeps a
    publisher page or a text copy stays, merged again from those. Returns the number of articles touched.
    """
    wanted = set(pmids)
    _with_values(con, "INSERT OR REPLACE INTO deleted_pmids SELECT DISTINCT v, $at, $input FROM {pmids}",
                 {"at": _now(), "input": input_}, pmids=sorted(wanted))
    plan = _plan_over(con, PMID_CANDIDATES, pmids=list(wanted))
    gone = [s for s in plan.sources.values()
            if s.keys.pmid in wanted and (s.source_kind == "pubmed_xml" or s.site == "pubmed")]
    for stored in gone:
        plan.remove(stored)
    _finish(con, plan)
    return len({s.article_id for s in gone})


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


# ---------------------------------------------------------------- deciding, in memory


@dataclass(slots=True)
class _Stored:
    """A source as the batch sees it: its `sources` row, its keys, and its record once added or read."""

    source_id: int
    article_id: int
    input: str
    content_hash: str
    parser: str
    size_bytes: int
    site: str
    source_kind: str
    keys: SourceKeys
    record: Article | None = None  # the record it holds after the batch
    stored: Article | None = None  # the record its rows hold now, once read (existing sources)
    written: bool = False  # added or changed by this batch: its rows are (re)written
    existing: bool = True  # has rows in the database
    bare: bool = False  # stored without its record: its article's only source, the article's rows are its record


@dataclass(slots=True)
class _Change:
    """A changed article: its merge before the batch (what its rows hold) and after (None: no source left)."""

    article_id: int
    is_new: bool
    old: Merged | None
    new: Merged | None
    old_retracted: bool = False

    def changed_columns(self) -> tuple[str, ...]:
        """The `articles` columns the batch changes (all of them for a new article, none for a deleted one)."""
        if self.new is None or self.old is None:
            return UPDATED_COLUMNS if self.new is not None else ()
        changed = [name for name, new, old in zip(ARTICLE_COLUMNS, _row(self.new.article), _row(self.old.article),
                                                  strict=True) if new != old]
        if self.new.retracted != self.old_retracted:
            changed.append("retracted")
        if self.new.chosen_from != self.old.chosen_from:
            changed.append("chosen_from")
        return tuple(changed)

    def rewrites(self, table: ChildTable) -> bool:
        if self.new is None or self.old is None:
            return True
        return getattr(self.new.article, table.source) != getattr(self.old.article, table.source)

    def rewritten(self) -> list[ChildTable]:
        """The child tables whose rows of this article change (all of them for a new or a deleted article)."""
        return [t for t in CHILD_TABLES if self.rewrites(t)]


class _Plan:
    """The batch's decisions, kept against an in-memory mirror of the stored sources it can touch."""

    def __init__(self, stored: list[_Stored], retracted: dict[int, bool]) -> None:
        self.retracted = retracted  # each stored article's flag as its row holds it
        self.sources = {s.source_id: s for s in stored}
        self.by_input = {s.input: s.source_id for s in stored}
        self.members: dict[int, set[int]] = {}
        for s in stored:
            self.members.setdefault(s.article_id, set()).add(s.source_id)
        self.existing_articles = frozenset(self.members)
        self.index = merge.MatchIndex()
        for article_id in self.members:
            self._reindex(article_id)
        self.dirty: set[int] = set()  # articles to merge again
        self.removed: dict[int, list[_Stored]] = {}  # article id -> its sources the batch removes
        self.new_articles = self.new_sources = 0
        self.actions: list[str] = []
        self.ids: list[int] = []

    def add(self, article: Article, source: SourceRecord, keys: SourceKeys) -> None:
        """One record, in order: unchanged, a changed document, or a new source of a matched or a new article."""
        known = self.sources.get(self.by_input.get(source.input, -1))
        if known and (known.content_hash, known.parser) == (source.content_hash, source.parser):
            return self._record(known.article_id, "unchanged")
        if known:
            self._rewrite(known, article, source, keys)
            return self._record(known.article_id, "updated")
        match = self.index.find(keys)
        article_id = match if match is not None else self._new_id("new_articles")
        stored = _Stored(self._new_id("new_sources"), article_id, source.input, source.content_hash, source.parser,
                         source.size_bytes, article.site, article.source_kind, keys, record=article, written=True,
                         existing=False)
        self.sources[stored.source_id] = stored
        self.by_input[source.input] = stored.source_id
        if match is None:  # a new article, this its only source: indexed under its keys as they are
            self.members[article_id] = {stored.source_id}
            self.dirty.add(article_id)
            self.index.put(article_id, (keys,))
            return self._record(article_id, "inserted")
        self.members[article_id].add(stored.source_id)
        self._changed(article_id)
        self._record(article_id, "updated")

    def remove(self, stored: _Stored) -> None:
        self.members[stored.article_id].discard(stored.source_id)
        del self.sources[stored.source_id], self.by_input[stored.input]
        if stored.existing:
            self.removed.setdefault(stored.article_id, []).append(stored)
        self._changed(stored.article_id)

    def before(self, article_id: int) -> list[_Stored]:
        """The sources an article's rows were merged from: stored ones still there, and those removed."""
        members = [self.sources[i] for i in self.members.get(article_id, ())]
        return [s for s in members if s.existing] + self.removed.get(article_id, [])

    def unread(self) -> list[_Stored]:
        """Stored sources of the changed articles whose stored records are not in memory yet."""
        return [s for a in self.dirty for s in self.before(a) if s.stored is None]

    def changes(self) -> list[_Change]:
        """Each changed article merged from its sources before and after the batch."""
        out = []
        for article_id in sorted(self.dirty):
            is_new = article_id not in self.existing_articles
            now = [_source(s, s.record) for s in (self.sources[i] for i in self.members[article_id])]
            before = [] if is_new else [_source(s, s.stored) for s in self.before(article_id)]
            out.append(_Change(article_id, is_new, merge.merge(before) if before else None,
                               merge.merge(now) if now else None, self.retracted.get(article_id, False)))
        return out

    def _rewrite(self, known: _Stored, article: Article, source: SourceRecord, keys: SourceKeys) -> None:
        """A changed document: same source id and article, new record and keys."""
        known.content_hash, known.parser, known.size_bytes = source.content_hash, source.parser, source.size_bytes
        known.site, known.source_kind = article.site, article.source_kind
        known.keys, known.record, known.written = keys, article, True
        self._changed(known.article_id)

    def _changed(self, article_id: int) -> None:
        self.dirty.add(article_id)
        self._reindex(article_id)

    def _reindex(self, article_id: int) -> None:
        self.index.put(article_id, [self.sources[i].keys for i in self.members[article_id]])

    def _new_id(self, counter: str) -> int:
        n = getattr(self, counter)
        setattr(self, counter, n + 1)
        return NEW_ID_BASE + n

    def _record(self, article_id: int, action: str) -> None:
        self.ids.append(article_id)
        self.actions.append(action)


def _source(stored: _Stored, record: Article | None) -> merge.Source:
    if record is None:
        raise AssertionError(f"source {stored.input}: record not read before merging")
    return merge.Source(stored.input, stored.source_id, record)


def _row(article: Article) -> tuple[Any, ...]:
    return tuple(getattr(article, name) for name in ARTICLE_COLUMNS)


def _lookups(items: Sequence[Item], keys: list[SourceKeys]) -> pa.Table:
    rows = [(source.input, k.pmid, k.doi, k.pmcid, k.title_key, k.pub_year)
            for (_, source), k in zip(items, keys, strict=True)]
    return _from_rows(rows, LOOKUP_COLUMNS)


def _plan_over(con: DuckDBPyConnection, candidates: str, lookups: pa.Table | None = None,
                 pmids: list[str] | None = None) -> _Plan:
    """A plan over the stored sources (keys, not records) of every article `candidates` selects."""
    tables = {"lookups": lookups} if lookups is not None else {"pmids": _values_table(pmids or [])}
    with _staged(con, **tables) as names:
        rows = con.execute(STORED_KEYS.format(candidates=candidates.format(**names))).fetchall()
    return _Plan([_Stored(*row[:8], SourceKeys(*row[8:14]), bare=row[15]) for row in rows],
                 {row[1]: row[14] for row in rows})


def _read_records(con: DuckDBPyConnection, plan: _Plan) -> None:
    """The stored records of the sources the changed articles were merged from (a bare one from its article's rows)."""
    unread = {s.source_id: s for s in plan.unread()}
    if not unread:
        return
    rows = _with_values(con, "SELECT source_id, article_id, record, provenance FROM article_sources "
                             "WHERE source_id IN (SELECT v FROM {ids})", ids=list(unread))
    bare = [article_id for _, article_id, record, _ in rows if record is None]
    rebuilt = dict(_with_values(con, ROWS_AS_RECORD, {"low": min(bare), "high": max(bare)}, ids=bare)) if bare else {}
    for source_id, article_id, record, provenance in rows:
        data = orjson.loads(record if record is not None else rebuilt[article_id])
        data["provenance"] = orjson.loads(provenance)
        stored = unread[source_id]
        stored.stored = Article.from_dict(data)
        if not stored.written:
            stored.record = stored.stored


# ---------------------------------------------------------------- merging and writing


@dataclass(frozen=True, slots=True)
class _Ids:
    """Placeholder -> real id, for articles and sources."""

    articles: list[int]
    sources: list[int]

    def article(self, i: int) -> int:
        return self.articles[i - NEW_ID_BASE] if i >= NEW_ID_BASE else i

    def source(self, i: int) -> int:
        return self.sources[i - NEW_ID_BASE] if i >= NEW_ID_BASE else i


def _finish(con: DuckDBPyConnection, plan: _Plan) -> _Ids:
    """Merge every changed article and write the batch; returns the real ids given to new articles and sources."""
    _read_records(con, plan)
    changes = plan.changes()
    affected = _retractions(con, changes)
    real = _Ids(_draw(con, "article_id_seq", plan.new_articles), _draw(con, "source_id_seq", plan.new_sources))
    _write_sources(con, plan, real)
    _write_articles(con, changes, real)
    if affected:
        _with_values(con, RECOMPUTE_RETRACTED, pmids=sorted(affected))
    return real


def _retractions(con: DuckDBPyConnection, changes: list[_Change]) -> set[str]:
    """Set each merged article's flag (its own record, or a notice naming its PMID, whichever came first).

    Returns the PMIDs whose notices the batch added or dropped: their articles outside the batch are flagged
    again from the rows once written.
    """
    merged = [c.new for c in changes if c.new]
    pmids = sorted({m.article.pmid for m in merged if m.article.pmid})
    rewritten = {c.article_id for c in changes}
    stale = [c.article_id for c in changes if not c.is_new]
    rows = _with_values(con, NOTICES, pmids=pmids, ids=stale) if pmids or stale else []
    old = {pmid for article_id, pmid in rows if article_id in rewritten}
    new = set().union(*(merge.retraction_targets(m.article) for m in merged))
    named = {pmid for article_id, pmid in rows if article_id not in rewritten} | new
    for m in merged:
        if not m.retracted and m.article.pmid in named:
            m.retracted = True
    return old | new


def _draw(con: DuckDBPyConnection, sequence: str, count: int) -> list[int]:
    """`count` ids from `sequence`, ascending."""
    if not count:
        return []
    return sorted(r[0] for r in con.execute(f"SELECT nextval('{sequence}') FROM range(?)", [count]).fetchall())


def _write_sources(con: DuckDBPyConnection, plan: _Plan, real: _Ids) -> None:
    """`sources` rows: new inputs inserted, changed ones rewritten in place, removed ones deleted; and the
    `article_sources` rows of all of them (deleted and inserted again), with `pmidless_keys` in step."""
    written = [s for s in plan.sources.values() if s.written]
    changed = [s for s in written if s.existing]
    removed = [s.source_id for s in chain.from_iterable(plan.removed.values())]
    # A bare source joined by another: its record is no longer its article's rows, so it is written out.
    clothed = [s for s in plan.sources.values() if s.bare and not s.written and len(plan.members[s.article_id]) > 1]
    rewritten = [s.source_id for s in chain(changed, clothed)] + removed
    _delete(con, "article_sources", "source_id", rewritten)
    _delete(con, "pmidless_keys", "source_id", rewritten)
    _delete(con, "sources", "source_id", removed)
    if not written and not clothed:
        return
    now = _now()
    rows = [(real.source(s.source_id), real.article(s.article_id), s.input, s.content_hash, s.size_bytes, s.site,
             s.source_kind, s.parser) for s in written]
    tables = {"sources": _from_rows(rows, SOURCE_COLUMNS).append_column("existing", pa.array(
        [s.existing for s in written], pa.bool_())),
        "article_sources": _article_source_table(plan, written + clothed, real)}
    with _staged(con, **tables) as names:
        if changed:
            assignments = ", ".join(f"{name} = s.{name}" for name, _ in SOURCE_COLUMNS[3:])
            con.execute(f"UPDATE sources SET {assignments}, loaded_at = ? FROM {names['sources']} s "
                        f"WHERE sources.source_id = s.source_id AND s.existing", [now])
        con.execute(f"INSERT INTO sources BY NAME SELECT * EXCLUDE (existing), ? AS loaded_at "
                    f"FROM {names['sources']} WHERE NOT existing ORDER BY source_id", [now])
        con.execute(f"INSERT INTO article_sources BY NAME SELECT * FROM {names['article_sources']}")
        con.execute(f"INSERT INTO pmidless_keys BY NAME SELECT source_id, article_id, doi, pmcid, title_key, pub_year "
                    f"FROM {names['article_sources']} WHERE pmid IS NULL")


def _article_source_table(plan: _Plan, stored: list[_Stored], real: _Ids) -> pa.Table:
    """The rows of `stored`: keys, provenance, and the record unless the source is its article's only one."""
    rows = []
    for s in stored:
        record, keys = s.record, s.keys
        assert record is not None
        alone = len(plan.members[s.article_id]) == 1
        rows.append((real.source(s.source_id), real.article(s.article_id), s.input, s.source_kind, s.site, keys.pmid,
                     record.pmid_version, keys.pmcid, keys.doi, record.title, record.pub_year, keys.title_key,
                     keys.first_author, None if alone else orjson.dumps(record), orjson.dumps(record.provenance)))
    return _from_rows(rows, ARTICLE_SOURCE_COLUMNS)


def _write_articles(con: DuckDBPyConnection, changes: list[_Change], real: _Ids) -> None:
    """New articles inserted; changed ones rewritten in place (same id, created_at kept), and of their child rows
    only the tables whose rows changed; articles left without sources deleted. Unchanged rows are not touched."""
    _delete(con, "articles", "article_id", [c.article_id for c in changes if c.new is None])
    rewritten = {c.article_id: {t.name for t in c.rewritten()} for c in changes if not c.is_new}
    for table in CHILD_TABLES:
        _delete(con, table.name, "article_id", [i for i, names in rewritten.items() if table.name in names])
    merged = [c for c in changes if c.new]
    finals: list[Final] = [(real.article(c.article_id), c.is_new, c.new) for c in merged]
    columns = [c.changed_columns() for c in merged]
    # Updated rows grouped by the columns they change: an UPDATE writes (WAL, checkpoint) only the columns it sets.
    groups = {cols: n for n, cols in enumerate(dict.fromkeys(cols for c, cols in zip(merged, columns, strict=True)
                                                             if cols and not c.is_new))}
    rows = [(f, groups.get(cols, -1)) for f, cols in zip(finals, columns, strict=True) if cols]
    # A new article has rows in every child table; only a rewritten one is filtered (none in a fresh load).
    children = {t.name: [f for f, c in zip(finals, merged, strict=True)
                         if c.is_new or t.name in rewritten[c.article_id]] if rewritten else finals
                for t in CHILD_TABLES}
    now = _now()
    tables = {"articles": _article_table([f for f, _ in rows]).append_column("grp", pa.array([g for _, g in rows],
                                                                                           pa.int32())),
              **{t.name: _child_table(t, children[t.name]) for t in CHILD_TABLES}}
    with _staged(con, **tables) as names:
        if any(is_new for (_, is_new, _), _ in rows):
            con.execute(f"INSERT INTO articles BY NAME SELECT * EXCLUDE (is_new, grp), ? AS created_at, "
                        f"? AS updated_at FROM {names['articles']} WHERE is_new ORDER BY article_id", [now, now])
        for cols, n in groups.items():
            assignments = ", ".join(f"{name} = s.{name}" for name in cols)
            con.execute(f"UPDATE articles SET {assignments}, updated_at = ? FROM {names['articles']} s "
                        f"WHERE articles.article_id = s.article_id AND s.grp = ?", [now, n])
        _write_children(con, names, tables)


def _delete(con: DuckDBPyConnection, table: str, key: str, ids: list[int]) -> None:
    """Rows of `ids`; the range lets the scan skip row groups by their min/max (ids grow with load order)."""
    if ids:
        sql = f"DELETE FROM {table} WHERE {key} BETWEEN $low AND $high AND {key} IN (SELECT v FROM {{ids}})"
        _with_values(con, sql, {"low": min(ids), "high": max(ids)}, ids=ids)


def _write_children(con: DuckDBPyConnection, names: dict[str, str], tables: dict[str, pa.Table]) -> None:
    for table in CHILD_TABLES:
        if tables[table.name].num_rows:
            con.execute(f"INSERT INTO {table.name} BY NAME SELECT * FROM {names[table.name]}")


# ---------------------------------------------------------------- Arrow tables

Final = tuple[int, bool, Merged]


def _article_table(finals: list[Final]) -> pa.Table:
    """The `articles` rows, a column at a time (one conversion per column, no row tuples)."""
    articles = [m.article for _, _, m in finals]
    columns = {"article_id": pa.array([i for i, _, _ in finals], pa.int64())}
    for name in ARTICLE_COLUMNS:
        columns[name] = pa.array(list(map(attrgetter(name), articles)), ARROW_TYPES[ARTICLE_TYPES[name]])
    columns["retracted"] = pa.array([m.retracted for _, _, m in finals], pa.bool_())
    columns["chosen_from"] = _chosen_from([m for _, _, m in finals])
    columns["is_new"] = pa.array([n for _, n, _ in finals], pa.bool_())
    return pa.table(columns)


def _chosen_from(merged: list[Merged]) -> pa.Array:
    """list<struct<input, fields mask>> (migration 0009) built from flat arrays and offsets."""
    inputs: list[str] = []
    masks: list[int] = []
    outer = [0]
    for m in merged:
        for source_input, fields in m.chosen_from:
            inputs.append(source_input)
            masks.append(merge.field_mask(fields))
        outer.append(len(inputs))
    entries = pa.StructArray.from_arrays([pa.array(inputs, pa.string()), pa.array(masks, pa.uint64())],
                                         names=["input", "fields"])
    return pa.ListArray.from_arrays(pa.array(outer, pa.int32()), entries)


def _child_table(table: ChildTable, finals: list[Final]) -> pa.Table:
    """Every merged article's rows of one child table, keyed by article id, built column-wise: each article's list
    converted to Arrow in one call, positions and parent ids derived from the list offsets (the rows `table.rows`
    gives, without a Python tuple per row)."""
    lists = [getattr(m.article, table.source) for _, _, m in finals]
    ids = pa.array([i for i, _, _ in finals], pa.int64())
    kinds = [ARROW_TYPES[sql_type] for _, sql_type in table.columns]
    if table.nested:  # rows of a list inside each element: position of the element, then within its list
        nested = attrgetter(table.nested)
        outer = pa.array([list(map(nested, x)) for x in lists], pa.list_(pa.list_(kinds[-1])))
        elements = outer.flatten()
        element_parents, element_positions = _parents_and_positions(outer)
        parents, positions = _parents_and_positions(elements)
        columns = [element_positions.take(parents), positions, elements.flatten()]
        parents = element_parents.take(parents)
    elif table.attrs:
        element = pa.struct([(name, kind) for name, kind in zip(table.attrs, kinds[1:], strict=True)])
        getter = attrgetter(*table.attrs)
        values = pa.array([list(map(getter, x)) for x in lists], pa.list_(element))
        parents, positions = _parents_and_positions(values)
        flat = values.flatten()
        columns = [positions, *(flat.field(n) for n in range(len(table.attrs)))]
    else:
        values = pa.array(lists, pa.list_(kinds[1]))
        parents, positions = _parents_and_positions(values)
        columns = [positions, values.flatten()]
    names = ["article_id", *(name for name, _ in table.columns)]
    return pa.Table.from_arrays([ids.take(parents), *columns], names=names)


def _parents_and_positions(values: pa.ListArray) -> tuple[pa.Array, pa.Array]:
    """For each value of a list array: the index of its list, and its 1-based position in it."""
    parents = pc.list_parent_indices(values)
    starts = pc.subtract(values.offsets, values.offsets[0]).take(parents)
    counting = pc.cumulative_sum(pc.fill_null(pa.nulls(len(parents), pa.int32()), 1))  # 1, 2, ... n
    return parents, pc.subtract(counting, starts)


def _from_rows(rows: list[tuple[Any, ...]], columns: Sequence[tuple[str, str]]) -> pa.Table:
    """Row tuples to a columnar table in one conversion (through a struct array: no Python transposition)."""
    kind = pa.struct([(name, ARROW_TYPES[sql_type]) for name, sql_type in columns])
    return pa.Table.from_struct_array(pa.array(rows, kind))


def _with_values(con: DuckDBPyConnection, sql: str, params: dict[str, Any] | None = None,
                 **values: list[Any]) -> list[tuple[Any, ...]]:
    """Run `sql`, each `{name}` in it a registered one-column table (`v`) of the list `values[name]`.

    Not list parameters (`unnest(?)`): DuckDB converts those value by value, about 75 ms per thousand.
    """
    with _staged(con, **{name: _values_table(v, name) for name, v in values.items()}) as names:
        for name, registered in names.items():
            sql = sql.replace(f"{{{name}}}", registered)
        return con.execute(sql, params).fetchall()


def _values_table(values: list[Any], name: str = "") -> pa.Table:
    """One column `v`: BIGINT for a list named `ids`, else VARCHAR."""
    return pa.table({"v": pa.array(values, pa.int64() if name == "ids" else pa.string())})


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

