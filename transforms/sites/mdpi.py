"""MDPI article pages (www.mdpi.com/ISSN/volume/issue/article).

MDPI fills citation_* tags but no affiliations and no keywords: those come from the page (numbered
`div.affiliation` entries tied to the authors by superscripts; `Keywords:` links under the abstract,
dc.subject failing them). Structured abstracts are one paragraph with run-in labels
("Background/Objectives: … Methods: …"), split here into one section per label. Some journals put a
"Simple Summary" block before the abstract.
"""

from __future__ import annotations

import copy
import re

from lxml import etree

from transforms.article import AbstractSection, Article
from transforms.boilerplate import remove_element
from transforms.embedded import split_keywords
from transforms.htmltext import KEYWORDS_RE, KNOWN_LABELS, element_text, has_class
from transforms.normalize import abstract_from_sections, clean_text
from transforms.page import Page
from transforms.sites import pmc
from transforms.sites.base import OpenAccessSite

# Abstract blocks: `section.html-abstract` (2024 layout, also the Simple Summary), `div.art-abstract` (older).
ABSTRACT_BLOCKS = etree.XPath(
    f"//section[{has_class('html-abstract')}]"
    f" | //div[{has_class('art-abstract')}]"
    f"[not(.//section[{has_class('html-abstract')}])]"
)
KEYWORD_BLOCKS = etree.XPath(".//*[@id='html-keywords'] | .//*[contains(@class, 'art-keywords')]")
AUTHOR_ENTRIES = etree.XPath("//div[contains(@class, 'art-authors')]/span[contains(@class, 'inlineblock')]")
AFFILIATIONS = etree.XPath("//div[contains(@class, 'art-affiliations')]//div[contains(@class, 'affiliation')]"
                           "[div[contains(@class, 'affiliation-name')]]")
AFFILIATION_ITEM = etree.XPath("./div[contains(@class, 'affiliation-item')]")
AFFILIATION_NAME = etree.XPath("./div[contains(@class, 'affiliation-name')]")
# Words of run-in labels beyond the common ones: "Materials and Methods", "Main Outcome Measures".
LABEL_WORDS = KNOWN_LABELS | frozenset(
    "material materials main outcome outcomes measure measures study aim hypothesis rationale problem approach "
    "experimental procedures implications relevance clinical trial registration data sources selection "
    "statement novelty motivation goal goals question questions research case presentation description "
    "observations scope review summary and".split()
)
# A label after a sentence end (or at the start): up to five words joined by spaces, "/", "and" or "&".
INLINE_LABEL_RE = re.compile(r"(?:^|(?<=[.!?)\]]))\s*(?P<label>[A-Z][A-Za-z]*(?:(?:\s*/\s*|\s+&\s+|\s+)[A-Za-z]+){0,4})"
                             r":\s+")
LABEL_SPLIT_RE = re.compile(r"\s*/\s*|\s+&\s+|\s+")


class MDPI(OpenAccessSite):
    name = "mdpi"
    hosts = ("mdpi.com",)
    priority = 10

    def patch_html(self, page: Page, article: Article) -> Article:
        tree = page.tree
        pmc.apply_abstract_blocks([without_keywords(b) for b in ABSTRACT_BLOCKS(tree)], article)
        if len(article.abstract_sections) <= 1 and article.abstract and "\n\n" not in article.abstract:
            sections = split_run_in_labels(article.abstract)
            if len(sections) > 1:
                article.abstract_sections = sections
                article.abstract = abstract_from_sections(sections)
        if not article.keywords:
            article.keywords = keywords_of(tree) or [t for v in page.meta.get("dc.subject", [])
                                                    for t in split_keywords(v)]
        _read_affiliations(tree, article)
        return article


def without_keywords(block: etree._Element) -> etree._Element:
    """A copy of an abstract block without the keyword list some layouts put inside it."""
    block = copy.deepcopy(block)
    for el in KEYWORD_BLOCKS(block):
        remove_element(el)
    return block


def _is_label(label: str) -> bool:
    words = [w for w in LABEL_SPLIT_RE.split(label) if w]
    return bool(words) and all(w.lower() in LABEL_WORDS for w in words) and words[-1].lower() != "and"


def split_run_in_labels(text: str) -> list[AbstractSection]:
    """`Background: … Methods: … Results: …` as sections, when the text opens with a label and holds another."""
    found = [m for m in INLINE_LABEL_RE.finditer(text) if _is_label(m.group("label"))]
    if len(found) < 2 or found[0].start() != 0:
        return []
    sections = []
    for m, following in zip(found, [*found[1:], None], strict=True):
        end = following.start() if following else len(text)
        body = text[m.end():end].strip()
        if not body:
            return []
        sections.append(AbstractSection(m.group("label"), body))
    return sections


def keywords_of(tree: etree._Element) -> list[str]:
    """The linked terms after "Keywords:", else the text after the label split on semicolons."""
    for block in KEYWORD_BLOCKS(tree):
        terms = [t for t in (clean_text(element_text(a)) for a in block.iter("a")) if t]
        if terms:
            return terms
        text = " ".join(element_text(block).split())
        if KEYWORDS_RE.match(text):
            return split_keywords(KEYWORDS_RE.sub("", text, count=1))
    return []


def _read_affiliations(tree: etree._Element, a: Article) -> None:
    """Numbered affiliations tied to each author by the superscripts after the name; notes (*, †) left out."""
    if any(au.affiliations for au in a.authors) or a.affiliations:
        return
    numbered: dict[str, str] = {}
    for entry in AFFILIATIONS(tree):
        item = clean_text(" ".join(element_text(el) for el in AFFILIATION_ITEM(entry))) or ""
        name = clean_text(" ".join(element_text(el) for el in AFFILIATION_NAME(entry)))
        if name and (not item or item.isdigit()):
            numbered[item] = name
    entries = AUTHOR_ENTRIES(tree)
    if list(numbered) == [""]:  # one affiliation, no numbers: everyone's
        for author in a.authors:
            author.affiliations = [numbered[""]]
    elif numbered and len(entries) == len(a.authors):
        for author, entry in zip(a.authors, entries, strict=True):
            refs = [r for sup in entry.xpath("./sup") for r in re.split(r"[\s,]+", element_text(sup)) if r]
            author.affiliations = [numbered[r] for r in refs if r in numbered]
    else:
        a.affiliations = list(numbered.values())


SITE = MDPI()
