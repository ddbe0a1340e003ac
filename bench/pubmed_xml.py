"""Measures PubMed XML parse and bulk-load speed against a bare lxml walk of the same file, to size a baseline load."""

from __future__ import annotations

import argparse
import cProfile
import gzip
import hashlib
import os
import pstats
import queue
import resource
import shutil
import tempfile
import threading
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from lxml import etree

from transforms.article import Article
from transforms.pubmed_xml import PARSER, iter_pubmed
from warehouse.bulk import load_batch, load_batch_or_isolate, paused_gc
from warehouse.connect import connect
from warehouse.load import SourceRecord, load_documents

REPO = Path(__file__).resolve().parent.parent
CORPUS = (REPO / ".." / "shared" / "corpus" / "pubmed").resolve()
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")
# The built file repeats the corpus's PubmedArticleSet records with fresh PMIDs (PMID and ArticleId pubmed). The DOIs
# get a suffix per copy too: otherwise every copy would attach to the first by DOI, and the load would measure
# updates, not a baseline.
PMID_MARK, DOI_MARK = b"BENCHPMID", b"BENCHDOI"
FIRST_PMID = 90_000_000  # above today's PMIDs, so no copy meets a real one
BATCH = 5_000
BASELINE_FILES, BASELINE_PER_FILE, PARSE_WORKERS = 1_300, 30_000, 2
HEADER = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
          b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
FOOTER = b"</PubmedArticleSet>\n"
Item = tuple[Article, SourceRecord]
_SAFE = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)


@dataclass
class Stage:
    name: str
    records: int
    seconds: float
    rss_mb: float

    @property
    def rate(self) -> float:
        return self.records / self.seconds


# ---------------------------------------------------------------- the file


def templates() -> list[bytes]:
    """Each corpus PubmedArticle serialized with markers where its own PMID and DOIs go."""
    out = []
    for path in sorted(CORPUS.glob("*.xml")) + sorted(CORPUS.glob("*.xml.gz")):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        root = etree.fromstring(data, _SAFE)
        if root.tag == "PubmedArticleSet":
            out += [_template(el) for el in root if el.tag in RECORD_TAGS]
    return out


def _template(el: etree._Element) -> bytes:
    for pmid in el.xpath("MedlineCitation/PMID | BookDocument/PMID | */ArticleIdList/ArticleId[@IdType='pubmed']"):
        pmid.text = PMID_MARK.decode()
    for doi in el.xpath("*/ArticleIdList/ArticleId[@IdType='doi'] | .//Article/ELocationID[@EIdType='doi']"):
        doi.text = (doi.text or "").strip() + DOI_MARK.decode()
    return etree.tostring(el, encoding="utf-8", xml_declaration=False, with_tail=False) + b"\n"


def build_file(path: Path, records: int) -> tuple[int, str]:
    """Write `records` copies, cycling through the templates; returns the size and sha256 of the file."""
    parts = templates()
    digest = hashlib.sha256()
    with open(path, "wb") as f:
        for chunk in _chunks(parts, records):
            digest.update(chunk)
            f.write(chunk)
    return path.stat().st_size, digest.hexdigest()


def _chunks(parts: list[bytes], records: int) -> Iterator[bytes]:
    yield HEADER
    for start in range(0, records, 1000):
        yield b"".join(_copy(parts, i) for i in range(start, min(start + 1000, records)))
    yield FOOTER


def _copy(parts: list[bytes], i: int) -> bytes:
    template = parts[i % len(parts)]
    return template.replace(PMID_MARK, str(FIRST_PMID + i).encode()).replace(DOI_MARK, f".b{i}".encode())


# ---------------------------------------------------------------- the stages


def bare_walk(path: Path) -> int:
    """(a) lxml alone: every record element reached and freed, nothing read from it."""
    n = 0
    with open(path, "rb") as f:
        for _, el in etree.iterparse(f, events=("end",), tag=RECORD_TAGS, resolve_entities=False,
                                     no_network=True, load_dtd=False, huge_tree=True):
            n += 1
            el.clear(keep_tail=False)
            while el.getprevious() is not None:
                del el.getparent()[0]
    return n


def parse_only(path: Path, limit: int | None = None) -> int:
    """(b) `iter_pubmed`: every record to an `Article`."""
    n = 0
    with open(path, "rb") as f:
        for record in iter_pubmed(f, path.name):
            n += isinstance(record, Article)
            if limit and n >= limit:
                break
    return n


def batches(path: Path, source: tuple[int, str], limit: int | None = None) -> Iterator[list[Item]]:
    """The file's articles with their sources, BATCH at a time (the first `limit` only, if given)."""
    batch: list[Item] = []
    seen = 0
    with open(path, "rb") as f:
        for record in iter_pubmed(f, path.name):
            if not isinstance(record, Article):
                continue
            batch.append((record, _source(path, record, source)))
            seen += 1
            if len(batch) == BATCH or seen == limit:
                yield batch
                batch = []
                if seen == limit:
                    return
    if batch:
        yield batch


