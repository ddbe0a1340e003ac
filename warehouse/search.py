"""Full-text search (BM25) over articles, from an index file beside the database that a loading writer never blocks.

DuckDB lets one process write a database file and no other process read it meanwhile, and its FTS index does
not follow later changes. So the index lives in its own file, `<db>.search.duckdb`, which `search` opens
read-only; after a load the writer updates a copy of it and swaps the copy in with `os.replace`: readers keep
the index they opened, and a crash leaves the last finished one.

An update, not a rebuild: the index keeps a hash of each article's searchable and shown text; an update compares
them with the database's (computed in SQL, one scan), tokenizes and stems only the new and changed articles with the FTS
extension (`PRAGMA create_fts_index` on a table of them) and merges their terms in. BM25 depends on every
document (their number, average length, each term's document frequency), so the index stores what does not
change with others: per (term, article) the term frequency and the article's length, per term its document
frequency, and the totals. A search computes each posting's share with match_bm25's formula from them.

Postings are sorted by term, so a search's `termid IN (...)` reads only the row groups holding its terms. An
update's postings go to a small sorted table beside the main one (`postings_new`, rewritten by each update),
merged into the main one once it holds an eighth as many rows. Queries are tokenized with the extension's
`tokenize` macro, copied into the index, and stemmed with PyStemmer's Snowball Porter stemmer, the library the
extension's `stem` wraps; so searching needs no extension, whose loading alone took ~50 ms.
"""

from __future__ import annotations

import logging
import os
import shutil
import uuid
from contextlib import suppress
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import duckdb
import Stemmer

from warehouse.access import reading
from warehouse.connect import load_fts, open_file
from warehouse.errors import WarehouseError
from warehouse.migrate import database_path

log = logging.getLogger(__name__)
INDEX_SUFFIX = ".search.duckdb"
# Bumped whenever the index's tables or settings change: an index of another format is rebuilt.
INDEX_FORMAT = 3
# Title words count double: the indexed title is the title written twice (BM25 over the whole document, title
# terms at twice their frequency). Measured on the seed pages plus the shared corpus (773 articles, 120 known-item
# queries of 3 random words, mean reciprocal rank, title / abstract / mixed words): plain BM25 .965/.921/.962,
# title twice .975/.913/.963, three times .979/.915/.961; a weighted sum of per-field BM25 scores (title x2)
# .965/.734/.891, as each field saturates on its own and words found in several fields count several times.
TITLE_REPEAT = 2
# The FTS default drops digits ('interleukin-2' -> 'interleukin', 'p53' -> 'p'); keep letters and digits.
TOKEN_SEPARATORS = r"(\.|[^a-z0-9])+"
# Aliases of the index copy and of the scratch file (the changed articles and their FTS index) when attached.
IDX, WORK = "litingest_search_index", "litingest_search_work"
# The searchable text of every article: what the FTS extension indexes (title_text, abstract, keywords, mesh).
_SEARCHABLE = f"""
SELECT a.article_id, a.pmid, a.doi, a.title, a.abstract,
       nullif(trim(repeat(coalesce(a.title, '') || ' ', {TITLE_REPEAT})), '') AS title_text,
       k.keywords, m.mesh, coalesce(a.journal, a.journal_abbrev) AS journal, a.pub_year
FROM articles a
LEFT JOIN (SELECT article_id, string_agg(keyword, ' ; ' ORDER BY position) AS keywords FROM keywords {{only}}
           GROUP BY article_id) AS k ON k.article_id = a.article_id
LEFT JOIN (SELECT article_id, string_agg(descriptor, ' ; ' ORDER BY position) AS mesh FROM mesh_terms {{only}}
           GROUP BY article_id) AS m ON m.article_id = a.article_id
{{only_a}}
"""


