"""PLOS article pages: journals.plos.org (2016-) and the per-journal Ambra sites (www.plosone.org, 2010-2016).

Both render JATS: one `div.abstract` per abstract block (the abstract, an "Author summary", PLOS Medicine's
"Editors' Summary"), full citation_* meta tags, and a "Citation:" line spelling each author `Last Initials`.
"""

from __future__ import annotations

import re

from lxml import etree

from transforms.article import Article
from transforms.htmltext import element_text, has_class
from transforms.page import Page
from transforms.sites import pmc
from transforms.sites.base import OpenAccessSite

ABSTRACT_BLOCKS = etree.XPath(f"//div[{has_class('abstract')}]")
# "Citation: Moore SR, Saidel GM, Knothe U, Knothe Tate ML (2014) Title. PLoS Comput Biol 10(6): e1003604."
CITATION_PARAGRAPHS = etree.XPath("//div[contains(@class, 'articleinfo')]//p[strong or b]")
CITATION_RE = re.compile(r"^\s*Citation:\s*(?P<authors>.+?)\s*\((?P<year>\d{4})\)\s")


class PLOS(OpenAccessSite):
    name = "plos"
    hosts = ("plos.org", "plosone.org", "plosbiology.org", "plosmedicine.org", "ploscompbiol.org",
             "plosgenetics.org", "plospathogens.org", "plosntds.org")
    priority = 10

    def patch_html(self, page: Page, article: Article) -> Article:
        pmc.fix_surnames(article.authors, cited_authors(page.tree))
        pmc.apply_abstract_blocks(list(ABSTRACT_BLOCKS(page.tree)), article)
        return article


def cited_authors(tree: etree._Element) -> list[tuple[str, str] | None]:
    """`(last, initials)` per author of the "Citation:" line; empty when the line is missing or cut short."""
    for p in CITATION_PARAGRAPHS(tree):
        found = CITATION_RE.match(" ".join(element_text(p).split()))
        if not found:
            continue
        names = [n.strip() for n in found.group("authors").split(",")]
        if any(n.lower().startswith("et al") for n in names):
            return []
        return [_cited(n) for n in names]
    return []


def _cited(name: str) -> tuple[str, str] | None:
    found = pmc.CITED_NAME_RE.match(name)
    return (found.group("last"), found.group("initials")) if found else None


SITE = PLOS()
