"""Fill an `Article` from metadata that publishers embed in HTML, so site adapters patch only its misses."""

from __future__ import annotations

import html
import json
import logging
import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any, NamedTuple

import lxml.html
from lxml import etree

from transforms import provenance
from transforms.article import Article, Author
from transforms.normalize import (
    clean_text,
    clean_title,
    initials_of,
    language_code,
    normalize_doi,
    parse_date,
    year_of,
)
from transforms.page import Page

log = logging.getLogger(__name__)

# 1. Meta-tag tables, one per source: Article field -> tag names (lower case), the first with a value wins.
#    `first_page`/`last_page` become `pages`; `description` is a candidate abstract that must prove itself.
#    Wolters Kluwer's journals (journals.lww.com) write the Highwire tags with a `wkhealth_` prefix instead
#    of `citation_` (Zotero's LWW translator renames them the same way); they count after the citation_ tag.
HIGHWIRE: dict[str, tuple[str, ...]] = {
    "title": ("citation_title", "wkhealth_title"),
    "doi": ("citation_doi", "wkhealth_doi"),
    "pmid": ("citation_pmid",),
    "journal": ("citation_journal_title", "wkhealth_journal_title", "wkhealth_journal_title_legacy"),
    "journal_abbrev": ("citation_journal_abbrev",),
    "issn": ("citation_issn", "citation_eissn", "citation_journal_issn", "wkhealth_issn", "wkhealth_eissn"),
    "volume": ("citation_volume", "wkhealth_volume"),
    "issue": ("citation_issue", "wkhealth_issue"),
    "first_page": ("citation_firstpage", "wkhealth_firstpage"),
    "last_page": ("citation_lastpage", "wkhealth_lastpage"),
    # The cover (issue) date before the online date: a back-digitized article went online decades later.
    "pub_date": ("citation_publication_date", "citation_date", "citation_cover_date", "citation_online_date",
                 "wkhealth_article_publication_date", "wkhealth_date"),
    "keywords": ("citation_keywords",),
    "language": ("citation_language", "wkhealth_language"),
    "abstract": ("citation_abstract",),
    "publication_types": ("citation_article_type",),
}
DUBLIN_CORE: dict[str, tuple[str, ...]] = {
    "title": ("dc.title", "dcterms.title"),
    "doi": ("dc.identifier", "dcterms.identifier", "dc.identifier.doi"),
    "pub_date": ("dcterms.issued", "dc.date.issued", "dc.date", "dcterms.date", "dcterms.created"),
    "language": ("dc.language", "dcterms.language", "dc.language.iso"),
    "abstract": ("dcterms.abstract", "dc.description.abstract"),
    "description": ("dc.description", "dcterms.description"),
}
PRISM: dict[str, tuple[str, ...]] = {
    "doi": ("prism.doi",),
    "journal": ("prism.publicationname",),
    "issn": ("prism.issn", "prism.eissn"),
    "volume": ("prism.volume",),
    "issue": ("prism.number", "prism.issueidentifier"),
    "first_page": ("prism.startingpage",),
    "last_page": ("prism.endingpage",),
    "pub_date": ("prism.publicationdate", "prism.coverdate"),
}
OPEN_GRAPH: dict[str, tuple[str, ...]] = {"title": ("og:title",)}


class AuthorTags(NamedTuple):
    """Tags that name an author, and the tags that qualify the author named just before them."""

    name: tuple[str, ...]
    listing: tuple[str, ...] = ()  # one tag listing every author: "Smith J; Doe A"
    affiliation: tuple[str, ...] = ()
    orcid: tuple[str, ...] = ()


HIGHWIRE_AUTHORS = AuthorTags(
    name=("citation_author",),
    listing=("citation_authors", "wkhealth_authors"),
    affiliation=("citation_author_institution", "citation_author_affiliation"),
    orcid=("citation_author_orcid",),
)
# Creators are the authors; contributors count only when a page names no creator (bioRxiv uses them).
DC_AUTHORS = (AuthorTags(name=("dc.creator", "dcterms.creator")), AuthorTags(name=("dc.contributor",)))

