"""Springer (link.springer.com) article pages, the 2017-era and current layouts."""

from __future__ import annotations

import re

from lxml import etree

from transforms.article import Article, Author
from transforms.htmltext import element_text
from transforms.normalize import find_doi, parse_date, split_run_together
from transforms.page import Page
from transforms.sites.base import Site
from transforms.textpage import (
    collect_abstract,
    find_line,
    is_furniture,
    looks_like_name,
    names_with_refs,
    next_nonblank,
    parse_cite_line,
    parse_volume_line,
    person,
    split_names,
    split_terms,
    strip_bullet,
)
from transforms.textrules import ABSTRACT_END

# DOI prefixes of Springer's own imprints (Springer, BMC, Adis, Humana).
SPRINGER_DOI_RE = re.compile(r"\b10\.(?:1007|1186|1245|1385|1379|1617)/", re.I)
# Cues of Springer's page platform (not of a Springer journal cited elsewhere); two are needed.
CUES = ("Cite this article", "Authors and Affiliations", "Copyright information", "link.springer.com",
        "SpringerLink", "Springer Nature Link", "Rights and permissions", "Buy article PDF", "Aims and scope",
        "Access this article")
# Bullet labels that look like names but are article types or page actions.
NOT_NAMES = frozenset(("authors", "authors and affiliations", "case report", "original article", "original paper",
                       "review article", "research article", "brief report", "short communication",
                       "letter to the editor", "open access", "article"))
ORCID_RE = re.compile(r"\s*ORCID:\s*(?:https?://)?orcid\.org/(\d{4}-\d{4}-\d{4}-\d{3}[\dX])\S*", re.I)
# "Journal of Gastrointestinal Surgery Aims and scope Submit manuscript"
SCOPE_RE = re.compile(r"^(.+?)\s+Aims and scope\b")
# Lines of a page's masthead read for the header when there is no "Abstract" heading.
HEADER_LINES = 200
# Lines of a text copy where the masthead cite stands (BMC: under the journal name and the title).
MASTHEAD_LINES = 80
# The keyword list follows a "Keywords" heading (2019 and current layouts); older pages use KeywordGroup.
KEYWORD_ITEMS = etree.XPath(
    '//ul[contains(@class, "c-article-subject-list")][preceding-sibling::*[1][normalize-space() = "Keywords"]]/li'
    ' | //div[contains(@class, "KeywordGroup")]//span[contains(@class, "Keyword")]'
)
# The 2016 BMC/SpringerOpen masthead cites "Bioresources and Bioprocessing 2016 3:21": volume, article number.
ARTICLE_NUMBER = etree.XPath('//span[contains(@class, "ArticleCitation_Volume")][contains(., ":")]')
ARTICLE_NUMBER_RE = re.compile(r"^\s*\w+\s*:\s*(\w+)\s*$")
ISSUE_DATE = etree.XPath('//*[contains(@class, "ArticleCitation_Year")]/time/@datetime')
# "Springer", "Springer US", "Springer Berlin Heidelberg", "Springer International Publishing", "BioMed Central".
PUBLISHER_RE = re.compile(r"^(?:SpringerLink|Springer(?: [\w+-]+){0,3}|BioMed Central)$", re.I)
CITE_HEAD_RE = re.compile(r"^\s*Cite this article(?: as)?:?\s*$", re.I)
ABSTRACT_HEAD_RE = re.compile(r"^\s*Abstract\s*$", re.I)
KEYWORDS_HEAD_RE = re.compile(r"^\s*(?:Key\s?words|Keywords)\s*:?\s*(.*)$", re.I)
AUTHORS_AFFIL_RE = re.compile(r"^\s*Authors and Affiliations\s*$", re.I)
# A volume label has a number ("Volume 94", "Volume 7A", "Volume XII"); "Finite Volume Scheme" in a title has not.
VOLUME_RE = re.compile(r"\bVolume\s+(?:\w*\d\w*|[IVXLC]+)\b", re.I)
# "International Journal of Clinical Oncology volume 23, pages 1044–1052 (2019)"
JOURNAL_VOLUME_RE = re.compile(
    r"^\s*(?P<journal>[A-Z][^,]*?)\s+volume\s+(?P<volume>\w*\d\w*)\b"
    r"(?:,\s*(?:pages?\s+(?P<pages>\w+(?:\s*[–-]\s*\w+)?)|Article number:?\s*(?P<article>\w+)))?"
    r"(?:\s*\((?P<year>\d{4})\))?",
    re.I,
)
DATE_LINE_RE = re.compile(r"^\s*(?:•\s*)?(?:Published|Issue Date)\s*:\s*(.+?)\s*$", re.I)
HISTORY_LINE_RE = re.compile(r"^\s*(?:•\s*)?(?:Received|Revised|Accepted|Published|First Online)\s*:", re.I)
# BMC's 2017 masthead cite, run together in a text copy: "BMC Research Notes20147:395" (journal, year 2014,
# volume 7, article number 395).
BMC_CITE_RE = re.compile(
    r"^\s*(?P<journal>[A-Z][^:\d]*?[A-Za-z)])\s?(?P<year>(?:19|20)\d{2})(?P<volume>\d{1,4}):(?P<article>\w+)\s*$")
