"""Raw bytes to `Article`: 1 detect, 2 decode and repair, 3 choose the site, 4 strip and extract, 5 normalize."""

from __future__ import annotations

import re

from transforms import encoding
from transforms.article import Article
from transforms.errors import NoArticleError, ParseError
from transforms.normalize import finalize
from transforms.page import Page
from transforms.sites import choose_site

PARSER_VERSION = "0.1.0"
# Share of control bytes (other than tab, CR, LF, FF) above which a document is binary, not text.
BINARY_CONTROL_SHARE = 0.05
_HTML_CUE_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|div|p|title)[\s>]", re.I)
_XML_ARTICLESET_RE = re.compile(rb"<(?:PubmedArticleSet|MedlineCitationSet|PubmedArticle)\b")
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x1f\x8b", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BZh")


def detect_kind(body: bytes, name: str) -> str:
    """Name the document kind from its bytes: `text`, `html` or `pubmed_xml`."""
    if not body.strip():
        raise ParseError(name, "empty document", stage="detect")
    head = body[:8192]
    if head.startswith(_BINARY_MAGIC):
        raise ParseError(name, "binary file, not a text or HTML page", stage="detect")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(name, "binary file (NUL bytes), not a text or HTML page", stage="detect")
    controls = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if controls > BINARY_CONTROL_SHARE * len(head):
        raise ParseError(name, "binary file (control bytes), not a text or HTML page", stage="detect")
    if _XML_ARTICLESET_RE.search(head):
        return "pubmed_xml"
    if _HTML_CUE_RE.search(head):
        return "html"
    return "text"


def parse_bytes(
    body: bytes, name: str, url: str | None = None, content_type: str | None = None
) -> Article:
    """Parse one document; raise `ParseError` naming `name` and the reason when it yields no article."""
    kind = detect_kind(body, name)
    if kind == "pubmed_xml":
        raise ParseError(name, "PubMed XML is not supported by this parser yet", stage="detect")
    text = encoding.to_text(body, content_type)
    page = Page(text=text, kind=kind, name=name, url=url)
    site = choose_site(page)
    draft = Article(site=site.name, source_kind=kind, source_url=url, parser=f"litingest/{PARSER_VERSION}")
    article = finalize(site.extract(page, draft))
    if not article.title and not article.abstract:
        raise NoArticleError(name, f"no article found on this {site.name} {kind} page (no title, no abstract)")
    if kind == "html" and site.needs_abstract_on_html and not article.abstract:
        raise NoArticleError(name, f"no abstract on this {site.name} page: a landing, paywall or contents page")
    return article
