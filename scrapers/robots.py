"""robots.txt, read once per origin and kept for a day (RFC 9309), through the fetcher's own polite requests.

What an answer means follows RFC 9309: 2xx is the rules; 4xx (none published) allows everything; 5xx means the
server cannot say, so nothing is fetched; an origin that cannot be reached is reported as such for every URL
of it, without asking again. The rules are read by the standard library's `urllib.robotparser`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import urlsplit
from urllib.robotparser import RobotFileParser

from scrapers.errors import ScrapeError

# RFC 9309: a crawler should not use a cached robots.txt longer than 24 hours.
ROBOTS_TTL = 24 * 3600.0
# RFC 9309: parse at least the first 500 KiB; the rest may be ignored.
MAX_ROBOTS_BYTES = 512 * 1024
# An origin found unreachable is tried again after this long (within a run, its URLs fail without asking).
UNREACHABLE_TTL = 600.0
# A Crawl-delay beyond this is kept to this: a run waits seconds per page, not hours.
MAX_CRAWL_DELAY = 60.0

# (status, body) of GET <origin>/robots.txt; raises ScrapeError when the origin cannot be reached.
RobotsGetter = Callable[[str], tuple[int, bytes]]


@dataclass
class Rules:
    parser: RobotFileParser | None  # None: the verdict is the same for every path
    allow_all: bool
    reason: str  # why, when nothing may be fetched
    read_at: float
    error: ScrapeError | None = None  # the origin could not be reached


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}"


class RobotsCache:
    """The rules of each origin for one product token (`agent`), read on first need, one reader per origin."""

    def __init__(self, get: RobotsGetter, agent: str, ttl: float = ROBOTS_TTL,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._get = get
        self.agent = agent
        self.ttl = ttl
        self._clock = clock
        self._rules: dict[str, Rules] = {}
        self._locks: dict[str, threading.Lock] = {}
        self._lock = threading.Lock()

    def refusal(self, url: str) -> str | None:
        """Why `url` may not be fetched, or None when it may; raises the origin's ScrapeError if unreachable."""
        rules = self.rules(origin(url))
        if rules.error is not None:
            raise rules.error
        if rules.allow_all:
            return None
        if rules.parser is None:
            return rules.reason
        if rules.parser.can_fetch(self.agent, url):
            return None
        return f"disallowed by {origin(url)}/robots.txt for {self.agent}"

    def crawl_delay(self, url: str) -> float | None:
        rules = self.rules(origin(url))
        delay = rules.parser.crawl_delay(self.agent) if rules.parser else None
        return min(float(delay), MAX_CRAWL_DELAY) if delay else None

    def rules(self, site: str) -> Rules:
        with self._lock:
            lock = self._locks.setdefault(site, threading.Lock())
        with lock:  # one request per origin, however many threads ask at once
            rules = self._rules.get(site)
            ttl = self.ttl if rules is None or rules.error is None else min(self.ttl, UNREACHABLE_TTL)
            if rules is None or self._clock() - rules.read_at > ttl:
                rules = self._rules[site] = self._read(site)
            return rules

    def _read(self, site: str) -> Rules:
        now = self._clock()
        try:
            status, body = self._get(f"{site}/robots.txt")
        except ScrapeError as exc:
            return Rules(None, False, str(exc), now, error=exc)
        if 200 <= status < 300:
            parser = RobotFileParser(f"{site}/robots.txt")
            parser.parse(body[:MAX_ROBOTS_BYTES].decode("utf-8", errors="replace").splitlines())
            return Rules(parser, False, "", now)
        if 400 <= status < 500:
            return Rules(None, True, "", now)
        return Rules(None, False, f"{site}/robots.txt answered HTTP {status}: nothing is fetched while the site "
                                  "cannot say what it allows (RFC 9309)", now)
