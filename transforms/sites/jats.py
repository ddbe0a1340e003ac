"""JATS / NLM XML articles (PMC, PLOS, Frontiers, eLife export them), read from their front matter.

Scrapers save them under an article's URL and an `.html` name (neurosynth/ACE keeps PLOS and Frontiers
articles so): the document, not the URL, says what it is, so this site claims it before any URL rule.
"""

from __future__ import annotations

import re

from lxml import etree

from transforms import provenance
from transforms.article import AbstractSection, Article, Author
from transforms.embedded import parse_author_name
from transforms.errors import NoArticleError, ParseError
from transforms.normalize import clean_text, language_code, normalize_doi
from transforms.page import Page
from transforms.sites.base import Site

# Cues in the document's opening: the JATS/NLM doctype, or an <article> root opening on <front>.
JATS_START_RE = re.compile(r"<!DOCTYPE\s+article\s+PUBLIC\s+\"-//NLM//|<article\b[^>]*>\s*<front\b", re.I)
START_CHARS = 4000
_XML_DECLARATION_RE = re.compile(r"^\s*<\?xml[^>]*\?>")
# Abstract types that are not the article's abstract: graphical, teaser, plain-language or author summary.
OTHER_ABSTRACT_TYPES = frozenset({"graphical", "teaser", "summary", "author-summary", "executive-summary",
                                  "plain-language-summary", "editor-summary", "toc", "web-summary", "precis"})
# Publication dates, most to least preferred: the issue's print date, then the online one.
PUB_DATE_TYPES = ("ppub", "epub-ppub", "epub", "pub", "collection", "epreprint")
# Footnote and affiliation marks inside a title ("...in mice<xref ref-type="fn" rid="fn1">*</xref>").
NOTE_MARKS = ("xref", "fn")
ORCID_RE = re.compile(r"(\d{4}-\d{4}-\d{4}-\d{3}[\dX])")
_META = "front/article-meta"
_JOURNAL = "front/journal-meta"
_PART_BREAK = "\x00"  # where only white space stands between an affiliation's parts


class Jats(Site):
    name = "jats"
    priority = 100
    needs_abstract_on_html = False

    def claims(self, page: Page) -> bool:
        return bool(JATS_START_RE.search(page.text[:START_CHARS])) and "<article-meta" in page.text

    def extract(self, page: Page, draft: Article) -> Article:
        before = provenance.snapshot(draft)
        article = read_front(parse(page), draft)
        if not article.title and not article.abstract_sections:
            raise NoArticleError(page.name, "a JATS XML document with no article title and no abstract")
        return provenance.note_changes(article, before, provenance.site_source(self.name))


def parse(page: Page) -> etree._Element:
    """The document's <article> as XML: no DTD loaded, no entity resolved, nothing fetched; tolerant of a
    cut-off file."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True,
                             remove_comments=True, remove_pis=True)
    root = etree.fromstring(_XML_DECLARATION_RE.sub("", page.text, count=1), parser=parser)
    if root is None:
        raise ParseError(page.name, "not a well-formed JATS XML document", stage="parse")
    # The article may come wrapped (PMC's <pmc-articleset>, an OAI-PMH answer).
    article = root if root.tag == "article" else next(root.iter("article"), None)
    if article is None or article.find("front") is None:
        raise ParseError(page.name, "JATS XML without an <article> and its <front> matter", stage="parse")
    return article


def text_of(el: etree._Element | None, skip: tuple[str, ...] = ()) -> str | None:
    """The element's text in one line, without the children named in `skip` (labels, footnote marks)."""
    if el is None:
        return None
    parts: list[str] = []
    _gather(el, skip, parts)
    return clean_text(re.sub(r"\s+", " ", "".join(parts)).strip(" ,;")) or None