# 2. Teasers: social-card summaries, often cut short or rewritten; never an abstract on their own.
TEASER_TAGS = ("og:description", "description", "twitter:description")
# A metadata abstract shorter than this is usually a teaser or a truncated summary; real abstracts run
# 100-300 words (set from the corpus: the shortest true metadata abstract is ~700 characters).
MIN_METADATA_ABSTRACT_CHARS = 300
TRUNCATION_MARKS = ("...", "\u2026")

# 3. JSON-LD: schema.org types that describe the article itself, most specific first, and where they sit.
JSONLD_TYPES = ("MedicalScholarlyArticle", "ScholarlyArticle", "Article", "CreativeWork")
JSONLD_CONTAINERS = ("@graph", "mainEntity")
JSONLD_FIELDS: dict[str, tuple[str, ...]] = {
    "title": ("headline", "name"),
    "pub_date": ("datePublished", "dateCreated"),
    "abstract": ("abstract",),
    "description": ("description",),
    "keywords": ("keywords",),
    "language": ("inLanguage",),
    "first_page": ("pageStart",),
    "last_page": ("pageEnd",),
    "pages": ("pagination",),
}
JSONLD_DOI_KEYS = ("identifier", "doi")
JSONLD_LINK_KEYS = ("sameAs", "url", "@id")  # count only when they point at a DOI resolver
JSONLD_PART_FIELDS = {"volume": "volumeNumber", "issue": "issueNumber"}

# 4. Name tokens: what is not part of a person's name, and what marks a group as author.
DEGREES = frozenset(
    "md phd dphil mph msc bsc mba mbbs mbchb frcp frcpc frcs facp facs faha facc fracp mrcp rn bsn msn "
    "dds dmd pharmd dvm frs".split()
)
HONORIFICS = frozenset("prof professor dr mr mrs ms miss sir dame".split())
NAME_SUFFIXES = frozenset("jr sr ii iii iv".split())
SURNAME_PARTICLES = frozenset(
    "van vande vanden vander von de der den del della di da du la le dos das ter ten bin ibn al el st".split()
)
COLLECTIVE_WORDS = frozenset(
    "consortium group collaboration collaborative investigators network committee society association team "
    "initiative alliance council organization organisation foundation federation registry trialists".split()
)

# Sources in order of trust, named as in the record's provenance.
SOURCE_ORDER = (provenance.CITATION_META, provenance.JSON_LD, provenance.DUBLIN_CORE, provenance.PRISM,
                provenance.OPENGRAPH)
LIST_FIELDS = frozenset({"keywords", "publication_types", "authors", "affiliations"})

_JSONLD_XPATH = etree.XPath(
    "//script[translate(normalize-space(@type), 'ABCDEFGHIJKLMNOPQRSTUVWXYZ', 'abcdefghijklmnopqrstuvwxyz')"
    " = 'application/ld+json']"
)
_WRAPPER_START_RE = re.compile(r"^\s*(?://\s*)?(?:<!\[CDATA\[|<!--)\s*")
_WRAPPER_END_RE = re.compile(r"\s*(?://\s*)?(?:\]\]>|-->)\s*$")
_ISSN_RE = re.compile(r"\b\d{4}-?\d{3}[\dXx]\b")
_BLOCK_TAG_RE = re.compile(r"</?(?:p|div|br|h[1-6]|li|section|sec)\b[^>]*>", re.I)
_LEADING_LABEL_RE = re.compile(r"^(?:abstract|summary)\s*[.:]?\s+", re.I)
_MEDLINE_INITIALS_RE = re.compile(r"^[A-Z]{1,3}$")
# A character reference left in a value that was escaped twice (`&amp;#x2009;` in the page source reads
# `&#x2009;` once the attribute is decoded). Only complete references (with their `;`) are undone.
_LEFT_REFERENCE_RE = re.compile(r"&(?:#\d{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z][a-zA-Z0-9]{1,31});")
# A label written into a volume or issue value ("Volume 5", "Vol. 12", "Issue 3", "No. 4"), and the words
# sites write there before an article has an issue ("Publish Ahead of Print": LWW), which are no number.
_NUMBER_LABEL_RE = re.compile(r"^(?:vol(?:ume)?|issue|no|number|nr|heft)\b\.?\s*(?=\S)", re.I)
_NOT_A_NUMBER_RE = re.compile(r"\b(?:ahead of print|in press|online first|early view|just accepted)\b", re.I)
_INITIAL_DOT_RE = re.compile(r"\b([A-Z])\.\s*")


