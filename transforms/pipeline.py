"""Raw bytes to `Article`: 1 detect, 2 decode and repair, 3 choose the site, 4 strip and extract, 5 normalize."""

from __future__ import annotations

import gzip
import io
import re
from collections.abc import Iterator

from transforms import encoding, pagestatus
from transforms.article import Article
from transforms.errors import NoArticleError, ParseError
from transforms.normalize import finalize
from transforms.page import Page
from transforms.pubmed_xml import Deletion, RecordError, iter_pubmed
from transforms.sites import choose_site

# Part of every source's `parser` column: a page whose bytes are unchanged is parsed again and merged on the next
# load only when this differs, so a change of what the parsers give for the same document bumps it.
PARSER_VERSION = "0.2.0"
# Share of control bytes (other than tab, CR, LF, FF) above which a document is binary, not text.
BINARY_CONTROL_SHARE = 0.05
_HTML_CUE_RE = re.compile(rb"<(?:!doctype\s+html|html|head|body|meta|div|p|title)[\s>]", re.I)
_XML_ARTICLESET_RE = re.compile(rb"<(?:PubmedArticleSet|MedlineCitationSet|PubmedArticle)\b")
_EUTILS_ANSWER_RE = re.compile(rb"<(eSearchResult|ePostResult|eLinkResult|eSummaryResult|eInfoResult)\b")
_BINARY_MAGIC = (b"%PDF", b"PK\x03\x04", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"BZh")
GZIP_MAGIC = b"\x1f\x8b"
_CONTROL_BYTES = bytes(b for b in range(32) if b not in (9, 10, 12, 13))
# A gzip-compressed document larger than this once unpacked is refused rather than held in memory; a
# baseline file is streamed from disk instead (flows.pubmed), never read whole.
MAX_UNPACKED_BYTES = 2 * 1024**3


def detect_kind(body: bytes, name: str) -> str:
    """Name the document kind from its bytes: `text`, `html` or `pubmed_xml`."""
    if not body.strip():
        raise ParseError(name, "empty document", stage="detect")
    head = body[:8192]
    if head.startswith(_BINARY_MAGIC):
        raise ParseError(name, "binary file, not a text or HTML page", stage="detect")
    if b"\x00" in head and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(name, "binary file (NUL bytes), not a text or HTML page", stage="detect")
    controls = len(head) - len(head.translate(None, _CONTROL_BYTES))
    if controls > BINARY_CONTROL_SHARE * len(head):
        raise ParseError(name, "binary file (control bytes), not a text or HTML page", stage="detect")
    if _XML_ARTICLESET_RE.search(head):
        return "pubmed_xml"
    answer = _EUTILS_ANSWER_RE.search(head)
    if answer:
        kind = answer.group(1).decode()
        raise ParseError(name, f"an E-utilities {kind} answer, not article records", stage="detect")
    if _HTML_CUE_RE.search(head):
        return "html"
    return "text"


def unpack(body: bytes, name: str) -> bytes:
    """A gzip-compressed document (`.xml.gz`) unpacked; anything else as it is."""
    if not body.startswith(GZIP_MAGIC):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as fh:
            data = fh.read(MAX_UNPACKED_BYTES + 1)
    except (OSError, EOFError) as exc:
        raise ParseError(name, f"corrupt gzip file ({exc})", stage="detect") from exc
    if len(data) > MAX_UNPACKED_BYTES:
        raise ParseError(name, f"unpacks to more than {MAX_UNPACKED_BYTES} bytes", stage="detect")
    return data


def parse_records(
    body: bytes, name: str, url: str | None = None, content_type: str | None = None
) -> Iterator[Article | Deletion | RecordError]:
    """Every record of a document: one for a page, each citation (and deletion) of a PubMed XML file."""
    body = unpack(body, name)
    if detect_kind(body, name) == "pubmed_xml":
        yield from iter_pubmed(io.BytesIO(body), name)
        return
    yield parse_bytes(body, name, url, content_type)


def _no_abstract(site: str, article: Article) -> str:
    """Why a page with no abstract is no record, with what it did show: a reader can tell a news item from a
    paywall at a glance."""
    title = article.title or ""
    shown = f'"{title[:77]}..."' if len(title) > 80 else f'"{title}"' if title else "no title"
    kinds = f", {'; '.join(article.publication_types)}" if article.publication_types else ""
    return (f"no abstract on this {site} page ({shown}{kinds}): a news item, editorial or letter, or a landing, "
            "paywall or contents page")


def parse_bytes(
    body: bytes, name: str, url: str | None = None, content_type: str | None = None
) -> Article:
    """Parse one document; raise `ParseError` naming `name` and the reason when it yields no article."""
    kind = detect_kind(body, name)
    if kind == "pubmed_xml":
        raise ParseError(name, "a PubMed XML file holds many records: use parse_records", stage="detect")
    text = encoding.to_text(body, content_type)
    page = Page(text=text, kind=kind, name=name, url=url)
    site = choose_site(page)
    draft = Article(site=site.name, source_kind=kind, source_url=url, parser=f"litingest/{PARSER_VERSION}")
    try:
        article = finalize(site.extract(page, draft))
        if not article.title and not article.abstract:
            raise NoArticleError(name, f"no article found on this {site.name} {kind} page (no title, no abstract)")
        if kind == "html" and site.needs_abstract_on_html and not article.abstract:
            raise NoArticleError(name, _no_abstract(site.name, article))
    except NoArticleError as exc:
        exc.status = exc.status or pagestatus.classify(page)  # captcha, cookie wall...: for the fetch's record
        raise
    return article
