"""Fixtures for the scraper tests: the local E-utilities stand-in (reusable elsewhere through `eutils_stub.py`)
and the stub sites of the fetcher tests (`fetching.py`)."""

from __future__ import annotations

from tests.scrapers.eutils_stub import eutils_stub  # noqa: F401  (a pytest fixture)
from tests.scrapers.fetching import other_site, site  # noqa: F401  (pytest fixtures)
