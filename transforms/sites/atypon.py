"""Journal sites on Atypon's Literatum platform (Taylor & Francis, SAGE, PNAS, ACS, Annual Reviews, APA's
psychiatryonline, AHA, ASM, NEJM, Science...): one page builder under many publishers' names.

A Literatum head often carries Dublin Core alone: no citation_volume, issue or pages, and at times no journal;
the issue is shown in the page. What this adapter adds, each only where the generic layer left the field empty:
- keywords: `dc.Subject` terms ("a; b; c") when the page shows each as a keyword. Most journals write their
  keyword group there, but some a subject taxonomy (Annals of Internal Medicine: twenty topic terms that
  the article does not list as keywords), so the tag alone proves nothing;
- volume and issue: the self-citation of the "core" template (RDFa `volumeNumber`/`issueNumber` inside
  `.core-enumeration`); Taylor & Francis's `dc.Identifier scheme="coden"` citation ("Molecular Physics,
  Vol. 111, No. 9-11, July 2013, pp. 1092–1099"); the older header's citation line ("Vol. 6:15-38");
  the parameters of the platform's RightsLink permissions link (volumeNum, issueNum, startPage, endPage),
  which the UX3 template (ACP, ...) and older ones (MIT Press, 2013: the issue only as bare text) show
  nowhere else in markup;
- pages: the coden citation, T&F's page-range widget ("Pages 1092-1099"), the older header's citation line,
  the RightsLink link;
- title: `dc.Title` leaves out the subtitle the UX3 template shows under the h1 (`.citation__subtitle`);
- journal: when no tag names it, the `<title>` part after the article's title ("Title | Journal"), else the
  journal heading of the page (its text, or the alt text of the title image of older templates);
- affiliations: no tag has them; T&F shows each in a hover overlay beside the name, the UX3 template in
  each author's card.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from lxml import etree

from transforms.article import Article
from transforms.embedded import parse_author_name, split_keywords
from transforms.htmltext import element_text, keywords_if_shown
from transforms.normalize import clean_text
from transforms.page import Page
from transforms.sites.base import Site

# Literatum's page-builder context tag (every page since about 2015), and the DOI-metadata links its older
# templates wrote in the head (`<link rel="meta" type="application/unixref+xml" href="https://doi.org/...">`).
PAGE_BUILDER_TAG = "pbcontext"
DOI_METADATA_LINK = etree.XPath("//link[@rel = 'meta'][@type = 'application/unixref+xml'][contains(@href, 'doi.org/')]")
# The core template's self-citation; other RDFa numbers on the page belong to references or related items.
CORE_NUMBER = etree.XPath("(//*[contains(@class, 'core-enumeration')]//*[@property = $name])[1]")
CODEN = etree.XPath("//meta[translate(@name, 'DCIDENTFR', 'dcidentfr') = 'dc.identifier']"
                    "[translate(@scheme, 'CODEN', 'coden') = 'coden']/@content")
# Where older templates show the issue and pages as text: T&F's page-range widget, the header's citation line.
CITATION_LINES = etree.XPath("//*[contains(@class, 'contentItemPageRange')]"
                             " | //*[contains(@class, 'article-details')]//p")
TITLE_SEPARATOR = " | "
SUBTITLE = etree.XPath("(//*[contains(@class, 'citation__subtitle')])[1]")
# The permissions link: `/servlet/linkout?type=rightslink&url=<startPage=445&volumeNum=172&...>`, or in older
# templates straight to `https://s100.copyright.com/AppDispatchServlet?startPage=1062&volumeNum=25&...`.
RIGHTSLINK = etree.XPath("(//a[contains(@href, 'type=rightslink') or contains(@href, 'AppDispatchServlet')]/@href)[1]")
# The journal's name in the page header (text, or the alt text of its title image).
JOURNAL_HEADING = etree.XPath("(//*[contains(@class, 'journalTitle') or contains(@class, 'journal-title')"
                              " or contains(@class, 'journal-heading')])[1]")
RIGHTSLINK_FIELDS = {"volume": "volumeNum", "issue": "issueNum", "first": "startPage", "last": "endPage"}
# UX3 byline: per author a card (the name link, then the card with the affiliation paragraphs).
UX3_CARDS = etree.XPath("//div[contains(@class, 'author-info')][preceding-sibling::a[contains(@class, 'author-name')]]")
UX3_CARD_NAME = etree.XPath("preceding-sibling::a[contains(@class, 'author-name')][1]")
UX3_AFFILIATIONS = etree.XPath("./p[not(@class)][normalize-space()]")
# T&F byline: one entry per author, the name link and the affiliation overlay.
TF_AUTHOR_ENTRIES = etree.XPath("//div[contains(@class, 'entryAuthor')]")
TF_NAME = etree.XPath(".//a[contains(@class, 'author')]")
TF_OVERLAY = etree.XPath(".//*[contains(@class, 'overlay')]")
OVERLAY_END_RE = re.compile(r"\b(?:correspondence|e-?mail|view further author information)\b.*$", re.I | re.S)

VOLUME_RE = re.compile(r"\bVol(?:ume)?\.?\s*(\w+)", re.I)
ISSUE_RE = re.compile(r"\b(?:No|Issue)\.?\s*(\w+(?:\s*[-–]\s*\w+)?)", re.I)
PAGES_RE = re.compile(r"(?:\bpp?\.|\bPages?|\bVol(?:ume)?\.?\s*\w+\s*:)\s*(\w+)\s*[-–]\s*(\w+)", re.I)


class Atypon(Site):
    name = "atypon"
    hosts = ("tandfonline.com", "journals.sagepub.com", "pnas.org", "pubs.acs.org", "annualreviews.org",
             "psychiatryonline.org", "ahajournals.org", "journals.asm.org", "nejm.org", "science.org",
             "liebertpub.com", "pubs.rsna.org", "ajronline.org", "healthaffairs.org", "jospt.org")
    # Below the publishers with their own adapter (Wiley, Cell Press), whose pages come from Literatum too.
    priority = 5

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and (PAGE_BUILDER_TAG in page.meta or bool(DOI_METADATA_LINK(page.tree)))

    def patch_html(self, page: Page, article: Article) -> Article:
        if not article.keywords:
            article.keywords = subject_keywords(page)
        numbers = issue_numbers(page.tree)
        for name in ("volume", "issue", "pages"):
            if not getattr(article, name) and numbers.get(name):
                setattr(article, name, numbers[name])
        article.title = with_subtitle(page.tree, article.title)
        if not article.journal:
            article.journal = journal_from_title(page.tree, article.title) or journal_heading(page.tree)
        _apply_affiliations(article, {**card_affiliations(page.tree), **overlay_affiliations(page.tree)})
        return article


def subject_keywords(page: Page) -> list[str]:
    return keywords_if_shown(page.tree, [t for v in page.meta.get("dc.subject", []) for t in split_keywords(v)])


def with_subtitle(tree: etree._Element, title: str | None) -> str | None:
    """`Title: Subtitle` when the page shows a subtitle the title lacks."""
    el = SUBTITLE(tree)
    subtitle = clean_text(element_text(el[0]).replace("\n", " ")) if el else None
    if not title or not subtitle or _key(subtitle) in _key(title):
        return title
    return f"{title}: {subtitle}"


def citation_numbers(text: str) -> dict[str, str]:
    """Volume, issue and pages of a citation line ("Vol. 111, No. 9-11, July 2013, pp. 1092–1099")."""
    found: dict[str, str] = {}
    if m := VOLUME_RE.search(text):
        found["volume"] = m.group(1)
    if m := ISSUE_RE.search(text):
        found["issue"] = re.sub(r"\s*[-–]\s*", "-", m.group(1))
    if m := PAGES_RE.search(text):
        found["pages"] = f"{m.group(1)}-{m.group(2)}"
    return found


def issue_numbers(tree: etree._Element) -> dict[str, str]:
    """What the page states of the issue, the most structured statement first."""
    found: dict[str, str] = {}
    for name, prop in (("volume", "volumeNumber"), ("issue", "issueNumber")):
        el = CORE_NUMBER(tree, name=prop)
        if el and clean_text(element_text(el[0])):
            found[name] = clean_text(element_text(el[0])) or ""
    lines = [*CODEN(tree), *(element_text(el).replace("\n", " ") for el in CITATION_LINES(tree))]
    for line in lines:
        for name, value in citation_numbers(line).items():
            found.setdefault(name, value)
    for name, value in rightslink_numbers(tree).items():
        found.setdefault(name, value)
    return found


def rightslink_numbers(tree: etree._Element) -> dict[str, str]:
    """Volume, issue and pages in the parameters of the RightsLink permissions link."""
    href = RIGHTSLINK(tree)
    query = urlsplit(str(href[0])).query if href else ""
    inner = parse_qs(query).get("url", [query])[0]
    params = {k: v[0].strip() for k, v in parse_qs(inner).items() if v and v[0].strip()}
    got = {name: params.get(key, "") for name, key in RIGHTSLINK_FIELDS.items()}
    found = {name: got[name] for name in ("volume", "issue") if got[name]}
    first, last = got["first"], got["last"]
    if first:
        found["pages"] = f"{first}-{last}" if last and last != first else first
    return found


def journal_from_title(tree: etree._Element, title: str | None) -> str | None:
    """`<title>Article title | Journal</title>`: the part after the article's own title."""
    head = tree.find(".//title")
    text = clean_text(head.text_content()) if head is not None else None
    if not text or not title or TITLE_SEPARATOR not in text:
        return None
    before, _, after = text.rpartition(TITLE_SEPARATOR)
    return clean_text(after) if _key(before) == _key(title) else None