class MetaTags:
    """The page's `<meta name|property>` pairs that carry a value (as written), in document order, keyed by
    lower-case name; read once by `Page.meta_pairs`."""

    def __init__(self, pairs: Iterable[tuple[str, str]]) -> None:
        self.pairs: list[tuple[str, str]] = [(key, value) for key, value in pairs if value.strip()]
        self.by_name: dict[str, list[str]] = {}
        for key, value in self.pairs:
            self.by_name.setdefault(key, []).append(value)

    def values(self, names: Iterable[str]) -> list[str]:
        """Values of the named tags: all of the first name's, then the next name's, and so on."""
        return [v for name in names for v in self.by_name.get(name, ())]


def markup_text(value: str | None) -> str | None:
    """Text of a value that may hold markup (`<p>`, `<i>`): paragraphs kept as blank-line separated."""
    if not value:
        return None
    value = _LEFT_REFERENCE_RE.sub(lambda m: html.unescape(m.group(0)), value)
    if "<" in value:
        value = _BLOCK_TAG_RE.sub("\n\n", value)
        try:
            value = lxml.html.fragment_fromstring(value, create_parent="div").text_content()
        except (etree.ParserError, ValueError):
            return clean_text(value)
    paragraphs = (clean_text(p) for p in re.split(r"\n\s*\n", value))
    return "\n\n".join(p for p in paragraphs if p) or None


# --- Converters: one raw value -> a field value, or None when the value is unusable.


def _pmid(value: str) -> str | None:
    value = (clean_text(value) or "").removeprefix("pmid:").strip()
    return value if value.isdigit() else None


def _issn(value: str) -> str | None:
    match = _ISSN_RE.search(value)
    if not match:
        return None
    digits = match.group(0).replace("-", "").upper()
    return f"{digits[:4]}-{digits[4:]}"


def _number(value: str) -> str | None:
    """A volume or issue without the label some pages write into it: `Volume 5` -> `5`."""
    value = clean_text(_NUMBER_LABEL_RE.sub("", clean_text(value) or ""))
    return None if value and _NOT_A_NUMBER_RE.search(value) else value


def _language(value: str) -> str | None:
    return language_code(value) or clean_text(value)


def split_keywords(value: str) -> list[str]:
    """`a; b; c` or `a, b, c`: semicolons win when both appear (a keyword may hold a comma)."""
    separator = ";" if ";" in value else ","
    return [k for k in (clean_text(part.strip(" .")) for part in value.split(separator)) if k]


def _abstract(value: str) -> str | None:
    text = markup_text(value)
    return _LEADING_LABEL_RE.sub("", text) if text else None


CONVERTERS: dict[str, Callable[[str], Any]] = {
    "title": lambda v: clean_title(markup_text(v)),
    "doi": normalize_doi,
    "pmid": _pmid,
    "journal": clean_text,
    "journal_abbrev": clean_text,
    "issn": _issn,
    "volume": _number,
    "issue": _number,
    "first_page": clean_text,
    "last_page": clean_text,
    "pages": clean_text,
    "pub_date": parse_date,
    "keywords": split_keywords,
    "language": _language,
    "abstract": _abstract,
    "description": _abstract,
    "publication_types": lambda v: [t for t in [clean_text(v)] if t],
}


def convert(name: str, raws: Iterable[Any]) -> Any:
    """The first raw value that converts; for list fields, every converted value joined."""
    convert_one = CONVERTERS[name]
    if name in LIST_FIELDS:
        return [x for raw in raws if isinstance(raw, str) for x in convert_one(raw)]
    for raw in raws:
        value = convert_one(raw) if isinstance(raw, str) else None
        if value:
            return value
    return None


# --- Author names.


def _bare(token: str) -> str:
    return token.lower().replace(".", "").strip(",;")


