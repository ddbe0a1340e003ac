"""arXiv abstract pages (arxiv.org/abs/...): the generic layer reads them (citation_* tags, the
`<blockquote class="abstract">`); this module names the site and keeps the preprint's own DOI."""

from __future__ import annotations

from lxml import etree

from transforms.article import Article
from transforms.normalize import normalize_doi
from transforms.page import Page
from transforms.sites.base import Site

# The DOI arXiv issues through DataCite ("Cite as"); a "Related DOI" row names the journal version instead.
ARXIV_DOI_LINK = etree.XPath('//a[@id="arxiv-doi-link"]/@href')


class Arxiv(Site):
    name = "arxiv"
    hosts = ("arxiv.org",)
    priority = 10

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and bool(page.meta.get("citation_arxiv_id"))

    def patch_html(self, page: Page, article: Article) -> Article:
        own = next((d for d in map(normalize_doi, ARXIV_DOI_LINK(page.tree)) if d), None)
        if own:
            article.doi = own
        return article


SITE = Arxiv()
