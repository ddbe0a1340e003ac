"""Full-text search (BM25) over articles, from an index file beside the database that a loading writer never blocks.

DuckDB lets one process write a database file and no other process read it meanwhile, and its FTS index does
not follow later changes. So the index lives in its own file, `<db>.search.duckdb`: after each load the writer
copies the searchable text into a temporary file, indexes it there and swaps it in with `os.replace`; `search`
opens only that file, read-only, and sees the last finished build.
"""

from __future__ import annotations

import logging
import os
import uuid
from contextlib import suppress
from dataclasses import dataclass
from pathlib import Path

import duckdb

from warehouse.access import reading
from warehouse.connect import _open, load_fts
from warehouse.errors import WarehouseError
from warehouse.migrate import database_path

log = logging.getLogger(__name__)
INDEX_SUFFIX = ".search.duckdb"
# Bumped whenever the docs table or the index settings change: an index of another format is rebuilt.
INDEX_FORMAT = 1
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
CREATE_INDEX = ("PRAGMA create_fts_index('docs', 'article_id', 'title_text', 'abstract', 'keywords', 'mesh', "
                f"stemmer='porter', stopwords='english', ignore='{TOKEN_SEPARATORS}', overwrite=1)")
# Only matching rows: match_bm25 is NULL for an article that has none of the query's terms.
SEARCH_SQL = ("SELECT article_id, score, title, journal, pub_year, pmid, doi "
              "FROM (SELECT *, fts_main_docs.match_bm25(article_id, $1) AS score FROM docs) "
              "WHERE score IS NOT NULL ORDER BY score DESC, article_id LIMIT $2")


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
        con = _open(path, read_only=True)
    try:
        load_fts(con)
        rows = con.execute(SEARCH_SQL, [text, limit]).fetchall()
    except duckdb.Error as exc:
        raise WarehouseError(f"search index {path}: {exc}") from exc
    finally:
        con.close()
    return [SearchHit(*row) for row in rows]


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
    con = _open(tmp, read_only=False)
    try:
        load_fts(con)
        con.execute(CREATE_INDEX)
        con.execute("CHECKPOINT")
    finally:
        con.close()


def _open_usable(path: Path) -> duckdb.DuckDBPyConnection | None:
    """The index opened read-only, or None when it is missing, unreadable or of another format."""
    if not path.exists():
        return None
    try:
        con = _open(path, read_only=True)
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
