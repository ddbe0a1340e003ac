"""Shared fixtures: where the shared corpus lives, and a Prefect home per test session."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

import flows  # noqa: F401  (Prefect environment defaults, before anything imports Prefect)

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from tests.gold import SHARED  # noqa: E402


@pytest.fixture(scope="session", autouse=True)
def _prefect_home(tmp_path_factory: pytest.TempPathFactory) -> None:
    """Flow runs in tests use their own temporary server and database, not the developer's."""
    os.environ.setdefault("PREFECT_HOME", str(tmp_path_factory.mktemp("prefect-home")))
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")


@pytest.fixture(scope="session")
def shared() -> Path:
    assert SHARED.is_dir(), f"the shared corpus is expected at {SHARED}"
    return SHARED


def pytest_unconfigure(config: pytest.Config) -> None:
    """Prefect stops its temporary server at exit and logs it after pytest closed the captured streams."""
    import logging

    logging.raiseExceptions = False
