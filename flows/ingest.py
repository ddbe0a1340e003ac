"""The `ingest_files` flow: saved pages on disk -> `Article` records -> rows in DuckDB."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import astuple, dataclass, field, fields
from pathlib import Path

from prefect import flow, task

from scrapers.errors import ScrapeError
from scrapers.files import expand, iter_documents
from scrapers.raw import RawDocument
from transforms.article import Article
from transforms.errors import ParseError
from transforms.pipeline import PARSER_VERSION, parse_records
from transforms.pubmed_xml import Deletion, RecordError
from warehouse.access import Writer, writing
from warehouse.bulk import load_batch_or_isolate
from warehouse.errors import WarehouseError
from warehouse.load import SourceRecord, delete_pmids
from warehouse.search import index_path, refresh_search_index

log = logging.getLogger(__name__)
# Files per parse/load task pair: large enough to keep Prefect's per-task cost small, small
# enough that a folder of thousands of pages never sits in memory at once.
BATCH_FILES = 200
# Records per load transaction: large enough for set-based SQL to pay off (bench/pubmed_xml.py), small
# enough that a failed batch, loaded again in halves until its bad records stand alone, stays quick.
LOAD_BATCH = 5_000


@dataclass
class Parsed:
    input: str
    article: Article | None = None
    source: SourceRecord | None = None
    error: str | None = None
    deleted: list[str] | None = None  # PMIDs a PubMed update file deletes (DeleteCitation)
    # The article's `to_bytes`, when it was made for the content hash: sent as is by `to_wire`.
    encoded: bytes | None = field(default=None, repr=False, compare=False)

    def to_wire(self) -> tuple:
        """Plain values for `marshal`: how a worker process hands a parsed record to the writer (flows/spool.py)."""
        article = self.encoded or (self.article.to_bytes() if self.article is not None else None)
        source = astuple(self.source) if self.source is not None else None
        return (self.input, article, source, self.error, self.deleted)

    @classmethod
    def from_wire(cls, wire: tuple) -> Parsed:
        label, article, source, error, deleted = wire
        return cls(label, Article.from_bytes(article) if article is not None else None,
                   SourceRecord(*source) if source is not None else None, error, deleted)


@dataclass
class IngestReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        deleted = f"{self.deleted} deleted, " if self.deleted else ""
        return (f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, {deleted}"
                f"{len(self.failures)} failed")

    def add(self, other: IngestReport) -> None:
        """Add the counts and append the lists of `other` (the same report, or a plainer one a part of the
        run returned): one `add` for every report built on this one."""
        for f in fields(self):
            if not hasattr(other, f.name):
                continue
            mine, theirs = getattr(self, f.name), getattr(other, f.name)
            if isinstance(mine, list):
                mine.extend(theirs)
            else:
                setattr(self, f.name, mine + theirs)


def record_source(key: str, record: Article, encoded: bytes | None = None) -> SourceRecord:
    """The source of a record that has no file of its own (an EFetch batch, a baseline file's citation):
    its hash is the parse's, so a rerun that parses the same record finds it unchanged.

    The hash is of `Article.to_bytes` (the fields in order, deterministic): its JSON cost more than parsing
    the record and dominated a baseline load.
    """
    digest = hashlib.sha256(encoded or record.to_bytes()).hexdigest()
    return SourceRecord(input=key, content_hash=digest, size_bytes=0, parser=f"litingest/{PARSER_VERSION}")


def parsed_record(label: str, key: str, record: Article | Deletion | RecordError) -> Parsed:
    """A record of a PubMed XML file or EFetch answer; `key` names its source row (`PMID.VERSION` is added)."""
    if isinstance(record, Deletion):
        return Parsed(label, deleted=list(record.pmids))
    if isinstance(record, RecordError):
        return Parsed(label, error=str(record))
    encoded = record.to_bytes()
    source = record_source(f"{key}{record.pmid}.{record.pmid_version or 1}", record, encoded)
    return Parsed(label, article=record, source=source, encoded=encoded)


def parse_raw(raw: RawDocument) -> list[Parsed]:
    """One document to its records (a page has one, a PubMed XML file many) or to its one-line error.

    Never raises, so a batch goes on. Each record of a file is its own source (`FILE#PMID.VERSION`),
    so a rerun of the same file finds every record unchanged.
    """
    try:
        records = list(parse_records(raw.body, raw.input, url=raw.url, content_type=raw.content_type))
    except ParseError as exc:
        return [Parsed(raw.input, error=str(exc))]
    except Exception as exc:  # a parser bug must not stop the other documents
        log.exception("unexpected error parsing %s", raw.input)
        return [Parsed(raw.input, error=f"{raw.input}: parser failed ({type(exc).__name__}: {exc})")]
    return [page_record(raw, r) if isinstance(r, Article) and r.source_kind != "pubmed_xml"
            else parsed_record(raw.input, f"{raw.input}#", r) for r in records]


def page_record(raw: RawDocument, article: Article) -> Parsed:
    """A page's record: its source is the document itself (the body's hash and size), so a rerun on the
    same bytes finds it unchanged."""
    source = SourceRecord(input=raw.input, content_hash=raw.sha256, size_bytes=raw.size,
                          parser=f"litingest/{PARSER_VERSION}")
    return Parsed(raw.input, article=article, source=source)


@task(name="parse-files")
def parse_files(paths: list[str], url: str | None = None) -> list[Parsed]:
    out = []
    for item in iter_documents(paths, url):
        if isinstance(item, ScrapeError):
            out.append(Parsed(item.input, error=str(item)))
        else:
            out.extend(parse_raw(item))
    return out


@task(name="load-articles")
def load_articles(db: str, parsed: list[Parsed]) -> IngestReport:
    return load_parsed(db, parsed)


def load_parsed(db: str, parsed: list[Parsed]) -> IngestReport:
    """Records in batches of one transaction each (Arrow staging, set-based SQL), deletions where they stand.

    A batch that fails is loaded again in halves (warehouse.bulk.load_batch_or_isolate), so a bad record is
    reported by name and the rest load.
    """
    with writing(db) as writer:
        return load_parsed_into(writer, parsed)


def load_parsed_into(writer: Writer, parsed: list[Parsed]) -> IngestReport:
    """`load_parsed` on a writer's turn, handing the database over between transactions when others wait."""
    report = IngestReport(failures=[p.error for p in parsed if p.error])
    batch: list[tuple[Article, SourceRecord]] = []
    for p in parsed:
        if p.deleted:
            _flush(writer, batch, report)
            report.deleted += delete_pmids(writer.turn(), p.deleted, p.input)
        elif p.article is not None and p.source is not None:
            batch.append((p.article, p.source))
            if len(batch) >= LOAD_BATCH:
                _flush(writer, batch, report)
    _flush(writer, batch, report)
    return report