def searchable_sql(wanted: str | None = None) -> str:
    """The searchable text of every article, or of those whose ids the table `wanted` lists (aggregated per table
    first, then joined: per-article subqueries held every article's text in memory at once)."""
    only = f"WHERE article_id IN (SELECT article_id FROM {wanted})" if wanted else ""
    return _SEARCHABLE.format(only=only, only_a=only.replace("article_id", "a.article_id", 1))


SEARCHABLE_SQL = searchable_sql()
# A hash of each article's searched and shown text: its fields, and its keywords and MeSH terms each as the XOR of
# their (position, text) hashes (the same set gives the same string_agg, at a fifth of the cost of building it).
# 64 bits: a change missed once in 2^64.
HASH_SQL = """
SELECT a.article_id,
       hash(a.title, a.abstract, coalesce(a.journal, a.journal_abbrev), a.pub_year, a.pmid, a.doi, k.h, m.h)
           AS text_hash
FROM articles AS a
LEFT JOIN (SELECT article_id, bit_xor(hash(position, keyword)) AS h FROM keywords GROUP BY article_id) AS k
       ON k.article_id = a.article_id
LEFT JOIN (SELECT article_id, bit_xor(hash(position, descriptor)) AS h FROM mesh_terms GROUP BY article_id) AS m
       ON m.article_id = a.article_id
"""
# The articles whose hash differs from the index's (new ones included), then their text; the indexed articles
# whose postings go (changed or deleted).
CHANGED_SQL = f"""
CREATE TABLE {WORK}.changed AS
SELECT h.article_id, h.text_hash FROM ({HASH_SQL}) AS h
WHERE NOT EXISTS (SELECT 1 FROM {IDX}.docs AS i WHERE i.article_id = h.article_id AND i.text_hash = h.text_hash)
"""
PENDING_SQL = f"""
CREATE TABLE {WORK}.pending AS
SELECT s.*, c.text_hash
FROM ({searchable_sql(f"{WORK}.changed")}) AS s
JOIN {WORK}.changed AS c ON c.article_id = s.article_id
"""
REMOVED_SQL = f"""
CREATE TABLE {WORK}.removed AS
SELECT i.article_id FROM {IDX}.docs AS i
WHERE NOT EXISTS (SELECT 1 FROM articles AS a WHERE a.article_id = i.article_id)
   OR EXISTS (SELECT 1 FROM {WORK}.changed AS c WHERE c.article_id = i.article_id)
"""
POSTING_COLUMNS = "termid BIGINT, article_id BIGINT, tf BIGINT, len BIGINT"
# The index: shown fields, length and text hash per article; document frequency per term; postings; totals.
# Column types are the FTS extension's (docs.len, dict.df, count(*) as tf, stats), so a share is the same double.
INDEX_TABLES = (
    f"CREATE TABLE {IDX}.docs (article_id BIGINT, title VARCHAR, journal VARCHAR, pub_year INTEGER, pmid VARCHAR, "
    "doi VARCHAR, len BIGINT, text_hash UBIGINT)",
    f"CREATE TABLE {IDX}.dict (termid BIGINT, term VARCHAR, df BIGINT)",
    f"CREATE TABLE {IDX}.postings ({POSTING_COLUMNS})",
    f"CREATE TABLE {IDX}.postings_new ({POSTING_COLUMNS})",
    f"CREATE TABLE {IDX}.stats (num_docs BIGINT, avgdl DOUBLE)",
    f"CREATE TABLE {IDX}.search_meta (format INTEGER, updated_at TIMESTAMP, full_build BOOLEAN, tokenized BIGINT, "
    "removed BIGINT, documents BIGINT)",
)
# Point lookups for a search: its terms' ids, and its hits' display columns. Built after a full build's inserts.
LOOKUP_INDEXES = (f"CREATE UNIQUE INDEX dict_term ON {IDX}.dict (term)",
                  f"CREATE UNIQUE INDEX docs_article_id ON {IDX}.docs (article_id)")
