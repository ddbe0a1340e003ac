"""Frontiers article pages (www.frontiersin.org/articles/..., journal.frontiersin.org/Journal/...).

The abstract has no heading and no class of its own: it is the paragraphs of `div.JournalAbstract` after the
title, the author list and the affiliation notes (structured abstracts open each paragraph with a bold
label). The h1 elements of the login dialog precede the article's, so the title comes from the meta tags.
"""

from __future__ import annotations

import copy

from lxml import etree

from transforms.article import AbstractSection, Article
from transforms.boilerplate import remove_element
from transforms.htmltext import MIN_ABSTRACT_CHARS, has_class, sections_of
from transforms.normalize import abstract_from_sections, clean_text
from transforms.page import Page
from transforms.sites.base import OpenAccessSite

ABSTRACT_BLOCK = etree.XPath(f"//div[{has_class('JournalAbstract')}]")
# Parts of the block that are not the abstract: the title (and its wrapper), the article-type and citation
# bars, the authors, the numbered affiliations and notes.
NOT_ABSTRACT = etree.XPath(
    ".//h1 | .//*[contains(@class, 'titleWrapper') or contains(@class, 'header-bar')"
    " or contains(@class, 'article-header') or contains(@class, 'authors') or contains(@class, 'notes')]"
    " | ./ul | ./ol"
)


class Frontiers(OpenAccessSite):
    name = "frontiers"
    hosts = ("frontiersin.org",)
    priority = 10

    def patch_html(self, page: Page, article: Article) -> Article:
        sections = abstract_sections(page.tree)
        text = abstract_from_sections(sections)
        if text and len(text) >= MIN_ABSTRACT_CHARS:
            # The page's paragraphs beat citation_abstract, which flattens a structured abstract.
            article.abstract_sections = sections if any(s.label for s in sections) else []
            article.abstract = text
        if not article.pages:
            # Frontiers numbers articles instead of pages; `citation_pages` carries that number.
            article.pages = next((clean_text(v) for v in page.meta.get("citation_pages", []) if v), None)
        return article


def abstract_sections(tree: etree._Element) -> list[AbstractSection]:
    for block in ABSTRACT_BLOCK(tree):
        block = copy.deepcopy(block)
        for el in NOT_ABSTRACT(block):
            if el.getparent() is not None:
                remove_element(el)
        sections = sections_of(block)
        if sections:
            return sections
    return []


SITE = Frontiers()