NUMBERED_AFFIL_RE = re.compile(r"^\s*(?:\d+\.\s*)?(\d+)\.\s*(.+)$")


class Springer(Site):
    name = "springer"
    hosts = ("link.springer.com", "springer.com", "springerlink.com", "biomedcentral.com", "springeropen.com")
    priority = 10

    def matches(self, page: Page) -> bool:
        if page.kind == "html":
            return page.meta_has(("og:site_name", "dc.publisher"), PUBLISHER_RE)
        head = page.text[:60000]
        if "nature.com" in head or re.search(r"\b10\.1038/", head):
            return False
        cues = sum(1 for cue in CUES if cue in head)
        if any(BMC_CITE_RE.match(line) for line in page.lines[:MASTHEAD_LINES]):
            cues += 2  # BMC's masthead cite ("BMC Research Notes20147:395") is the platform's own
        return cues >= 3 or (cues >= 2 and bool(SPRINGER_DOI_RE.search(head)))

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        return extract_text(lines, draft)

    def patch_html(self, page: Page, article: Article) -> Article:
        # The JSON-LD keywords mix the author's keywords with subject categories; the page's list does not.
        keywords = [element_text(x) for x in KEYWORD_ITEMS(page.tree)]
        if keywords:
            article.keywords = keywords
        # The 2016 BMC/SpringerOpen pages give citation_firstpage 1 for every article; the masthead shows the
        # article number.
        number = next((m.group(1) for el in ARTICLE_NUMBER(page.tree)
                       if (m := ARTICLE_NUMBER_RE.match(element_text(el)))), None)
        if number:
            article.pages = number
        # The 2019 layout has no citation_publication_date; its masthead shows the issue's month ("January
        # 1977"), where citation_cover_date pads it to a day and citation_online_date is the digitization date.
        issue_date = ISSUE_DATE(page.tree)
        if issue_date and not page.meta.get("citation_publication_date"):
            article.pub_date = parse_date(str(issue_date[0])) or article.pub_date
            article.pub_year = None
        return article


def extract_text(lines: list[str], a: Article) -> Article:
    abstract_at = find_line(lines, ABSTRACT_HEAD_RE)
    header_end = abstract_at if abstract_at is not None else min(len(lines), HEADER_LINES)
    author_at = _author_block(lines, header_end)
    _read_masthead(lines, header_end, a)
    byline_at = _bmc_byline(lines, header_end) if author_at is None else None
    a.title = _title(lines, author_at if author_at is not None else byline_at or header_end)
    if author_at is not None:
        a.authors = _bullet_authors(lines, author_at)
    elif byline_at is not None:
        a.authors = [person(name) for name in split_names(lines[byline_at])]
    read_cite(lines, a)
    a.doi = a.doi or find_doi("\n".join(lines))
    a.abstract_sections = collect_abstract(lines, _abstract_start(lines), ABSTRACT_END)
    a.keywords = read_keywords(lines)
    _read_affiliations(lines, a)
    return a