def _is_degree_part(part: str) -> bool:
    tokens = part.split()
    return bool(tokens) and all(_bare(t) in DEGREES or _bare(t) in NAME_SUFFIXES for t in tokens)


def _trim_tokens(tokens: list[str]) -> list[str]:
    while tokens and _bare(tokens[0]) in HONORIFICS:
        tokens = tokens[1:]
    while tokens and (_bare(tokens[-1]) in DEGREES or _bare(tokens[-1]) in NAME_SUFFIXES):
        tokens = tokens[:-1]
    return tokens


def _tidy_fore(fore: str | None) -> str | None:
    """`Mark O.` -> `Mark O`, `J.R.R.` -> `J R R`: MEDLINE writes fore names without dots."""
    if not fore:
        return None
    return clean_text(_INITIAL_DOT_RE.sub(r"\1 ", fore).replace(" -", "-"))


def _person(last: str, fore: str | None, initials: str | None = None) -> Author:
    fore = _tidy_fore(fore)
    return Author(last=clean_text(last), fore=fore, initials=initials or initials_of(fore))


def _split_first_last(tokens: list[str]) -> Author:
    if len(tokens) >= 2 and _MEDLINE_INITIALS_RE.match(tokens[-1]):
        return _person(" ".join(tokens[:-1]), None, tokens[-1])  # MEDLINE style: "Smith JA"
    start = len(tokens) - 1
    while start > 1 and tokens[start - 1].lower() in SURNAME_PARTICLES:
        start -= 1
    return _person(" ".join(tokens[start:]), " ".join(tokens[:start]) or None)


def parse_author_name(raw: str | None) -> Author | None:
    """`Last, First` or `First Last` (or MEDLINE `Last AB`) into an Author; degrees and titles dropped."""
    name = clean_text(markup_text(raw))
    if not name:
        return None
    if set(re.findall(r"[a-z]+", name.lower())) & COLLECTIVE_WORDS:
        return Author(collective=name)
    parts = [p.strip() for p in name.split(",") if p.strip() and not _is_degree_part(p)]
    if not parts:
        return None
    if len(parts) >= 2:
        last = " ".join(_trim_tokens(parts[0].split()))
        fore = " ".join(_trim_tokens(" ".join(parts[1:]).split()))
        return _person(last, fore or None) if last else None
    tokens = _trim_tokens(parts[0].split())
    if not tokens:
        return None
    return _split_first_last(tokens) if len(tokens) > 1 else _person(tokens[0], None)


def authors_from_tags(meta: MetaTags, tags: AuthorTags) -> tuple[list[Author], list[str]]:
    """Authors in page order, each with the affiliations and ORCID that follow it; unattached affiliations.

    A listing tag ("Smith J; Doe A", or one name per tag) counts only on a page without one citation_author
    tag per author: pages that carry both (F1000Research) write the listing first, and it would double the byline.
    """
    authors: list[Author] = []
    loose: list[str] = []
    use_listing = not meta.values(tags.name)
    for key, value in meta.pairs:
        if key in tags.name:
            author = parse_author_name(value)
            if author:
                authors.append(author)
        elif key in tags.listing and use_listing:
            authors.extend(a for a in map(parse_author_name, value.split(";")) if a)
        elif key in tags.affiliation and clean_text(value):
            (authors[-1].affiliations if authors else loose).append(clean_text(value) or "")
        elif key in tags.orcid and authors:
            authors[-1].orcid = clean_text(value)
    return authors, loose


# --- Sources: each returns Article fields it can fill, raw pseudo-fields already resolved.


def _finish(found: dict[str, Any], teasers: set[str]) -> dict[str, Any]:
    first, last = found.pop("first_page", None), found.pop("last_page", None)
    if first and not found.get("pages"):
        found["pages"] = f"{first}-{last}" if last and last != first else first
    description = found.pop("description", None)
    if description and not found.get("abstract") and is_clearly_abstract(description, teasers):
        found["abstract"] = description
    if found.get("pub_date"):
        found["pub_year"] = year_of(found["pub_date"])
    return {k: v for k, v in found.items() if v}


def fields_from_tags(meta: MetaTags, table: dict[str, tuple[str, ...]]) -> dict[str, Any]:
    return {name: convert(name, meta.values(tags)) for name, tags in table.items()}


