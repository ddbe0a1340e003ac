"""The NCBI E-utilities client: ESearch, EPost and EFetch through the history server, paced by key, answers checked.

One object holds the settings (base URL, tool, email, API key), one HTTP session and one retry budget; nothing
is read from the environment here. Transport failures (429/5xx, timeouts) are retried by urllib3 inside the
session; answers that arrive but cannot be used (not XML, truncated, an HTTP-200 `<ERROR>` body, a wrong root)
are retried here, a few times, from the same budget. What cannot be fixed is raised as a `TransientError` or
`FatalError` naming the request and the reason, never returned half. The API key is sent in POST bodies only,
so it appears in no URL, log line or error.
"""

from __future__ import annotations

import hashlib
import logging
import random
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any, NamedTuple, TypeVar
from urllib.parse import urlencode, urlsplit

import requests
from lxml import etree
from urllib3.exceptions import MaxRetryError

from scrapers.errors import FatalError, RetryBudgetExhausted, ScrapeError, TransientError
from scrapers.http import (
    DEFAULT_RETRY_BUDGET,
    RETRY_STATUSES,
    RetryBudget,
    budget_of,
    build_retry,
    make_session,
    retries_used,
)
from scrapers.ratelimit import RateLimiter, limiter_for

log = logging.getLogger(__name__)
T = TypeVar("T")

NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
DB = "pubmed"
# ESearch and the history server give at most the first 10,000 records of a query (retstart 0..9999).
MAX_RECORDS = 10_000
MAX_RETSTART = MAX_RECORDS - 1
# NCBI's published limits: 3 requests/second per address without an API key, 10 with one.
RATE_WITHOUT_KEY = 3.0
RATE_WITH_KEY = 10.0
# Attempts per request for answers that arrive but are unusable (transport retries are urllib3's, counted apart).
DEFAULT_ATTEMPTS = 4
BACKOFF_MAX = 30.0
DATE_FORMAT = "%Y/%m/%d"
# <ERROR> texts that asking again cannot fix: NCBI answers them (HTTP 200) to a malformed request.
TERMINAL_NCBI_ERRORS = ("invalid db name", "empty id list", "invalid value", "invalid uid", "cannot be larger than")
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle")


# --- what the endpoints answer ------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class History:
    """A result set stored on NCBI's history server."""

    webenv: str
    query_key: str


@dataclass(frozen=True, slots=True)
class SearchResult:
    count: int
    webenv: str | None
    query_key: str | None
    ids: tuple[str, ...]
    retmax: int
    retstart: int
    query_translation: str | None = None
    phrases_not_found: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()

    @property
    def history(self) -> History | None:
        return History(self.webenv, self.query_key) if self.webenv and self.query_key else None


@dataclass(frozen=True, slots=True)
class FetchedBatch:
    """One EFetch answer: a whole, well-formed `PubmedArticleSet`, and where it came from (no key in `url`)."""

    retstart: int
    body: bytes
    url: str
    retmax: int = 0
    records: int = 0


class Window(NamedTuple):
    start: date
    end: date
    count: int


class InvalidAnswer(Exception):
    """An answer that arrived but cannot be used; `retryable` says whether asking again may help."""

    def __init__(self, reason: str, retryable: bool = True, ncbi_errors: tuple[str, ...] = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.retryable = retryable
        self.ncbi_errors = ncbi_errors


# --- reading answers (lxml, no DTD, no network, no entities) --------------------------------------------------


def _parser() -> etree.XMLParser:
    # lxml parsers must not be shared between threads; one is cheap to make.
    return etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)


def _one_line(text: str) -> str:
    return " ".join(text.split())


def ncbi_errors(root: etree._Element) -> tuple[str, ...]:
    """The `<ERROR>` texts of an answer: NCBI reports many failures this way with HTTP 200."""
    nodes = [root] if root.tag == "ERROR" else root.findall("ERROR")
    return tuple(_one_line(n.text or "") for n in nodes)


def read_answer(body: bytes, root_tag: str) -> etree._Element:
    """The parsed answer, or `InvalidAnswer` when it is empty, not XML, cut short, an error, or the wrong kind."""
    if not body.strip():
        raise InvalidAnswer("empty answer")
    try:
        root = etree.fromstring(body, _parser())
    except etree.XMLSyntaxError as exc:
        start = body.lstrip()[:1]
        kind = "truncated or malformed XML" if start in (b"<", b"\xef") else "not XML"
        raise InvalidAnswer(f"{kind} ({_one_line(str(exc))}; {len(body)} bytes)") from None
    errors = ncbi_errors(root)
    if errors:
        terminal = any(marker in e.lower() for e in errors for marker in TERMINAL_NCBI_ERRORS)
        raise InvalidAnswer("NCBI error: " + " | ".join(errors), retryable=not terminal, ncbi_errors=errors)
    if root.tag != root_tag:
        what = "not XML (an HTML page)" if str(root.tag).lower() == "html" else f"answer is <{root.tag}>"
        raise InvalidAnswer(f"{what}, expected <{root_tag}>")
    return root


