"""bioRxiv preprint pages (HighWire): the generic layer reads them; this module names the site and
corrects the date."""

from __future__ import annotations

import re

from transforms.article import Article
from transforms.normalize import parse_date, year_of
from transforms.page import Page
from transforms.sites.base import Site

SITE_NAME_RE = re.compile(r"^bioRxiv$", re.I)
# citation_publication_date holds January 1st of the posting year ("2019/01/01"); the posting date is in
# citation_date and DC.Date.
POSTED_DATE_TAGS = ("citation_date", "dc.date")


class Biorxiv(Site):
    name = "biorxiv"
    hosts = ("biorxiv.org",)
    priority = 10

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and page.meta_has(("og:site_name", "citation_journal_title"), SITE_NAME_RE)

    def patch_html(self, page: Page, article: Article) -> Article:
        posted = next((d for tag in POSTED_DATE_TAGS for d in map(parse_date, page.meta.get(tag, [])) if d), None)
        if posted and (not article.pub_date or article.pub_date.endswith("-01-01")):
            article.pub_date, article.pub_year = posted, year_of(posted)
        return article


SITE = Biorxiv()