# Snowball's Porter stemmer: the index's `stem(term, 'porter')`, PyStemmer's for queries (the same C library).
STEMMER = "porter"
# The FTS extension's index of a table of SEARCHABLE_SQL's columns: the pending articles' here.
FTS_INDEX = ("PRAGMA create_fts_index('{table}', 'article_id', 'title_text', 'abstract', 'keywords', 'mesh', "
             f"stemmer='{STEMMER}', stopwords='english', ignore='{TOKEN_SEPARATORS}', overwrite=1)")
TOKENIZE = FTS_INDEX.format(table="pending")
# The pending articles' (term, article, tf, len), from the FTS tables the pragma made.
FRESH_SQL = """
CREATE TABLE fresh AS
WITH tf AS (SELECT termid, docid, count(*) AS tf FROM fts_main_pending.terms GROUP BY termid, docid)
SELECT dict.term, docs.name AS article_id, tf.tf, docs.len
FROM tf
JOIN fts_main_pending.docs AS docs ON docs.docid = tf.docid
JOIN fts_main_pending.dict AS dict ON dict.termid = tf.termid
"""
# The extension's `tokenize` macro, copied into a new index: queries are split exactly as its documents were.
TOKENIZE_MACRO = ("SELECT macro_definition FROM duckdb_functions() WHERE database_name = current_database() "
                  "AND schema_name = 'fts_main_pending' AND function_name = 'tokenize'")
# The removed articles' postings counted by term (for the document frequencies), then their rows deleted.
GONE_SQL = f"""
CREATE TABLE gone AS
SELECT termid, count(*) AS n
FROM (FROM {IDX}.postings UNION ALL FROM {IDX}.postings_new)
WHERE article_id IN (SELECT article_id FROM removed)
GROUP BY termid
"""
DROP_REMOVED = tuple(f"DELETE FROM {IDX}.{table} WHERE article_id IN (SELECT article_id FROM removed)"
                     for table in ("postings", "postings_new", "docs"))