def _text(root: etree._Element, path: str) -> str | None:
    node = root.find(path)
    return node.text.strip() if node is not None and node.text else None


def _int(root: etree._Element, path: str) -> int:
    value = _text(root, path)
    if value is None or not value.isdigit():
        raise InvalidAnswer(f"<{path}> missing or not a number ({value!r})")
    return int(value)


def _texts(root: etree._Element, path: str) -> tuple[str, ...]:
    return tuple(_one_line(n.text or "") for n in root.findall(path))


def parse_esearch(body: bytes) -> SearchResult:
    root = read_answer(body, "eSearchResult")
    return SearchResult(
        count=_int(root, "Count"), webenv=_text(root, "WebEnv"), query_key=_text(root, "QueryKey"),
        ids=_texts(root, "IdList/Id"), retmax=_int(root, "RetMax"), retstart=_int(root, "RetStart"),
        query_translation=_text(root, "QueryTranslation"),
        phrases_not_found=_texts(root, "ErrorList/PhraseNotFound"), warnings=_texts(root, "WarningList/*"),
    )


def parse_epost(body: bytes) -> History:
    root = read_answer(body, "ePostResult")
    webenv, query_key = _text(root, "WebEnv"), _text(root, "QueryKey")
    if not webenv or not query_key:
        raise InvalidAnswer("ePostResult without WebEnv/QueryKey")
    return History(webenv, query_key)


def count_efetch_records(body: bytes) -> int:
    """Checks an EFetch answer is one whole `PubmedArticleSet`; returns how many records it holds."""
    root = read_answer(body, "PubmedArticleSet")
    return sum(1 for child in root if child.tag in RECORD_TAGS)


# --- the client -----------------------------------------------------------------------------------------------


