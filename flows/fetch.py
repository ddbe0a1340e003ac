"""The `ingest_urls` flow (article pages and DOIs fetched politely, kept raw, parsed, loaded) and `reparse`.

Each URL ends with one outcome, recorded in the raw store beside the database (`<db>.raw/`): `loaded`, a fetch
failure (`http_404`, `robots_disallowed`, `unreachable`, `too_large`, ...) or a page that is no article
(`no_article:captcha`, `no_article:paywall`, ...). `reparse` rebuilds every article from the stored bodies
without the network, so a better extractor reaches everything fetched before.
"""

from __future__ import annotations

import importlib.metadata
import logging
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.cache_policies import NO_CACHE

from flows.ingest import IngestReport, Parsed, load_articles, page_record, refresh_search
from scrapers.errors import ScrapeError
from scrapers.fetch import (
    DEFAULT_MAX_BYTES,
    DEFAULT_PER_HOST,
    DEFAULT_RATE,
    DEFAULT_WORKERS,
    DOI_RESOLVER,
    NOT_MODIFIED,
    Fetched,
    Fetcher,
    FetchPolicy,
    user_agent,
)
from scrapers.raw import RawDocument
from scrapers.rawstore import FetchRecord, RawStore, beside
from transforms import encoding, pagestatus
from transforms.errors import NoArticleError, ParseError
from transforms.page import Page
from transforms.pipeline import detect_kind, parse_bytes

log = logging.getLogger(__name__)
# URLs per fetch/parse/load round: bodies of one round are held in memory (at most this many times the size
# limit), and each round's rows are committed before the next starts.
BATCH_URLS = 50
LOADED, LOAD_FAILED, PARSE_ERROR = "loaded", "load_failed", "parse_error"
# What an HTTP error's page shows, when it says more than the status (an error page says nothing more).
ERROR_PAGE_WORDS = {pagestatus.CAPTCHA: "a captcha or bot wall", pagestatus.COOKIE_WALL: "a cookie wall",
                    pagestatus.PAYWALL: "a login or paywall page"}


@dataclass
class UrlOutcome:
    url: str
    outcome: str
    reason: str | None = None
    final_url: str | None = None


@dataclass
class FetchReport(IngestReport):
    not_modified: int = 0
    outcomes: list[UrlOutcome] = field(default_factory=list)

    def summary(self) -> str:
        loaded = sum(o.outcome == LOADED for o in self.outcomes)
        return (f"{len(self.outcomes)} URLs, {loaded} loaded ({self.not_modified} not modified since the last fetch): "
                f"{super().summary()}")

    def markdown(self, title: str) -> str:
        counts = Counter(o.outcome for o in self.outcomes)
        rows = "\n".join(f"| {outcome} | {n} |" for outcome, n in counts.most_common())
        failures = "".join(f"\n- {f}" for f in self.failures[:200])
        more = f"\n- ... and {len(self.failures) - 200} more" if len(self.failures) > 200 else ""
        return (f"# {title}\n\n{self.summary()}\n\n| outcome | URLs |\n|---|---|\n{rows}\n"
                f"{failures}{more}\n")


def read_url_list(lines: Iterable[str]) -> list[str]:
    """URLs or DOIs one a line; blank lines and lines starting with `#` skipped (a `#` inside a URL stays)."""
    return [s for line in lines if (s := line.strip()) and not s.startswith("#")]


def _version() -> str:
    try:
        return importlib.metadata.version("litingest")
    except importlib.metadata.PackageNotFoundError:
        return "0"


def parse_document(raw: RawDocument) -> tuple[Parsed, str]:
    """One fetched page to its record and outcome; a wall or stub is `no_article:<kind>` (transforms.pagestatus)."""
    try:
        article = parse_bytes(raw.body, raw.input, url=raw.url, content_type=raw.content_type)
    except NoArticleError as exc:
        return Parsed(raw.input, error=str(exc)), f"no_article:{exc.status}" if exc.status else "no_article"
    except ParseError as exc:
        return Parsed(raw.input, error=str(exc)), PARSE_ERROR
    except Exception as exc:  # a parser bug must not stop the other pages
        log.exception("unexpected error parsing %s", raw.input)
        return Parsed(raw.input, error=f"{raw.input}: parser failed ({type(exc).__name__}: {exc})"), PARSE_ERROR
    return page_record(raw, article), LOADED


def error_page_kind(fetched: Fetched) -> str | None:
    """What an HTTP error's body shows (a 403 that is a captcha, ...), when it is an HTML page that says."""
    if not fetched.body:
        return None
    try:
        if detect_kind(fetched.body, fetched.url) != "html":
            return None
    except ParseError:
        return None
    return pagestatus.classify(Page(encoding.to_text(fetched.body, fetched.content_type), "html", fetched.url,
                                    fetched.final_url))


