"""Wiley Online Library (onlinelibrary.wiley.com and the society subdomains under it), Atypon layouts.

Wiley's meta tags are right but for two things: they write typeset hyphens (U+2010) where the page shows a
plain one, and `citation_author_institution` runs an affiliation's parts together without their commas
("Department of Neurology Xiangya Hospital, Central South University Changsha China"). The author cards of the
byline have them right. Abstract sections come in several kinds (abstract per language, graphical abstract,
plain language summary, key points), each its own `article-section__abstract`.
"""

from __future__ import annotations

import re

from lxml import etree

from transforms.article import Article, Author
from transforms.embedded import parse_author_name
from transforms.htmltext import element_text, has_class
from transforms.normalize import clean_text
from transforms.page import Page
from transforms.sites.base import Site
from transforms.sites.elsevier import add_plain_language, apply_abstracts

PUBLISHER_RE = re.compile(r"\bWiley\b", re.I)
TYPESET_HYPHENS = str.maketrans({"\u2010": "-", "\u2011": "-"})

ABSTRACT_SECTIONS = etree.XPath(
    f"//section[{has_class('article-section__abstract')}]")
# The byline's author cards; a page repeats the byline (desktop and mobile), the first card of a name counts.
AUTHOR_CARDS = etree.XPath("//*[contains(@class, 'loa-authors')]//div[contains(@class, 'author-info')]")
# Card lines after the affiliations: the correspondence block and its e-mail lines.
CARD_END_RE = re.compile(r"^(?:correspondence|e-?mail\b|present address|search for more papers)", re.I)
ORCID_RE = re.compile(r"orcid\.org/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])", re.I)
# The pre-2017 layout (WOL1): the byline `ol#authors` (names with superscript numbers) and the affiliation list
# `ol#authorsAffiliations` (a number and a paragraph per affiliation; one unnumbered item when all share it).
WOL1_AFFILIATIONS = etree.XPath("//ol[@id='authorsAffiliations']/li[contains(@class, 'affiliation')]")
WOL1_BYLINE = etree.XPath("//ol[@id='authors']/li")


class Wiley(Site):
    name = "wiley"
    hosts = ("onlinelibrary.wiley.com", "interscience.wiley.com")
    priority = 10

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and page.meta_has(("og:site_name", "citation_publisher", "dc.publisher"),
                                                     PUBLISHER_RE)

    def patch_html(self, page: Page, article: Article) -> Article:
        blocks = ABSTRACT_SECTIONS(page.tree)
        if blocks:
            apply_abstracts(article, blocks)
            add_plain_language(article, blocks)
        _apply_cards(article, page.tree)
        _apply_wol1_affiliations(article, page.tree)
        _plain_hyphens(article)
        return article


def _plain_hyphens(article: Article) -> None:
    """Title, keywords and abstracts with the hyphen the page shows, not the typeset U+2010."""
    article.title = article.title.translate(TYPESET_HYPHENS) if article.title else None
    article.abstract = article.abstract.translate(TYPESET_HYPHENS) if article.abstract else None
    article.keywords = [k.translate(TYPESET_HYPHENS) for k in article.keywords]
    for part in (*article.abstract_sections, *article.other_abstracts):
        part.text = part.text.translate(TYPESET_HYPHENS)


def _name_key(name: str | None) -> str:
    return re.sub(r"\W+", "", (name or "").lower())


def _card(card: etree._Element) -> tuple[Author | None, list[str], str | None]:
    """The name, affiliation lines and ORCID of one author card."""
    name_el = card.xpath(".//p[contains(@class, 'author-name')]")
    author = parse_author_name(element_text(name_el[0])) if name_el else None
    affiliations: list[str] = []
    for p in card.xpath("./p[not(@class)]"):
        text = clean_text(element_text(p).replace("\n", " "))
        if not text:
            continue
        if CARD_END_RE.match(text):
            break
        affiliations.append(text)
    orcid = next((m.group(1) for href in card.xpath(".//a/@href") if (m := ORCID_RE.search(href))), None)
    return author, affiliations, orcid


def _apply_cards(article: Article, tree: etree._Element) -> None:
    """Affiliations (with their commas) and ORCID from the byline cards, matched to the authors by name."""
    cards = {}
    for card in AUTHOR_CARDS(tree):
        author, affiliations, orcid = _card(card)
        if author is not None:
            cards.setdefault((_name_key(author.last), _name_key(author.fore)), (affiliations, orcid))
    for author in article.authors:
        found = cards.get((_name_key(author.last), _name_key(author.fore)))
        if found is None:
            continue
        affiliations, orcid = found
        author.affiliations = affiliations or author.affiliations
        author.orcid = author.orcid or orcid


def _apply_wol1_affiliations(article: Article, tree: etree._Element) -> None:
    """Affiliations (with their commas) from the WOL1 list, tied to the byline by its superscript numbers."""
    numbered: dict[str, str] = {}
    for i, item in enumerate(WOL1_AFFILIATIONS(tree)):
        mark = item.find("sup")
        para = item.find("p")
        text = clean_text(element_text(para if para is not None else item).replace("\n", " "))
        if text:
            numbered[clean_text(element_text(mark)) if mark is not None else str(i + 1)] = text
    if not numbered or not article.authors:
        return
    if len(numbered) == 1:
        for author in article.authors:
            author.affiliations = list(numbered.values())
        return
    byline = WOL1_BYLINE(tree)
    if len(byline) != len(article.authors):
        return
    for author, entry in zip(article.authors, byline, strict=True):
        refs = re.split(r"[,\s]+", " ".join(sup.text_content() for sup in entry.iter("sup")))
        found = [numbered[r] for r in refs if r in numbered]
        author.affiliations = found or author.affiliations


SITE = Wiley()
