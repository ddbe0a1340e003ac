"""The fallback for pages of no known site: field lines and prose heuristics for text, embedded metadata for HTML."""

from __future__ import annotations

import re

from transforms import provenance
from transforms.article import AbstractSection, Article
from transforms.errors import NoArticleError
from transforms.normalize import find_doi, parse_date
from transforms.page import Page
from transforms.sites.base import Site
from transforms.textpage import (
    PROSE_MIN_CHARS,
    blocks,
    is_furniture,
    is_prose,
    parse_volume_line,
    person,
    plain_lines,
    split_terms,
)
from transforms.textrules import ABSTRACT_END, FIELD_LINE_RE

VOLUME_LINE_RE = re.compile(r"^\s*([^,]{0,120}?,)?\s*Volume\s+\w+", re.I)
BYLINE_RE = re.compile(r"^\s*(?:Posted|Published|Written|Updated)\s+(?:on|by)\b|^\s*by\s+\w+", re.I)
FIRST_PERSON_RE = re.compile(r"\b(?:I|I'm|I've|I'd|my|me|myself)\b")
# Lines of a page's top where a title and a citation line are looked for.
HEADER_LINES = 120
KEYWORD_LINE_RE = re.compile(r"^\s*key\s?words?\s*:\s*(.+)$", re.I)
# A title is a line of a few words that does not end like a sentence fragment or a label.
TITLE_WORDS = (3, 40)


class Generic(Site):
    name = "generic"

    def extract(self, page: Page, draft: Article) -> Article:
        if page.kind == "html":
            from transforms.htmltext import extract_generic_html

            return extract_generic_html(page, draft)
        article = provenance.note_filled(extract_text(plain_lines(page.lines), draft), provenance.TEXT)
        if not article.abstract_sections or not _has_bibliographic_cue(article):
            raise NoArticleError(page.name, f"unknown layout: {_missing(article)}")
        return article


def extract_text(lines: list[str], a: Article) -> Article:
    fields = _field_lines(lines)
    if fields.get("title"):
        return _from_fields(fields, a)
    volume_at = _read_volume_line(lines, a)
    a.title = _title_near(lines, volume_at)
    a.abstract_sections = _prose_run(lines, volume_at or 0)
    a.doi = find_doi("\n".join(lines))
    for line in lines:
        m = KEYWORD_LINE_RE.match(line)
        if m:
            a.keywords = split_terms(m.group(1))
            break
    return a


def _read_volume_line(lines: list[str], a: Article) -> int | None:
    """`Journal of Hepatology, Volume 68, Issue 4, April 2018, Pages 719-727` (ScienceDirect's citation line)."""
    for i, line in enumerate(lines[:HEADER_LINES]):
        m = VOLUME_LINE_RE.match(line)
        if not m:
            continue
        found = parse_volume_line(line)
        a.journal = (m.group(1) or "").strip(" ,") or None
        a.volume, a.issue = found.get("volume"), found.get("issue")
        a.pages, a.pub_date = found.get("pages"), found.get("date")
        return i
    return None


def _title_near(lines: list[str], volume_at: int | None) -> str | None:
    """The title-like line nearest above the citation line, else the first one on the page."""
    if volume_at is not None:
        for i in range(volume_at - 1, -1, -1):
            text = lines[i].strip()
            if _is_title(text):
                return text
    return next((line.strip() for line in lines[:HEADER_LINES] if _is_title(line.strip())), None)


def _is_title(text: str) -> bool:
    words = len(text.split())
    return (TITLE_WORDS[0] <= words <= TITLE_WORDS[1] and not is_furniture(text) and not text.endswith(":")
            and not BYLINE_RE.match(text) and not text.startswith(("•", "–", "-")))


def _is_abstract_paragraph(block: list[str]) -> bool:
    text = " ".join(block)
    return (len(block) == 1 and is_prose(text) and not FIELD_LINE_RE.match(text)
            and not FIRST_PERSON_RE.search(text) and not BYLINE_RE.match(text))


def _prose_run(lines: list[str], start: int) -> list[AbstractSection]:
    """The first run of prose paragraphs after the citation: a journal abstract inside a blog or repost.

    The blogger's own paragraphs speak in the first person singular and are left out; one short
    note between two abstract paragraphs is stepped over.
    """
    found = list(blocks(lines, start))
    run: list[AbstractSection] = []
    for n, (_, block) in enumerate(found):
        if _is_abstract_paragraph(block):
            run.append(AbstractSection(None, " ".join(block)))
            continue
        if not run:
            continue
        following = found[n + 1][1] if n + 1 < len(found) else None
        short_note = len(block) == 1 and len(block[0]) < PROSE_MIN_CHARS and not ABSTRACT_END.match(block[0])
        if not (short_note and following and _is_abstract_paragraph(following)):
            break
    return run


def _field_lines(lines: list[str]) -> dict[str, str]:
    """`Title: …`, `Authors: …` rows of repository pages; a field's values may continue on the following lines."""
    fields: dict[str, str] = {}
    key = None
    for line in lines:
        m = FIELD_LINE_RE.match(line)
        if m:
            key = m.group(1).lower()
            if key in fields:
                key = None
                continue
            fields[key] = m.group(2).strip()
        elif key and line.strip():
            joiner = "\n\n" if key == "abstract" else "\n"
            fields[key] = f"{fields[key]}{joiner}{line.strip()}" if fields[key] else line.strip()
        elif not line.strip():
            key = None
    return fields


def _from_fields(fields: dict[str, str], a: Article) -> Article:
    a.title = fields.get("title")
    names = fields.get("authors") or fields.get("author") or fields.get("creators") or ""
    a.authors = [person(n) for n in re.split(r"\n|;\s*", names) if n.strip()]
    date = fields.get("issue date") or fields.get("publication date") or fields.get("date")
    a.pub_date = parse_date(date) if date else None
    a.journal = fields.get("journal title") or fields.get("journal") or fields.get("source")
    a.volume, a.issue = fields.get("volume"), fields.get("issue")
    first, last = fields.get("start page"), fields.get("end page")
    a.pages = fields.get("pages") or (f"{first}-{last}" if first and last else first)
    a.issn = fields.get("issn")
    a.doi = find_doi(" ".join(fields.get(k, "") for k in ("doi", "uri", "citation")))
    a.keywords = [t for part in re.split(r"\n", fields.get("keywords") or fields.get("subjects") or "")
                  for t in split_terms(part)]
    a.language = fields.get("language")
    abstract = fields.get("abstract")
    a.abstract_sections = [AbstractSection(None, p) for p in (abstract or "").split("\n\n") if p.strip()]
    return a


def _missing(a: Article) -> str:
    """What the copy lacks for an article, so a reader can tell a contents page from an article with no abstract."""
    missing = [what for what, ok in (("title", a.title), ("abstract", a.abstract_sections),
                                     ("citation (doi, volume, date, journal)", _has_bibliographic_cue(a))) if not ok]
    return "no " + ", no ".join(missing) + " found"


def _has_bibliographic_cue(a: Article) -> bool:
    return bool(a.title and (a.doi or a.volume or a.pub_date or a.journal or a.keywords or a.authors))


SITE = Generic()
