"""Measures PubMed XML parse and bulk-load speed against a bare lxml walk of the same file, to size a baseline load."""

from __future__ import annotations

import argparse
import cProfile
import gzip
import multiprocessing
import os
import pstats
import resource
import shutil
import tempfile
import time
import tracemalloc
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

try:  # before the project's packages; absent in a worker process, whose path is already fixed
    import _pathfix  # noqa: F401
except ModuleNotFoundError:
    pass
from lxml import etree

from flows.baseline import _parsed, parse_pubmed_file
from flows.ingest import LOAD_BATCH, IngestReport, Parsed, load_parsed_into
from flows.spool import read_spool
from transforms.article import Article
from transforms.pubmed_xml import iter_pubmed
from warehouse.access import Writer as AccessWriter
from warehouse.bulk import load_batch, paused_gc
from warehouse.connect import connect
from warehouse.load import SourceRecord, load_documents

REPO = Path(__file__).resolve().parent.parent
CORPUS = (REPO / ".." / "shared" / "corpus" / "pubmed").resolve()
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")
# The built file repeats the corpus's PubmedArticleSet records with fresh PMIDs (PMID and ArticleId pubmed), PMC ids
# made from them, and a suffix per copy on the DOIs: otherwise copies would match each other by DOI or PMC id, and
# the load would measure merges, not a baseline.
PMID_MARK, DOI_MARK = b"BENCHPMID", b"BENCHDOI"
FIRST_PMID = 90_000_000  # above today's PMIDs, so no copy meets a real one
BATCH = LOAD_BATCH
BASELINE_FILES, BASELINE_PER_FILE, PARSE_WORKERS = 1_300, 30_000, 2
ONE_HOUR = 3600.0
HEADER = (b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January 2025//EN"'
          b' "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n<PubmedArticleSet>\n')
FOOTER = b"</PubmedArticleSet>\n"
Item = tuple[Article, SourceRecord]
Settings = list[str]
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
    for pmc in el.xpath("*/ArticleIdList/ArticleId[@IdType='pmc'] | MedlineCitation/OtherID[starts-with(., 'PMC')]"):
        pmc.text = "PMC" + PMID_MARK.decode()  # a PMC id per copy too, as in a real baseline
    for doi in el.xpath("*/ArticleIdList/ArticleId[@IdType='doi'] | .//Article/ELocationID[@EIdType='doi']"):
        doi.text = (doi.text or "").strip() + DOI_MARK.decode()
    return etree.tostring(el, encoding="utf-8", xml_declaration=False, with_tail=False) + b"\n"


def build_file(path: Path, records: int, first: int = 0) -> int:
    """Write copies `first` .. `first + records - 1`, cycling through the templates; returns the file's size."""
    parts = templates()
    with open(path, "wb") as f:
        for chunk in _chunks(parts, first, first + records):
            f.write(chunk)
    return path.stat().st_size


