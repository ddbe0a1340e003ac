"""One article, many sources: which records are the same article, and the best value of each field among them.

Pure rules over `Article` records, no I/O: the loader (bulk.py) reads the stored sources of the articles a batch
touches, asks this module, and writes what it answers. Two parts:

- matching (`SourceKeys`, `MatchIndex`): a record is the same article as a stored one when they share a PMID, else
  a DOI, else a PMCID, else the normalized title with the publication year, provided no identifier of an earlier
  kind contradicts it (the article has none of a kind the record has and did not match on) and, for a title, the
  first authors agree when both are known.
- merging (`merge`): each field from the best source that has it, by `priority`; the abstract is the longest clean
  one; keywords and warnings are the union. `chosen_from` says which source gave each field.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from itertools import combinations
from operator import attrgetter
from typing import Any

from transforms.article import Article

# Bibliographic priority: PubMed's curated XML, then a page's markup, then a text copy. Within one kind a later PMID
# version first, then the source loaded last (the newest record wins, as it did with one source per article).
KIND_RANK = {"pubmed_xml": 3, "html": 2, "text": 1}
# Fields taken together from one source, so a value and what goes with it never come from two documents.
# Authors come with the affiliations listed beside them: a page's unattributed list would repeat what the chosen
# authors carry. A group is taken from the best source with its first field, else the best with any of its fields.
GROUPS: tuple[tuple[str, ...], ...] = (
    ("pmid", "pmid_version"), ("pmcid",), ("doi",), ("source_url",), ("title",), ("vernacular_title",),
    ("journal",), ("journal_abbrev",), ("issn",), ("volume",), ("issue",), ("pages",), ("pub_year", "pub_date"),
    ("language",), ("authors", "affiliations"), ("mesh_terms",), ("publication_types",), ("other_abstracts",),
    ("links",),
)
ABSTRACT = ("abstract", "abstract_sections")
UNIONS = ("keywords", "warnings")
# Describe the document rather than the article: the primary (best) source's.
PRIMARY = ("site", "source_kind", "parser")
# Every Article field a merged row carries, so `chosen_from` can name a source for each.
FIELDS = tuple(f.name for f in fields(Article) if f.name != "provenance")
# `articles.chosen_from` stores a source's fields as a mask: bit i for FIELDS[i] (the SQL macro `chosen_fields`).
_FIELD_BITS = {name: 1 << i for i, name in enumerate(FIELDS)}
_FIELD_VALUES = attrgetter(*FIELDS)
# An abstract is not clean when it is a teaser: cut short with an ellipsis, or read from a page's description meta
# tag (html_meta, opengraph), which sites fill with the first sentences.
TEASER_ORIGINS = frozenset({"html_meta", "opengraph"})
TEASER_ENDINGS = ("...", "\u2026")
# Publication type and CommentsCorrections kinds PubMed uses for retractions.
RETRACTED_TYPE = "retracted publication"
RETRACTED_IN, RETRACTION_OF = "RetractionIn", "RetractionOf"
# A normalized title needs this many words to identify an article with its year: "Reply", "Erratum", "Letter to
# the editor" name too many articles.
MIN_TITLE_WORDS = 5
ID_KINDS = ("pmid", "doi", "pmcid")
_ID_VALUES = attrgetter(*ID_KINDS)
# The title buckets an article is indexed in, by the identifier kinds it has: "any" and "no_<kind>" for each it lacks.
_BUCKETS = {frozenset(has): ("any", *(f"no_{kind}" for kind in ID_KINDS if kind not in has))
            for n in range(len(ID_KINDS) + 1) for has in combinations(ID_KINDS, n)}
_COMBINING_RE = re.compile(r"[\u0300-\u036f]")
_WORD_RE = re.compile(r"[^\W_]+")


@dataclass(frozen=True, slots=True)
class Source:
    """A stored source of an article: the document's input, its load order (source id) and its parsed record."""

    input: str
    order: int
    record: Article


@dataclass(slots=True)
class Merged:
    """The article's row: values, which source gave each field (input, fields; best source first), retraction."""

    article: Article
    chosen_from: list[tuple[str, list[str]]]
    retracted: bool


def priority(source: Source) -> tuple[int, int, int]:
    """Higher first: source kind, then PMID version, then load order."""
    record = source.record
    return KIND_RANK.get(record.source_kind, 0), record.pmid_version or 0, source.order


def merge(sources: Sequence[Source]) -> Merged:
    """The article made of `sources` (at least one): each field by the rules above."""
    if not sources:
        raise ValueError("an article needs at least one source to merge")
    ranked = sorted(sources, key=priority, reverse=True)
    if len(ranked) == 1:
        return _single(ranked[0])
    values: dict[str, Any] = {}
    chosen: dict[str, list[str]] = {}
    primary = ranked[0]
    for name in PRIMARY:
        _take(values, chosen, (name,), primary)
    for group in GROUPS:
        _take(values, chosen, group, _best_for(ranked, group))
    _take(values, chosen, ABSTRACT, best_abstract(ranked))
    for name in UNIONS:
        values[name], contributors = union([getattr(s.record, name) for s in ranked])
        if values[name]:
            chosen[name] = [ranked[i].input for i in contributors]
    by_input = {s.input: s.record.provenance for s in ranked}
    values["provenance"] = {name: by_input[inputs[0]][name] for name, inputs in chosen.items()
                            if len(inputs) == 1 and name in by_input[inputs[0]]}
    article = Article(**values)
    return Merged(article, _by_source(ranked, chosen), is_retracted(article))


