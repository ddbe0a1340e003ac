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
    "arxiv_1902.02534.html": "not yet",
    "arxiv_2106.09608.html": "not yet",
    "biorxiv_10.1101-696633.html": "not yet",
    "bmj_10.1136-bmj.i2607.html": "not yet",
    "elsevier_S0009261497040141.html": "not yet",
    "elsevier_S146290112300117X.html": "not yet",
    "elsevier_S2210271X18305656-2019.html": "not yet",
    "frontiers_10.3389-fpsyg.2014.01582.html": "not yet",
    "generic_elife-04407.html": "not yet",
    "mdpi_10.3390-brainsci15030264.html": "not yet",
    "oup_10.1093-aobpla-plv005.html": "not yet",
    "oup_10.1093-brain-awl181.html": "not yet",
    "oup_10.1093-scan-nsv114.html": "not yet",
    "plos_10.1371-journal.pcbi.1003604.html": "not yet",
    "plos_10.1371-journal.pone.0111303.html": "not yet",
    "pmc_PMC1280342.html": "not yet",
    "pmc_PMC2633119.html": "not yet",
    "wiley_10.1002-hbm.22146.html": "not yet",
    "wiley_10.1111-epi.17430.html": "not yet",
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
