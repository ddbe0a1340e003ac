"""Field provenance: which source filled each `Article` field, so a wrong value points at the code to blame.

Sources: the embedded metadata kinds (`citation_meta`, `json_ld`, `dublin_core`, `prism`, `opengraph`,
`html_meta`), `content` (read from what the page shows), `text` (the generic plain-text extractor),
`pubmed_xml`, and `site:<name>` for what a site adapter set or corrected.
"""

from __future__ import annotations

import copy
from dataclasses import fields
from typing import Any

from transforms.article import Article

CITATION_META = "citation_meta"
JSON_LD = "json_ld"
DUBLIN_CORE = "dublin_core"
PRISM = "prism"
OPENGRAPH = "opengraph"
HTML_META = "html_meta"  # plain <meta name="keywords|description">
CONTENT = "content"
TEXT = "text"
PUBMED_XML = "pubmed_xml"

# What describes the parse rather than the article: never given a source.
UNTRACKED = frozenset({"site", "source_kind", "source_url", "parser", "warnings", "provenance"})
TRACKED = tuple(f.name for f in fields(Article) if f.name not in UNTRACKED)
# Fields computed from another one downstream (normalize.finalize): they share its source.
DERIVED = {"abstract_sections": "abstract", "pub_date": "pub_year"}


def site_source(name: str) -> str:
    return f"site:{name}"


def snapshot(article: Article) -> dict[str, Any]:
    """Tracked values, copied deep: an adapter may edit an author or a list in place."""
    return {name: copy.deepcopy(getattr(article, name)) for name in TRACKED}


def note(article: Article, name: str, source: str) -> None:
    """Record `source` for `name` (and what is derived from it); forget it when the field is empty."""
    if getattr(article, name):
        article.provenance[name] = source
        derived = DERIVED.get(name)
        if derived:
            article.provenance[derived] = source
    else:
        article.provenance.pop(name, None)


def note_changes(article: Article, before: dict[str, Any], source: str) -> Article:
    """Give `source` to every tracked field whose value differs from `before` (a `snapshot`)."""
    for name in TRACKED:
        if getattr(article, name) != before.get(name):
            note(article, name, source)
    return article


def note_filled(article: Article, source: str) -> Article:
    """Give `source` to every filled field that has none yet: a parser that fills the record alone."""
    for name in TRACKED:
        if getattr(article, name) and name not in article.provenance:
            note(article, name, source)
    return article
