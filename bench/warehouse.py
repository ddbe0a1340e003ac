"""Measures loading and merging articles from two sources against a bare Arrow insert of the same rows, and search.

Builds `--articles N` PubMed records from the real records of ../shared/corpus/pubmed with fresh PMIDs and DOIs;
a share of them (`--duplicates`) arrives again later as an html-kind record of another site with the DOI only
(no PMID), so the loader matches it by DOI and merges the article from both sources. Then, in one process:

1. load and merge: `load_batch` every `--batch` records into a fresh DuckDB file (GC paused, as the flows do);
2. the floor: the same final rows of every table, read back as Arrow, inserted with `INSERT ... BY NAME SELECT`
   into a fresh database of the same schema, in as many transactions;
3. search: `rebuild_search_index`, then 20 searches of three title words each (median and worst), each a
   `search` call as the CLI makes it: opening the index file included.

Prints articles per second, the ratio to (2), where the load's time goes (SQL statements by kind, COMMIT, Python)
and the search times. `--search-only DB` runs (3) alone on a database kept by an earlier `--keep` run.
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import random
import shutil
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import _pathfix  # noqa: F401  (before the project's packages)
import duckdb

from transforms.article import Article
from transforms.errors import ParseError
from transforms.pubmed_xml import iter_pubmed
from warehouse.bulk import load_batch, paused_gc
from warehouse.connect import connect
from warehouse.load import SourceRecord
from warehouse.search import index_path, rebuild_search_index, refresh_search_index, search

REPO = Path(__file__).resolve().parent.parent
CORPUS = (REPO / ".." / "shared" / "corpus" / "pubmed").resolve()
FIRST_PMID = 90_000_000  # above today's PMIDs, so no copy meets a real one
DUPLICATE_LAG = 7_000  # records between an article's PubMed record and its html copy: another batch
SEARCHES = 20
Item = tuple[Article, SourceRecord]


def corpus_records() -> list[Article]:
    """Every Article of the corpus's PubMed files (E-utilities answers beside them are skipped)."""
    records: list[Article] = []
    for path in sorted(CORPUS.glob("*.xml")) + sorted(CORPUS.glob("*.xml.gz")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as f:
            try:
                records += [r for r in iter_pubmed(f, path.name) if isinstance(r, Article)]
            except ParseError:
                continue
    return records


def stream(templates: list[Article], articles: int, duplicates: float) -> Iterator[Item]:
    """`articles` PubMed records with fresh ids; every 1/duplicates-th comes again as an html page, later."""
    every = round(1 / duplicates) if duplicates else 0
    pending: list[tuple[int, Item]] = []
    for i in range(articles):
        record = _pubmed_copy(templates[i % len(templates)], i)
        yield record, SourceRecord(f"bench.xml#{record.pmid}.1", f"{i:064x}", 3000, "bench")
        if every and i % every == 0:
            pending.append((i + DUPLICATE_LAG, _html_copy(record, i)))
        while pending and pending[0][0] <= i:
            yield pending.pop(0)[1]
    for _, item in pending:
        yield item


def _pubmed_copy(template: Article, i: int) -> Article:
    return dataclasses.replace(template, pmid=str(FIRST_PMID + i), doi=f"{template.doi or '10.99999/bench'}.b{i}",
                               pmcid=f"PMC{FIRST_PMID + i}" if template.pmcid else None)


def _html_copy(record: Article, i: int) -> Item:
    page = dataclasses.replace(record, site="generic", source_kind="html", pmid=None, pmcid=None, pmid_version=None,
                               source_url=f"https://journal.example.org/article/{i}", mesh_terms=[],
                               publication_types=[], links=[], other_abstracts=[], parser="bench/html",
                               keywords=[*record.keywords[:2], f"bench keyword {i % 97}"],
                               provenance={"title": "citation_meta", "doi": "citation_meta", "abstract": "content"})
    return page, SourceRecord(page.source_url or "", f"html{i:060x}", 20_000, "bench")


class TimedConnection:
    """The connection with each statement's time summed by its first words: where the load's time goes."""

    def __init__(self, con: duckdb.DuckDBPyConnection) -> None:
        self.con, self.seconds = con, Counter[str]()

    def execute(self, sql: str, *args: Any) -> Any:
        start = time.perf_counter()
        try:
            return self.con.execute(sql, *args)
        finally:
            self.seconds[_statement(sql)] += time.perf_counter() - start

    def __getattr__(self, name: str) -> Any:
        return getattr(self.con, name)


def _statement(sql: str) -> str:
    words = sql.split()
    head = " ".join(words[:3])
    for table in ("articles", "sources", "article_sources", "authors", "mesh_terms", "keywords"):
        if f" {table} " in f" {sql} " and not head.startswith("SELECT"):
            return f"{words[0]} {table}" if words[0] != "INSERT" else f"INSERT {words[2]}"
    return f"read: {' '.join(words[:5])[:50]}" if head.startswith(("SELECT", "WITH")) else head


def load(db: Path, items: list[Item], batch: int) -> tuple[float, Counter[str], int]:
    con = connect(db)
    timed = TimedConnection(con)
    start = time.perf_counter()
    with paused_gc():
        for n in range(0, len(items), batch):
            load_batch(timed, items[n:n + batch])  # type: ignore[arg-type]
    articles = con.execute("SELECT count(*) FROM articles").fetchone()[0]
    closing = time.perf_counter()
    con.close()  # the last checkpoint: the WAL's rows written into the file, part of the load's cost
    timed.seconds["close (last checkpoint)"] += time.perf_counter() - closing
    return time.perf_counter() - start, timed.seconds, articles


def bare_insert(db: Path, bare: Path, batches: int) -> float:
    """The loaded rows of every table, as Arrow, inserted into a fresh database in `batches` transactions."""
    src = connect(db)
    tables = [r[0] for r in src.execute("SELECT table_name FROM duckdb_tables() WHERE table_name NOT IN "
                                        "('schema_migrations') ORDER BY 1").fetchall()]
    data = {t: src.execute(f"SELECT * FROM {t}").to_arrow_table() for t in tables}
    src.close()
    con = connect(bare)
    start = time.perf_counter()
    for n in range(batches):
        con.execute("BEGIN TRANSACTION")
        for name, table in data.items():
            rows = len(table)
            part = table.slice(rows * n // batches, rows * (n + 1) // batches - rows * n // batches)
            if len(part):
                con.register("bare_part", part)
                con.execute(f"INSERT INTO {name} BY NAME SELECT * FROM bare_part")
                con.unregister("bare_part")
        con.execute("COMMIT")
    con.close()
    return time.perf_counter() - start


def searches(db: Path, templates: list[Article], more: float) -> dict[str, Any]:
    """Build the index and time `search` on 20 queries of three words from random corpus titles; then load `more`
    times as many articles again (fresh PMIDs), time `refresh_search_index` as the flows call it (an update with
    the new articles only) and the same searches on the updated index."""
    rng = random.Random(7)
    queries = []
    for _ in range(SEARCHES):
        words = [w for w in (rng.choice(templates).title or "").split() if len(w) > 3] or ["cancer"]
        queries.append(" ".join(rng.sample(words, min(3, len(words)))))

    def timed() -> tuple[list[float], int]:
        times, hits = [], 0
        for query in queries:
            start = time.perf_counter()
            hits += len(search(db, query))
            times.append(time.perf_counter() - start)
        return times, hits

    con = connect(db, read_only=True)  # as the flows build it: a reader's connection, without the writer's memory cap
    start = time.perf_counter()
    rebuild_search_index(con, db)
    result: dict[str, Any] = {"build": time.perf_counter() - start, "size": index_path(db).stat().st_size}
    articles, last = con.execute("SELECT count(*), max(TRY_CAST(pmid AS BIGINT)) FROM articles").fetchone()
    con.close()
    result["built"] = timed()
    added = round(articles * more)
    if added:
        first = max(last or 0, FIRST_PMID) - FIRST_PMID + 1
        records = [_pubmed_copy(templates[i % len(templates)], i) for i in range(first, first + added)]
        con = connect(db)
        with paused_gc():
            load_batch(con, [(record, SourceRecord(f"bench.xml#{record.pmid}.1", f"more{n:060x}", 3000, "bench"))
                             for n, record in enumerate(records)])
        con.close()
        start = time.perf_counter()
        result["update"] = refresh_search_index(db)
        result.update(refresh=time.perf_counter() - start, added=added, updated=timed())
    return result


def report_searches(db: Path, templates: list[Article], more: float = 0.0) -> None:
    result = searches(db, templates, more)
    times, hits = result["built"]
    print(f"\nsearch index built in {result['build']:.1f} s ({result['size'] / 1e6:,.0f} MB); {SEARCHES} "
          f"searches ({hits} hits): median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms")
    if "update" in result:
        update, (times, hits) = result["update"], result["updated"]
        print(f"{result['added']:,} more articles loaded ({more:.0%}), index updated in {result['refresh']:.1f} s "
              f"({update.tokenized:,} tokenized, {update.removed:,} removed, {update.documents:,} indexed; full build "
              f"{result['build'] / result['refresh']:.0f}x as long); {SEARCHES} searches ({hits} hits): "
              f"median {statistics.median(times) * 1000:.0f} ms, worst {max(times) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--articles", type=int, default=200_000)
    parser.add_argument("--duplicates", type=float, default=0.2, help="share of articles also loaded as html")
    parser.add_argument("--batch", type=int, default=5_000)
    parser.add_argument("--keep", action="store_true", help="keep the database files")
    parser.add_argument("--search-only", type=Path, metavar="DB", help="only index and search DB (from --keep)")
    parser.add_argument("--refresh-share", type=float, default=0.02,
                        help="share of articles loaded after the index is built, to time its update (0: none)")
    args = parser.parse_args()

    templates = corpus_records()
    if args.search_only:
        report_searches(args.search_only, templates, args.refresh_share)
        return
    items = list(stream(templates, args.articles, args.duplicates))
    print(f"{len(templates)} corpus records -> {args.articles:,} articles, {len(items):,} records "
          f"({len(items) - args.articles:,} html copies matched by DOI), batches of {args.batch:,}")
    folder = Path(tempfile.mkdtemp(prefix="bench-warehouse-"))
    try:
        db = folder / "w.duckdb"
        seconds, sql, articles = load(db, items, args.batch)
        batches = -(-len(items) // args.batch)
        bare = bare_insert(db, folder / "bare.duckdb", batches)
        print(f"\nload and merge: {articles:,} articles in {seconds:.1f} s = {articles / seconds:,.0f} articles/s "
              f"({len(items) / seconds:,.0f} records/s)")
        print(f"bare Arrow insert of the same rows ({batches} transactions): {bare:.1f} s = "
              f"{articles / bare:,.0f} articles/s; load and merge runs at {bare / seconds:.2f} of it")
        print(f"\nwhere the load's time goes ({seconds:.1f} s):")
        for name, spent in sql.most_common():
            print(f"  {spent:6.2f} s  {spent / seconds:4.0%}  SQL {name}")
        python = seconds - sum(sql.values())
        print(f"  {python:6.2f} s  {python / seconds:4.0%}  Python (decisions, merge, Arrow tables, JSON)")
        report_searches(db, templates, args.refresh_share)
        print(f"database {db.stat().st_size / 1e6:,.0f} MB")
    finally:
        if args.keep:
            print(f"kept {folder}")
        else:
            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    main()