def build_files(folder: Path, records: int, files: int) -> list[Path]:
    """The same records as `build_file`, in `files` consecutive files: a baseline's shape, for (d)."""
    paths, per = [], -(-records // files)
    for n, first in enumerate(range(0, records, per)):
        paths.append(folder / f"part{n:02d}.xml")
        build_file(paths[-1], min(per, records - first), first)
    return paths


def _chunks(parts: list[bytes], first: int, stop: int) -> Iterator[bytes]:
    yield HEADER
    for start in range(first, stop, 1000):
        yield b"".join(_copy(parts, i) for i in range(start, min(start + 1000, stop)))
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


def parsed_batches(path: Path, limit: int | None = None) -> Iterator[list[Parsed]]:
    """The file's records as load-baseline's workers make them (`flows.baseline._parsed`), BATCH at a time."""
    batch: list[Parsed] = []
    for seen, parsed in enumerate(_parsed(str(path)), 1):
        batch.append(parsed)
        if len(batch) == BATCH or seen == limit:
            yield batch
            batch = []
            if seen == limit:
                return
    if batch:
        yield batch


def parse_records(path: Path) -> int:
    """(b') (b) plus what a worker adds: each record's source row and content hash (`parsed_record`)."""
    with paused_gc():
        return sum(p.article is not None for batch in parsed_batches(path) for p in batch)


class Writer:
    """`load_parsed_into` on one connection, as load-baseline's writer runs it, timing its own share."""

    def __init__(self, db: Path, settings: Settings) -> None:
        self.writer = AccessWriter(db).open()
        for setting in settings:
            self.writer.con.execute(setting)
        self.report, self.seconds = IngestReport(), 0.0

    def __call__(self, batch: list[Parsed]) -> None:
        start = time.perf_counter()
        self.report.add(load_parsed_into(self.writer, batch))
        self.seconds += time.perf_counter() - start

    def close(self) -> tuple[int, float]:
        self.writer.close()
        for failure in self.report.failures[:5]:
            print(f"  not loaded: {failure}")
        return self.report.inserted + self.report.updated + self.report.unchanged, self.seconds


def parse_and_load(path: Path, db: Path, settings: Settings, limit: int | None = None) -> tuple[int, float]:
    """(c) one process: parse BATCH records, load them, and so on (`litingest ingest FILE.xml`)."""
    writer = Writer(db, settings)
    try:
        with paused_gc():
            for batch in parsed_batches(path, limit):
                writer(batch)
    finally:
        totals = writer.close()
    return totals


def parse_and_load_spooled(paths: list[Path], db: Path, settings: Settings, spool: Path
                           ) -> tuple[int, float, float]:
    """(d) as `load-baseline --workers 2` runs files: worker processes parse into the spool, this one loads.

    The workers are plain processes running the flow's own task body (`parse_pubmed_file.fn`: parse, lower
    priority, spool) and this one `read_spool`, not Prefect/Dask tasks, so the figure leaves out the task
    runner's start-up (seconds, once per run).
    Also returns the CPU seconds of this process and its workers (how busy the cores were).
    """
    context = multiprocessing.get_context("spawn")
    before = _cpu_seconds()
    writer = Writer(db, settings)
    try:
        with ProcessPoolExecutor(PARSE_WORKERS, mp_context=context) as pool:
            folders = [spool / path.stem for path in paths]
            futures = [pool.submit(_spool_file, path, folder, os.getpid())
                       for path, folder in zip(paths, folders, strict=True)]
            for future, folder in zip(futures, folders, strict=True):
                for batch in read_spool(folder, future.done, Parsed.from_wire):
                    writer(batch)
                future.result()
    finally:
        records, seconds = writer.close()
    return records, seconds, _cpu_seconds() - before


def _cpu_seconds() -> float:
    """User + system CPU of this process and of its ended children (the pool's workers, once shut down)."""
    own, children = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def _spool_file(path: Path, spool: Path, writer_pid: int) -> None:
    parse_pubmed_file.fn(str(path), str(spool), writer_pid)  # the flow's task body: priority, spool


def first_items(path: Path, n: int) -> list[Item]:
    return [(p.article, p.source) for batch in parsed_batches(path, n) for p in batch if p.article]


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


def compare_loaders(path: Path, tmp: Path, n: int) -> tuple[Stage, Stage]:
    """Load only, the same `n` parsed records: one transaction per document against one batch."""
    items = first_items(path, n)
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


def profile(path: Path, tmp: Path, limit: int, settings: Settings) -> None:
    """cProfile of parse + load over `limit` records: the time share of each module and the top functions."""
    profiler = cProfile.Profile()
    profiler.runcall(parse_and_load, path, tmp / "profile.duckdb", settings, limit)
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


def print_summary(bare: Stage, parse: Stage, full: Stage, spooled: Stage, per_doc: tuple[Stage, Stage],
                  traced: tuple[int, float]) -> None:
    one, bulk = per_doc
    print(f"ratios: (b)/(a) = {parse.rate / bare.rate:.2f}, (c)/(a) = {full.rate / bare.rate:.2f}, "
          f"(d)/(a) = {spooled.rate / bare.rate:.2f} (target >= 0.40)")
    print(f"load_batch vs load_document on {one.records:,} records: x{one.seconds / bulk.seconds:.0f} faster")
    print(f"memory: peak RSS {rss_mb():,.0f} MB in this process, which ran (c) and the writer of (d) (target "
          f"< 1,024); tracemalloc peak parsing {traced[0]:,} records: {traced[1]:.1f} MB")


def print_projection(spooled: Stage, cpu_seconds: float, worker: Stage, load_seconds: float, records: int) -> None:
    """A full baseline with `load-baseline --workers 2`, at the rate (d) measured; and what one hour would need.

    A run of 1,300 files spends little of its time starting and finishing, when (d)'s few files leave a core
    idle (the writer alone on the last file's backlog): the second line is the baseline with every core busy
    at (d)'s CPU a record.
    """
    total = BASELINE_FILES * BASELINE_PER_FILE
    p, w = worker.seconds / worker.records, load_seconds / records  # seconds a record: worker's, writer's
    cores = os.cpu_count() or 1
    print(f"baseline projection ({BASELINE_FILES:,} files x {BASELINE_PER_FILE:,} records) at (d)'s "
          f"{spooled.rate:,.0f} records/s: {total / spooled.rate / 3600:.1f} h on this machine ({cores} cores)")
    per_record = cpu_seconds / spooled.records
    print(f"  (d) kept {cpu_seconds / spooled.seconds:.2f} of {cores} cores busy ({per_record * 1e6:.0f} us of CPU a "
          f"record); with all {cores} busy: {total * per_record / cores / 3600:.1f} h")
    needed = total / ONE_HOUR
    print(f"  under one hour needs {needed:,.0f} records/s: a worker does {1 / p:,.0f}/s ({p * 1e6:.0f} us a "
          f"record), the writer {1 / w:,.0f}/s ({w * 1e6:.0f} us)")
    if 1 / w < needed:
        print("  -> more than one writer can load at this speed, whatever the cores")
    else:
        print(f"  -> {needed * p:.1f} workers' worth of parsing plus the writer: about {needed * (p + w):.1f} cores")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=100_000, help="records in the built file (100,000)")
    parser.add_argument("--files", type=int, default=4, help="files the records are split into for (d) (4)")
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
    size = build_file(path, args.records)
    parts = build_files(tmp, args.records, args.files)
    print(f"built {path.name}: {args.records:,} records, {size / 2**20:,.0f} MB, "
          f"{time.perf_counter() - start:.1f} s; DuckDB {settings or 'writer settings of warehouse.connect'}")
    bare, _ = timed("(a) bare lxml iterparse", bare_walk, path)
    parse, _ = timed("(b) parse (iter_pubmed)", parse_only, path)
    worker, _ = timed("(b') (b) + source rows (worker)", parse_records, path)
    traced = min(args.trace_records, parse.records), traced_parse_peak(path, args.trace_records)
    full, (_, load_seconds) = timed(f"(c) parse + load x{BATCH:,}, 1 process", parse_and_load, path,
                                    tmp / "bench.duckdb", settings)
    load = Stage("    of which loading", full.records, load_seconds, full.rss_mb)
    spooled, (_, _, spooled_cpu) = timed(f"(d) {PARSE_WORKERS} workers, 1 writer, {len(parts)} files",
                                         parse_and_load_spooled, parts, tmp / "spooled.duckdb", settings,
                                         tmp / "spool")
    per_doc = compare_loaders(path, tmp, args.subset)
    print_table([bare, parse, worker, full, load, spooled, None, *per_doc], bare)
    print_summary(bare, parse, full, spooled, per_doc, traced)
    print_projection(spooled, spooled_cpu, worker, load_seconds, full.records)
    if args.profile:
        profile(path, tmp, args.profile, settings)


if __name__ == "__main__":
    main()
