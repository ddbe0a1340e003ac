"""Polite fetching of article pages: robots.txt obeyed, each host paced and capped, every body kept raw.

One `Fetcher` serves a run: one `requests.Session` per worker thread (cookies and connections per worker), a
User-Agent naming the tool and a contact address, per-host pacing (the process's limiter for the host, slowed
to a robots.txt Crawl-delay) and a cap on requests in flight per host. Retries (connection errors, 429, 5xx,
honouring Retry-After) are urllib3's inside the session (scrapers.http), charged to the run's budget and paced
like first attempts. Redirects are followed here, hop by hop, so each hop's scheme, robots.txt and pace are
checked and loops are seen. A DOI is fetched through a resolver (https://doi.org/ by default) and kept under
its https://doi.org/ address. Bodies are streamed and refused past a size limit; every answer with a body goes
to the raw store, and a refetch of a stored page is conditional (If-None-Match, If-Modified-Since): a 304
reuses the stored body. A URL that fails is returned as a `Fetched` naming the reason; nothing is raised.
"""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import quote, unquote, urldefrag, urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.utils import requote_uri

from scrapers.errors import ScrapeError
from scrapers.http import DEFAULT_RETRY_BUDGET, PacedRetry, RetryBudget, build_retry, make_session
from scrapers.ratelimit import RateLimiter, limiter_for
from scrapers.raw import RawDocument
from scrapers.rawstore import FetchRecord, RawStore
from scrapers.robots import MAX_ROBOTS_BYTES, RobotsCache, origin

log = logging.getLogger(__name__)

DOI_RESOLVER = "https://doi.org/"
DEFAULT_RATE = 1.0  # requests a second per host
DEFAULT_PER_HOST = 2  # requests in flight per host
DEFAULT_WORKERS = 8
DEFAULT_MAX_BYTES = 20 * 1024**2  # the largest article pages of the corpus are ~2 MB
DEFAULT_MAX_REDIRECTS = 10
PAGE_TIMEOUT: tuple[float, float] = (10.0, 30.0)  # (connect, read between bytes) seconds
MAX_SECONDS_PER_BODY = 120.0  # a server that drips a body slowly is cut off too
ROBOTS_MAX_REDIRECTS = 5  # RFC 9309: follow at least five
CHUNK = 64 * 1024
ROBOTS_AGENT = "litingest"  # the product token robots.txt rules name
ACCEPT = "text/html,application/xhtml+xml;q=0.9,application/xml;q=0.8,text/plain;q=0.7,*/*;q=0.1"
SCHEMES = ("http", "https")
_DOI_RE = re.compile(r"^(?:doi:\s*|https?://(?:dx\.|www\.)?doi\.org/)?(10\.\d{4,9}/\S+)$", re.I)
_ERRNO_RE = re.compile(r"\[Errno -?\d+\] ([^'\")\]]+)")

# Outcomes of a fetch (the raw store's `outcome`; an HTTP error is `http_<status>`).
FETCHED, NOT_MODIFIED = "fetched", "not_modified"
BAD_URL, BAD_SCHEME, ROBOTS_DISALLOWED = "bad_url", "bad_scheme", "robots_disallowed"
UNREACHABLE, TIMEOUT, RETRIES_SPENT = "unreachable", "timeout", "retry_budget_spent"
TOO_LARGE, TRUNCATED, UNSUPPORTED_TYPE = "too_large", "truncated", "unsupported_type"
REDIRECT_LOOP, TOO_MANY_REDIRECTS, FETCH_BUG = "redirect_loop", "too_many_redirects", "fetcher_error"


class FetchError(ScrapeError):
    """One URL that could not be fetched; `outcome` is what the raw store records."""

    def __init__(self, input: str, reason: str, outcome: str, status: int | None = None,
                 retryable: bool = False) -> None:
        super().__init__(input, reason, {"outcome": outcome, "status": status})
        self.outcome = outcome
        self.status = status
        self.retryable = retryable