class Loader:
    """`load_batch_or_isolate` on one connection, counting records loaded and seconds spent loading."""

    def __init__(self, db: Path, settings: list[str]) -> None:
        self.con = connect(db)
        for setting in settings:
            self.con.execute(setting)
        self.loaded, self.seconds = 0, 0.0

    def __call__(self, batch: list[Item]) -> None:
        start = time.perf_counter()
        result, errors = load_batch_or_isolate(self.con, batch)
        self.seconds += time.perf_counter() - start
        self.loaded += len(result.article_ids)
        for input_, exc in errors:
            print(f"  not loaded: {input_}: {exc}")

    def close(self) -> tuple[int, float]:
        self.con.close()
        return self.loaded, self.seconds


def parse_and_load(path: Path, db: Path, source: tuple[int, str], settings: list[str],
                   limit: int | None = None) -> tuple[int, float]:
    """(c) `iter_pubmed`, then `load_batch` every BATCH records; returns records loaded and seconds loading.

    The loop runs with the cyclic garbage collector paused, as a loader holding batches should (see `paused_gc`).
    """
    loader = Loader(db, settings)
    try:
        with paused_gc():
            for batch in batches(path, source, limit):
                loader(batch)
    finally:
        totals = loader.close()
    return totals


def parse_and_load_threaded(path: Path, db: Path, source: tuple[int, str], settings: list[str]) -> tuple[int, float]:
    """(c') the same with one writer thread: DuckDB releases the GIL, so its share overlaps the parsing."""
    loader = Loader(db, settings)
    pending: queue.Queue[list[Item] | None] = queue.Queue(maxsize=1)
    failure: list[BaseException] = []
    writer = threading.Thread(target=_write_all, args=(loader, pending, failure))
    writer.start()
    try:
        with paused_gc():
            for batch in batches(path, source):
                if failure:
                    break
                pending.put(batch)
    finally:
        pending.put(None)
        writer.join()
        totals = loader.close()
    if failure:
        raise failure[0]
    return totals


def _write_all(loader: Loader, pending: queue.Queue, failure: list[BaseException]) -> None:
    while (batch := pending.get()) is not None:
        if not failure:
            try:
                loader(batch)
            except BaseException as exc:
                failure.append(exc)


def _source(path: Path, record: Article, source: tuple[int, str]) -> SourceRecord:
    return SourceRecord(f"{path.name}#{record.pmid}.{record.pmid_version or 1}", source[1], source[0], PARSER)


def first_items(path: Path, n: int, source: tuple[int, str]) -> list[Item]:
    return [item for batch in batches(path, source, n) for item in batch]


# ---------------------------------------------------------------- measuring


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kilobytes on Linux


def timed(name: str, fn, *args) -> tuple[Stage, object]:
    start = time.perf_counter()
    value = fn(*args)
    seconds = time.perf_counter() - start
    records = value[0] if isinstance(value, tuple) else value
    return Stage(name, records, seconds, rss_mb()), value


def traced_parse_peak(path: Path, limit: int) -> float:
    """tracemalloc's peak (MB of Python allocations) while parsing the first `limit` records."""
    tracemalloc.start()
    try:
        parse_only(path, limit)
        return tracemalloc.get_traced_memory()[1] / 2**20
    finally:
        tracemalloc.stop()


def compare_loaders(path: Path, tmp: Path, n: int, source: tuple[int, str]) -> tuple[Stage, Stage]:
    """Load only, the same `n` parsed records: one transaction per document against one batch."""
    items = first_items(path, n, source)
    con = connect(tmp / "one_by_one.duckdb")
    try:
        one, _ = timed("    load_document, one by one", lambda: len(load_documents(con, items).results))
    finally:
        con.close()
    con = connect(tmp / "one_batch.duckdb")
    try:
        bulk, _ = timed("    load_batch, one batch", lambda: len(load_batch(con, items).article_ids))
    finally:
        con.close()
    return one, bulk


def profile(path: Path, tmp: Path, limit: int, source: tuple[int, str], settings: list[str]) -> None:
    """cProfile of parse + load over `limit` records: the time share of each module and the top functions."""
    profiler = cProfile.Profile()
    profiler.runcall(parse_and_load, path, tmp / "profile.duckdb", source, settings, limit)
    stats = pstats.Stats(profiler)
    total = sum(row[2] for row in stats.stats.values())
    by_module: dict[str, float] = defaultdict(float)
    for (filename, _, _), row in stats.stats.items():
        by_module[_module(filename)] += row[2]
    print(f"\nprofile of parse + load_batch, {limit:,} records (own time by module, {total:.1f} s in all):")
    for module, seconds in sorted(by_module.items(), key=lambda kv: -kv[1])[:8]:
        print(f"  {100 * seconds / total:5.1f} %  {module}")
    stats.sort_stats("tottime").print_stats(20)


