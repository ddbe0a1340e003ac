"""PubMed Central article pages: the classic www.ncbi.nlm.nih.gov/pmc layout and pmc.ncbi.nlm.nih.gov (2024-).

PMC renders the JATS of every journal it holds in one template, so the rules here follow that template:
the citation line above the title (journal abbreviation, volume(issue):first-last), the PMCID in the
front matter, `Keywords:` groups inside the abstract, and several `abstract` blocks per page (the
abstract, an author summary, a graphical abstract, abstracts in other languages).
"""

from __future__ import annotations

import copy
import re
from urllib.parse import unquote

from lxml import etree

from transforms.article import AbstractSection, Article, Author, OtherAbstract
from transforms.boilerplate import remove_element
from transforms.embedded import split_keywords
from transforms.htmltext import (
    ABSTRACT_HEADINGS,
    ENGLISH_HEADINGS,
    KEYWORDS_RE,
    MIN_ABSTRACT_CHARS,
    OTHER_BLOCK_HEADING_RE,
    element_text,
    has_class,
    sections_of,
)
from transforms.normalize import (
    abstract_from_sections,
    clean_text,
    initials_of,
    language_code,
    normalize_pages,
    parse_date,
)
from transforms.page import Page
from transforms.sites import pubmed
from transforms.sites.base import OpenAccessSite
from transforms.sites.pubmed import PMCID_RE  # "PMCID: PMC…" as NCBI prints it on both sites

