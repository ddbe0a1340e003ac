"""Fixtures for the scraper tests: the local E-utilities stand-in (reusable elsewhere through `eutils_stub.py`)."""

from __future__ import annotations

from tests.scrapers.eutils_stub import eutils_stub  # noqa: F401  (a pytest fixture)