class EntrezClient:
    """Settings, one session, one retry budget and the shared per-(host, key) limiter for one run."""

    def __init__(self, base_url: str | None = None, tool: str = "litingest", email: str | None = None,
                 api_key: str | None = None, session: requests.Session | None = None,
                 timeout: float | tuple[float, float] = (10, 60), batch_size: int = 500,
                 retry_budget: int | RetryBudget = DEFAULT_RETRY_BUDGET, *, limiter: RateLimiter | None = None,
                 max_attempts: int = DEFAULT_ATTEMPTS, backoff_factor: float = 1.0,
                 backoff_jitter: float = 0.5) -> None:
        if not 1 <= batch_size <= MAX_RECORDS:
            raise ValueError(f"batch_size must be within 1..{MAX_RECORDS}, not {batch_size}")
        self.base_url = (base_url or NCBI_EUTILS).rstrip("/") + "/"
        self.tool, self.email, self._api_key = tool, email, api_key or None
        self.timeout, self.batch_size, self.max_attempts = timeout, batch_size, max(1, max_attempts)
        self.backoff_factor, self.backoff_jitter = backoff_factor, backoff_jitter
        self.limiter = limiter or limiter_for(urlsplit(self.base_url).netloc, _quota_key(self._api_key),
                                              RATE_WITH_KEY if self._api_key else RATE_WITHOUT_KEY)
        self.budget = self._budget(retry_budget, session)
        self.session = session or make_session(
            self._user_agent(), build_retry(backoff_factor=backoff_factor, backoff_jitter=backoff_jitter,
                                            budget=self.budget, limiter=self.limiter), timeout)

    def _budget(self, retry_budget: int | RetryBudget, session: requests.Session | None) -> RetryBudget:
        if isinstance(retry_budget, RetryBudget):
            return retry_budget
        return (budget_of(session, self.base_url) if session else None) or RetryBudget(retry_budget)

    def _user_agent(self) -> str:
        return f"litingest ({self.tool}; {self.email})" if self.email else f"litingest ({self.tool})"

    def __repr__(self) -> str:
        return (f"EntrezClient(base_url={self.base_url!r}, tool={self.tool!r}, email={self.email!r}, "
                f"api_key={'set' if self._api_key else None}, rate={self.limiter.rate:g}/s, {self.budget!r})")

    def close(self) -> None:
        self.session.close()

    def __enter__(self) -> EntrezClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- endpoints ---

    def esearch(self, term: str, mindate: date | str | None = None, maxdate: date | str | None = None,
                datetype: str = "edat", usehistory: bool = True, retmax: int = MAX_RECORDS,
                retstart: int = 0) -> SearchResult:
        """PMIDs matching `term` entered (edat) or published (pdat) within [mindate, maxdate], both inclusive."""
        if (mindate is None) != (maxdate is None):
            raise ValueError("mindate and maxdate go together (E-utilities ignores one without the other)")
        if not 0 <= retstart <= MAX_RETSTART or not 0 <= retmax <= MAX_RECORDS:
            raise ValueError(f"retstart must be within 0..{MAX_RETSTART} and retmax within 0..{MAX_RECORDS}")
        params: dict[str, Any] = {"db": DB, "term": term, "retstart": retstart, "retmax": retmax}
        if mindate is not None:
            params.update(datetype=datetype, mindate=_ncbi_date(mindate), maxdate=_ncbi_date(maxdate))
        if usehistory:
            params["usehistory"] = "y"
        label = f"esearch {_short(term)} {params.get('mindate', '')}-{params.get('maxdate', '')} retstart={retstart}"
        return self._call("esearch.fcgi", params, label, _search_reader(usehistory))[0]

    def epost(self, pmids: Iterable[str | int]) -> History:
        """Store PMIDs on the history server, for `efetch_batches`."""
        ids = [str(p).strip() for p in pmids]
        if not ids or not all(i.isdigit() for i in ids):
            raise ValueError("epost needs one or more numeric PMIDs")
        return self._call("epost.fcgi", {"db": DB, "id": ",".join(ids)}, f"epost {len(ids)} PMIDs", parse_epost)[0]

    def efetch_batches(self, history_or_search: History | SearchResult, count: int | None = None
                       ) -> Iterator[FetchedBatch]:
        """Each batch of `batch_size` records of a stored result set, in order, each a whole checked answer.

        `count` defaults to a SearchResult's count. Bad arguments are refused here, before any request.
        """
        history = _history(history_or_search)
        total = history_or_search.count if count is None and isinstance(history_or_search, SearchResult) else count
        if total is None:
            raise ValueError("efetch_batches needs a count with a History")
        if total > MAX_RECORDS:
            raise FatalError(f"efetch query_key={history.query_key}",
                             f"{total} records exceed the history server's {MAX_RECORDS}; split with search_windows")
        return (self._fetch_batch(history, retstart, min(self.batch_size, total - retstart))
                for retstart in range(0, total, self.batch_size))

    def _fetch_batch(self, history: History, retstart: int, retmax: int) -> FetchedBatch:
        params = {"db": DB, "query_key": history.query_key, "WebEnv": history.webenv,
                  "retstart": retstart, "retmax": retmax, "retmode": "xml"}
        label = f"efetch query_key={history.query_key} retstart={retstart}"
        records, body = self._call("efetch.fcgi", params, label, count_efetch_records)
        return FetchedBatch(retstart, body, self._url("efetch.fcgi", params), retmax, records)

    def count(self, term: str, mindate: date, maxdate: date, datetype: str = "edat") -> int:
        return self.esearch(term, mindate, maxdate, datetype, usehistory=False, retmax=0).count

    def search_windows(self, term: str, start: date, end: date, datetype: str = "edat") -> list[Window]:
        """[start, end] cut into consecutive windows of at most MAX_RECORDS records each, halving as needed."""
        if end < start:
            raise ValueError(f"the window ends ({end}) before it starts ({start})")
        count = self.count(term, start, end, datetype)
        if count <= MAX_RECORDS:
            return [Window(start, end, count)]
        if start == end:
            raise FatalError(f"esearch {_short(term)} {_ncbi_date(start)}",
                             f"{count} records on one day ({datetype}) exceed the {MAX_RECORDS} ESearch can page "
                             "through; narrow the term", {"endpoint": "esearch.fcgi", "count": count})
        middle = start + (end - start) // 2
        return (self.search_windows(term, start, middle, datetype)
                + self.search_windows(term, middle + timedelta(days=1), end, datetype))

    # --- one request, checked, retried while it can help ---

    def _call(self, endpoint: str, params: dict[str, Any], label: str,
              read: Callable[[bytes], T]) -> tuple[T, bytes]:
        context = {"endpoint": endpoint, "url": self.base_url + endpoint, "params": self._public(params)}
        attempt = 0
        while True:
            attempt += 1
            context["attempts"] = attempt
            try:
                body = self._body(endpoint, params, label, context)
                return read(body), body
            except InvalidAnswer as exc:
                failure = (TransientError if exc.retryable else FatalError)(label, self._scrub(exc.reason), context)
            except _Dropped as exc:
                failure = TransientError(label, exc.reason, context)
            self._before_retry(failure, attempt, label, context)

    def _before_retry(self, failure: ScrapeError, attempt: int, label: str, context: dict[str, Any]) -> None:
        if not failure.retryable:
            raise failure
        if attempt >= self.max_attempts:
            raise TransientError(label, f"{failure.reason} (gave up after {attempt} attempts)", context)
        if not self.budget.spend():
            raise RetryBudgetExhausted(label, f"retry budget of {self.budget.limit} spent; last: {failure.reason}",
                                       context)
        log.warning("%s: %s; retrying (attempt %d of %d)", label, failure.reason, attempt + 1, self.max_attempts)
        time.sleep(min(BACKOFF_MAX, self.backoff_factor * 2 ** (attempt - 1)) + random.uniform(0, self.backoff_jitter))

    def _body(self, endpoint: str, params: dict[str, Any], label: str, context: dict[str, Any]) -> bytes:
        try:
            response = self._post(endpoint, params)
        except requests.RequestException as exc:
            raise self._transport_error(exc, label, context) from None
        if response.status_code == 200:
            return response.content
        retried = retries_used(response)
        context["status"] = response.status_code
        if self.budget.exhausted and response.status_code in RETRY_STATUSES:
            raise RetryBudgetExhausted(label, f"retry budget of {self.budget.limit} spent; last: HTTP "
                                              f"{response.status_code}", context)
        if response.status_code in RETRY_STATUSES:
            raise TransientError(label, f"HTTP {response.status_code} after {retried} retries", context)
        if response.status_code >= 400:
            snippet = self._scrub(_one_line(response.text[:200]))
            raise FatalError(label, f"HTTP {response.status_code}: {snippet}", context)
        return response.content

    def _post(self, endpoint: str, params: dict[str, Any]) -> requests.Response:
        self.limiter.acquire()
        log.debug("POST %s%s %s", self.base_url, endpoint, self._public(params))
        return self.session.post(self.base_url + endpoint, data=self._signed(params), timeout=self.timeout)

    def _transport_error(self, exc: requests.RequestException, label: str, context: dict[str, Any]) -> Exception:
        """urllib3 already retried what it wraps in MaxRetryError; an answer cut mid-body is retried here."""
        reason = self._scrub(_one_line(f"{type(exc).__name__}: {_root_cause(exc)}"))
        if self.budget.exhausted:
            return RetryBudgetExhausted(label, f"retry budget of {self.budget.limit} spent; last: {reason}", context)
        if _wraps_max_retry(exc):
            return TransientError(label, f"{reason} (urllib3 retries spent)", context)
        if isinstance(exc, requests.ConnectionError | requests.exceptions.ChunkedEncodingError
                      | requests.exceptions.ContentDecodingError | requests.Timeout):
            return _Dropped(f"answer cut off: {reason}")
        return FatalError(label, reason, context)

    # --- parameters ---

    def _signed(self, params: dict[str, Any]) -> dict[str, Any]:
        """What is sent: the request's parameters plus tool, email and api_key when set."""
        identity = {"tool": self.tool, "email": self.email, "api_key": self._api_key}
        return {**params, **{k: v for k, v in identity.items() if v}}

    def _public(self, params: dict[str, Any]) -> dict[str, Any]:
        """What may be logged or put in an error: everything sent except the key."""
        return {k: v for k, v in self._signed(params).items() if k != "api_key"}

    def _url(self, endpoint: str, params: dict[str, Any]) -> str:
        return f"{self.base_url}{endpoint}?{urlencode(params)}"

    def _scrub(self, text: str) -> str:
        return text.replace(self._api_key, "***") if self._api_key else text


