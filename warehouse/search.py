"""Full-text search (BM25) over articles, from an index file beside the database that a loading writer never blocks.

DuckDB lets one process write a database file and no other process read it meanwhile, and its FTS index does
not follow later changes. So the index lives in its own file, `<db>.search.duckdb`: after each load the writer
copies the searchable text into a temporary file, indexes it there and swaps it in with `os.replace`; `search`
opens only that file, read-only, and sees the last finished build.

The FTS extension's `match_bm25` scores every document of the table, a full scan per search. So the build also
derives from the FTS tables each (term, article) pair's share of the BM25 score, the same formula as the macro,
stored sorted by term: a search reads only its terms' postings and sums them per article. Queries are tokenized
by the index's own `tokenize` macro (plain SQL) and stemmed with PyStemmer's Snowball Porter stemmer, the
library the extension's `stem` wraps; so searching needs no extension, whose loading alone took ~50 ms.
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb
import Stemmer

from warehouse.access import reading
from warehouse.connect import load_fts, open_file
from warehouse.errors import WarehouseError
from warehouse.migrate import database_path

log = logging.getLogger(__name__)
INDEX_SUFFIX = ".search.duckdb"
# Bumped whenever the docs table or the index settings change: an index of another format is rebuilt.
INDEX_FORMAT = 2
# Title words count double: the indexed title is the title written twice (BM25 over the whole document, title
# terms at twice their frequency). Measured on the seed pages plus the shared corpus (773 articles, 120 known-item
# queries of 3 random words, mean reciprocal rank, title / abstract / mixed words): plain BM25 .965/.921/.962,
# title twice .975/.913/.963, three times .979/.915/.961; a weighted sum of per-field BM25 scores (title x2)
# .965/.734/.891, as each field saturates on its own and words found in several fields count several times.
TITLE_REPEAT = 2
# The FTS default drops digits ('interleukin-2' -> 'interleukin', 'p53' -> 'p'); keep letters and digits.
TOKEN_SEPARATORS = r"(\.|[^a-z0-9])+"
TMP_ALIAS = "litingest_search_tmp"
DOCS_SQL = f"""
CREATE TABLE {TMP_ALIAS}.docs AS
SELECT a.article_id, a.pmid, a.doi, a.title, a.abstract,
       nullif(trim(repeat(coalesce(a.title, '') || ' ', {TITLE_REPEAT})), '') AS title_text,
       (SELECT string_agg(k.keyword, ' ; ' ORDER BY k.position) FROM keywords k
        WHERE k.article_id = a.article_id) AS keywords,
       (SELECT string_agg(m.descriptor, ' ; ' ORDER BY m.position) FROM mesh_terms m
        WHERE m.article_id = a.article_id) AS mesh,
       coalesce(a.journal, a.journal_abbrev) AS journal, a.pub_year
FROM articles a
ORDER BY a.article_id
"""
# Snowball's Porter stemmer: the index's `stem(term, 'porter')`, PyStemmer's for queries (the same C library).
STEMMER = "porter"
CREATE_INDEX = ("PRAGMA create_fts_index('docs', 'article_id', 'title_text', 'abstract', 'keywords', 'mesh', "
                f"stemmer='{STEMMER}', stopwords='english', ignore='{TOKEN_SEPARATORS}', overwrite=1)")
# match_bm25's defaults for k1 and b, written as the macro's literals so each term's share is the same double.
BM25_K, BM25_B = "1.2", "0.75"
# A term's share of a document's score, stored as an integer in units of 2^-40 (exact scaling, then one rounding,
# < 5e-13): a document's score is then an exact sum whatever order its terms are added in, so equal documents tie
# exactly and go by article_id. Summing doubles in hash-aggregate order, as match_bm25 does, can differ in the
# last bit from one search to the next and shuffle equal documents.
SCORE_UNIT = 2 ** 40
# One row per (term, article), sorted by term: a search's `termid IN (...)` reads only the row groups holding its
# terms (their min/max termid). The expression is match_bm25's (fts_main_docs macro text) for one term and document.
POSTINGS_SQL = f"""
CREATE TABLE postings AS
WITH tf AS (SELECT termid, docid, count(*) AS tf FROM fts_main_docs.terms GROUP BY termid, docid)
SELECT tf.termid, docs.name AS article_id,
       CAST(round(log((((stats.num_docs - dict.df) + 0.5) / (dict.df + 0.5)) + 1)
                  * ((tf.tf * ({BM25_K} + 1))
                     / (tf.tf + ({BM25_K} * ((1 - {BM25_B}) + ({BM25_B} * (docs.len / stats.avgdl))))))
                  * {SCORE_UNIT}) AS BIGINT) AS impact
