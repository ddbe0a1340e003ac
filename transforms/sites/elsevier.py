"""Elsevier: ScienceDirect article pages, and the Lancet and Cell Press journal sites (one Atypon template).

ScienceDirect puts no author or keyword in its meta tags: authors, affiliations and keywords come from the page's
own markup (and the JSON state it embeds for its scripts). Both templates show several abstract-like blocks
(highlights, graphical abstract, "In brief", abstracts in other languages); only the author abstract is the
abstract, in English when the page has one.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any

from lxml import etree

from transforms.article import Article, Author, OtherAbstract
from transforms.boilerplate import remove_element
from transforms.embedded import parse_author_name
from transforms.htmltext import ABSTRACT_HEADINGS, element_text, has_class, sections_of
from transforms.normalize import abstract_from_sections, clean_text, language_code
from transforms.page import Page
from transforms.sites.base import Site

PUBLISHER_RE = re.compile(r"^(?:Elsevier\b|Cell Press$|The Lancet$)", re.I)
# OtherAbstract types, as PubMed names them.
OTHER_LANGUAGE = "Publisher"
PLAIN_LANGUAGE = "plain-language-summary"
PLAIN_LANGUAGE_HEADINGS = frozenset({"plain language summary", "lay summary", "lay abstract"})


# ScienceDirect: the abstracts area holds one div.abstract per block (author, author-highlights, graphical).
SD_ABSTRACTS = etree.XPath(f"//*[@id='abstracts']//div[{has_class('abstract')}]")
SD_STATE = etree.XPath("//script[@type='application/json'][@data-iso-key]")
SD_AUTHOR_SURNAMES = etree.XPath(f"//*[@id='author-group']//*[{has_class('surname')}]")
SD_GIVEN_NAME = etree.XPath(f".//*[{has_class('given-name')}]")
SD_KEYWORD_SECTIONS = etree.XPath(f"//div[{has_class('keywords-section')}]")
SD_KEYWORDS = etree.XPath(f".//*[{has_class('keyword')}]")
# Lancet and Cell (Atypon): every abstract-like block is a section marked property="abstract".
ATYPON_ABSTRACTS = etree.XPath("//section[@property='abstract']")
ATYPON_KEYWORDS = etree.XPath("//section[@property='keywords' or @id='keywords']//li")
ATYPON_PEOPLE = etree.XPath("//*[@property='author'][@typeof='Person']")
ATYPON_FAMILY_NAME = etree.XPath(".//*[@property='familyName']")
ATYPON_AFFILIATIONS = etree.XPath(".//*[@property='affiliation']")
AFFILIATION_NAME = etree.XPath(".//*[@property='name']")
HEADINGS = etree.XPath("./h2 | ./h3 | ./*/h2")
# The heading of an abstract in a language other than English: its language when no lang attribute says it.
HEADING_LANGUAGES = {"résumé": "fre", "resume": "fre", "zusammenfassung": "ger", "resumen": "spa",
                     "resumo": "por", "riassunto": "ita", "samenvatting": "dut", "abstract": "eng",
                     "summary": "eng"}
# Blocks beside the abstract, by heading or by class/id: never the abstract, whatever their position.
OTHER_BLOCK_RE = re.compile(
    r"^(?:(?:research |author )?highlights|graphical abstract|visual abstract|video abstract|in brief|e-?toc\b|"
    r"key points|lay (?:summary|abstract)|plain language summary|the bigger picture|context (?:&|and) scale|"
    r"progress and potential|public summary|science for society|significance|teaser|editor'?s summary)", re.I)
OTHER_ATTRIBUTE_RE = re.compile(r"highlights|graphical|etoc|teaser|in-?brief|editor", re.I)
KEYWORDS_HEADING_RE = re.compile(r"^\s*key\s?words?\s*:?\s*$", re.I)


class Elsevier(Site):
    name = "elsevier"
    hosts = ("sciencedirect.com", "thelancet.com", "cell.com")
    priority = 10

    def matches(self, page: Page) -> bool:
        if page.kind != "html":
            return False
        return bool(page.meta.get("citation_pii")) or page.meta_has(
            ("citation_publisher", "dc.publisher", "og:site_name"), PUBLISHER_RE)

    def patch_html(self, page: Page, article: Article) -> Article:
        tree = page.tree
        blocks = SD_ABSTRACTS(tree) or ATYPON_ABSTRACTS(tree)
        if blocks:
            apply_abstracts(article, blocks, clear=True)
        authors = sd_state_authors(tree) or sd_dom_authors(tree)
        if authors:
            article.authors = authors
        else:
            atypon_affiliations(article, tree)
        if not article.keywords:
            article.keywords = sd_keywords(tree) or [k for k in map(element_text, ATYPON_KEYWORDS(tree)) if k]
        return article


# --- Abstracts (shared with other Atypon sites).


def text_under_heading(block: etree._Element) -> str | None:
    """A block's text as abstract paragraphs, its own heading left out (a "Plain Language Summary" heading
    would otherwise mark the whole block as not-abstract)."""
    block = copy.deepcopy(block)
    for heading in HEADINGS(block)[:1]:
        remove_element(heading)
    return abstract_from_sections(sections_of(block))


def heading_of(block: etree._Element) -> str:
    found = HEADINGS(block)
    return (clean_text(element_text(found[0])) or "").strip(" :.").lower() if found else ""


Heading = Callable[[etree._Element], str]


def block_language(block: etree._Element, heading: str) -> str | None:
    lang = block.get("lang") or block.get("data-lang")
    return language_code(lang) if lang else HEADING_LANGUAGES.get(heading)


def is_other_block(block: etree._Element, heading: str) -> bool:
    """Highlights, graphical abstract, "In brief", key points, lay summary: by heading or by class/id."""
    if heading:
        return heading not in ABSTRACT_HEADINGS and bool(OTHER_BLOCK_RE.match(heading))
    return bool(OTHER_ATTRIBUTE_RE.search(f"{block.get('class') or ''} {block.get('id') or ''}"))


def apply_abstracts(article: Article, blocks: Iterable[etree._Element], heading: Heading = heading_of,
                    clear: bool = False) -> None:
    """The author abstract becomes the abstract: the first English block headed "Abstract" or "Summary",
    else the first English block that is no highlights, graphical abstract or teaser. Abstracts in other
    languages go to `other_abstracts`. With `clear`, a page whose abstract blocks hold no author abstract
    has none: whatever the generic layer took from elsewhere on the page is not it."""
    found = []
    for block in blocks:
        title = heading(block)
        sections = [] if is_other_block(block, title) else sections_of(block)
        if sections:
            found.append((block, title in ABSTRACT_HEADINGS, block_language(block, title), sections))
    if not found:
        if clear:
            article.abstract, article.abstract_sections = None, []
        return
    english = [f for f in found if f[2] in (None, "eng")]
    main = next((f for f in english if f[1]), english[0] if english else found[0])
    article.abstract_sections = main[3] if any(s.label for s in main[3]) else []
    article.abstract = abstract_from_sections(main[3])
    for block, _headed, lang, sections in found:
        if block is not main[0] and lang not in (None, "eng", main[2]):
            text = abstract_from_sections(sections) or ""
            article.other_abstracts.append(OtherAbstract(text, OTHER_LANGUAGE, lang))


def add_plain_language(article: Article, blocks: Iterable[etree._Element], heading: Heading = heading_of) -> None:
    """Blocks headed "Plain Language Summary" or "Lay Summary" go to `other_abstracts`."""
    for block in blocks:
        text = text_under_heading(block) if heading(block) in PLAIN_LANGUAGE_HEADINGS else None
        if text:
            article.other_abstracts.append(OtherAbstract(text, PLAIN_LANGUAGE, "eng"))


# --- ScienceDirect authors and keywords.


def sd_state(tree: etree._Element) -> dict[str, Any]:
    """The page state ScienceDirect embeds for its scripts (authors, affiliations, abstracts), or {}."""
    for script in SD_STATE(tree):
        try:
            state = json.loads(script.text or "")
        except ValueError:
            continue
        if isinstance(state, dict):
            return state
    return {}


def _children(node: Any) -> list[Any]:
    children = node.get("$$") if isinstance(node, dict) else None
    return children if isinstance(children, list) else []


def node_text(node: Any) -> str:
    """Text of a state node: its own `_` text, then its children's, in order."""
    if not isinstance(node, dict):
        return ""
    own = node.get("_")
    return (own if isinstance(own, str) else "") + "".join(node_text(c) for c in _children(node))