def journal_heading(tree: etree._Element) -> str | None:
    el = JOURNAL_HEADING(tree)
    if not el:
        return None
    return clean_text(element_text(el[0]).replace("\n", " ")) or clean_text(" ".join(el[0].xpath(".//img/@alt")))


def _key(text: str | None) -> str:
    return re.sub(r"\W+", "", (text or "").casefold())


def overlay_affiliations(tree: etree._Element) -> dict[tuple[str, str], list[str]]:
    """T&F: the affiliation in each byline entry's overlay, by author name."""
    shown: dict[tuple[str, str], list[str]] = {}
    for entry in TF_AUTHOR_ENTRIES(tree):
        name, overlay = TF_NAME(entry), TF_OVERLAY(entry)
        text = OVERLAY_END_RE.sub("", element_text(overlay[0]).replace("\n", " ")) if overlay else ""
        affiliation = clean_text(re.sub(r"\s+,", ",", text).strip(" ,;"))
        if name and affiliation:
            shown.setdefault(_name_key(element_text(name[0])), [affiliation])
    return shown


def card_affiliations(tree: etree._Element) -> dict[tuple[str, str], list[str]]:
    """UX3: the affiliation paragraphs of each author's card, by author name."""
    shown: dict[tuple[str, str], list[str]] = {}
    for card in UX3_CARDS(tree):
        name = UX3_CARD_NAME(card)
        lines = [t for t in (clean_text(element_text(p).replace("\n", " ")) for p in UX3_AFFILIATIONS(card)) if t]
        if name and lines:
            shown.setdefault(_name_key(name[0].get("title") or element_text(name[0])), lines)
    return shown


def _name_key(name: str) -> tuple[str, str]:
    author = parse_author_name(name)
    return (_key(author.last), _key(author.fore)) if author else ("", "")


def _apply_affiliations(article: Article, shown: dict[tuple[str, str], list[str]]) -> None:
    for author in article.authors:
        affiliations = shown.get((_key(author.last), _key(author.fore)))
        if affiliations and not author.affiliations:
            author.affiliations = list(affiliations)


SITE = Atypon()
