"""Oxford Academic (academic.oup.com, Silverchair) and the older Oxford Journals sites (HighWire).

The meta tags are right but for keywords and affiliations. Silverchair's JSON-LD keywords merge subject
terms with the author's keywords; the page's keyword list is the author's. `citation_author_institution`
keeps the affiliation's label digit and runs its parts together ("1Department of Neurology, University
KielKiel, Germany"); the author cards of the byline keep the parts apart. Silverchair sets each abstract-like
block (graphical abstract, abstract, lay summary) as its own section after its own heading.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from transforms.article import Article, Author
from transforms.boilerplate import remove_element
from transforms.htmltext import element_text, has_class
from transforms.normalize import clean_text
from transforms.page import Page
from transforms.sites.base import Site
from transforms.sites.elsevier import add_plain_language, apply_abstracts, heading_of

PUBLISHER_RE = re.compile(r"^(?:Oxford University Press|Oxford Academic|OUP Academic)\b", re.I)
# Silverchair: div.kwd-group > a.kwd-part; HighWire: ul.kwd-group > li.kwd. The first group is the author's.
# (Whole-page queries test the class attributes, `//@class[...]/..`: libxml2 does that far faster than `//*[...]`.)
KEYWORD_GROUP = etree.XPath(
    "(//@class[contains(., 'kwd-group')][contains(concat(' ', normalize-space(.), ' '), ' kwd-group ')]/..)[1]")
KEYWORD_ITEMS = etree.XPath(".//*[contains(@class, 'kwd-part')] | .//li[contains(@class, 'kwd')]")
# One card per author in the byline, in order: its name, then its affiliations.
AUTHOR_CARDS = etree.XPath("(//@class[contains(., 'al-authors-list')]/..)[1]//*[contains(@class, 'info-card-author')]")
CARD_NAME = etree.XPath(".//*[contains(@class, 'info-card-name')]")
CARD_AFFILIATIONS = etree.XPath(".//*[contains(@class, 'info-card-affil')]"
                                f"//*[{has_class('aff')}]")
# Silverchair: each abstract-like block is a section.abstract after its own h2.abstract-title ("Abstract",
# "Graphical Abstract", "Lay Summary"). HighWire pages have one abstract block, which the generic layer finds.
ABSTRACT_BLOCKS = etree.XPath("//section[@class = 'abstract']")
AFFILIATION_LABELS = etree.XPath(".//*[contains(@class, 'label')] | .//sup")
# A label glued to an affiliation ("1Department", "2 Rocky Mountain"), and the joiners an affiliation keeps
# from the sentence it was cut out of ("..., USA, and").
LEADING_LABEL_RE = re.compile(r"^(?:\d{1,2}|[*†‡§¶])\s*(?=[A-Z])")
TRAILING_JOIN_RE = re.compile(r"(?:[,;]\s*(?:and)?|\s+and)\s*$")


class Oup(Site):
    name = "oup"
    hosts = ("oup.com", "oxfordjournals.org")
    priority = 10

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and page.meta_has(
            ("citation_publisher", "dc.publisher", "og:site_name"), PUBLISHER_RE)

    def patch_html(self, page: Page, article: Article) -> Article:
        blocks = ABSTRACT_BLOCKS(page.tree)
        if blocks:
            apply_abstracts(article, blocks, block_heading)
            add_plain_language(article, blocks, block_heading)
        keywords = page_keywords(page.tree)
        if keywords:
            article.keywords = keywords
        _apply_cards(article, page.tree)
        for author in article.authors:
            author.affiliations = [a for a in map(tidy_affiliation, author.affiliations) if a]
        article.affiliations = [a for a in map(tidy_affiliation, article.affiliations) if a]
        return article


def block_heading(block: etree._Element) -> str:
    """The heading inside the block, else the `abstract-title` heading right before it."""
    inside = heading_of(block)
    if inside:
        return inside
    before = block.getprevious()
    if before is not None and "abstract-title" in (before.get("class") or ""):
        return (clean_text(element_text(before)) or "").strip(" :.").lower()
    return ""


def page_keywords(tree: etree._Element) -> list[str]:
    group = KEYWORD_GROUP(tree)
    if not group:
        return []
    return [k for k in (clean_text(element_text(x)) for x in KEYWORD_ITEMS(group[0])) if k]


def tidy_affiliation(text: str | None) -> str | None:
    text = clean_text(text)
    if not text:
        return None
    return TRAILING_JOIN_RE.sub("", LEADING_LABEL_RE.sub("", text)).strip() or None


def _card_affiliation(aff: etree._Element) -> str | None:
    """An affiliation's text without its label, its parts (institution, address) joined by commas."""
    aff = copy.deepcopy(aff)
    for label in AFFILIATION_LABELS(aff):
        remove_element(label)
    return tidy_affiliation(", ".join(element_text(aff).split("\n")))


def _surname_in(author: Author, name: str) -> bool:
    return bool(author.last) and author.last.lower() in name.lower()


def _apply_cards(article: Article, tree: etree._Element) -> None:
    """Affiliations from the byline cards, when the cards name the authors in the same order."""
    cards = AUTHOR_CARDS(tree)
    if not cards or len(cards) != len(article.authors):
        return
    for author, card in zip(article.authors, cards, strict=True):
        name = CARD_NAME(card)
        if not name or not _surname_in(author, element_text(name[0])):
            return
    for author, card in zip(article.authors, cards, strict=True):
        affiliations = [a for a in map(_card_affiliation, CARD_AFFILIATIONS(card)) if a]
        author.affiliations = affiliations or author.affiliations


SITE = Oup()