def _gather(el: etree._Element, skip: tuple[str, ...], parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        if isinstance(child.tag, str) and child.tag not in skip:
            _gather(child, skip, parts)
        if child.tail:
            parts.append(child.tail)


def aff_text(aff: etree._Element) -> str | None:
    """An affiliation's parts (institution, addr-line, country) joined by commas where only white space
    stands between them; its label and footnote mark left out."""
    parts = [aff.text or ""]
    for child in aff:
        if isinstance(child.tag, str) and child.tag not in ("label", "sup"):
            parts.append(text_of(child) or "")
        tail = child.tail or ""
        parts.append(tail if tail.strip() else _PART_BREAK)
    text = re.sub(rf"\s*{_PART_BREAK}\s*", ", ", "".join(parts))
    return clean_text(re.sub(r"(?:,\s*)+", ", ", text).strip(" ,;")) or None


def first_text(root: etree._Element, *paths: str) -> str | None:
    for path in paths:
        for el in root.xpath(path):
            value = text_of(el)
            if value:
                return value
    return None


def read_front(root: etree._Element, a: Article) -> Article:
    titles = root.xpath(f"{_META}/title-group/article-title")
    a.title = text_of(titles[0], skip=NOTE_MARKS) if titles else None
    a.journal = first_text(root, f"{_JOURNAL}//journal-title")
    a.journal_abbrev = first_text(root, f"{_JOURNAL}/journal-id[@journal-id-type='nlm-ta']",
                                  f"{_JOURNAL}/journal-id[@journal-id-type='iso-abbrev']",
                                  f"{_JOURNAL}//abbrev-journal-title")
    a.issn = first_text(root, f"{_JOURNAL}/issn[@pub-type='ppub' or @publication-format='print']",
                        f"{_JOURNAL}/issn")
    a.doi = normalize_doi(first_text(root, f"{_META}/article-id[@pub-id-type='doi']"))
    a.pmid = first_text(root, f"{_META}/article-id[@pub-id-type='pmid']")
    pmc = first_text(root, f"{_META}/article-id[@pub-id-type='pmc' or @pub-id-type='pmcid']")
    a.pmcid = f"PMC{pmc}" if pmc and pmc.isdigit() else pmc
    a.volume = first_text(root, f"{_META}/volume")
    a.issue = first_text(root, f"{_META}/issue")
    a.pages = _pages(root)
    a.pub_date = _pub_date(root)
    a.language = language_code(root.get("{http://www.w3.org/XML/1998/namespace}lang")) or a.language
    a.keywords = [k for k in (text_of(el) for el in root.xpath(f"{_META}/kwd-group[not(@kwd-group-type) or "
                                                               "@kwd-group-type='author']/kwd")) if k]
    a.authors = _authors(root)
    a.abstract_sections = _abstract(root)
    return a


def _pages(root: etree._Element) -> str | None:
    first = first_text(root, f"{_META}/fpage")
    last = first_text(root, f"{_META}/lpage")
    if first:
        return f"{first}-{last}" if last and last != first else first
    return first_text(root, f"{_META}/elocation-id")


def _pub_date(root: etree._Element) -> str | None:
    dates = root.xpath(f"{_META}/pub-date")
    for kind in PUB_DATE_TYPES:
        for date in dates:
            if kind in (date.get("pub-type"), date.get("date-type")):
                return _date_value(date)
    return _date_value(dates[0]) if dates else None


def _date_value(date: etree._Element) -> str | None:
    year, month, day = (first_text(date, name) for name in ("year", "month", "day"))
    if not year or not year.isdigit():
        return None
    parts = [year]
    if month and month.isdigit():
        parts.append(f"{int(month):02d}")
        if day and day.isdigit():
            parts.append(f"{int(day):02d}")
    return "-".join(parts)


def _authors(root: etree._Element) -> list[Author]:
    affiliations = {aff.get("id"): aff_text(aff) for aff in root.xpath("front//aff[@id]")}
    authors = []
    for contrib in root.xpath(f"{_META}/contrib-group/contrib[@contrib-type='author']"):
        author = _author(contrib)
        if author is None:
            continue
        refs = [r for xref in contrib.xpath("xref[@ref-type='aff']") for r in (xref.get("rid") or "").split()]
        author.affiliations = [affiliations[r] for r in refs if affiliations.get(r)]
        authors.append(author)
    return authors


def _author(contrib: etree._Element) -> Author | None:
    collab = text_of(contrib.find("collab"))
    if collab:
        return Author(collective=collab)
    surname = text_of(contrib.find("name/surname"))
    if not surname:
        return None
    given = text_of(contrib.find("name/given-names"))
    author = parse_author_name(f"{surname}, {given}") if given else None
    if author is None or author.collective:  # the names come apart already: never re-split them
        author = Author(last=surname, fore=given)
    orcid = ORCID_RE.search(text_of(contrib.find("contrib-id[@contrib-id-type='orcid']")) or "")
    author.orcid = orcid.group(1) if orcid else None
    return author


def _abstract(root: etree._Element) -> list[AbstractSection]:
    """Labelled parts from `<sec><title>`, else one unlabelled section per paragraph."""
    blocks = root.xpath(f"{_META}/abstract")
    main = [b for b in blocks if (b.get("abstract-type") or "").lower() not in OTHER_ABSTRACT_TYPES]
    if not main:
        return []
    parts = main[0].xpath("sec")
    if not parts:
        return [AbstractSection(None, t) for t in (text_of(p) for p in main[0].xpath("p")) if t]
    sections = []
    for sec in parts:
        label = text_of(sec.find("title"))
        text = " ".join(t for t in (text_of(p) for p in sec.xpath("p")) if t)
        if text:
            sections.append(AbstractSection(label.rstrip(" :.") if label else None, text))
    return sections


SITE = Jats()
