"""The limiter spaces grants at 1/rate (after an optional burst), across threads, and is one per (host, key)."""

from __future__ import annotations

import threading
import time

import pytest

from scrapers.ratelimit import RateLimiter, limiter_for, registered


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def test_grants_are_spaced_by_the_interval() -> None:
    clock = FakeClock()
    limiter = RateLimiter(4, clock=clock, sleep=clock.sleep)
    grants = []
    for _ in range(5):
        limiter.acquire()
        grants.append(clock.now)
    assert [round(b - a, 9) for a, b in zip(grants, grants[1:], strict=False)] == [0.25] * 4


def test_idle_time_is_not_saved_up_beyond_the_burst() -> None:
    clock = FakeClock()
    limiter = RateLimiter(10, burst=3, clock=clock, sleep=clock.sleep)
    clock.now += 60  # a long pause earns no more than `burst` immediate grants
    waits = [limiter.acquire() for _ in range(5)]
    assert waits[:3] == [0.0, 0.0, 0.0]
    assert waits[3] == pytest.approx(0.1)
    assert waits[4] == pytest.approx(0.1)


def test_threads_share_one_pace() -> None:
    limiter = RateLimiter(20)
    granted: list[float] = []
    lock = threading.Lock()

    def work() -> None:
        for _ in range(2):
            limiter.acquire()
            with lock:
                granted.append(time.monotonic())

    threads = [threading.Thread(target=work) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    granted.sort()
    gaps = [b - a for a, b in zip(granted, granted[1:], strict=False)]
    assert len(granted) == 8
    assert min(gaps) >= limiter.interval - 0.015


def test_one_limiter_per_host_and_key() -> None:
    a = limiter_for("example.test:1", "no-key", 3)
    assert limiter_for("example.test:1", "no-key", 3) is a
    assert limiter_for("example.test:1", "key:abc", 10) is not a
    assert limiter_for("example.test:2", "no-key", 3) is not a
    assert limiter_for("example.test:1", "no-key", 50).rate == 3  # the first rate stays
    assert ("example.test:1", "no-key") in registered()


@pytest.mark.parametrize("rate, burst", [(0, 1), (-1, 1), (3, 0)])
def test_bad_settings_are_refused(rate: float, burst: int) -> None:
    with pytest.raises(ValueError):
        RateLimiter(rate, burst)
