"""The fallback for pages of no known site: field lines and prose heuristics for text, embedded metadata for HTML."""

from __future__ import annotations

import re

from transforms.article import AbstractSection, Article
from transforms.errors import NoArticleError
from transforms.normalize import find_doi, parse_date
from transforms.page import Page
from transforms.sites.base import Site
from transforms.textpage import (
    blocks,
    is_furniture,
    is_prose,
    parse_volume_line,
    person,
    split_names,
    split_terms,
)
from transforms.textrules import ABSTRACT_END, FIELD_LINE_RE

KEYWORD_LINE_RE = re.compile(r"^\s*key\s?words?\s*:\s*(.+)$", re.I)
# A title is a line of a few words that does not end like a sentence fragment or a label.
TITLE_WORDS = (3, 40)


class Generic(Site):
    name = "generic"

    def extract(self, page: Page, draft: Article) -> Article:
        if page.kind == "html":
            from transforms.htmltext import extract_generic_html

            return extract_generic_html(page, draft)
        article = extract_text(page.lines, draft)
        if not article.abstract_sections or not _has_bibliographic_cue(article):
            raise NoArticleError(page.name, "unknown layout: no article title, abstract and citation found")
        return article


def extract_text(lines: list[str], a: Article) -> Article:
    fields = _field_lines(lines)
    if fields.get("title"):
        return _from_fields(fields, a)
    _read_header(lines, a)
    a.abstract_sections = _prose_run(lines)
    a.doi = find_doi("\n".join(lines))
    for line in lines:
        m = KEYWORD_LINE_RE.match(line)
        if m:
            a.keywords = split_terms(m.group(1))
            break
    return a


def _read_header(lines: list[str], a: Article) -> None:
    for _, block in blocks(lines):
        for text in block:
            volume = parse_volume_line(text)
            if volume and text.lower().startswith("volume"):
                a.volume, a.issue = volume.get("volume"), volume.get("issue")
                a.pages, a.pub_date = volume.get("pages"), volume.get("date")
            elif a.title is None and _is_title(text):
                a.title = text
        if a.title and a.volume:
            return


def _is_title(text: str) -> bool:
    words = len(text.split())
    return TITLE_WORDS[0] <= words <= TITLE_WORDS[1] and not is_furniture(text) and not text.endswith(":")


def _prose_run(lines: list[str]) -> list[AbstractSection]:
    """The first run of consecutive prose paragraphs: a journal abstract inside a blog or repost."""
    run: list[AbstractSection] = []
    for _, block in blocks(lines):
        text = " ".join(block)
        if ABSTRACT_END.match(block[0]) and run:
            break
        if len(block) == 1 and is_prose(text) and not FIELD_LINE_RE.match(text):
            run.append(AbstractSection(None, text))
        elif run:
            break
    return run


def _field_lines(lines: list[str]) -> dict[str, str]:
    """`Title: …`, `Authors: …`, `Abstract: …` lines of repository pages; a field may run onto following lines."""
    fields: dict[str, str] = {}
    key = None
    for line in lines:
        m = FIELD_LINE_RE.match(line)
        if m:
            key = m.group(1).lower()
            fields.setdefault(key, m.group(2).strip())
        elif key and line.strip() and not fields[key]:
            fields[key] = line.strip()
        elif key == "abstract" and line.strip():
            fields[key] += "\n\n" + line.strip()
        else:
            key = None if not line.strip() else key
    return fields


def _from_fields(fields: dict[str, str], a: Article) -> Article:
    a.title = fields.get("title")
    names = fields.get("authors") or fields.get("author") or fields.get("creators") or ""
    a.authors = [person(n) for n in re.split(r";\s*", names) if n.strip()] if ";" in names else [
        person(n) for n in split_names(names)]
    date = fields.get("issue date") or fields.get("publication date") or fields.get("date")
    a.pub_date = parse_date(date) if date else None
    a.journal = fields.get("journal") or fields.get("source")
    a.volume, a.issue, a.pages = fields.get("volume"), fields.get("issue"), fields.get("pages")
    a.doi = find_doi(fields.get("doi", "") + " " + fields.get("uri", "") + " " + fields.get("citation", ""))
    a.keywords = split_terms(fields.get("keywords") or fields.get("subjects") or "")
    a.language = fields.get("language")
    abstract = fields.get("abstract")
    a.abstract_sections = [AbstractSection(None, p) for p in (abstract or "").split("\n\n") if p.strip()]
    return a


def _has_bibliographic_cue(a: Article) -> bool:
    return bool(a.title and (a.doi or a.volume or a.pub_date or a.journal or a.keywords or a.authors))


SITE = Generic()