def _named(node: Any, name: str) -> Iterator[dict[str, Any]]:
    return (c for c in _children(node) if isinstance(c, dict) and c.get("#name") == name)


def _affiliation_text(node: dict[str, Any]) -> str | None:
    """The affiliation's formatted text (`textfn`), without its label letter."""
    text = next((node_text(t) for t in _named(node, "textfn")), None)
    return clean_text(text)


def sd_state_authors(tree: etree._Element) -> list[Author]:
    """Authors from the state's author groups: given name and surname apart (degrees never mixed in),
    collaborations as collective authors, affiliations by cross-reference or, without one, the group's."""
    content = (sd_state(tree).get("authors") or {}).get("content")
    authors: list[Author] = []
    for group in content if isinstance(content, list) else []:
        affiliations = {(a.get("$") or {}).get("id"): _affiliation_text(a) for a in _named(group, "affiliation")}
        for node in _children(group):
            if not isinstance(node, dict):
                continue
            if node.get("#name") == "collaboration":
                name = clean_text(next((node_text(t) for t in _named(node, "text")), None) or node_text(node))
                if name:
                    authors.append(Author(collective=name))
            elif node.get("#name") == "author":
                author = _state_author(node)
                if author is None:
                    continue
                refs = [r for x in _named(node, "cross-ref") for r in ((x.get("$") or {}).get("refid") or "").split()]
                mine = [affiliations[r] for r in refs if affiliations.get(r)]
                author.affiliations = mine or [a for a in affiliations.values() if a]
                authors.append(author)
    return authors


