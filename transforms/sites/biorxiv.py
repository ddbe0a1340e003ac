"""bioRxiv preprint pages (HighWire): the generic layer reads them; this module names the site and
corrects the date."""

from __future__ import annotations

import re

from transforms.article import Article
from transforms.normalize import find_doi, parse_date, year_of
from transforms.page import Page
from transforms.sites.base import Site
from transforms.textpage import collect_abstract, find_line, is_furniture, next_nonblank, person, split_names

SITE_NAME_RE = re.compile(r"^(?:bio|med)Rxiv$", re.I)
# A text copy names the server in its banner and cites the preprint by a 10.1101 doi line.
TEXT_CUE_RE = re.compile(r"^\s*doi:\s*https?://(?:dx\.)?doi\.org/10\.1101/", re.I)
# citation_publication_date holds January 1st of the posting year ("2019/01/01"); the posting date is in
# citation_date and DC.Date.
POSTED_DATE_TAGS = ("citation_date", "dc.date")
# A text copy: each author with an ORCID iD is preceded by the link's text, run into the name
# ("View ORCID ProfileRichard Sever, Linda Sussman, View ORCID ProfileJohn R. Inglis").
ORCID_LINK_RE = re.compile(r"View ORCID Profile\s*")
# The article-type line above the title.
ARTICLE_TYPE_RE = re.compile(r"^\s*(?:New|Confirmatory|Contradictory) Results\s*$")
DOI_LINE_RE = re.compile(r"^\s*doi:\s*https?://(?:dx\.)?doi\.org/10\.", re.I)
ABSTRACT_HEAD_RE = re.compile(r"^\s*Abstract\s*$", re.I)


class Biorxiv(Site):
    name = "biorxiv"
    hosts = ("biorxiv.org", "medrxiv.org")
    priority = 10

    def matches(self, page: Page) -> bool:
        if page.kind == "html":
            return page.meta_has(("og:site_name", "citation_journal_title"), SITE_NAME_RE)
        head = page.lines[:60]
        return any(SITE_NAME_RE.match(x.strip()) for x in head) and any(TEXT_CUE_RE.match(x) for x in head)

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        return extract_text(lines, draft)

    def patch_html(self, page: Page, article: Article) -> Article:
        posted = next((d for tag in POSTED_DATE_TAGS for d in map(parse_date, page.meta.get(tag, [])) if d), None)
        if posted and (not article.pub_date or article.pub_date.endswith("-01-01")):
            article.pub_date, article.pub_year = posted, year_of(posted)
        return article


def extract_text(lines: list[str], a: Article) -> Article:
    """Title, byline and doi stand in that order above the per-author blocks; the abstract under "Abstract"."""
    doi_at = find_line(lines, DOI_LINE_RE)
    if doi_at is None:
        a.warnings.append("no doi line found")
        return a
    a.doi = find_doi(lines[doi_at])
    above = [i for i in range(max(0, doi_at - 6), doi_at) if lines[i].strip() and not is_furniture(lines[i].strip())]
    byline = next((i for i in reversed(above) if ORCID_LINK_RE.search(lines[i])), above[-1] if above else None)
    if byline is not None:
        a.authors = [person(n) for n in split_names(ORCID_LINK_RE.sub("", lines[byline]))]
        title = [i for i in above if i < byline and not ARTICLE_TYPE_RE.match(lines[i])]
        a.title = lines[title[-1]].strip() if title else None
    abstract_at = find_line(lines, ABSTRACT_HEAD_RE, start=doi_at)
    if abstract_at is not None:
        start = next_nonblank(lines, abstract_at + 1)
        a.abstract_sections = collect_abstract(lines, start) if start is not None else []
    return a


SITE = Biorxiv()
