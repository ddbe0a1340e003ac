"""The site registry: every site module registers here; `choose_site` picks one for a page."""

from __future__ import annotations

from transforms.page import Page
from transforms.sites import (
    arxiv,
    atypon,
    biorxiv,
    bmj,
    elsevier,
    frontiers,
    generic,
    jats,
    lww,
    mdpi,
    nature,
    oup,
    plos,
    pmc,
    pubmed,
    springer,
    wiley,
)
from transforms.sites.base import Registry, Site

REGISTRY = Registry()
# PMC before PubMed: a PMC text copy carries PubMed's cues (PMID, a citation line) besides its own.
for _module in (pmc, pubmed, springer, nature, arxiv, biorxiv, plos, frontiers, mdpi, elsevier, wiley, oup, bmj,
                lww, atypon, jats):
    REGISTRY.register(_module.SITE)
GENERIC: Site = generic.SITE


def choose_site(page: Page) -> Site:
    return REGISTRY.choose(page, fallback=GENERIC)


__all__ = ["GENERIC", "REGISTRY", "Site", "choose_site"]