# Abstract blocks: `section.abstract` (2024 layout); `div.tsec` holding an abstract (classic layout).
ABSTRACT_BLOCKS = etree.XPath(
    f"//section[{has_class('abstract')}]"
    f" | //div[{has_class('tsec')}]"
)
# The citation block above the title: `div.fm-citation` (classic), `section.pmc-layout__citation` (2024).
CITATION_BLOCK = etree.XPath(
    "//*[contains(@class, 'fm-citation') and not(contains(@class, 'fm-citation-'))]"
    " | //section[contains(@class, 'pmc-layout__citation')]"
)
# The journal abbreviation: `span#pmcmata` (classic), the journal menu button (2024).
JOURNAL_ABBREV = etree.XPath(
    "//*[@id='pmcmata'] | //section[contains(@class, 'pmc-layout__citation')]"
    "//button[@aria-controls='journal_context_menu']"
)
# The front matter carrying "PMCID: PMC…": the ids box (classic), `section.front-matter` (2024).
FRONT_MATTER = etree.XPath(
    "//*[contains(@class, 'fm-ids') or contains(@class, 'fm-citation-pmcid')]"
    " | //section[contains(@class, 'front-matter')]"
)
# A keyword group's title: `strong.kwd-title` (classic), `section.kwd-group` > p > strong (2024).
KEYWORD_TITLES = etree.XPath(
    "//*[contains(@class, 'kwd-title')] | //section[contains(@class, 'kwd-group')]//strong"
)
# The author list links each name to a PubMed author search: `term=Knothe Tate ML[Author]`.
AUTHOR_LINKS = etree.XPath(
    f"//*[contains(@class, 'fm-author') or ({has_class('cg')})]"
    "/a[contains(@href, '[Author]') or contains(@href, '%5BAuthor%5D')]"
)
# Keyword groups inside an abstract block, whatever their title's language ("Palavras-chave:").
KEYWORD_GROUPS = etree.XPath(".//*[contains(@class, 'kwd-group')] | .//*[*[contains(@class, 'kwd-title')]]")
HEADINGS = ("h2", "h3", "h4")
# "Environ Health Perspect. 2005 Aug; 113(8): 1015–1021." / "Nicotine Tob Res. 2005 Aug;7(4):637–645."
CITATION_RE = re.compile(
    r"(?P<journal>[A-Z][^.;:]*?)\.\s+(?P<date>\d{4}(?:\s+[A-Z][a-z]+(?:-[A-Z][a-z]+)?)?(?:\s+\d{1,2})?)"
    r"\s*;\s*(?P<volume>[^(:;\s]+)?\s*(?:\((?P<issue>[^)]*)\))?\s*:\s*"
    r"(?P<pages>[A-Za-z]?\d+[A-Za-z\d]*(?:\s*[–-]\s*[A-Za-z]?\d+[A-Za-z\d]*)?)"
)
PMCID_URL_RE = re.compile(r"/(?:pmc/)?articles/(PMC\d+)", re.I)
AUTHOR_TERM_RE = re.compile(r"term=\"?([^\"\[]+?)\"?\s*\[Author\]", re.I)
# "Smith JA" / "Knothe Tate ML": a surname and MEDLINE initials.
CITED_NAME_RE = re.compile(r"^(?P<last>.+?)\s+(?P<initials>[A-Z](?:-?[A-Z]){0,3})$")
# Blocks beside the abstract kept as OtherAbstract, the type named as PubMed names it.
LAY_SUMMARY_RE = re.compile(
    r"^(?:author'?s? summary|lay summary|simple summary|plain language summary|(?:elife )?digest|"
    r"editor'?s'? summary)\b",
    re.I,
)
# Blocks beside the abstract that are neither the abstract nor a summary of it for lay readers.
SIDE_BLOCK_RE = re.compile(
    r"^(?:significance(?: statement)?|statement of significance|key ?points?|key messages|highlights|"
    r"one[- ]sentence summary|in brief|teaser|impact statement|what is already known\b.*)$",
    re.I,
)
PLAIN_LANGUAGE = "plain-language-summary"
OTHER_LANGUAGE = "Publisher"
PUBLISHER_RE = re.compile(r"^pmc$", re.I)
GO_TO_RE = re.compile(r"^go to:?$", re.I)
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
# A text copy of the 2024 layout: the journal's logo alt text runs into its link ("Nucleic Acids Research
# logoLink to Nucleic Acids Research") above ". 2008 Oct 2;37(Database issue):D674–D679. doi: …".
LOGO_LINE_RE = re.compile(r"^\s*(?P<name>.+?)\s*logo\s*Link to\s+(?P=name)\s*$")
# An author manuscript's logo names the collection, not the journal ("NIHPA Author Manuscripts").
COLLECTION_RE = re.compile(r"\bmanuscripts?\b|\bpreprints?\b", re.I)
# "Published in final edited form as: Proceedings (…). 2009 Nov 1;1-4 Nov(2009):308–313. doi: …": the
# citation of an author manuscript, after its "Author manuscript; available in PMC: 2010 Dec 17." line.
FINAL_FORM_RE = re.compile(r"^\s*Published in final edited form as:\s*")
TEXT_CUE_RE = re.compile(r"logo\s*Link to |^\s*\.?\s*Author manuscript; available in PMC\b")
TEXT_CUE_LINES = 40


class PMC(OpenAccessSite):
    name = "pmc"
    hosts = ("ncbi.nlm.nih.gov", "pubmedcentral.nih.gov")
    url_pattern = re.compile(r"pmc\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pmc/|pubmedcentral\.nih\.gov", re.I)
    priority = 10

    def matches(self, page: Page) -> bool:
        if page.kind == "html":
            return page.meta_has(("ncbi_db",), PUBLISHER_RE)
        head = page.lines[:TEXT_CUE_LINES]
        return any(TEXT_CUE_RE.search(x) for x in head) and any(PMCID_RE.search(x) for x in page.lines[:200])

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        return extract_text(lines, draft)

    def patch_html(self, page: Page, article: Article) -> Article:
        tree = page.tree
        article.pmcid = article.pmcid or pmcid(page)
        _read_citation(tree, article)
        keywords = keywords_of(tree)
        if keywords and not article.keywords:
            article.keywords = keywords
        fix_surnames(article.authors, [_term_name(a.get("href") or "") for a in AUTHOR_LINKS(tree)])
        apply_abstract_blocks(abstract_blocks(tree), article)
        return article