def read_cite(lines: list[str], a: Article) -> None:
    """The "Cite this article" line: journal abbreviation, authors (maybe "et al."), year, volume, pages."""
    at = find_line(lines, CITE_HEAD_RE)
    line_at = next_nonblank(lines, at + 1) if at is not None else None
    if line_at is None:
        return
    cite = parse_cite_line(lines[line_at])
    if not cite:
        return
    a.journal_abbrev = a.journal_abbrev or cite.get("journal")
    a.volume = a.volume or cite.get("volume")
    a.issue = a.issue or cite.get("issue")
    if cite.get("year") and not a.pub_year:
        a.pub_year = int(str(cite["year"]))
    a.doi = a.doi or cite.get("doi")
    pages = cite.get("pages")
    if pages and not a.pages and re.search(r"[–-]", str(pages)):
        a.pages = pages
    if not a.authors and cite.get("authors"):
        a.authors = list(cite["authors"])
        if "et al" in lines[line_at]:
            a.warnings.append("author list truncated on the page (et al.)")
    a.title = a.title or cite.get("title")


def _author_block(lines: list[str], stop: int) -> int | None:
    """First bullet line that is a person's name: the author list under the title."""
    for i in range(min(stop, len(lines))):
        if lines[i].lstrip().startswith("•") and bullet_name(lines[i]) is not None:
            after = next_nonblank(lines, i + 1)
            follower = lines[after] if after is not None else ""
            if not follower.lstrip().startswith("•") or bullet_name(follower) is not None:
                return i
    return None


def bullet_name(line: str) -> Author | None:
    """`• Anna Berg1,` / `• Kenji Sato ORCID: orcid.org/0000-0002-1825-00971` / `• Markus Vogel Email author`."""
    text = strip_bullet(line).replace(" Email author", "")
    orcid = ORCID_RE.search(text)
    if orcid:
        text = text[: orcid.start()]
    found = names_with_refs(text.rstrip(" ,&"))
    if len(found) != 1:
        return None
    name = found[0][0]
    if not looks_like_name(name.replace("\u00a0", " ")) or is_furniture(name) or name.lower() in NOT_NAMES:
        return None
    author = person(name)
    author.orcid = orcid.group(1)[:19] if orcid else None
    return author


def _bullet_authors(lines: list[str], start: int) -> list[Author]:
    authors = []
    for line in lines[start:]:
        if not line.strip():
            continue
        author = bullet_name(line) if line.lstrip().startswith("•") else None
        if author is None:
            break
        authors.append(author)
    return authors


def _read_masthead(lines: list[str], stop: int, a: Article) -> None:
    """Journal, volume, issue, pages and dates from the lines above the abstract."""
    for i in range(stop):
        text = strip_bullet(lines[i])
        if not text:
            continue
        journal_volume = JOURNAL_VOLUME_RE.match(text)
        if journal_volume and not text.lower().startswith("volume"):
            _apply_journal_volume(journal_volume, a)
        elif VOLUME_RE.search(text):
            _apply_volume(parse_volume_line(text), a)
            previous = _previous_text(lines, i)
            if previous and not a.journal and not is_furniture(previous) and not previous.startswith("•"):
                a.journal = previous
        elif SCOPE_RE.match(text):
            a.journal = a.journal or SCOPE_RE.match(text).group(1)
        elif DATE_LINE_RE.match(text):
            a.pub_date = a.pub_date or parse_date(DATE_LINE_RE.match(text).group(1))
        elif BMC_CITE_RE.match(text):
            _apply_bmc_cite(BMC_CITE_RE.match(text), a)


def _apply_bmc_cite(m: re.Match[str], a: Article) -> None:
    a.journal = a.journal or m.group("journal").strip()
    a.volume = a.volume or m.group("volume")
    a.pages = a.pages or m.group("article")
    a.pub_year = a.pub_year or int(m.group("year"))


def _apply_journal_volume(m: re.Match[str], a: Article) -> None:
    a.journal = a.journal or m.group("journal")
    a.volume = a.volume or m.group("volume")
    a.pages = a.pages or m.group("pages") or m.group("article")
    if m.group("year") and not a.pub_year:
        a.pub_year = int(m.group("year"))


def _title(lines: list[str], stop: int) -> str | None:
    """The last line above the author list (or the abstract) that is not a bullet, label or masthead line."""
    for i in range(min(stop, len(lines)) - 1, -1, -1):
        text = lines[i].strip()
        if (not text or text.startswith(("•", ",")) or is_furniture(text) or len(text.split()) < 3
                or VOLUME_RE.search(text) or SCOPE_RE.match(text) or HISTORY_LINE_RE.match(text)
                or BMC_CITE_RE.match(text) or re.match(r"^\d+\.\s", text)):
            continue
        return text
    return None


