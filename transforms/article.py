"""The `Article` record: the one contract between parsers (transforms) and the warehouse."""

from __future__ import annotations

import json
import marshal
from dataclasses import asdict, dataclass, field, fields
from operator import attrgetter
from typing import Any

SOURCE_KINDS = ("text", "html", "pubmed_xml")


@dataclass(slots=True)
class Author:
    last: str | None = None
    fore: str | None = None
    initials: str | None = None
    collective: str | None = None
    affiliations: list[str] = field(default_factory=list)
    orcid: str | None = None


@dataclass(slots=True)
class AbstractSection:
    label: str | None
    text: str


@dataclass(slots=True)
class MeshTerm:
    descriptor: str
    major: bool = False
    qualifiers: list[str] = field(default_factory=list)
    ui: str | None = None  # the descriptor's MeSH unique identifier (D000818), when the source gives it


@dataclass(slots=True)
class OtherAbstract:
    """An abstract beside the main one (PubMed's OtherAbstract: another language, a plain-language summary)."""

    text: str
    type: str | None = None
    language: str | None = None


@dataclass(slots=True)
class ArticleLink:
    """A link to another article: PubMed's CommentsCorrections (ErratumIn, RetractionIn, CommentOn, ...)."""

    kind: str
    pmid: str | None = None
    note: str | None = None


@dataclass(slots=True)
class Article:
    """One document's parse. Unknown values stay None or empty: never guessed."""

    site: str
    source_kind: str
    source_url: str | None = None
    pmid: str | None = None
    pmcid: str | None = None
    doi: str | None = None
    title: str | None = None
    abstract: str | None = None
    abstract_sections: list[AbstractSection] = field(default_factory=list)
    journal: str | None = None
    journal_abbrev: str | None = None
    issn: str | None = None
    volume: str | None = None
    issue: str | None = None
    pages: str | None = None
    pub_date: str | None = None
    pub_year: int | None = None
    authors: list[Author] = field(default_factory=list)
    affiliations: list[str] = field(default_factory=list)
    keywords: list[str] = field(default_factory=list)
    mesh_terms: list[MeshTerm] = field(default_factory=list)
    publication_types: list[str] = field(default_factory=list)
    language: str | None = None
    vernacular_title: str | None = None
    other_abstracts: list[OtherAbstract] = field(default_factory=list)
    links: list[ArticleLink] = field(default_factory=list)
    pmid_version: int | None = None
    parser: str | None = None
    warnings: list[str] = field(default_factory=list)
    # Field name -> the source that filled it (transforms.provenance names them): "citation_meta", "json_ld",
    # "content", "site:nature", ... Describes the parse, like `parser`; not part of the article's metadata.
    provenance: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def to_json(self, **extra: Any) -> str:
        return json.dumps({**self.to_dict(), **extra}, ensure_ascii=False)

    def to_bytes(self) -> bytes:
        """A compact, deterministic encoding: `marshal` (version 0, no shared references) of the fields in order.

        The content hash of a record of a PubMed file, and the form parsed records travel in from worker
        processes to the writer: several times cheaper than `repr`, JSON or pickle of the dataclasses, which
        cost more than parsing. Like pickle, it is for data this program wrote, not for documents.
        """
        values = list(_ARTICLE_VALUES(self))
        for i, getter in _NESTED_VALUES:
            values[i] = [getter(x) for x in values[i]]
        return marshal.dumps(tuple(values), 0)

    @classmethod
    def from_bytes(cls, data: bytes) -> Article:
        values = list(marshal.loads(data))
        for i, kind in _NESTED_KINDS:
            values[i] = [kind(*x) for x in values[i]]
        return cls(*values)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Article:
        known = {f.name for f in fields(cls)}
        values = {k: v for k, v in data.items() if k in known}
        values["authors"] = [Author(**a) for a in values.get("authors") or []]
        values["abstract_sections"] = [AbstractSection(**s) for s in values.get("abstract_sections") or []]
        values["mesh_terms"] = [MeshTerm(**m) for m in values.get("mesh_terms") or []]
        values["other_abstracts"] = [OtherAbstract(**o) for o in values.get("other_abstracts") or []]
        values["links"] = [ArticleLink(**x) for x in values.get("links") or []]
        values["provenance"] = dict(values.get("provenance") or {})
        return cls(**values)


_ARTICLE_VALUES = attrgetter(*(f.name for f in fields(Article)))
_NESTED = {"abstract_sections": AbstractSection, "authors": Author, "mesh_terms": MeshTerm,
           "other_abstracts": OtherAbstract, "links": ArticleLink}
_INDEX = {f.name: i for i, f in enumerate(fields(Article))}
_NESTED_VALUES = [(_INDEX[name], attrgetter(*(f.name for f in fields(kind)))) for name, kind in _NESTED.items()]
_NESTED_KINDS = [(_INDEX[name], kind) for name, kind in _NESTED.items()]