def _single(source: Source) -> Merged:
    """One source: its record as it is (what the general rules give for one source, without copying)."""
    record = source.record
    named = [name for name, value in zip(FIELDS, _FIELD_VALUES(record), strict=True) if value or name in PRIMARY]
    return Merged(record, [(source.input, named)], is_retracted(record))


def _best_for(ranked: Sequence[Source], group: tuple[str, ...]) -> Source:
    lead = next((s for s in ranked if getattr(s.record, group[0])), None)
    return lead or next((s for s in ranked if any(getattr(s.record, name) for name in group)), ranked[0])


def _take(values: dict[str, Any], chosen: dict[str, list[str]], group: tuple[str, ...], source: Source) -> None:
    for name in group:
        values[name] = getattr(source.record, name)
        if values[name] or name in PRIMARY:
            chosen[name] = [source.input]


def best_abstract(ranked: Sequence[Source]) -> Source:
    """The source with the longest clean abstract (ties: the better source), else the best with any abstract."""
    clean = [s for s in ranked if s.record.abstract and is_clean_abstract(s.record)]
    if clean:
        return max(clean, key=lambda s: len(s.record.abstract or ""))  # max keeps the first of equals
    return next((s for s in ranked if s.record.abstract), ranked[0])


def is_clean_abstract(record: Article) -> bool:
    text = (record.abstract or "").rstrip()
    return not text.endswith(TEASER_ENDINGS) and record.provenance.get("abstract") not in TEASER_ORIGINS


def union(lists: Sequence[list[Any]]) -> tuple[list[Any], list[int]]:
    """The first list as it is, then each value of the others not yet in (case-insensitive); who contributed."""
    out = list(lists[0]) if lists else []
    contributors = [0] if out else []
    seen = {_fold(v) for v in out}
    for i, values in enumerate(lists[1:], 1):
        added = [v for v in values if _fold(v) not in seen]
        for v in added:
            seen.add(_fold(v))
        if added:
            out += _unique(added)
            contributors.append(i)
    return out, contributors


def _unique(values: list[Any]) -> list[Any]:
    seen: set[Any] = set()
    return [v for v in values if not (_fold(v) in seen or seen.add(_fold(v)))]


def _fold(value: Any) -> Any:
    return value.casefold() if isinstance(value, str) else value


def field_mask(names: Iterable[str]) -> int:
    """The bit mask `articles.chosen_from` stores for these fields (migration 0009)."""
    return sum(_FIELD_BITS[name] for name in names)


def _by_source(ranked: Sequence[Source], chosen: dict[str, list[str]]) -> list[tuple[str, list[str]]]:
    """field -> inputs, turned into (input, fields) in priority order, fields in Article order."""
    out = []
    for source in ranked:
        named = [name for name in FIELDS if source.input in chosen.get(name, ())]
        if named:
            out.append((source.input, named))
    return out


# ---------------------------------------------------------------- retractions


def is_retracted(record: Article) -> bool:
    """The record says it is retracted: PubMed's "Retracted Publication" type or a RetractionIn link."""
    return any(t.casefold() == RETRACTED_TYPE for t in record.publication_types if isinstance(t, str)) \
        or any(link.kind == RETRACTED_IN for link in record.links)


def retraction_targets(record: Article) -> set[str]:
    """PMIDs a retraction notice retracts (its RetractionOf links)."""
    return {link.pmid for link in record.links if link.kind == RETRACTION_OF and link.pmid}


# ---------------------------------------------------------------- matching


def title_key(title: str | None) -> str | None:
    """Lower case, accents and punctuation dropped, words joined by one space; None when too short to match on."""
    if not title:
        return None
    words = _words(title)
    return " ".join(words) if len(words) >= MIN_TITLE_WORDS else None


def _words(text: str) -> list[str]:
    """Lower-case words without accents (ASCII text has none to drop: decomposing it changes nothing)."""
    if text.isascii():
        return _WORD_RE.findall(text.lower())
    return _WORD_RE.findall(_COMBINING_RE.sub("", unicodedata.normalize("NFKD", text)).lower())


def first_author_key(record: Article) -> str | None:
    """The first author's last name (or collective name), normalized like a title."""
    if not record.authors:
        return None
    first = record.authors[0]
    name = first.last or first.collective or first.fore
    if not isinstance(name, str):
        return None
    return " ".join(_words(name)) or None


@dataclass(frozen=True, slots=True)
class SourceKeys:
    """What a source is matched by."""

    pmid: str | None = None
    doi: str | None = None
    pmcid: str | None = None
    title_key: str | None = None
    pub_year: int | None = None
    first_author: str | None = None

    @classmethod
    def of(cls, record: Article) -> SourceKeys:
        return cls(record.pmid or None, record.doi or None, record.pmcid or None, title_key(record.title),
                   record.pub_year, first_author_key(record))

    @property
    def title(self) -> tuple[str, int] | None:
        return (self.title_key, self.pub_year) if self.title_key and self.pub_year else None