FROM tf
JOIN fts_main_docs.docs AS docs ON docs.docid = tf.docid
JOIN fts_main_docs.dict AS dict ON dict.termid = tf.termid
CROSS JOIN fts_main_docs.stats AS stats
ORDER BY tf.termid, article_id
"""
# Point lookups for a search: its terms' ids, and its hits' display columns.
LOOKUP_INDEXES = ("CREATE UNIQUE INDEX dict_term ON fts_main_docs.dict (term)",
                  "CREATE UNIQUE INDEX docs_article_id ON docs (article_id)")
TOKENS_SQL = "SELECT unnest(fts_main_docs.tokenize($1))"
TERMS_SQL = "SELECT termid, df FROM fts_main_docs.dict WHERE term IN ({marks})"
TOP_SQL = ("SELECT article_id, sum(impact) AS total FROM postings WHERE termid IN ({termids}) "
           "GROUP BY article_id ORDER BY total DESC, article_id LIMIT {limit}")
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


def index_path(db_path: str | Path) -> Path:
    """The search index file of a database: `<db>.search.duckdb` beside it."""
    return Path(f"{db_path}{INDEX_SUFFIX}")


def rebuild_search_index(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> Path:
    """Rebuild the index of `db_path` from `con` (its open connection, read-write or read-only) and swap it in.

    Call it after the load committed, with no transaction open. Readers keep the index they opened; the next
    `search` sees the new one. Returns the index path.
    """
    return _finish_index(_stage_docs(con, db_path), db_path)


def refresh_search_index(db_path: str | Path) -> Path:
    """After a load: the documents copied during a reader's turn on the database, the index built after it.

    Building the FTS index is most of the time; it runs on the copy, so writers queue only for the copy.
    """
    with reading(db_path) as con:
        tmp = _stage_docs(con, db_path)
    return _finish_index(tmp, db_path)


def _stage_docs(con: duckdb.DuckDBPyConnection, db_path: str | Path) -> Path:
    _check_same_file(con, db_path)
    target = index_path(db_path)
    tmp = target.with_name(f"{target.name}.{os.getpid()}-{uuid.uuid4().hex[:8]}.tmp")
    try:
        _copy_docs(con, tmp)
    except duckdb.Error as exc:
        _remove(tmp)
        raise WarehouseError(f"cannot build the search index {target} of {db_path}: {exc}") from exc
    return tmp


def _finish_index(tmp: Path, db_path: str | Path) -> Path:
    target = index_path(db_path)
    try:
        _build_index(tmp)
        os.replace(tmp, target)
    except duckdb.Error as exc:
        raise WarehouseError(f"cannot build the search index {target} of {db_path}: {exc}") from exc
    finally:
        _remove(tmp)
    return target


def _remove(tmp: Path) -> None:
    for leftover in (tmp, Path(f"{tmp}.wal")):
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
    top = con.execute(TOP_SQL.format(termids=termids, limit=limit)).fetchall()
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


def _copy_docs(con: duckdb.DuckDBPyConnection, tmp: Path) -> None:
    """The searchable text of every article, into a fresh file attached to the caller's connection."""
    quoted = str(tmp).replace("'", "''")
    con.execute(f"ATTACH '{quoted}' AS {TMP_ALIAS} (READ_WRITE)")
    try:
        con.execute(DOCS_SQL)
        con.execute(f"CREATE TABLE {TMP_ALIAS}.search_meta AS SELECT {INDEX_FORMAT} AS format, "
                    "current_localtimestamp() AS built_at")
    finally:
        con.execute(f"DETACH {TMP_ALIAS}")


def _build_index(tmp: Path) -> None:
    con = open_file(tmp, read_only=False)
    try:
        load_fts(con)
        con.execute(CREATE_INDEX)
        _add_postings(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _add_postings(con: duckdb.DuckDBPyConnection) -> None:
    """What a search reads, derived from the FTS index: postings sorted by term, lookup indexes."""
    con.execute(POSTINGS_SQL)
    for sql in LOOKUP_INDEXES:
        con.execute(sql)


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