def _highwire(meta: MetaTags, teasers: set[str]) -> dict[str, Any]:
    found = fields_from_tags(meta, HIGHWIRE)
    found["authors"], found["affiliations"] = authors_from_tags(meta, HIGHWIRE_AUTHORS)
    _surnames_as_creators_split(found["authors"], meta)
    return _finish(found, teasers)


def _surnames_as_creators_split(authors: list[Author], meta: MetaTags) -> None:
    """citation_author writes `Mateus de Oliveira Prado`, where the surname starts is a guess; a dc.creator
    `de Oliveira Prado, Mateus` for the same person says it. Taken only when the two lists spell the same names."""
    creators = [parse_author_name(v) for v in meta.values(DC_AUTHORS[0].name) if "," in v]
    if len(creators) != len(authors):
        return
    for author, creator in zip(authors, creators, strict=True):
        if creator is None or creator.collective or author.collective or creator.last == author.last:
            continue
        if _letters(author) == _letters(creator):
            author.last, author.fore, author.initials = creator.last, creator.fore, creator.initials


def _letters(author: Author) -> str:
    """The whole name's letters, given names first: how two splits of one name compare."""
    return re.sub(r"[\W\d_]+", "", f"{author.fore or ''}{author.last or ''}").casefold()


def _dublin_core(meta: MetaTags, teasers: set[str]) -> dict[str, Any]:
    found = fields_from_tags(meta, DUBLIN_CORE)
    for tags in DC_AUTHORS:
        found["authors"], _ = authors_from_tags(meta, tags)
        if found["authors"]:
            break
    return _finish(found, teasers)


def teasers_of(meta: MetaTags) -> set[str]:
    return {t for t in (markup_text(v) for v in meta.values(TEASER_TAGS)) if t}


def is_clearly_abstract(text: str | None, teasers: Iterable[str] = ()) -> bool:
    """Long enough to be an abstract, not merely the page's social-card teaser, and not cut short: Literatum's
    dc.Description stops mid-word with "..." however long it runs."""
    return (bool(text) and len(text) > MIN_METADATA_ABSTRACT_CHARS and text not in teasers
            and not text.rstrip().endswith(TRUNCATION_MARKS))


# --- JSON-LD.


def jsonld_documents(tree: lxml.html.HtmlElement) -> Iterator[Any]:
    """Each parsable JSON-LD script; CDATA or comment wrappers removed, invalid JSON skipped."""
    for script in _JSONLD_XPATH(tree):
        text = _WRAPPER_END_RE.sub("", _WRAPPER_START_RE.sub("", script.text or ""))
        if not text.strip():
            continue
        try:
            yield json.loads(text, strict=False)
        except ValueError as exc:
            log.debug("invalid JSON-LD skipped: %s", exc)


def _types(node: dict[str, Any]) -> list[str]:
    raw = node.get("@type") or []
    names = raw if isinstance(raw, list) else [raw]
    return [str(n).rsplit("/", 1)[-1].rsplit(":", 1)[-1] for n in names]


def _nodes(doc: Any) -> Iterator[dict[str, Any]]:
    """Top-level nodes and those nested in @graph or mainEntity (not citations, parts or authors)."""
    if isinstance(doc, list):
        for item in doc:
            yield from _nodes(item)
    elif isinstance(doc, dict):
        yield doc
        for key in JSONLD_CONTAINERS:
            if key in doc:
                yield from _nodes(doc[key])


def article_node(docs: Iterable[Any]) -> dict[str, Any] | None:
    """The node describing the article: the most specific scholarly type wins, then document order."""
    best: tuple[int, dict[str, Any]] | None = None
    for doc in docs:
        for node in _nodes(doc):
            ranks = [JSONLD_TYPES.index(t) for t in _types(node) if t in JSONLD_TYPES]
            if ranks and (best is None or min(ranks) < best[0]):
                best = (min(ranks), node)
    return best[1] if best else None