def _module(filename: str) -> str:
    if filename.startswith(str(REPO)):
        return os.path.relpath(filename, REPO)
    return "C calls (lxml, DuckDB, pyarrow)" if filename == "~" else Path(filename).name


# ---------------------------------------------------------------- report


def print_table(stages: list[Stage | None], bare: Stage) -> None:
    print(f"\n{'stage':36} {'records':>8} {'seconds':>8} {'rec/s':>7} {'vs (a)':>7} {'peak RSS':>9}")
    for s in stages:
        if s is None:
            print("load only, the same first records, fresh database:")
            continue
        ratio = f"{s.rate / bare.rate:7.2f}" if s.name.startswith("(") else ""
        print(f"{s.name:36} {s.records:>8,} {s.seconds:>8.1f} {s.rate:>7,.0f} {ratio:>7} {s.rss_mb:>6,.0f} MB")


def print_summary(bare: Stage, parse: Stage, full: Stage, threaded: Stage, per_doc: tuple[Stage, Stage],
                  traced: tuple[int, float]) -> None:
    one, bulk = per_doc
    print(f"ratios: (b)/(a) = {parse.rate / bare.rate:.2f}, (c)/(a) = {full.rate / bare.rate:.2f}, "
          f"(c')/(a) = {threaded.rate / bare.rate:.2f} (target (c)/(a) >= 0.40)")
    print(f"load_batch vs load_document on {one.records:,} records: x{one.seconds / bulk.seconds:.0f} faster")
    print(f"memory: peak RSS {rss_mb():,.0f} MB (target < 1,024); tracemalloc peak parsing {traced[0]:,} records: "
          f"{traced[1]:.1f} MB")


def print_projection(parse: Stage, load_seconds: float) -> None:
    total = BASELINE_FILES * BASELINE_PER_FILE
    per_parse, per_load = parse.seconds / parse.records, load_seconds / parse.records
    seconds = max(per_parse / PARSE_WORKERS, per_load) * total
    print(f"baseline projection = max(parse s/rec / {PARSE_WORKERS} workers, load s/rec) x {BASELINE_FILES:,} files "
          f"x {BASELINE_PER_FILE:,} records\n  = max({per_parse * 1e6:.0f} us / {PARSE_WORKERS}, "
          f"{per_load * 1e6:.0f} us) x {total:,} = {seconds / 3600:.1f} h "
          f"(needs {PARSE_WORKERS + 1} cores; this machine has {os.cpu_count()})")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the built file (100,000)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (file and databases)")
    parser.add_argument("--subset", type=int, default=BATCH, help="records for load_document vs load_batch")
    parser.add_argument("--trace-records", type=int, default=20_000, help="records parsed under tracemalloc")
    parser.add_argument("--checkpoint-threshold", help="DuckDB checkpoint_threshold for the loads (e.g. 1GB)")
    parser.add_argument("--profile", type=int, default=0, metavar="N", help="also cProfile parse + load of N")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="litingest-bench-"))
    try:
        run(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> None:
    path = tmp / "efetch_bench.xml"
    settings = [f"SET checkpoint_threshold = '{args.checkpoint_threshold}'"] if args.checkpoint_threshold else []
    start = time.perf_counter()
    source = build_file(path, args.records)
    print(f"built {path.name}: {args.records:,} records, {source[0] / 2**20:,.0f} MB, "
          f"{time.perf_counter() - start:.1f} s; DuckDB {settings or 'default settings'}")
    bare, _ = timed("(a) bare lxml iterparse", bare_walk, path)
    parse, _ = timed("(b) parse (iter_pubmed)", parse_only, path)
    traced = min(args.trace_records, parse.records), traced_parse_peak(path, args.trace_records)
    full, (_, load_seconds) = timed(f"(c) parse + load_batch x{BATCH:,}", parse_and_load, path,
                                    tmp / "bench.duckdb", source, settings)
    load = Stage("    of which in load_batch", full.records, load_seconds, full.rss_mb)
    threaded, _ = timed("(c') (c) with one writer thread", parse_and_load_threaded, path, tmp / "threaded.duckdb",
                        source, settings)
    per_doc = compare_loaders(path, tmp, args.subset, source)
    print_table([bare, parse, full, load, threaded, None, *per_doc], bare)
    print_summary(bare, parse, full, threaded, per_doc, traced)
    print_projection(parse, load_seconds)
    if args.profile:
        profile(path, tmp, args.profile, source, settings)


if __name__ == "__main__":
    main()
