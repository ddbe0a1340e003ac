"""The one HTTP session factory: explicit urllib3 retries (429/5xx, Retry-After, backoff), timeouts, a run budget.

Transport failures are retried here and only here (urllib3 inside the session); callers must not wrap these
calls in retries of their own, or the counts multiply. Every retry spends from a `RetryBudget` shared by the
whole run and, when a limiter is given, waits its turn at the per-host rate limiter like a first attempt.
"""

from __future__ import annotations

import threading
from typing import Any

import requests
from requests.adapters import HTTPAdapter
from urllib3.exceptions import MaxRetryError, ResponseError
from urllib3.util.retry import Retry

from scrapers.ratelimit import RateLimiter

# (connect, read) seconds: every request is sent with a timeout; a server that stalls is a failure, not a hang.
DEFAULT_TIMEOUT: tuple[float, float] = (10.0, 60.0)
RETRY_STATUSES = (429, 500, 502, 503, 504)
RETRY_METHODS = frozenset({"GET", "POST"})
# A Retry-After longer than this is obeyed as this long: a nightly run waits minutes, not hours.
MAX_RETRY_AFTER = 120
DEFAULT_RETRY_BUDGET = 50


class RetryBudget:
    """How many retries a run may still spend, across all requests and threads of that run."""

    def __init__(self, limit: int) -> None:
        if limit < 0:
            raise ValueError(f"a retry budget cannot be negative ({limit})")
        self.limit = limit
        self._used = 0
        self._refused = False
        self._lock = threading.Lock()

    def spend(self) -> bool:
        """Take one retry; False (and the budget marked exhausted) when none is left."""
        with self._lock:
            if self._used >= self.limit:
                self._refused = True
                return False
            self._used += 1
            return True

    @property
    def used(self) -> int:
        return self._used

    @property
    def remaining(self) -> int:
        return self.limit - self._used

    @property
    def exhausted(self) -> bool:
        """True once a retry was refused for want of budget."""
        return self._refused

    def __repr__(self) -> str:
        return f"RetryBudget(used={self._used}, limit={self.limit})"


class PacedRetry(Retry):
    """A urllib3 `Retry` that spends from a run's `RetryBudget` and waits at a `RateLimiter` before each retry."""

    def __init__(self, *args: Any, budget: RetryBudget | None = None, limiter: RateLimiter | None = None,
                 **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.budget = budget
        self.limiter = limiter

    def new(self, **kw: Any) -> PacedRetry:
        kw.setdefault("budget", self.budget)
        kw.setdefault("limiter", self.limiter)
        return super().new(**kw)

    def increment(self, method: str | None = None, url: str | None = None, response: Any = None,
                  error: Exception | None = None, _pool: Any = None, _stacktrace: Any = None) -> PacedRetry:
        retry = super().increment(method, url, response, error, _pool, _stacktrace)
        if self.budget is not None and not self.budget.spend():
            reason = error or ResponseError(f"retry budget of {self.budget.limit} spent")
            raise MaxRetryError(_pool, url, reason) from reason  # type: ignore[arg-type]
        return retry

    def sleep(self, response: Any = None) -> None:
        super().sleep(response)
        if self.limiter is not None:
            self.limiter.acquire()


def build_retry(total: int = 5, connect: int = 3, read: int = 3, status: int = 5, backoff_factor: float = 1.0,
                backoff_jitter: float = 0.5, *, budget: RetryBudget | None = None,
                limiter: RateLimiter | None = None) -> PacedRetry:
    """The project's retry policy; `raise_on_status=False` hands the last 429/5xx back for the caller to report."""
    return PacedRetry(
        total=total, connect=connect, read=read, status=status,
        backoff_factor=backoff_factor, backoff_jitter=backoff_jitter,
        status_forcelist=RETRY_STATUSES, respect_retry_after_header=True, retry_after_max=MAX_RETRY_AFTER,
        allowed_methods=RETRY_METHODS, raise_on_status=False,
        budget=budget, limiter=limiter,
    )


class TimeoutSession(requests.Session):
    """A Session that never sends without a timeout: a request given none gets the session's default."""

    def __init__(self, timeout: float | tuple[float, float] = DEFAULT_TIMEOUT) -> None:
        super().__init__()
        self.default_timeout = timeout

    def request(self, method: str | bytes, url: str | bytes, *args: Any, **kwargs: Any) -> requests.Response:
        if kwargs.get("timeout") is None:
            kwargs["timeout"] = self.default_timeout
        return super().request(method, url, *args, **kwargs)


def make_session(user_agent: str, retries: Retry | None = None,
                 timeout: float | tuple[float, float] = DEFAULT_TIMEOUT, pool_maxsize: int = 10) -> requests.Session:
    """A Session with `retries` (default `build_retry()`) mounted for http and https, the UA set, timeouts forced."""
    session = TimeoutSession(timeout)
    session.headers["User-Agent"] = user_agent
    adapter = HTTPAdapter(max_retries=retries if retries is not None else build_retry(), pool_maxsize=pool_maxsize)
    session.mount("https://", adapter)
    session.mount("http://", adapter)
    return session


def budget_of(session: requests.Session, url: str) -> RetryBudget | None:
    """The retry budget behind the session's adapter for `url`, when it was built with one."""
    retries = getattr(session.get_adapter(url), "max_retries", None)
    return getattr(retries, "budget", None)


def retries_used(response: requests.Response) -> int:
    """How many times urllib3 retried before this response (0 when unknown)."""
    retries = getattr(response.raw, "retries", None)
    return len(getattr(retries, "history", ()) or ())
