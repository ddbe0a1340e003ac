"""PubMed through E-utilities: the `nightly` flow for saved searches and the `backfill` flow over a date range."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact

from flows.ingest import IngestReport, load_parsed_into, parsed_record, refresh_search
from flows.progress import step_done
from flows.settings import Settings, load_settings
from scrapers.entrez import EntrezClient
from scrapers.errors import ScrapeError
from transforms.article import Article
from transforms.errors import ParseError
from transforms.pipeline import parse_records
from transforms.pubmed_xml import Deletion
from warehouse import state
from warehouse.access import Writer, writing

log = logging.getLogger(__name__)
CHUNKS = ("month", "week", "day")
# ESearch returns at most this many PMIDs per request; a window is split until it holds no more.
ESEARCH_MAX_IDS = 10_000


@dataclass
class WindowReport(IngestReport):
    """What one search window counted, fetched, parsed and loaded, with every gap named by PMID; the load's
    counts and failures (records that failed to parse or load) are the `IngestReport` it builds on."""

    counted: int = 0
    fetched: int = 0
    missing: list[str] = field(default_factory=list)  # listed by ESearch, not returned by EFetch

    @property
    def loaded(self) -> int:
        """Records in the database after the load, new, changed or unchanged."""
        return self.inserted + self.updated + self.unchanged

    @property
    def ok(self) -> bool:
        return not self.missing and super().ok

    def summary(self) -> str:
        return (f"{self.counted} counted, {self.fetched} fetched, {self.loaded} loaded "
                f"({self.unchanged} unchanged), {len(self.missing)} missing, {len(self.failures)} failed")

    def markdown(self, title: str) -> str:
        rows = "\n".join(f"| {k} | {v} |" for k, v in (
            ("counted by ESearch", self.counted), ("fetched", self.fetched), ("loaded", self.loaded),
            ("of which unchanged", self.unchanged), ("deleted", self.deleted),
            ("missing (listed, not returned)", len(self.missing)), ("failed", len(self.failures))))
        gaps = "".join(f"\n- missing PMID {p}" for p in self.missing[:200])
        gaps += "".join(f"\n- {f}" for f in self.failures[:200])
        return f"# {title}\n\n| | |\n|---|---|\n{rows}\n{gaps}\n"


def make_client(settings: Settings) -> EntrezClient:
    return EntrezClient(base_url=settings.eutils_url, email=settings.email, api_key=settings.api_key,
                        batch_size=settings.batch_size)


def split_range(start: date, end: date, chunk: str) -> list[tuple[date, date]]:
    """Inclusive [start, end] in calendar months, ISO weeks (from `start`) or days."""
    if chunk not in CHUNKS:
        raise ValueError(f"chunk must be one of {', '.join(CHUNKS)}, not {chunk!r}")
    if end < start:
        raise ValueError(f"the range ends ({end}) before it starts ({start})")
    out, current = [], start
    while current <= end:
        if chunk == "month":
            following = (current.replace(day=1) + timedelta(days=32)).replace(day=1)
        else:
            following = current + timedelta(days=7 if chunk == "week" else 1)
        out.append((current, min(end, following - timedelta(days=1))))
        current = following
    return out


def load_window(client: EntrezClient, db: str, term: str, start: date, end: date, datetype: str) -> WindowReport:
    """Search, fetch through the history server, parse and load one date window; reconcile by PMID."""
    report = WindowReport()
    with writing(db) as writer:
        try:
            for w_start, w_end, _count in client.search_windows(term, start, end, datetype):
                report.add(_load_one_window(client, writer, term, w_start, w_end, datetype))
        except ScrapeError as exc:
            # What was loaded stays (each batch committed on its own); the window is not marked finished,
            # so a rerun fetches it again and finds the loaded records unchanged.
            report.failures.append(f"{term!r} {start}..{end}: {exc}")
    return report


def _load_one_window(client: EntrezClient, writer: Writer, term: str, start: date, end: date,
                     datetype: str) -> WindowReport:
    report = WindowReport()
    search = client.esearch(term, mindate=start, maxdate=end, datetype=datetype, usehistory=True,
                            retmax=ESEARCH_MAX_IDS)
    report.counted = search.count
    listed, seen = set(search.ids), set()
    for batch in client.efetch_batches(search, search.count):
        name = f"efetch {term!r} {start}..{end} retstart={batch.retstart}"
        try:
            records = list(parse_records(batch.body, name))
        except ParseError as exc:
            report.failures.append(str(exc))
            continue
        seen.update(r.pmid for r in records if not isinstance(r, Deletion) and r.pmid)
        report.fetched += sum(isinstance(r, Article) for r in records)
        report.add(load_parsed_into(writer, [parsed_record(name, "pubmed:", r) for r in records]))
    report.missing = sorted(listed - seen, key=int)
    return report


@task(name="backfill-chunk", retries=1, retry_delay_seconds=2)
def backfill_chunk(settings: Settings, term: str, start: date, end: date, datetype: str) -> WindowReport:
    report = load_window(make_client(settings), settings.db, term, start, end, datetype)
    if report.ok:
        with writing(settings.db) as writer:
            state.finish_chunk(writer.con, term, datetype, start, end, report.counted, report.loaded)
    return report


@flow(name="backfill")
def backfill(term: str, start: date, end: date, chunk: str = "month", datetype: str = "edat",
             db: str | None = None, config: str | None = None) -> WindowReport:
    """Load every record of `term` in [start, end], chunk by chunk; finished chunks are skipped on a rerun."""
    if datetype not in ("edat", "pdat"):
        raise ValueError(f"datetype must be edat or pdat, not {datetype!r}")
    settings = load_settings(config, db=db)
    with writing(settings.db) as writer:
        done = state.finished_chunks(writer.con, term, datetype)
    total = WindowReport()
    for c_start, c_end in split_range(start, end, chunk):
        if (c_start, c_end) in done:
            log.info("chunk %s..%s already loaded", c_start, c_end)
            step_done(f"{c_start}..{c_end} (done before)")
            continue
        total.add(backfill_chunk(settings, term, c_start, c_end, datetype))
        step_done(f"{c_start}..{c_end}")
    refresh_search(settings.db, total)
    create_markdown_artifact(total.markdown(f"Backfill {term!r} {start}..{end} ({datetype})"),
                             key="backfill-report")
    return total


@flow(name="nightly")
def nightly(db: str | None = None, config: str | None = None, today: date | None = None) -> WindowReport:
    """For each saved search, load what entered PubMed since its watermark; move it once the load committed."""
    settings = load_settings(config, db=db)
    today = today or datetime.now(UTC).date()
    total = WindowReport()
    client = make_client(settings)
    for search in settings.searches:
        with writing(settings.db) as writer:
            since = state.watermark(writer.con, search.name) or today - timedelta(days=1)
        report = load_window(client, settings.db, search.term, since, today, "edat")
        if report.ok:
            with writing(settings.db) as writer:
                state.move_watermark(writer.con, search.name, search.term, today)
        total.add(report)
        step_done(search.name)
    refresh_search(settings.db, total)
    create_markdown_artifact(total.markdown(f"Nightly run {today}"), key="nightly-report")
    return total