def is_byline(text: str) -> bool:
    """`Anna Berg, Kenji Sato and Li Wei`: names and nothing else."""
    names = split_names(text)
    return bool(names) and all(looks_like_name(n) and n.lower() not in NOT_NAMES for n in names)


def _bmc_byline(lines: list[str], stop: int) -> int | None:
    """A BMC text copy has no bullet list: the byline is the line right above the masthead cite."""
    for i in range(min(stop, len(lines))):
        if BMC_CITE_RE.match(lines[i].strip()):
            above = next((j for j in range(i - 1, -1, -1) if lines[j].strip()), None)
            return above if above is not None and is_byline(lines[above].strip()) else None
    return None


def _previous_text(lines: list[str], i: int) -> str | None:
    for j in range(i - 1, -1, -1):
        if lines[j].strip():
            return lines[j].strip()
    return None


def _apply_volume(found: dict[str, str], a: Article) -> None:
    a.volume = a.volume or found.get("volume")
    a.issue = a.issue or found.get("issue")
    a.pages = found.get("pages") or found.get("article") or a.pages
    if found.get("date"):
        a.pub_date = a.pub_date or found["date"]


def _abstract_start(lines: list[str]) -> int:
    at = find_line(lines, ABSTRACT_HEAD_RE)
    if at is not None:
        return at + 1
    cite = find_line(lines, CITE_HEAD_RE)
    return (cite + 2) if cite is not None else 0


def read_keywords(lines: list[str]) -> list[str]:
    """After a "Keywords" heading: one line of terms (run together in a text copy) or one term per line."""
    at = find_line(lines, KEYWORDS_HEAD_RE)
    if at is None:
        return []
    inline = KEYWORDS_HEAD_RE.match(lines[at]).group(1).strip()
    if inline:
        return split_terms(inline)
    terms: list[str] = []
    for i in range(at + 1, len(lines)):
        text = strip_bullet(lines[i])
        if not text:
            # A double-spaced copy (a printed page) has a blank line between the bullets of one list.
            after = next_nonblank(lines, i + 1)
            if terms and (after is None or not lines[after].lstrip().startswith("•")):
                break
            continue
        if ABSTRACT_END.match(text) or is_furniture(text) or len(text) > 200:
            break
        terms.extend(split_terms(text))
    return terms


def _read_affiliations(lines: list[str], a: Article) -> None:
    """"Authors and Affiliations": numbered affiliations, tied by numbers (2017) or by the names under each."""
    at = find_line(lines, AUTHORS_AFFIL_RE)
    if at is None:
        return
    numbered: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    current_author: str | None = None
    current_affiliation: str | None = None
    for line in lines[at + 1:]:
        text = strip_bullet(line)
        if not text or text == "Email author":
            continue
        numbered_line = NUMBERED_AFFIL_RE.match(line)
        if numbered_line and not line.lstrip().startswith("•"):
            current_affiliation = ", ".join(split_run_together(numbered_line.group(2)))
            numbered[numbered_line.group(1)] = current_affiliation
        elif text.isdigit() and current_author:
            refs.setdefault(current_author, []).append(text)
        elif line.lstrip().startswith("•") and looks_like_name(text.replace("\u00a0", " ")):
            current_author = name_key(text)
        elif current_affiliation and all(looks_like_name(n) for n in split_names(text)):
            for name in split_names(text):
                refs.setdefault(name_key(name), []).append(current_affiliation)
        else:
            break
    for author in a.authors:
        for ref in refs.get(name_key(f"{author.fore or ''} {author.last or ''}"), []):
            affiliation = numbered.get(ref, ref if len(ref) > 3 else None)
            if affiliation and affiliation not in author.affiliations:
                author.affiliations.append(affiliation)


def name_key(name: str) -> str:
    """Names compared by letters only: `Chinedu N. Okafor` == `Chinedu N Okafor`."""
    return re.sub(r"[\W\d_]+", "", name).lower()


SITE = Springer()
