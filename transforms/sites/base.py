"""The small interface every site adapter implements, and the registry that picks one for a page."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from transforms import provenance
from transforms.article import Article
from transforms.errors import NoArticleError
from transforms.htmltext import extract_generic_html
from transforms.page import Page, on_hosts
from transforms.textpage import plain_lines

# A page's own addresses: where a publisher's page says it lives.
SELF_ADDRESS_TAGS = ("og:url", "citation_abstract_html_url", "citation_fulltext_html_url", "citation_pdf_url")


class Site:
    """One module per site subclasses this. `extract` fills or corrects fields of the generic draft."""

    name: str = "generic"
    hosts: tuple[str, ...] = ()
    # When a host serves several sites (ncbi.nlm.nih.gov: PubMed and PMC), the URL pattern decides.
    url_pattern: re.Pattern[str] | None = None
    priority: int = 0
    # A publisher's HTML page without an abstract is a landing, paywall or table-of-contents page, not an
    # article (PubMed is the exception: its record stands without an abstract, "No abstract available").
    needs_abstract_on_html: bool = True

    def claims(self, page: Page) -> bool:
        if not page.url or not page.host_matches(self.hosts):
            return False
        return self.url_pattern is None or bool(self.url_pattern.search(page.url))

    def matches(self, page: Page) -> bool:
        """Page cues (never the file name) saying the page is this site's, when no URL decides it."""
        return False

    def extract(self, page: Page, draft: Article) -> Article:
        """Return the article; raise `NoArticleError` when the page carries none. What the adapter sets or
        corrects is recorded in the provenance as `site:<name>`."""
        if page.kind == "html":
            article = extract_generic_html(page, draft)
            before = provenance.snapshot(article)
            return provenance.note_changes(self.patch_html(page, article), before, provenance.site_source(self.name))
        before = provenance.snapshot(draft)
        return provenance.note_changes(self.extract_text(plain_lines(page.lines), draft), before,
                                       provenance.site_source(self.name))

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        return draft

    def patch_html(self, page: Page, article: Article) -> Article:
        """Correct what the generic HTML layer gets wrong on this site; say why in a comment."""
        return article


class OpenAccessSite(Site):
    """An open-access site (PMC, PLOS, Frontiers, MDPI) serves whole articles, with or without an abstract
    (editorials, letters, corrections): there, a page is an article when it carries citation_title or an
    abstract (`require_article`). With no URL, the page's own addresses say whose page it is."""

    needs_abstract_on_html = False

    def matches(self, page: Page) -> bool:
        return page.kind == "html" and own_address(page, self.hosts)

    def extract(self, page: Page, draft: Article) -> Article:
        article = super().extract(page, draft)
        if page.kind == "html":
            require_article(page, article, self.name)
        return article


def require_article(page: Page, a: Article, site: str) -> None:
    if not a.abstract and not any(page.meta.get("citation_title", [])):
        raise NoArticleError(page.name, f"no citation_title and no abstract on this {site} page: not an article page")


def own_address(page: Page, hosts: tuple[str, ...]) -> bool:
    """A page cue: the page's own addresses (og:url, citation_*_url, canonical link) are on the site's hosts.
    A repository or aggregator copying a publisher's citation_* tags points them at itself."""
    links = [el.get("href") or "" for el in page.tree.iter("link") if (el.get("rel") or "").lower() == "canonical"]
    for address in [*(v for name in SELF_ADDRESS_TAGS for v in page.meta.get(name, [])), *links]:
        host = (urlsplit(address.strip()).hostname or "").lower()
        if host and on_hosts(host, hosts):
            return True
    return False


@dataclass
class Registry:
    sites: list[Site] = field(default_factory=list)

    def register(self, site: Site) -> Site:
        clash = [s.name for s in self.sites if set(s.hosts) & set(site.hosts) and s.priority == site.priority
                 and s.url_pattern is None and site.url_pattern is None]
        if clash:
            raise ValueError(f"site {site.name!r} claims the hosts of {clash} at the same priority")
        self.sites.append(site)
        self.sites.sort(key=lambda s: -s.priority)
        return site

    def by_name(self, name: str) -> Site | None:
        return next((s for s in self.sites if s.name == name), None)

    def choose(self, page: Page, fallback: Site) -> Site:
        """By URL first, then by page cues, then the fallback."""
        for site in self.sites:
            if site.claims(page):
                return site
        for site in self.sites:
            if site.matches(page):
                return site
        return fallback
