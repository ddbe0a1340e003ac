"""Golden tests on the shared corpus of real pages: each page, parsed with its URL, against its expectation file.

One case per page (its id is the file name). Pages the extractor does not meet yet are strict xfails in
NOT_YET with what is missing: a change that makes one pass is reported, and its entry must go.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gold import SHARED, check, load
from transforms.errors import NoArticleError
from transforms.pipeline import parse_bytes

CORPUS = SHARED / "corpus" / "html"
SPECS = sorted(CORPUS.glob("*.html.json"))

NOT_YET: dict[str, str] = {
}


def _param(spec: Path):
    page = spec.name.removesuffix(".json")
    marks = [pytest.mark.xfail(reason=NOT_YET[page], strict=True)] if page in NOT_YET else []
    return pytest.param(spec, id=page, marks=marks)


@pytest.mark.parametrize("spec_path", [_param(p) for p in SPECS])
def test_corpus_page_meets_expectation(spec_path: Path) -> None:
    spec = load(spec_path)
    page = CORPUS / spec["file"]
    if spec.get("status") == "no_article":
        with pytest.raises(NoArticleError, match=spec["file"]):
            parse_bytes(page.read_bytes(), str(page), url=spec.get("url"))
        return
    record = parse_bytes(page.read_bytes(), str(page), url=spec.get("url")).to_dict()
    assert check(record, spec) == []


def test_corpus_is_there_and_not_yet_list_names_real_pages() -> None:
    pages = {p.name.removesuffix(".json") for p in SPECS}
    assert len(pages) >= 33
    assert set(NOT_YET) <= pages