NEW_TERMS_SQL = f"""
INSERT INTO {IDX}.dict
SELECT (SELECT coalesce(max(termid), -1) FROM {IDX}.dict) + row_number() OVER (ORDER BY f.term), f.term, 0
FROM (SELECT DISTINCT term FROM fresh) AS f
WHERE NOT EXISTS (SELECT 1 FROM {IDX}.dict AS d WHERE d.term = f.term)
"""
FRESH_POSTINGS_SQL = f"""
CREATE TABLE fresh_postings AS
SELECT d.termid, f.article_id, f.tf, f.len FROM fresh AS f JOIN {IDX}.dict AS d ON d.term = f.term
"""
DF_SQL = f"""
UPDATE {IDX}.dict AS d SET df = d.df + c.change
FROM (SELECT termid, CAST(sum(change) AS BIGINT) AS change
      FROM (SELECT termid, count(*) AS change FROM fresh_postings GROUP BY termid
            UNION ALL SELECT termid, -n FROM gone)
      GROUP BY termid) AS c
WHERE d.termid = c.termid AND c.change <> 0
"""
DOCS_SQL = f"""
INSERT INTO {IDX}.docs
SELECT p.article_id, p.title, p.journal, p.pub_year, p.pmid, p.doi, l.len, p.text_hash
FROM pending AS p JOIN fts_main_pending.docs AS l ON l.name = p.article_id
ORDER BY p.article_id
"""
# The FTS extension's stats, over the index's documents.
STATS_SQL = f"INSERT INTO {IDX}.stats SELECT count(article_id), sum(len) / count(len) FROM {IDX}.docs"
# The update's postings join the main table once they are this share of it (1/8): until then each update
# rewrites only the small table, and a search reads two sorted tables instead of one.
DELTA_SHARE = 8
# match_bm25's defaults for k1 and b, written as the macro's literals so each term's share is the same double.
BM25_K, BM25_B = "1.2", "0.75"
# A term's share of a document's score, as an integer in units of 2^-40 (exact scaling, then one rounding,
# < 5e-13): a document's score is then an exact sum whatever order its terms are added in, so equal documents tie
# exactly and go by article_id. Summing doubles in hash-aggregate order, as match_bm25 does, can differ in the
# last bit from one search to the next and shuffle equal documents.
SCORE_UNIT = 2 ** 40
TOKENS_SQL = "SELECT unnest(search_tokenize($1))"
TERMS_SQL = "SELECT termid, df FROM dict WHERE term IN ({marks})"
# match_bm25's expression (fts_main_docs macro text) for one term and document, from the stored tf, len and df.
TOP_SQL = f"""
WITH q(termid, df) AS (VALUES {{terms}}),
idf AS (SELECT q.termid, log((((stats.num_docs - q.df) + 0.5) / (q.df + 0.5)) + 1) AS idf FROM q, stats),
hits AS (SELECT termid, article_id, tf, len FROM postings WHERE termid IN ({{termids}})
         UNION ALL SELECT termid, article_id, tf, len FROM postings_new WHERE termid IN ({{termids}}))
SELECT hits.article_id,
       sum(CAST(round(idf.idf * ((hits.tf * ({BM25_K} + 1))
                                 / (hits.tf + ({BM25_K} * ((1 - {BM25_B}) + ({BM25_B} * (hits.len / stats.avgdl))))))
                      * {SCORE_UNIT}) AS BIGINT)) AS total
FROM hits JOIN idf ON idf.termid = hits.termid CROSS JOIN stats
GROUP BY hits.article_id ORDER BY total DESC, hits.article_id LIMIT {{limit}}
"""
HITS_SQL = "SELECT article_id, title, journal, pub_year, pmid, doi FROM docs WHERE article_id IN ({ids})"
# Below this many postings one thread is faster (2 cores: 77,000 postings 14 ms on one, 21 ms on two); above it,
# the scan and the sums split across threads (580,000 postings: 51 ms on one, 43 ms on two).
PARALLEL_POSTINGS = 100_000


@dataclass(frozen=True, slots=True)
class SearchHit:
    article_id: int
    score: float
    title: str | None
    journal: str | None
    pub_year: int | None
    pmid: str | None
    doi: str | None


@dataclass(frozen=True, slots=True)
class IndexUpdate:
    """What an update did: `tokenized` articles (new or changed) indexed, the old postings of `removed` ones
    (changed or deleted) dropped; `full` when built from scratch; `documents` indexed now."""

    path: Path
    full: bool
    tokenized: int
    removed: int
    documents: int


@dataclass(frozen=True, slots=True)
class _Staged:
    tmp: Path  # the index being made: a copy of the current one, or a new file
    work: Path  # scratch: the pending articles' text and their FTS index
    full: bool
    pending: int
    removed: int


def index_path(db_path: str | Path) -> Path:
    """The search index file of a database: `<db>.search.duckdb` beside it."""
    return Path(f"{db_path}{INDEX_SUFFIX}")


