"""nature.com article pages: Springer Nature's platform, plus the article-type label above the title."""

from __future__ import annotations

import re

from transforms.article import Article
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
PUBLISHED_RE = re.compile(r"^\s*(?:•\s*)?Published\b", re.I)


class Nature(Site):
    name = "nature"
    hosts = ("nature.com",)
    priority = 10

    def matches(self, page: Page) -> bool:
        head = page.text[:60000]
        return "nature.com" in head or bool(re.search(r"\b10\.1038/", head))

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        a = springer.extract_text(lines, draft)
        a.publication_types = a.publication_types or article_type(lines)
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