def extract_text(lines: list[str], a: Article) -> Article:
    """A PMC text copy reads like a PubMed one (citation line, title, authors, the ids line, "Abstract"); only
    the journal's logo line and an author manuscript's citation differ."""
    journal = None
    kept: list[str] = []
    header_at = None
    for line in lines[:TEXT_CUE_LINES]:
        logo = LOGO_LINE_RE.match(line)
        if logo:
            journal = journal or (None if COLLECTION_RE.search(logo.group("name")) else logo.group("name").strip())
            continue
        if FINAL_FORM_RE.match(line) or TEXT_CUE_RE.search(line):
            header_at = len(kept)
        kept.append(FINAL_FORM_RE.sub("", line))
    # The classic layout's citation spaces its parts ("BMC Med Inform Decis Mak. 2007; 7: 1."), which PubMed's
    # citation pattern does not read: it anchors the header, and its fields fill what PubMed's left empty.
    classic = next(((i, m) for i, x in enumerate(kept) if (m := CITATION_RE.match(x.strip()))), None)
    if header_at is None and classic:
        header_at = classic[0]
    a = pubmed.extract_text(kept + lines[TEXT_CUE_LINES:], a, header_at=header_at)
    if classic and not (a.pub_date or a.volume):
        found = classic[1]
        a.journal_abbrev = a.journal_abbrev or found.group("journal")
        a.pub_date = parse_date(found.group("date"))
        a.volume, a.issue, a.pages = found.group("volume"), found.group("issue"), normalize_pages(found.group("pages"))
    a.journal = a.journal or journal
    return a


def pmcid(page: Page) -> str | None:
    """The PMCID the front matter prints, else the one in the article's own address."""
    for el in FRONT_MATTER(page.tree):
        found = PMCID_RE.search(" ".join(element_text(el).split()))
        if found:
            return found.group(1)
    addresses = page.meta.get("og:url", []) + page.meta.get("citation_fulltext_html_url", []) + [page.url or ""]
    for address in addresses:
        found = PMCID_URL_RE.search(address)
        if found:
            return found.group(1).upper()
    return None


def _read_citation(tree: etree._Element, a: Article) -> None:
    """Journal abbreviation and page range from the citation line; the meta tags give only the first page."""
    abbrev = next((clean_text(_all_text(el)) for el in JOURNAL_ABBREV(tree)), None)
    for block in CITATION_BLOCK(tree):
        found = CITATION_RE.search(_all_text(block))
        if not found:
            continue
        abbrev = abbrev or found.group("journal")
        pages = normalize_pages(found.group("pages"))
        first = normalize_pages(a.pages)
        if pages and (not first or pages.split("-")[0] == first):
            a.pages = pages
        a.volume = a.volume or found.group("volume")
        a.issue = a.issue or found.group("issue")
        break
    if abbrev and not a.journal_abbrev:
        a.journal_abbrev = abbrev.rstrip(". ")


def _all_text(el: etree._Element) -> str:
    """Text including buttons, which `element_text` skips: the 2024 layout sets the journal in one."""
    return " ".join("".join(el.itertext()).split())


def keywords_of(tree: etree._Element) -> list[str]:
    """Terms of the groups titled "Keywords" (not "Abbreviations" or other-language groups)."""
    terms: list[str] = []
    for title in KEYWORD_TITLES(tree):
        label = clean_text(element_text(title)) or ""
        if not re.match(r"^key\s?words?\s*:?$", label, re.I):
            continue
        holder = title.getparent()
        text = " ".join(element_text(holder).split()) if holder is not None else ""
        terms += split_keywords(KEYWORDS_RE.sub("", text, count=1).strip())
    return terms


def _term_name(href: str) -> tuple[str, str] | None:
    found = AUTHOR_TERM_RE.search(unquote(href))
    name = CITED_NAME_RE.match(found.group(1).strip()) if found else None
    return (name.group("last"), name.group("initials")) if name else None