def rebuild_search_index(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> Path:
    """Build the index of `db_path` anew from `con` (its open connection, read-write or read-only), swap it in.

    Call it after the load committed, with no transaction open. Readers keep the index they opened; the next
    `search` sees the new one. Returns the index path.
    """
    return _finish(_stage(con, db_path, _temp_paths(db_path), copied=False), db_path).path


def update_search_index(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> IndexUpdate:
    """Bring the index of `db_path` up to `con`'s articles, indexing only those new, changed or deleted since.

    A missing index, or one of another format, is built anew. Same contract as `rebuild_search_index`.
    """
    paths = _temp_paths(db_path)
    return _finish(_stage(con, db_path, paths, copied=_copy_index(db_path, paths[0])), db_path)


def refresh_search_index(db_path: str | Path) -> IndexUpdate:
    """After a load: the changes found during a reader's turn on the database, the index updated after it.

    Tokenizing is most of the time; it runs after the turn, so writers queue only for the comparison.
    """
    paths = _temp_paths(db_path)
    copied = _copy_index(db_path, paths[0])
    try:
        with reading(db_path) as con:
            staged = _stage(con, db_path, paths, copied)
    except BaseException:
        _remove(*paths)
        raise
    return _finish(staged, db_path)


@cache
def _default_memory_limit() -> str:
    """DuckDB's own memory limit on this machine (a share of its memory)."""
    with duckdb.connect() as con:
        return con.execute("SELECT current_setting('memory_limit')").fetchone()[0]


def _temp_paths(db_path: str | Path) -> tuple[Path, Path]:
    target = index_path(db_path)
    stem = f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}"
    return target.with_name(f"{stem}.tmp"), target.with_name(f"{stem}.work.tmp")


def _copy_index(db_path: str | Path, tmp: Path) -> bool:
    """The current index copied to `tmp` to be updated there; False when there is none."""
    target = index_path(db_path)
    try:
        shutil.copyfile(target, tmp)
    except FileNotFoundError:
        return False
    except OSError as exc:
        _remove(tmp)
        raise WarehouseError(f"cannot copy the search index {target} to update it: {exc}") from exc
    return True


def _stage(con: duckdb.DuckDBPyConnection, db_path: str | Path, paths: tuple[Path, Path], copied: bool) -> _Staged:
    """Into the scratch file: the articles to tokenize (with their text) and those whose postings go."""
    tmp, work = paths
    # A writer's connection keeps DuckDB to 512 MB (connect.WRITER_SETTINGS, to load beside parser processes);
    # copying every article's text out for a full build needs more (200,000 articles did not fit): DuckDB's
    # default while staging, set by value (`RESET memory_limit` did not lift the cap in DuckDB 1.5.5).
    limit = con.execute("SELECT current_setting('memory_limit')").fetchone()[0]
    con.execute(f"SET memory_limit = '{_default_memory_limit()}'")
    try:
        _check_same_file(con, db_path)
        full = not (copied and _attach_index(con, tmp))
        if full:
            _remove(tmp)
            con.execute(f"ATTACH '{_quoted(tmp)}' AS {IDX} (READ_WRITE)")
            for sql in INDEX_TABLES:
                con.execute(sql)
        try:
            con.execute(f"ATTACH '{_quoted(work)}' AS {WORK} (READ_WRITE)")
            try:
                for sql in (CHANGED_SQL, PENDING_SQL, REMOVED_SQL):
                    con.execute(sql)
                pending, removed = (con.execute(f"SELECT count(*) FROM {WORK}.{table}").fetchone()[0]
                                    for table in ("pending", "removed"))
            finally:
                con.execute(f"DETACH {WORK}")
        finally:
            con.execute(f"DETACH {IDX}")
    except duckdb.Error as exc:
        _remove(tmp, work)
        raise WarehouseError(f"cannot update the search index {index_path(db_path)} of {db_path}: {exc}") from exc
    except BaseException:
        _remove(tmp, work)
        raise
    finally:
        con.execute(f"SET memory_limit = '{limit}'")
    return _Staged(tmp, work, full, pending, removed)


def _attach_index(con: duckdb.DuckDBPyConnection, tmp: Path) -> bool:
    """Attach the copied index; False, nothing attached, when it is unreadable or of another format."""
    try:
        con.execute(f"ATTACH '{_quoted(tmp)}' AS {IDX} (READ_WRITE)")
    except duckdb.Error:
        return False
    try:
        row = con.execute(f"SELECT max(format) FROM {IDX}.search_meta").fetchone()
        if row and row[0] == INDEX_FORMAT:
            return True
    except duckdb.Error:
        pass
    con.execute(f"DETACH {IDX}")
    log.info("search index %s is of another format: building it anew", tmp)
    return False


def _finish(staged: _Staged, db_path: str | Path) -> IndexUpdate:
    target = index_path(db_path)
    try:
        if not staged.full and not staged.pending and not staged.removed:
            documents = _count_docs(staged.tmp)  # nothing changed: the index stays as it is
        else:
            documents = _merge(staged)
            os.replace(staged.tmp, target)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot update the search index {target} of {db_path}: {exc}") from exc
    finally:
        _remove(staged.tmp, staged.work)
    update = IndexUpdate(target, staged.full, staged.pending, staged.removed, documents)
    log.info("search index %s %s: %d articles tokenized, %d removed, %d indexed", target,
             "built" if update.full else "updated", update.tokenized, update.removed, update.documents)
    return update


def _count_docs(tmp: Path) -> int:
    con = open_file(tmp, read_only=True)
    try:
        return con.execute("SELECT count(*) FROM docs").fetchone()[0]
    finally:
        con.close()


def _merge(staged: _Staged) -> int:
    """Tokenize the pending articles in the scratch file, then merge their terms into the index copy."""
    con = open_file(staged.work, read_only=False)
    try:
        load_fts(con)
        con.execute(TOKENIZE)
        con.execute(FRESH_SQL)
        con.execute(f"ATTACH '{_quoted(staged.tmp)}' AS {IDX} (READ_WRITE)")
        if staged.removed:
            for sql in (GONE_SQL, *DROP_REMOVED):
                con.execute(sql)
        else:
            con.execute("CREATE TABLE gone (termid BIGINT, n BIGINT)")
        con.execute(NEW_TERMS_SQL)
        con.execute(FRESH_POSTINGS_SQL)
        con.execute(DF_SQL)
        con.execute(f"DELETE FROM {IDX}.dict WHERE df = 0")
        _add_postings(con, staged.full)
        con.execute(DOCS_SQL)
        con.execute(f"DELETE FROM {IDX}.stats")
        con.execute(STATS_SQL)
        documents = con.execute(f"SELECT num_docs FROM {IDX}.stats").fetchone()[0]
        con.execute(f"INSERT INTO {IDX}.search_meta VALUES ($1, current_localtimestamp(), $2, $3, $4, $5)",
                    [INDEX_FORMAT, staged.full, staged.pending, staged.removed, documents])
        if staged.full:
            definition = con.execute(TOKENIZE_MACRO).fetchone()[0]
            con.execute(f"CREATE MACRO {IDX}.search_tokenize(s) AS {definition}")
            for sql in LOOKUP_INDEXES:
                con.execute(sql)
        con.execute(f"CHECKPOINT {IDX}")
        con.execute(f"DETACH {IDX}")
    finally:
        con.close()
    return documents


def _add_postings(con: duckdb.DuckDBPyConnection, full: bool) -> None:
    """The fresh postings, sorted by term, into the small table, or all into the main one once it is big enough."""
    main, delta, fresh = (con.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
                          for table in (f"{IDX}.postings", f"{IDX}.postings_new", "fresh_postings"))
    if full or (delta + fresh) * DELTA_SHARE > main:
        target, sources = "postings", [f"{IDX}.postings", f"{IDX}.postings_new", "fresh_postings"]
    elif fresh:
        target, sources = "postings_new", [f"{IDX}.postings_new", "fresh_postings"]
    else:
        return
    union = " UNION ALL ".join(f"SELECT termid, article_id, tf, len FROM {source}" for source in sources)
    con.execute(f"CREATE TABLE {IDX}.postings_next AS SELECT * FROM ({union}) ORDER BY termid, article_id")
    con.execute(f"DROP TABLE {IDX}.{target}")
    con.execute(f"ALTER TABLE {IDX}.postings_next RENAME TO {target}")
    if target == "postings":
        con.execute(f"CREATE OR REPLACE TABLE {IDX}.postings_new ({POSTING_COLUMNS})")


def _quoted(path: Path) -> str:
    return str(path).replace("'", "''")


def _remove(*paths: Path) -> None:
    for path in paths:
        for leftover in (path, Path(f"{path}.wal")):
            with suppress(FileNotFoundError):
                leftover.unlink()


def search(db_path: str | Path, text: str, limit: int = 20) -> list[SearchHit]:
    """Articles matching `text` in title, abstract, keywords or MeSH terms, best BM25 score first.

    Reads only the index file; when it is missing (or of an older format) it is built first from a read-only
    connection to the database, which fails with a clear error while another process is writing it.
    """
    if not text.strip():
        raise ValueError("search text is empty")
    if limit < 1:
        raise ValueError(f"limit must be at least 1, not {limit}")
    path = index_path(db_path)
    con = _open_usable(path)
    if con is None:
        _build_from_database(db_path)
        con = open_file(path, read_only=True)
    try:
        return _ranked(con, text, int(limit))
    except duckdb.Error as exc:
        raise WarehouseError(f"search index {path}: {exc}") from exc
    finally:
        con.close()


def _ranked(con: duckdb.DuckDBPyConnection, text: str, limit: int) -> list[SearchHit]:
    """match_bm25's ranking (each distinct stemmed token once, k1 1.2, b 0.75), from the postings of the terms."""
    tokens = [row[0] for row in con.execute(TOKENS_SQL, [text]).fetchall()]
    stems = sorted(set(Stemmer.Stemmer(STEMMER).stemWords(tokens)))  # a Stemmer is not thread-safe: one per call
    marks = ", ".join(f"${n}" for n in range(1, len(stems) + 1))
    terms = con.execute(TERMS_SQL.format(marks=marks), stems).fetchall() if stems else []
    if not terms:
        return []
    if sum(df for _, df in terms) < PARALLEL_POSTINGS:
        con.execute("SET threads = 1")
    termids = ", ".join(str(int(termid)) for termid, _ in terms)
    values = ", ".join(f"({int(termid)}::BIGINT, {int(df)}::BIGINT)" for termid, df in terms)
    top = con.execute(TOP_SQL.format(terms=values, termids=termids, limit=limit)).fetchall()
    if not top:
        return []
    ids = ", ".join(str(int(article_id)) for article_id, _ in top)
    shown = {row[0]: row[1:] for row in con.execute(HITS_SQL.format(ids=ids)).fetchall()}
    return [SearchHit(article_id, total / SCORE_UNIT, *shown[article_id]) for article_id, total in top]


def _check_same_file(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> None:
    """The index is named after `db_path`, so it must be built from that database's own connection."""
    opened = database_path(con)
    if opened == ":memory:" or Path(opened).resolve() != Path(db_path).resolve():
        raise WarehouseError(f"cannot build the search index of {db_path} from a connection to {opened}")


def _open_usable(path: Path) -> duckdb.DuckDBPyConnection | None:
    """The index opened read-only, or None when it is missing, unreadable or of another format."""
    if not path.exists():
        return None
    try:
        con = open_file(path, read_only=True)
    except WarehouseError:
        return None
    try:
        row = con.execute("SELECT max(format) FROM search_meta").fetchone()
        if row and row[0] == INDEX_FORMAT:
            return con
    except duckdb.Error:
        pass
    con.close()
    return None


def _build_from_database(db_path: str | Path) -> None:
    """No usable index yet: build it now, after any writer's turn (see warehouse.access)."""
    log.info("no usable search index for %s: building it", db_path)
    if not Path(db_path).exists():
        raise WarehouseError(f"database {db_path} does not exist: nothing to search")
    try:
        refresh_search_index(db_path)
    except WarehouseError as exc:  # a process outside litingest holds the file
        raise WarehouseError(f"no search index {index_path(db_path)} yet, and it cannot be built now: {exc}. "
                             "It is built after each load; search again when the load has finished") from exc
