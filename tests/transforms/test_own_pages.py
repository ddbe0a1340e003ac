"""Golden tests on our own test pages (tests/transforms/pages/): each page against its expectation file."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gold import check, load
from transforms.errors import NoArticleError
from transforms.pipeline import parse_bytes

PAGES = Path(__file__).parent / "pages"
SPECS = sorted([*PAGES.rglob("*.txt.json"), *PAGES.rglob("*.html.json")])


@pytest.mark.parametrize("spec_path", SPECS, ids=lambda p: str(p.relative_to(PAGES)))
def test_page_meets_expectation(spec_path: Path) -> None:
    spec = load(spec_path)
    page = spec_path.parent / spec["file"]
    if spec.get("status") == "no_article":
        with pytest.raises(NoArticleError, match=str(page)):
            parse_bytes(page.read_bytes(), str(page), url=spec.get("url"))
        return
    record = parse_bytes(page.read_bytes(), str(page), url=spec.get("url")).to_dict()
    assert check(record, spec) == []