@task(name="fetch-pages", cache_policy=NO_CACHE)
def fetch_pages(fetcher: Fetcher, urls: list[str], workers: int) -> list[Fetched]:
    return fetcher.fetch_all(urls, workers)


@task(name="parse-pages", cache_policy=NO_CACHE)
def parse_pages(docs: list[RawDocument]) -> list[tuple[Parsed, str]]:
    return [parse_document(d) for d in docs]


def _failed(fetched: Fetched) -> UrlOutcome:
    reason = fetched.reason or f"{fetched.url}: {fetched.outcome}"
    kind = error_page_kind(fetched) if fetched.outcome.startswith("http_") else None
    if kind in ERROR_PAGE_WORDS:
        reason += f" ({ERROR_PAGE_WORDS[kind]})"
    return UrlOutcome(fetched.url, fetched.outcome, reason, fetched.final_url)


def load_documents(db: str, store: RawStore, docs: Sequence[tuple[FetchRecord, RawDocument]]) -> FetchReport:
    """Parse and load stored documents; record each one's outcome on its fetch in the raw store."""
    report = FetchReport()
    if not docs:
        return report
    parsed = parse_pages([raw for _, raw in docs])
    report.add(load_articles(db, [p for p, _ in parsed]))
    not_loaded = {f.split(": not loaded (", 1)[0] for f in report.failures if ": not loaded (" in f}
    for (record, raw), (p, outcome) in zip(docs, parsed, strict=True):
        if outcome == LOADED and raw.input in not_loaded:
            outcome = LOAD_FAILED
        report.outcomes.append(UrlOutcome(raw.input, outcome, p.error, raw.url))
        if record.id is not None:
            store.set_outcome(record.id, outcome, p.error)
    return report


def _round(db: str, store: RawStore, fetched: list[Fetched]) -> FetchReport:
    report = FetchReport()
    for f in fetched:
        if not f.ok:
            failure = _failed(f)
            report.failures.append(failure.reason)
            report.outcomes.append(failure)
            if f.id is not None and failure.reason != f.reason:
                store.set_outcome(f.id, f.outcome, failure.reason)
    report.add(load_documents(db, store, [(f, f.raw()) for f in fetched if f.ok]))
    report.not_modified += sum(f.outcome == NOT_MODIFIED for f in fetched)
    return report


@flow(name="ingest_urls")
def ingest_urls(urls: list[str], db: str, email: str | None = None, doi_resolver: str = DOI_RESOLVER,
                rate: float = DEFAULT_RATE, per_host: int = DEFAULT_PER_HOST, workers: int = DEFAULT_WORKERS,
                max_bytes: int = DEFAULT_MAX_BYTES, raw_store: str | None = None,
                backoff_factor: float = 1.0) -> FetchReport:
    """Fetch each URL or DOI (concurrent across hosts, paced and capped per host), keep it raw, parse and load it.

    A URL that fails is reported with its reason and recorded; the others go on.
    """
    policy = FetchPolicy(user_agent(_version(), email), rate=rate, per_host=per_host, max_bytes=max_bytes,
                         doi_resolver=doi_resolver, backoff_factor=backoff_factor)
    store = RawStore(raw_store or beside(db))
    total = FetchReport()
    with Fetcher(policy, store) as fetcher:
        for start in range(0, len(urls), BATCH_URLS):
            total.add(_round(db, store, fetch_pages(fetcher, urls[start:start + BATCH_URLS], workers)))
    refresh_search(db, total)
    create_markdown_artifact(total.markdown(f"Fetched {len(urls)} URLs into {db}"), key="ingest-urls-report")
    return total


@flow(name="reparse")
def reparse(db: str, raw_store: str | None = None) -> FetchReport:
    """Rebuild every article from the raw store's latest body of each URL; nothing is fetched."""
    total = FetchReport()
    try:
        store = RawStore(raw_store or beside(db), create=False)
    except ScrapeError as exc:
        total.failures.append(str(exc))
        return total
    records = list(store.documents())
    for start in range(0, len(records), BATCH_URLS):
        docs = []
        for record in records[start:start + BATCH_URLS]:
            try:
                body = store.body(record.content_hash)
            except ScrapeError as exc:
                total.failures.append(f"{record.url}: {exc}")
                total.outcomes.append(UrlOutcome(record.url, "raw_missing", str(exc), record.final_url))
                continue
            docs.append((record, RawDocument(input=record.url, body=body, url=record.final_url,
                                             content_type=record.content_type, fetched_at=record.fetched_at)))
        total.add(load_documents(db, store, docs))
    refresh_search(db, total)
    create_markdown_artifact(total.markdown(f"Reparsed {len(records)} stored pages into {db}"), key="reparse-report")
    return total