def _strings(value: Any) -> list[str]:
    """Every string in a JSON-LD value: plain, a list, or `{"name"|"value"|"@value": ...}` objects."""
    if isinstance(value, str):
        return [value]
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return [str(value)]
    if isinstance(value, list):
        return [s for item in value for s in _strings(item)]
    if isinstance(value, dict):
        for key in ("value", "@value", "name"):
            if key in value:
                return _strings(value[key])
    return []


def _jsonld_doi(node: dict[str, Any]) -> str | None:
    for key in JSONLD_DOI_KEYS:
        doi = convert("doi", _strings(node.get(key)))
        if doi:
            return doi
    links = [s for key in JSONLD_LINK_KEYS for s in _strings(node.get(key)) if "doi.org/" in s]
    return convert("doi", links)


def _parents(node: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The isPartOf chain: issue, volume, periodical (bounded, in case of a cycle)."""
    part = node.get("isPartOf")
    for _ in range(5):
        if isinstance(part, list):
            part = next((p for p in part if isinstance(p, dict)), None)
        if not isinstance(part, dict):
            return
        yield part
        part = part.get("isPartOf")


def _jsonld_container_fields(node: dict[str, Any]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for part in _parents(node):
        for name, key in JSONLD_PART_FIELDS.items():
            found[name] = found.get(name) or convert(name, _strings(part.get(key)))
        if "Periodical" in _types(part):
            found["journal"] = found.get("journal") or convert("journal", _strings(part.get("name")))
            found["issn"] = found.get("issn") or convert("issn", _strings(part.get("issn")))
    return found


def _jsonld_author(value: Any) -> Author | None:
    if isinstance(value, str):
        return parse_author_name(value)
    if not isinstance(value, dict):
        return None
    if "Organization" in _types(value):
        name = clean_text(" ".join(_strings(value.get("name"))))
        return Author(collective=name) if name else None
    family, given = _strings(value.get("familyName")), _strings(value.get("givenName"))
    author = _person(family[0], given[0] if given else None) if family else None
    author = author or parse_author_name(" ".join(_strings(value.get("name"))))
    if author:
        author.affiliations = [a for a in (clean_text(s) for s in _strings(value.get("affiliation"))) if a]
    return author


def _jsonld_authors(node: dict[str, Any]) -> list[Author]:
    raw = node.get("author") or node.get("creator") or []
    items = raw if isinstance(raw, list) else [raw]
    return [a for a in map(_jsonld_author, items) if a]


def _jsonld(tree: lxml.html.HtmlElement, teasers: set[str]) -> dict[str, Any]:
    node = article_node(jsonld_documents(tree))
    if node is None:
        return {}
    found = {name: convert(name, [s for key in JSONLD_FIELDS[name] for s in _strings(node.get(key))])
             for name in JSONLD_FIELDS}
    found["doi"] = _jsonld_doi(node)
    found["authors"] = _jsonld_authors(node)
    found.update({k: v for k, v in _jsonld_container_fields(node).items() if v})
    return _finish(found, teasers)


# --- Merge.


def _candidates(page: Page) -> dict[str, dict[str, Any]]:
    meta = MetaTags(page.meta_pairs)
    teasers = teasers_of(meta)
    return {
        provenance.CITATION_META: _highwire(meta, teasers),
        provenance.JSON_LD: _jsonld(page.tree, teasers),
        provenance.DUBLIN_CORE: _dublin_core(meta, teasers),
        provenance.PRISM: _finish(fields_from_tags(meta, PRISM), teasers),
        provenance.OPENGRAPH: _finish(fields_from_tags(meta, OPEN_GRAPH), teasers),
    }


def embedded_metadata(page: Page, draft: Article) -> tuple[Article, dict[str, str]]:
    """Fill empty fields of `draft` (citation_* > JSON-LD > DC > PRISM > OG); say where each came from,
    in the returned dict and in the record's provenance."""
    sources: dict[str, str] = {}
    candidates = _candidates(page)
    for source in SOURCE_ORDER:
        for name, value in candidates[source].items():
            if name in sources or getattr(draft, name):
                continue
            if name == "pub_year" and sources.get("pub_date") != source:
                continue  # the year goes with the date it was read from
            setattr(draft, name, value)
            sources[name] = source
            draft.provenance[name] = source
    return draft, sources