def _flush(writer: Writer, batch: list[tuple[Article, SourceRecord]], report: IngestReport) -> None:
    if not batch:
        return
    result, errors = load_batch_or_isolate(writer.turn(), batch)
    report.inserted += result.inserted
    report.updated += result.updated
    report.unchanged += result.unchanged
    report.failures += [f"{name}: not loaded ({type(exc).__name__}: {exc})" for name, exc in errors]
    batch.clear()


@flow(name="ingest_files")
def ingest_files(paths: list[str], db: str, url: str | None = None) -> IngestReport:
    """Parse and load every file under `paths`; bad files are reported, the rest still load."""
    files = expand(paths)
    total = IngestReport()
    for start in range(0, len(files), BATCH_FILES):
        batch = files[start:start + BATCH_FILES]
        total.add(load_articles(db, parse_files(batch, url)))
    if not files:
        total.failures.append(f"{', '.join(paths)}: no files found")
    refresh_search(db, total)
    return total


def refresh_search(db: str, report: IngestReport) -> None:
    """The search index rebuilt once a run's loads committed; a failure is logged, the loaded rows stand.

    A run that changed no row keeps the index it has: a nightly run with nothing new, or a rerun, would
    otherwise rebuild it whole (a minute at 200,000 articles).
    """
    if not Path(db).exists():
        return
    if not (report.inserted or report.updated or report.deleted) and index_path(db).exists():
        return
    try:
        refresh_search_index(db)
    except WarehouseError:
        log.exception("search index of %s not rebuilt; `litingest search` rebuilds it", db)
