"""The `ingest_files` flow: saved pages on disk -> `Article` records -> rows in DuckDB."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

from prefect import flow, task

from scrapers.errors import ScrapeError
from scrapers.files import expand, iter_documents
from scrapers.raw import RawDocument
from transforms.article import Article
from transforms.errors import ParseError
from transforms.pipeline import PARSER_VERSION, parse_bytes
from warehouse.connect import connect
from warehouse.load import SourceRecord, load_document

log = logging.getLogger(__name__)
# Files per parse/load task pair: large enough to keep Prefect's per-task cost small, small
# enough that a folder of thousands of pages never sits in memory at once.
BATCH_FILES = 200


@dataclass
class Parsed:
    input: str
    article: Article | None = None
    source: SourceRecord | None = None
    error: str | None = None


@dataclass
class IngestReport:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    failures: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.failures

    def summary(self) -> str:
        return (f"{self.inserted} inserted, {self.updated} updated, {self.unchanged} unchanged, "
                f"{len(self.failures)} failed")


def parse_raw(raw: RawDocument) -> Parsed:
    """One document to a record or to its one-line error; never raises, so a batch goes on."""
    try:
        article = parse_bytes(raw.body, raw.input, url=raw.url, content_type=raw.content_type)
    except ParseError as exc:
        return Parsed(raw.input, error=str(exc))
    except Exception as exc:  # a parser bug must not stop the other documents
        log.exception("unexpected error parsing %s", raw.input)
        return Parsed(raw.input, error=f"{raw.input}: parser failed ({type(exc).__name__}: {exc})")
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
            out.append(parse_raw(item))
    return out


@task(name="load-articles")
def load_articles(db: str, parsed: list[Parsed]) -> IngestReport:
    """Each document in its own transaction: a failing one leaves nothing behind and the rest load."""
    report = IngestReport(failures=[p.error for p in parsed if p.error])
    con = connect(db)
    try:
        for p in parsed:
            if p.article is None or p.source is None:
                continue
            try:
                result = load_document(con, p.article, p.source)
            except Exception as exc:
                report.failures.append(f"{p.input}: not loaded ({type(exc).__name__}: {exc})")
                continue
            setattr(report, result.action, getattr(report, result.action) + 1)
    finally:
        con.close()
    return report


@flow(name="ingest_files")
def ingest_files(paths: list[str], db: str, url: str | None = None) -> IngestReport:
    """Parse and load every file under `paths`; bad files are reported, the rest still load."""
    files = expand(paths)
    total = IngestReport()
    for start in range(0, len(files), BATCH_FILES):
        batch = files[start:start + BATCH_FILES]
        report = load_articles(db, parse_files(batch, url))
        total.inserted += report.inserted
        total.updated += report.updated
        total.unchanged += report.unchanged
        total.failures.extend(report.failures)
    if not files:
        total.failures.append(f"{', '.join(paths)}: no files found")
    return total