@dataclass(slots=True)
class _ArticleKeys:
    """An article's keys: the union of its sources'."""

    ids: dict[str, set[str]] = field(default_factory=dict)
    titles: set[tuple[str, int]] = field(default_factory=set)
    first_authors: set[str] = field(default_factory=set)
    kinds: frozenset[str] = frozenset()  # the identifier kinds it has: a compatibility check is one set operation

    @classmethod
    def of(cls, keys: Iterable[SourceKeys]) -> _ArticleKeys:
        ids: dict[str, set[str]] = {kind: set() for kind in ID_KINDS}
        titles, first_authors = set(), set()
        for k in keys:
            for kind, value in zip(ID_KINDS, _ID_VALUES(k), strict=True):
                if value:
                    ids[kind].add(value)
            title = k.title
            if title:
                titles.add(title)
            if k.first_author:
                first_authors.add(k.first_author)
        return cls(ids, titles, first_authors, frozenset(kind for kind in ID_KINDS if ids[kind]))


class MatchIndex:
    """Articles by their sources' keys, to find the article a new record belongs to (`find`)."""

    def __init__(self) -> None:
        self._articles: dict[int, _ArticleKeys] = {}
        # kind -> value -> the identifier kinds of the articles holding it -> their ids: many articles can share a
        # value (copies sharing a PMCID), and only those without an identifier of an earlier kind can match
        self._ids: dict[str, dict[str, dict[frozenset[str], set[int]]]] = {kind: {} for kind in ID_KINDS}
        # (title key, year) -> "any" and "no_<kind>" (the articles without that kind of identifier) -> article ids
        self._titles: dict[tuple[str, int], dict[str, set[int]]] = {}

    def put(self, article_id: int, keys: Iterable[SourceKeys]) -> None:
        """Index `article_id` under its sources' keys, replacing what it had; no keys remove it."""
        self.remove(article_id)
        found = _ArticleKeys.of(keys)
        self._articles[article_id] = found
        for kind in ID_KINDS:
            for value in found.ids[kind]:
                self._ids[kind].setdefault(value, {}).setdefault(found.kinds, set()).add(article_id)
        for title in found.titles:
            bucket = self._titles.setdefault(title, {})
            for name in self._buckets(found):
                bucket.setdefault(name, set()).add(article_id)

    def remove(self, article_id: int) -> None:
        found = self._articles.pop(article_id, None)
        if found is None:
            return
        for kind in ID_KINDS:
            for value in found.ids[kind]:
                groups = self._ids[kind][value]
                _discard(groups, found.kinds, article_id)
                if not groups:
                    del self._ids[kind][value]
        for title in found.titles:
            bucket = self._titles[title]
            for name in self._buckets(found):
                _discard(bucket, name, article_id)
            if not bucket:
                del self._titles[title]

    def find(self, keys: SourceKeys) -> int | None:
        """The article sharing the record's PMID, else DOI, else PMCID, else its title and year (smallest id).

        Past the PMID, an article is the record's only if no identifier of an earlier kind contradicts: looked up
        first and not found, any value of that kind on the article differs from the record's.
        """
        ids = self._ids
        pmid, doi, pmcid = keys.pmid, keys.doi, keys.pmcid
        if not ((pmid and pmid in ids["pmid"]) or (doi and doi in ids["doi"]) or (pmcid and pmcid in ids["pmcid"])):
            title = keys.title
            if not title or title not in self._titles:
                return None  # no key known: the common case of a new article, decided without the lists below
        have = [(kind, value) for kind, value in zip(ID_KINDS, (pmid, doi, pmcid), strict=True) if value]
        articles = self._articles
        for n, (kind, value) in enumerate(have):
            groups = self._ids[kind].get(value, {})
            earlier = [k for k, _ in have[:n]]
            found = [i for kinds, ids in groups.items() if kinds.isdisjoint(earlier) for i in ids]
            if found:
                return min(found)
        bucket = self._titles.get(keys.title) if keys.title else None
        if not bucket:
            return None
        pool = bucket.get(f"no_{have[0][0]}" if have else "any", ())
        kinds = [k for k, _ in have]
        found = [i for i in pool if articles[i].kinds.isdisjoint(kinds)
                 and self._same_first_author(articles[i], keys)]
        return min(found) if found else None

    @staticmethod
    def _buckets(found: _ArticleKeys) -> tuple[str, ...]:
        return _BUCKETS[found.kinds]

    @staticmethod
    def _same_first_author(found: _ArticleKeys, keys: SourceKeys) -> bool:
        """The first authors agree, or one side does not know its first author."""
        return not (keys.first_author and found.first_authors and keys.first_author not in found.first_authors)


def _discard(index: dict[Any, set[int]], key: Any, article_id: int) -> None:
    ids = index.get(key)
    if ids is not None:
        ids.discard(article_id)
        if not ids:
            del index[key]