@dataclass(frozen=True)
class FetchPolicy:
    user_agent: str
    rate: float = DEFAULT_RATE
    per_host: int = DEFAULT_PER_HOST
    max_bytes: int = DEFAULT_MAX_BYTES
    max_redirects: int = DEFAULT_MAX_REDIRECTS
    timeout: tuple[float, float] = PAGE_TIMEOUT
    max_seconds: float = MAX_SECONDS_PER_BODY
    doi_resolver: str = DOI_RESOLVER
    retry_budget: int = 4 * DEFAULT_RETRY_BUDGET
    backoff_factor: float = 1.0
    backoff_jitter: float = 0.5


def user_agent(version: str, email: str | None) -> str:
    """`litingest/0.1.0 (+mailto:you@example.org)`: the tool, and whom a site can write to about it."""
    contact = f"+mailto:{email}" if email else "literature ingestion; no contact address configured"
    return f"{ROBOTS_AGENT}/{version} ({contact})"


@dataclass
class Fetched(FetchRecord):
    """A fetch as the raw store records it, with its body and the address actually asked."""

    body: bytes | None = field(default=None, repr=False)
    request_url: str | None = None

    @property
    def ok(self) -> bool:
        return self.outcome in (FETCHED, NOT_MODIFIED)

    def raw(self) -> RawDocument:
        return RawDocument(input=self.url, body=self.body or b"", url=self.final_url, content_type=self.content_type,
                           fetched_at=self.fetched_at)


def target(text: str, resolver: str = DOI_RESOLVER) -> tuple[str, str]:
    """(the key a page is kept under, the URL to ask): a DOI goes through `resolver`; only http(s) URLs pass."""
    text = text.strip()
    doi = _DOI_RE.match(text)
    if doi:
        path = quote(unquote(doi.group(1)), safe="/:;()")
        return DOI_RESOLVER + path, resolver.rstrip("/") + "/" + path
    return (url := checked_url(text, text)), url


def checked_url(url: str, input: str, via: str | None = None) -> str:
    """`url` without its fragment, quoted; FetchError for anything but an http(s) URL with a host."""
    hop = f"redirected to {url}: " if via else ""
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 (raises ValueError on a port out of range)
    except ValueError as exc:
        raise FetchError(input, f"{hop}not a valid URL ({exc})", BAD_URL) from exc
    if not parts.scheme or (parts.scheme.lower() in SCHEMES and not parts.netloc):
        raise FetchError(input, f"{hop}not a URL or DOI (an http:// or https:// address, or 10.xxxx/...)", BAD_URL)
    if parts.scheme.lower() not in SCHEMES:
        raise FetchError(input, f"{hop}only http and https URLs are fetched, not {parts.scheme.lower()}:", BAD_SCHEME)
    if not parts.hostname:
        raise FetchError(input, f"{hop}no host in the URL", BAD_URL)
    return requote_uri(urldefrag(url).url)


def is_page_type(content_type: str | None) -> bool:
    mime = (content_type or "").split(";")[0].strip().lower()
    return not mime or mime.startswith("text/") or mime in ("application/xhtml+xml", "application/xml") \
        or mime.endswith("+xml")


def _why(exc: BaseException) -> str:
    """The short cause inside a requests/urllib3 error: 'Connection refused', 'timed out', ..."""
    text = str(exc)
    found = _ERRNO_RE.search(text)
    if found:
        return found.group(1).strip()
    if "timed out" in text.lower():
        return "timed out"
    return f"{type(exc).__name__}: {text[:200]}"


