"""Wolters Kluwer's journal sites (journals.lww.com: Lippincott, JBJS, Current Opinion...).

The head carries Highwire tags under a `wkhealth_` prefix (read by the generic layer, transforms.embedded) with
the first page only; the last page is shown in the citation line under the title (`#ej-journal-date-volume-
issue-pg`: "Nurse Educator 35(5):p 205-207, September/October 2010", formerly "... - p 205-207"), as
Zotero's LWW translator reads it too.
"""

from __future__ import annotations

import re

from lxml import etree

from transforms.article import Article
from transforms.htmltext import element_text
from transforms.page import Page
from transforms.sites.base import Site

CITATION_LINE = etree.XPath("//*[@id = 'ej-journal-date-volume-issue-pg']")
PAGE_RANGE_RE = re.compile(r"(?:^|[\s:])pp?\.?\s*(\w+)\s*[-–]\s*(\w+)")


class Lww(Site):
    name = "lww"
    hosts = ("journals.lww.com",)
    priority = 10

    def matches(self, page: Page) -> bool:
        # The `wkhealth_` tags are Wolters Kluwer's own.
        return page.kind == "html" and "wkhealth_title" in page.meta

    def patch_html(self, page: Page, article: Article) -> Article:
        shown = shown_pages(page.tree)
        # The tags give the first page alone; the line shows the range that starts there.
        if shown and (not article.pages or shown.split("-")[0] == article.pages):
            article.pages = shown
        return article


def shown_pages(tree: etree._Element) -> str | None:
    for line in CITATION_LINE(tree):
        m = PAGE_RANGE_RE.search(element_text(line).replace("\n", " "))
        if m:
            return f"{m.group(1)}-{m.group(2)}"
    return None


SITE = Lww()