def _state_author(node: dict[str, Any]) -> Author | None:
    given = clean_text(next((node_text(n) for n in _named(node, "given-name")), None))
    return person(clean_text(next((node_text(n) for n in _named(node, "surname")), None)), given)


def person(surname: str | None, given: str | None) -> Author | None:
    """An author from a surname and given name the page keeps apart: never re-split, never a group."""
    if not surname:
        return None
    if not given:
        return Author(last=surname)
    author = parse_author_name(f"{surname}, {given}")
    return author if author is not None and not author.collective else Author(last=surname, fore=given)


def sd_dom_authors(tree: etree._Element) -> list[Author]:
    """The byline's given-name and surname spans, when the page carries no state."""
    authors = []
    for surname_el in SD_AUTHOR_SURNAMES(tree):
        surname = clean_text(element_text(surname_el))
        given_el = SD_GIVEN_NAME(surname_el.getparent())
        given = clean_text(element_text(given_el[0])) if given_el else None
        author = person(surname, given)
        if author:
            authors.append(author)
    return authors


def sd_keywords(tree: etree._Element) -> list[str]:
    """The first keyword section headed "Keywords" (or unheaded) and not in another language; sections of
    abbreviations, classification codes and translated keywords are skipped."""
    for section in SD_KEYWORD_SECTIONS(tree):
        heading = heading_of(section)
        lang = section.get("lang")
        if (heading and not KEYWORDS_HEADING_RE.match(heading)) or (lang and language_code(lang) != "eng"):
            continue
        keywords = [k for k in (clean_text(element_text(x)) for x in SD_KEYWORDS(section)) if k]
        if keywords:
            return keywords
    return []


# --- Lancet and Cell (Atypon) affiliations.


def _affiliation(el: etree._Element) -> str | None:
    name = AFFILIATION_NAME(el)
    return clean_text(element_text(name[0] if name else el).replace("\n", " "))


def atypon_affiliations(article: Article, tree: etree._Element) -> None:
    """The meta tags name the authors but not their affiliations; each author's byline card lists its own.
    Cards are matched to the authors by family name; when none matches, the page's affiliations go on
    the record."""
    by_family: dict[str, list[str]] = {}
    for person in ATYPON_PEOPLE(tree):
        family = ATYPON_FAMILY_NAME(person)
        affiliations = [a for a in map(_affiliation, ATYPON_AFFILIATIONS(person)) if a]
        if family and affiliations:
            by_family.setdefault((clean_text(element_text(family[0])) or "").lower(), affiliations)
    tied = False
    for author in article.authors:
        found = by_family.get((author.last or "").lower())
        if found and not author.affiliations:
            author.affiliations, tied = found, True
    if not tied and not article.affiliations and not any(a.affiliations for a in article.authors):
        article.affiliations = [a for a in map(_affiliation, ATYPON_AFFILIATIONS(tree)) if a]


SITE = Elsevier()