def fix_surnames(authors: list[Author], cited: list[tuple[str, str] | None]) -> None:
    """Compound surnames from a `Last Initials` list of the same authors (a citation line, search links).

    Meta tags give "Melissa L. Knothe Tate", which splits as fore "Melissa L. Knothe", last "Tate"; the
    cited "Knothe Tate ML" shows where the surname starts. Applied only when both lists name the same
    number of authors, and only where the longer surname ends the full name.
    """
    if len(cited) != len(authors):
        return
    for author, name in zip(authors, cited, strict=True):
        if name is None:
            continue
        last, initials = name
        if not author.last or author.collective or len(last.split()) <= len(author.last.split()):
            continue
        full = " ".join(f"{author.fore or ''} {author.last}".split())
        if not full.lower().endswith(" " + last.lower()) and full.lower() != last.lower():
            continue
        fore = full[: len(full) - len(last)].strip() or None
        author.last, author.fore = full[len(full) - len(last):], fore
        author.initials = initials_of(fore) or initials


# --- Abstract blocks: which one is the abstract, which are summaries or other languages.


def block_title(block: etree._Element) -> etree._Element | None:
    """The heading that opens the block (after empty anchors and a "Go to:" link), if any."""
    for child in block:
        if not isinstance(child.tag, str):
            continue
        text = clean_text(element_text(child)) or ""
        if not text or GO_TO_RE.match(text):
            continue
        return child if child.tag in HEADINGS else None
    return None


def _heading(title: etree._Element | None) -> str:
    return (clean_text(element_text(title).strip(" :.")) or "").lower() if title is not None else ""


def is_abstract_heading(heading: str) -> bool:
    return heading in ABSTRACT_HEADINGS or bool(LAY_SUMMARY_RE.match(heading) or OTHER_BLOCK_HEADING_RE.match(heading))


def block_kind(block: etree._Element) -> str:
    """`abstract`, `summary` (a lay summary), `other-language`, or `skip` (graphical abstract, highlights)."""
    heading = _heading(block_title(block))
    lang = (block.get("lang") or block.get(XML_LANG) or "").lower()
    if LAY_SUMMARY_RE.match(heading):
        return "summary"
    if OTHER_BLOCK_HEADING_RE.match(heading) or SIDE_BLOCK_RE.match(heading):
        return "skip"
    if (lang and not lang.startswith("en")) or (heading in ABSTRACT_HEADINGS and heading not in ENGLISH_HEADINGS):
        return "other-language"
    return "abstract"


def block_sections(block: etree._Element) -> list[AbstractSection]:
    """The block's sections without its own title ("Author summary" as a label would skip them all) and
    without keyword groups; a title that is no abstract heading ("Background") stays, as a label."""
    block = copy.deepcopy(block)
    title = block_title(block)
    if title is not None and is_abstract_heading(_heading(title)):
        remove_element(title)
    for el in KEYWORD_GROUPS(block):
        remove_element(el)
    return sections_of(block)


def apply_abstract_blocks(blocks: list[etree._Element], a: Article) -> None:
    """The English abstract block replaces the generic choice; summaries and translations become OtherAbstracts."""
    blocks = [b for b in blocks if not any(p in blocks for p in b.iterancestors())]
    main_done = False
    for block in blocks:
        kind = block_kind(block)
        if kind == "skip":
            continue
        sections = block_sections(block)
        text = abstract_from_sections(sections)
        if not text or len(text) < MIN_ABSTRACT_CHARS:
            continue
        if kind == "abstract" and not main_done:
            main_done = True
            a.abstract_sections = sections if any(s.label for s in sections) else []
            a.abstract = text
        elif kind == "summary":
            a.other_abstracts.append(OtherAbstract(text=text, type=PLAIN_LANGUAGE, language="eng"))
        elif kind == "other-language":
            lang = block.get("lang") or block.get(XML_LANG)
            a.other_abstracts.append(OtherAbstract(text=text, type=OTHER_LANGUAGE, language=language_code(lang)))


def abstract_blocks(tree: etree._Element) -> list[etree._Element]:
    """`section.abstract` blocks, and the classic layout's `div.tsec` abstracts: named so by their id, or
    carrying a language and an abstract heading (body sections carry neither; a closing "Summary" section
    of the body is no abstract)."""
    found = []
    for block in ABSTRACT_BLOCKS(tree):
        if block.tag == "div" and "abstract" not in (block.get("id") or "").lower() and not (
                block.get("lang") and is_abstract_heading(_heading(block_title(block)))):
            continue
        found.append(block)
    return found


SITE = PMC()
