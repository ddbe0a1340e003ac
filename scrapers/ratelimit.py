"""Per-process request pacing: one thread-safe limiter per (host, key), so every thread and client shares the quota."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable

log = logging.getLogger(__name__)

_registry: dict[tuple[str, str], RateLimiter] = {}
_registry_lock = threading.Lock()


class RateLimiter:
    """At most `rate_per_second` acquisitions per second, `burst` of them back to back (GCRA, a token bucket).

    With the default burst of 1 it is a minimum interval of 1/rate between grants, the strictest reading of
    NCBI's "no more than 3 requests per second". A caller reserves its slot under the lock and sleeps outside
    it, so waiting threads are granted slots in the order they arrived and never hold each other up longer
    than the interval requires.
    """

    def __init__(self, rate_per_second: float, burst: int = 1, clock: Callable[[], float] = time.monotonic,
                 sleep: Callable[[float], None] = time.sleep) -> None:
        if rate_per_second <= 0:
            raise ValueError(f"rate_per_second must be positive, not {rate_per_second!r}")
        if burst < 1:
            raise ValueError(f"burst must be at least 1, not {burst!r}")
        self.rate = float(rate_per_second)
        self.burst = burst
        self.interval = 1.0 / self.rate
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._tat = 0.0  # theoretical arrival time of the next request at the steady rate

    def reserve(self) -> float:
        """Take the next slot; return how many seconds the caller must wait for it (0 when free now)."""
        with self._lock:
            now = self._clock()
            tat = max(self._tat, now)
            allowed_at = tat - (self.burst - 1) * self.interval
            self._tat = tat + self.interval
        return max(0.0, allowed_at - now)

    def acquire(self) -> float:
        """Block until this caller may send; return the seconds waited."""
        wait = self.reserve()
        if wait > 0:
            self._sleep(wait)
        return wait

    def __repr__(self) -> str:
        return f"RateLimiter(rate_per_second={self.rate:g}, burst={self.burst})"


def limiter_for(host: str, key: str, rate_per_second: float, burst: int = 1) -> RateLimiter:
    """The process's one limiter for (host, key); created on first use, later rates are ignored.

    `key` names the quota (NCBI counts per API key, or per address without one); pass a fingerprint of a
    secret, never the secret itself, since the registry is inspectable.
    """
    with _registry_lock:
        limiter = _registry.get((host, key))
        if limiter is None:
            limiter = _registry[(host, key)] = RateLimiter(rate_per_second, burst)
        elif limiter.rate != rate_per_second:
            log.warning("%s already paced at %g/s; keeping that, not %g/s", host, limiter.rate, rate_per_second)
        return limiter


def registered() -> dict[tuple[str, str], RateLimiter]:
    """A copy of the registry, for tests and diagnostics."""
    with _registry_lock:
        return dict(_registry)
