"""Springer (link.springer.com) article pages, the 2017-era and current layouts."""

from __future__ import annotations

import re

from transforms.article import Article, Author
from transforms.normalize import clean_text, find_doi, parse_date, split_run_together
from transforms.page import Page
from transforms.sites.base import Site
from transforms.textpage import (
    collect_abstract,
    find_line,
    is_furniture,
    looks_like_name,
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
CUES = ("Cite this article", "Authors and Affiliations", "Copyright information", "link.springer.com",
        "Springer", "Rights and permissions", "Buy article PDF")
# Bullet labels that look like names but are article types or page actions.
NOT_NAMES = frozenset(("case report", "original article", "original paper", "review article", "research article",
                       "brief report", "short communication", "letter to the editor", "open access", "article"))
CITE_HEAD_RE = re.compile(r"^\s*Cite this article(?: as)?:?\s*$", re.I)
ABSTRACT_HEAD_RE = re.compile(r"^\s*Abstract\s*$", re.I)
KEYWORDS_HEAD_RE = re.compile(r"^\s*(?:Key\s?words|Keywords)\s*:?\s*(.*)$", re.I)
AUTHORS_AFFIL_RE = re.compile(r"^\s*Authors and Affiliations\s*$", re.I)
VOLUME_RE = re.compile(r"\bVolume\s+\w+", re.I)
# "International Journal of Clinical Oncology volume 23, pages 1044–1052 (2019)"
JOURNAL_VOLUME_RE = re.compile(
    r"^\s*(?P<journal>[A-Z][^,]*?)\s+volume\s+(?P<volume>\w+)"
    r"(?:,\s*(?:pages?\s+(?P<pages>\w+(?:\s*[–-]\s*\w+)?)|Article number:?\s*(?P<article>\w+)))?"
    r"(?:\s*\((?P<year>\d{4})\))?",
    re.I,
)
DATE_LINE_RE = re.compile(r"^\s*(?:•\s*)?(?:Published|Issue Date)\s*:\s*(.+?)\s*$", re.I)
NUMBERED_AFFIL_RE = re.compile(r"^\s*(?:\d+\.\s*)?(\d+)\.\s*(.+)$")


class Springer(Site):
    name = "springer"
    hosts = ("link.springer.com", "springer.com", "springerlink.com", "biomedcentral.com")
    priority = 10

    def matches(self, page: Page) -> bool:
        head = page.text[:60000]
        if "nature.com" in head or re.search(r"\b10\.1038/", head):
            return False
        if SPRINGER_DOI_RE.search(head):
            return True
        return sum(1 for cue in CUES if cue in head) >= 3

    def extract(self, page: Page, draft: Article) -> Article:
        if page.kind == "text":
            return extract_text(page.lines, draft)
        return draft


def extract_text(lines: list[str], a: Article) -> Article:
    author_at = _author_block(lines)
    header_stop = author_at if author_at is not None else find_line(lines, ABSTRACT_HEAD_RE)
    _read_header(lines, header_stop or 0, a)
    if author_at is not None:
        a.authors = _bullet_authors(lines, author_at)
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


def _author_block(lines: list[str]) -> int | None:
    """First run of bullet lines that are all names: the author list under the title."""
    for i, line in enumerate(lines[:200]):
        if _is_name_bullet(line):
            following = [x for x in lines[i + 1:i + 3] if x.strip()]
            if not following or _is_name_bullet(following[0]) or not following[0].lstrip().startswith("•"):
                return i
    return None


def _is_name_bullet(line: str) -> bool:
    text = _name_text(line)
    return (line.lstrip().startswith("•") and looks_like_name(text) and not is_furniture(text)
            and text.lower() not in NOT_NAMES)


def _name_text(line: str) -> str:
    return strip_bullet(line).rstrip(",&").strip().replace("\u00a0", " ")


def _bullet_authors(lines: list[str], start: int) -> list[Author]:
    authors = []
    for line in lines[start:]:
        if not line.strip():
            break
        name = strip_bullet(line).rstrip(",&").strip()
        if not line.lstrip().startswith("•") or not looks_like_name(name.replace("\u00a0", " ")):
            break
        authors.append(person(name))
    return authors


def _read_header(lines: list[str], stop: int, a: Article) -> None:
    """Journal, volume line, dates and title from the lines above the author list."""
    candidates = []
    for i in range(stop):
        text = lines[i].strip()
        if not text:
            continue
        if VOLUME_RE.search(text) and text.lstrip(", ").lower().startswith("volume"):
            _apply_volume(parse_volume_line(text), a)
            prev = _previous_text(lines, i)
            if prev and not a.journal:
                a.journal = prev
        elif JOURNAL_VOLUME_RE.match(text):
            m = JOURNAL_VOLUME_RE.match(text)
            a.journal = a.journal or m.group("journal")
            a.volume = a.volume or m.group("volume")
            a.pages = a.pages or m.group("pages") or m.group("article")
            a.pub_year = a.pub_year or (int(m.group("year")) if m.group("year") else None)
        elif DATE_LINE_RE.match(text):
            date = parse_date(DATE_LINE_RE.match(text).group(1))
            a.pub_date = a.pub_date or date
        elif not is_furniture(text) and not text.startswith(",") and len(text.split()) >= 3:
            candidates.append(text)
    if candidates and stop:
        a.title = candidates[-1]


def _previous_text(lines: list[str], i: int) -> str | None:
    for j in range(i - 1, -1, -1):
        if lines[j].strip():
            return lines[j].strip()
    return None


def _apply_volume(found: dict[str, str], a: Article) -> None:
    a.volume = a.volume or found.get("volume")
    a.issue = a.issue or found.get("issue")
    a.pages = found.get("pages") or a.pages
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
    for line in lines[at + 1:]:
        text = strip_bullet(line)
        if not text:
            if terms:
                break
            continue
        if ABSTRACT_END.match(text) or is_furniture(text) or len(text) > 200:
            break
        terms.extend(split_terms(text))
    return terms


def _read_affiliations(lines: list[str], a: Article) -> None:
    """"Authors and Affiliations": numbered affiliations and each author's numbers, or name lines under each."""
    at = find_line(lines, AUTHORS_AFFIL_RE)
    if at is None:
        return
    numbered: dict[str, str] = {}
    refs: dict[str, list[str]] = {}
    current: str | None = None
    for line in lines[at + 1:]:
        text = strip_bullet(line)
        if not text:
            continue
        m = NUMBERED_AFFIL_RE.match(line)
        if m and not line.lstrip().startswith("•"):
            numbered[m.group(1)] = ", ".join(split_run_together(m.group(2)))
        elif text.isdigit() and current:
            refs.setdefault(current, []).append(text)
        elif looks_like_name(text.replace("\u00a0", " ")):
            current = clean_text(text)
        elif ABSTRACT_END.match(text) or is_furniture(text):
            break
        else:
            _attach_named(text, lines, a)
    for author in a.authors:
        key = clean_text(f"{author.fore or ''} {author.last or ''}")
        author.affiliations.extend(numbered[r] for r in refs.get(key, []) if r in numbered)


def _attach_named(affiliation: str, lines: list[str], a: Article) -> None:
    """Current layout: an affiliation line, then the line of names that belong to it."""
    for i, line in enumerate(lines):
        if line.strip() == affiliation:
            names = lines[i + 1].strip() if i + 1 < len(lines) else ""
            for name in split_names(names):
                for author in a.authors:
                    if clean_text(f"{author.fore or ''} {author.last or ''}") == clean_text(name):
                        author.affiliations.append(affiliation)
            return


SITE = Springer()
