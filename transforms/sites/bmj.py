"""The BMJ and the BMJ journals (www.bmj.com, *.bmj.com), HighWire/Drupal layouts.

The citation_* tags are right. What goes wrong elsewhere: `dcterms.creator` names the CMS user (`hwadmin`),
not an author, so a page without citation_author tags would get it as its author; the byline follows each
name with job titles (", assistant professor"), which are not part of the name; affiliations in the meta tags
may keep their label digit.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from transforms.article import Article, Author
from transforms.embedded import parse_author_name
from transforms.htmltext import element_text
from transforms.page import Page
from transforms.sites.base import Site
from transforms.sites.oup import page_keywords, tidy_affiliation

PUBLISHER_RE = re.compile(r"^(?:BMJ\b|British Medical Journal\b|The BMJ$)", re.I)
# The CMS account HighWire's Drupal sites write as the page's creator.
CMS_USERS = frozenset({"hwadmin"})
# The byline: one li per author; the name span only (job titles are span.contrib-role beside it).
BYLINE = etree.XPath("(//ol[contains(@class, 'contributor-list')])[1]/li")
BYLINE_NAME = etree.XPath(".//span[contains(@class, 'name')]")
AFFILIATION_REFS = etree.XPath(".//a[contains(@class, 'xref-aff')]/@href")
AFFILIATION_BY_ID = etree.XPath("//li[contains(@class, 'aff')][.//*[@id = $id]]//address")


class Bmj(Site):
    name = "bmj"
    hosts = ("bmj.com",)
    priority = 10

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and page.meta_has(
            ("citation_publisher", "dc.publisher", "og:site_name"), PUBLISHER_RE)

    def patch_html(self, page: Page, article: Article) -> Article:
        article.authors = [a for a in article.authors if (a.last or a.collective or "").lower() not in CMS_USERS]
        if not article.authors:
            article.authors = byline_authors(page.tree)
        for author in article.authors:
            author.affiliations = [a for a in map(tidy_affiliation, author.affiliations) if a]
        article.affiliations = [a for a in map(tidy_affiliation, article.affiliations) if a]
        if not article.keywords:
            article.keywords = page_keywords(page.tree)
        return article


def byline_authors(tree: etree._Element) -> list[Author]:
    """The byline's names (job titles left out), with the affiliations their reference links point to."""
    authors = []
    for item in BYLINE(tree):
        name = BYLINE_NAME(item)
        author = parse_author_name(element_text(name[0])) if name else None
        if author is None:
            continue
        for ref in AFFILIATION_REFS(item):
            for address in AFFILIATION_BY_ID(tree, id=ref.lstrip("#")):
                address = copy.deepcopy(address)
                for label in address.iter("sup"):
                    label.text = ""
                text = tidy_affiliation(element_text(address).replace("\n", " "))
                if text:
                    author.affiliations.append(text)
        authors.append(author)
    return authors


SITE = Bmj()
