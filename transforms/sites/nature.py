"""nature.com article pages: Springer Nature's platform, plus the article-type label above the title."""

from __future__ import annotations

import copy
import re

from lxml import etree

from transforms.article import AbstractSection, Article
from transforms.boilerplate import remove_element
from transforms.htmltext import element_text
from transforms.page import Page
from transforms.sites import springer
from transforms.sites.base import Site
from transforms.textpage import strip_bullet

# The article types nature.com prints above a title ("Case Report", "Article", "Review Article").
ARTICLE_TYPES = frozenset(
    t.lower()
    for t in (
        "Article", "Letter", "Review Article", "Review", "Case Report", "News & Views", "News and Views",
        "Brief Communication", "Perspective", "Comment", "Correspondence", "Editorial", "Research Highlight",
        "Matters Arising", "Analysis", "Technical Report", "Clinical Trial", "Research Letter",
        "Original Article", "Brief Report", "Meeting Report", "Obituary", "Erratum", "Correction",
        "Retraction Note", "Addendum", "Protocol", "Resource", "Research Briefing", "Feature", "News",
    )
)
# Reference numbers set as superscript links inside a paragraph ("population<sup><a href="#ref1">1</a></sup>").
REFERENCE_SUPS = etree.XPath(
    './/sup[a[starts-with(@href, "#")]][not(translate(normalize-space(.), "0123456789,-–", ""))]'
)
PUBLISHER_RE = re.compile(r"^Nature(?: Publishing Group| Portfolio)?$", re.I)
PUBLISHED_RE = re.compile(r"^\s*(?:•\s*)?Published\b", re.I)


class Nature(Site):
    name = "nature"
    hosts = ("nature.com",)
    priority = 10

    def matches(self, page: Page) -> bool:
        if page.kind == "html":
            return page.meta_has(("citation_publisher", "dc.publisher", "og:site_name"), PUBLISHER_RE)
        head = page.text[:60000]
        return "Thank you for visiting nature.com" in head or (
            "nature.com" in head and bool(re.search(r"\b10\.1038/", head)))

    def patch_html(self, page: Page, article: Article) -> Article:
        return patch_html(page, article)

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        a = springer.extract_text(lines, draft)
        a.publication_types = a.publication_types or article_type(lines)
        return a


def patch_html(page: Page, a: Article) -> Article:
    """2014-era pages have no "Abstract" heading: the summary paragraph `#first-paragraph` is the abstract."""
    if a.abstract_sections or a.abstract:
        return a
    found = page.tree.xpath('//*[@id="first-paragraph"]')
    if found:
        block = copy.deepcopy(found[0])
        for sup in REFERENCE_SUPS(block):
            remove_element(sup)
        a.abstract_sections = [AbstractSection(None, element_text(block).replace("\n", " "))]
    return a


def article_type(lines: list[str]) -> list[str]:
    """The type label in the bullet run that holds "Published:" (above the title)."""
    for i, line in enumerate(lines[:150]):
        if PUBLISHED_RE.match(line):
            for previous in reversed(lines[max(0, i - 4):i]):
                text = strip_bullet(previous)
                if text.lower() in ARTICLE_TYPES:
                    return [text]
            return []
    return []


SITE = Nature()