class _Dropped(Exception):
    """An answer that started but did not finish (connection closed or stalled mid-body): urllib3 cannot retry it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def _search_reader(usehistory: bool) -> Callable[[bytes], SearchResult]:
    def read(body: bytes) -> SearchResult:
        result = parse_esearch(body)
        if usehistory and result.history is None:
            raise InvalidAnswer("eSearchResult without WebEnv/QueryKey although usehistory=y")
        return result

    return read


def _history(source: History | SearchResult) -> History:
    history = source if isinstance(source, History) else source.history
    if history is None:
        raise ValueError("this search was not stored on the history server (esearch with usehistory=True)")
    return history


def _ncbi_date(value: date | str | None) -> str:
    return value.strftime(DATE_FORMAT) if isinstance(value, date) else str(value)


def _short(term: str, limit: int = 60) -> str:
    text = repr(term)
    return text if len(text) <= limit else text[: limit - 4] + "...'"


def _quota_key(api_key: str | None) -> str:
    """NCBI counts requests per key (or per address without one); the registry sees a fingerprint, not the key."""
    return "key:" + hashlib.sha256(api_key.encode()).hexdigest()[:12] if api_key else "no-key"


def _wraps_max_retry(exc: BaseException) -> bool:
    return any(isinstance(arg, MaxRetryError) for arg in exc.args)


def _root_cause(exc: BaseException) -> str:
    """The innermost useful message (urllib3 nests reasons inside MaxRetryError)."""
    for arg in exc.args:
        if isinstance(arg, MaxRetryError) and arg.reason is not None:
            return str(arg.reason)
    return str(exc)
