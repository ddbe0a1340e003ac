"""The session factory: explicit urllib3 retries, forced timeouts, retries paced and charged to the run's budget."""

from __future__ import annotations

import threading

import pytest
import requests

from scrapers.http import RETRY_STATUSES, PacedRetry, RetryBudget, budget_of, build_retry, make_session, retries_used
from scrapers.ratelimit import RateLimiter
from tests.scrapers.eutils_stub import EutilsStub, Fault


def fast_retry(**kw: object) -> PacedRetry:
    return build_retry(backoff_factor=0.01, backoff_jitter=0.0, **kw)  # type: ignore[arg-type]


def esearch_url(stub: EutilsStub) -> str:
    return stub.base_url + "esearch.fcgi"


def test_session_mounts_the_explicit_retry_policy() -> None:
    budget = RetryBudget(7)
    session = make_session("litingest-test", fast_retry(budget=budget))
    retry = session.get_adapter("https://eutils.ncbi.nlm.nih.gov/").max_retries
    assert isinstance(retry, PacedRetry)
    assert tuple(retry.status_forcelist) == RETRY_STATUSES
    assert retry.allowed_methods == frozenset({"GET", "POST"})
    assert retry.respect_retry_after_header and not retry.raise_on_status
    assert session.get_adapter("http://127.0.0.1/").max_retries is retry
    assert session.headers["User-Agent"] == "litingest-test"
    assert budget_of(session, "https://x.test/") is budget


def test_a_request_without_a_timeout_gets_the_default(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.stall(1.0))
    session = make_session("t", fast_retry(total=0), timeout=(1, 0.2))
    with pytest.raises(requests.ConnectionError, match="timed out"):
        session.post(esearch_url(eutils_stub), data={"term": "x"})


def test_5xx_is_retried_by_urllib3_and_charged_to_the_budget(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(500), Fault.http(502))
    budget = RetryBudget(10)
    session = make_session("t", fast_retry(budget=budget))
    response = session.post(esearch_url(eutils_stub), data={"term": "x"})
    assert response.status_code == 200
    assert retries_used(response) == 2
    assert budget.used == 2 and not budget.exhausted
    assert len(eutils_stub.requests) == 3


def test_an_empty_budget_stops_urllib3_and_hands_back_the_last_answer(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(503, times=None))
    budget = RetryBudget(1)
    session = make_session("t", fast_retry(budget=budget))
    response = session.post(esearch_url(eutils_stub), data={"term": "x"})
    assert response.status_code == 503
    assert budget.exhausted and budget.used == 1
    assert len(eutils_stub.requests) == 2


def test_retries_wait_at_the_limiter(eutils_stub: EutilsStub) -> None:
    class Counting(RateLimiter):
        calls = 0

        def acquire(self) -> float:
            Counting.calls += 1
            return super().acquire()

    eutils_stub.inject(Fault.http(500, times=2))
    session = make_session("t", fast_retry(limiter=Counting(1000)))
    assert session.post(esearch_url(eutils_stub), data={"term": "x"}).status_code == 200
    assert Counting.calls == 2


def test_budget_is_shared_safely_between_threads() -> None:
    budget = RetryBudget(100)
    granted = []

    def spend() -> None:
        granted.append(sum(budget.spend() for _ in range(50)))

    threads = [threading.Thread(target=spend) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(granted) == 100 and budget.remaining == 0 and budget.exhausted