class HostGate:
    """One host's politeness: at most `per_host` requests in flight, each waiting its turn at the host's pace."""

    def __init__(self, host: str, rate: float, per_host: int) -> None:
        self.host = host
        self.slots = threading.BoundedSemaphore(per_host)
        self.limiter = limiter_for(host, f"web@{rate:g}", rate)

    def slow_down(self, delay: float) -> None:
        """Keep to a robots.txt Crawl-delay longer than the pace."""
        if delay > self.limiter.interval:
            self.limiter = limiter_for(self.host, f"web@{1 / delay:g}", 1 / delay)

    def acquire(self) -> float:
        """Wait for the next slot at the pace; `PacedRetry` calls this before every retry, too."""
        return self.limiter.acquire()

    @contextmanager
    def turn(self) -> Iterator[None]:
        with self.slots:
            self.acquire()
            yield


class Fetcher:
    """Fetch pages politely for one run; `fetch` never raises for a bad URL or answer, it records the reason."""

    def __init__(self, policy: FetchPolicy, store: RawStore | None = None) -> None:
        self.policy = policy
        self.store = store
        self.budget = RetryBudget(policy.retry_budget)
        self.robots = RobotsCache(self._robots_txt, ROBOTS_AGENT)
        self._gates: dict[str, HostGate] = {}
        self._sessions: list[tuple[threading.Thread, requests.Session]] = []  # each worker's own
        self._lock = threading.Lock()
        self._local = threading.local()

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._close_sessions()

    def _close_sessions(self, of_finished_threads: bool = False) -> None:
        with self._lock:
            ended = [(t, s) for t, s in self._sessions if not (of_finished_threads and t.is_alive())]
            for pair in ended:
                pair[1].close()
                self._sessions.remove(pair)

    # --- the run ---

    def fetch_all(self, inputs: Sequence[str], workers: int = DEFAULT_WORKERS) -> list[Fetched]:
        """Every input fetched by `workers` threads, hosts interleaved so one slow host does not hold the rest up;
        results in the order of `inputs`."""
        with ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="fetch") as pool:
            futures = {i: pool.submit(self.fetch, inputs[i]) for i in _interleaved(inputs)}
        self._close_sessions(of_finished_threads=True)
        return [futures[i].result() for i in range(len(inputs))]

    def fetch(self, input: str) -> Fetched:
        try:
            key, url = target(input, self.policy.doi_resolver)
        except FetchError as exc:
            return self._keep(Fetched(url=input, outcome=exc.outcome, reason=str(exc)))
        try:
            result = self._fetch(key, url)
            result.request_url = url
        except FetchError as exc:
            result = Fetched(url=key, request_url=url, outcome=exc.outcome, status=exc.status, reason=str(exc))
        except Exception as exc:  # a bug must not stop the other URLs
            log.exception("unexpected error fetching %s", key)
            result = Fetched(url=key, request_url=url, outcome=FETCH_BUG,
                             reason=f"{key}: fetcher failed ({type(exc).__name__}: {exc})")
        return self._keep(result)

    def _keep(self, result: Fetched) -> Fetched:
        if self.store is not None:
            if result.body is not None and result.outcome != NOT_MODIFIED:
                result.content_hash = self.store.put_body(result.body)
            self.store.record(result)
        return result

    # --- one URL, hop by hop ---

    def _fetch(self, key: str, url: str) -> Fetched:
        stored = self._stored(key)
        seen: set[tuple[str, frozenset]] = set()
        for hop in range(self.policy.max_redirects + 1):
            url = checked_url(url, key, via=key if hop else None)
            state = (url, self._cookies())  # the same URL again with new cookies is a cookie check, not a loop
            if state in seen:
                raise FetchError(key, f"redirect loop (back at {url})", REDIRECT_LOOP)
            seen.add(state)
            self._obey_robots(key, url)
            with self._gate(url).turn():
                conditional = stored if stored is not None and stored.final_url == url else None
                with self._get(key, url, conditional) as response:
                    if not response.is_redirect:
                        return self._answer(key, url, response, conditional)
                    url = urljoin(url, response.headers["Location"])
        raise FetchError(key, f"more than {self.policy.max_redirects} redirects (last to {url})", TOO_MANY_REDIRECTS)

    def _stored(self, key: str) -> FetchRecord | None:
        stored = self.store.last_usable(key) if self.store is not None else None
        if stored is None or not (stored.etag or stored.last_modified) or not self.store.has_body(stored.content_hash):
            return None
        return stored

    def _obey_robots(self, key: str, url: str) -> None:
        try:
            refusal = self.robots.refusal(url)
        except FetchError as exc:
            raise FetchError(key, exc.reason, exc.outcome) from exc
        if refusal:
            raise FetchError(key, refusal if url == key else f"{refusal} ({url})", ROBOTS_DISALLOWED)
        delay = self.robots.crawl_delay(url)
        if delay:
            self._gate(url).slow_down(delay)

    def _get(self, key: str, url: str, conditional: FetchRecord | None) -> requests.Response:
        headers = {"Accept": ACCEPT}
        if conditional is not None and conditional.etag:
            headers["If-None-Match"] = conditional.etag
        if conditional is not None and conditional.last_modified:
            headers["If-Modified-Since"] = conditional.last_modified
        try:
            return self._session(url).get(url, headers=headers, stream=True, allow_redirects=False,
                                          timeout=self.policy.timeout)
        except requests.RequestException as exc:
            raise self._transport_error(key, url, exc) from exc

    def _transport_error(self, key: str, url: str, exc: requests.RequestException) -> FetchError:
        where = "" if url == key else f" ({url})"
        if isinstance(exc, requests.exceptions.RetryError):
            return FetchError(key, f"the run's retry budget of {self.budget.limit} is spent{where}", RETRIES_SPENT)
        why = _why(exc)
        if isinstance(exc, requests.Timeout) or why == "timed out":
            return FetchError(key, f"timed out after retries{where}", TIMEOUT, retryable=True)
        if isinstance(exc, requests.ConnectionError):
            return FetchError(key, f"cannot reach {origin(url)} ({why})", UNREACHABLE, retryable=True)
        return FetchError(key, f"request failed{where} ({why})", BAD_URL)

    def _answer(self, key: str, url: str, response: requests.Response, conditional: FetchRecord | None) -> Fetched:
        status, headers = response.status_code, dict(response.headers)
        if status == 304 and conditional is not None:
            return self._not_modified(key, url, headers, conditional)
        if 200 <= status < 300 and not is_page_type(response.headers.get("Content-Type")):
            raise FetchError(key, f"not a web page ({response.headers.get('content-type')}){_at(key, url)}",
                             UNSUPPORTED_TYPE, status)
        body = self._read(key, url, response)
        fetched = Fetched(url=key, final_url=url, status=status, headers=headers, body=body,
                          size=len(body), etag=response.headers.get("ETag"),
                          last_modified=response.headers.get("Last-Modified"), outcome=FETCHED)
        if not 200 <= status < 300:
            fetched.outcome = f"http_{status}"
            fetched.reason = f"{key}: HTTP {status} {response.reason or ''}".rstrip() + _at(key, url)
        return fetched

    def _not_modified(self, key: str, url: str, headers: dict[str, str], stored: FetchRecord) -> Fetched:
        """RFC 9111: a 304 updates the stored headers; the stored body stands."""
        merged = {**stored.headers, **headers}
        lower = {k.lower(): v for k, v in headers.items()}
        return Fetched(url=key, final_url=url, status=304, headers=merged, body=self.store.body(stored.content_hash),
                       content_hash=stored.content_hash, size=stored.size, outcome=NOT_MODIFIED,
                       etag=lower.get("etag", stored.etag),
                       last_modified=lower.get("last-modified", stored.last_modified))

    def _read(self, key: str, url: str, response: requests.Response) -> bytes:
        limit = self.policy.max_bytes
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise FetchError(key, f"body of {int(declared)} bytes is over the limit of {limit} bytes, not downloaded"
                             f"{_at(key, url)}", TOO_LARGE, response.status_code)
        chunks, size, start = [], 0, time.monotonic()
        try:
            for chunk in response.iter_content(CHUNK):
                size += len(chunk)
                if size > limit:
                    raise FetchError(key, f"body over the limit of {limit} bytes, download stopped{_at(key, url)}",
                                     TOO_LARGE, response.status_code)
                if time.monotonic() - start > self.policy.max_seconds:
                    raise FetchError(key, f"body not received within {self.policy.max_seconds:g} s{_at(key, url)}",
                                     TIMEOUT, response.status_code, retryable=True)
                chunks.append(chunk)
        except requests.RequestException as exc:
            why = _why(exc)
            outcome = TIMEOUT if why == "timed out" else TRUNCATED
            raise FetchError(key, f"body cut off after {size} bytes ({why}){_at(key, url)}", outcome,
                             response.status_code, retryable=True) from exc
        return b"".join(chunks)

    # --- robots.txt, sessions and gates ---

    def _robots_txt(self, url: str) -> tuple[int, bytes]:
        with self._gate(url).turn():
            try:
                with self._session(url).get(url, stream=True, timeout=self.policy.timeout) as response:
                    body = b""
                    for chunk in response.iter_content(CHUNK):
                        body += chunk
                        if len(body) >= MAX_ROBOTS_BYTES:
                            break
                    return response.status_code, body
            except requests.exceptions.RetryError:
                return 503, b""  # retries spent on 429/5xx: the site cannot say what it allows
            except requests.TooManyRedirects:
                return 404, b""  # RFC 9309: after five redirects, robots.txt may be taken as unavailable
            except requests.RequestException as exc:
                why = _why(exc)
                raise FetchError(url, f"cannot reach {origin(url)} ({why})",
                                 TIMEOUT if why == "timed out" else UNREACHABLE, retryable=True) from exc

    def _gate(self, url: str) -> HostGate:
        host = urlsplit(url).netloc.lower()
        with self._lock:
            gate = self._gates.get(host)
            if gate is None:
                gate = self._gates[host] = HostGate(host, self.policy.rate, self.policy.per_host)
            return gate

    def _retry(self, gate: HostGate | None) -> PacedRetry:
        # The gate stands in for a RateLimiter: PacedRetry only calls acquire(), and the gate's pace may slow.
        limiter: RateLimiter | None = gate  # type: ignore[assignment]
        return build_retry(backoff_factor=self.policy.backoff_factor, backoff_jitter=self.policy.backoff_jitter,
                           budget=self.budget, limiter=limiter)

    def _session(self, url: str) -> requests.Session:
        """This worker's session, with an adapter per origin whose retries wait at that host's gate."""
        local = self._local
        if getattr(local, "session", None) is None:
            local.session = make_session(self.policy.user_agent, self._retry(None), self.policy.timeout,
                                         pool_maxsize=self.policy.per_host)
            local.session.max_redirects = ROBOTS_MAX_REDIRECTS  # only robots.txt requests follow redirects
            local.origins = set()
            with self._lock:
                self._sessions.append((threading.current_thread(), local.session))
        site = origin(url) + "/"
        if site not in local.origins:
            adapter = HTTPAdapter(max_retries=self._retry(self._gate(url)), pool_maxsize=self.policy.per_host)
            local.session.mount(site, adapter)
            local.origins.add(site)
        return local.session

    def _cookies(self) -> frozenset:
        session = getattr(self._local, "session", None)
        return frozenset((c.domain, c.path, c.name, c.value) for c in session.cookies) if session else frozenset()


def _at(key: str, url: str) -> str:
    return "" if url == key else f" ({url})"


def _interleaved(inputs: Sequence[str]) -> list[int]:
    """Indices of `inputs` taking hosts in turn: a, b, c, a, b, a..."""
    lanes: dict[str, list[int]] = {}
    for i, text in enumerate(inputs):
        lanes.setdefault(urlsplit(text.strip()).netloc.lower(), []).append(i)
    order, queues = [], [list(reversed(lane)) for lane in lanes.values()]
    while queues:
        order += [q.pop() for q in queues]
        queues = [q for q in queues if q]
    return order
