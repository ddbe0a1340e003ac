"""Golden tests: each seed page parses so that it meets its expectation file in ../shared/gold/seeds."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gold import SHARED, check, load
from transforms.pipeline import parse_bytes

SPECS = sorted((SHARED / "gold" / "seeds").glob("*.json"))


def test_all_five_seeds_are_present() -> None:
    assert len(SPECS) == 5, f"expected the five seed expectation files under {SHARED / 'gold' / 'seeds'}"


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: p.stem)
def test_seed_meets_expectation(spec_path: Path) -> None:
    spec = load(spec_path)
    page = SHARED / "seeds" / spec["file"]
    record = parse_bytes(page.read_bytes(), str(page), url=spec.get("url")).to_dict()
    assert check(record, spec) == []
