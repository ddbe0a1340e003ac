"""What the fetcher tests share: a stub site per test (fixtures, through conftest.py) and a fetcher paced for
127.0.0.1, so that waits cost milliseconds and no retry waits at random."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from scrapers.fetch import Fetcher, FetchPolicy, user_agent
from scrapers.rawstore import RawStore
from tests.scrapers.webstub import WebStub, serving

TEST_POLICY = dict(user_agent=user_agent("0.0-test", "tests@example.org"), rate=200.0, timeout=(2.0, 5.0),
                   backoff_factor=0.01, backoff_jitter=0.0)


@pytest.fixture
def site() -> Iterator[WebStub]:
    yield from serving()


@pytest.fixture
def other_site() -> Iterator[WebStub]:
    yield from serving()


def quick_fetcher(store: RawStore | None = None, **policy: object) -> Fetcher:
    """A `Fetcher` with `TEST_POLICY`, `policy` overriding it."""
    return Fetcher(FetchPolicy(**{**TEST_POLICY, **policy}), store)  # type: ignore[arg-type]
