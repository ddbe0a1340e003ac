"""The five seed pages parsed and loaded into a real DuckDB file, for tests of what is read back out of it."""

from __future__ import annotations

import hashlib
from pathlib import Path

import duckdb

from tests.gold import SHARED
from transforms.pipeline import parse_bytes
from warehouse.load import SourceRecord, load_document

SEEDS = SHARED / "seeds"
# The Br J Cancer phase II trial of intralesional interleukin-2 in soft-tissue melanoma metastases (2003).
BR_J_CANCER_IL2 = "000_27b2c7a6d7c65bde.txt"


def seed_paths() -> list[Path]:
    paths = sorted(SEEDS.glob("*.txt"))
    assert len(paths) == 5, f"expected the five seed pages under {SEEDS}"
    return paths


def load_seeds(con: duckdb.DuckDBPyConnection, paths: list[Path] | None = None) -> dict[str, int]:
    """Parse and load each seed page as `litingest ingest` would; file name -> article_id."""
    ids = {}
    for path in paths or seed_paths():
        body = path.read_bytes()
        article = parse_bytes(body, str(path))
        source = SourceRecord(str(path), hashlib.sha256(body).hexdigest(), len(body), "tests/seed")
        ids[path.name] = load_document(con, article, source).article_id
    return ids
