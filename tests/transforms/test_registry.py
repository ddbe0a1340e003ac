"""The site registry: every site module registered, hosts unambiguous, URL before page cues."""

from __future__ import annotations

import pkgutil

import pytest

import transforms.sites as sites
from transforms.page import Page
from transforms.sites import REGISTRY, choose_site

SEED_LINE = "Br J Cancer. 2003 Nov 3;89(9):1620-6.\n\nA title of a trial.\n\nPMID: 1 [Indexed for MEDLINE]\n"


def test_every_site_module_is_registered() -> None:
    modules = {m.name for m in pkgutil.iter_modules(sites.__path__)} - {"base", "generic"}
    assert modules == {s.name for s in REGISTRY.sites}


def test_no_two_sites_claim_a_host_at_the_same_priority() -> None:
    seen: dict[tuple[str, int], str] = {}
    for site in REGISTRY.sites:
        if site.url_pattern is not None:
            continue
        for host in site.hosts:
            assert (host, site.priority) not in seen, f"{site.name} and {seen[(host, site.priority)]} claim {host}"
            seen[(host, site.priority)] = site.name


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pubmed.ncbi.nlm.nih.gov/9742523/", "pubmed"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/14583759", "pubmed"),
        ("https://link.springer.com/article/10.1007/s10147-006-0596-z", "springer"),
        ("https://www.nature.com/articles/1701550", "nature"),
        ("https://example.org/blog/post", "pubmed"),  # unknown host: page cues decide
    ],
)
def test_url_decides_then_page_cues(url: str, expected: str) -> None:
    assert choose_site(Page(SEED_LINE, "text", "x", url)).name == expected


def test_pmc_url_is_not_pubmed() -> None:
    page = Page("<html><head><meta name='ncbi_db' content='pmc'></head><body></body></html>", "html", "x",
                "https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1280342/")
    assert choose_site(page).name == "pmc"
