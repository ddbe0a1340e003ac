"""Streaming parser of PubMed XML (EFetch, baseline and update files, old MedlineCitationSet) into `Article` records.

`iter_pubmed` walks a file record by record with `lxml.etree.iterparse`, so memory stays flat for a
1 GB baseline file: each record element is cleared after use and its finished siblings are dropped.
No DTD is loaded, no entity is expanded, nothing is fetched from the network.

A PMID may occur several times in one file (an update file re-issues a citation, `<PMID Version="2">`
is a new version): every occurrence is yielded in file order with `pmid_version` set, and the caller
keeps the latest (the last occurrence of the highest version).
"""

from __future__ import annotations

import io
import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import BinaryIO

from lxml import etree

from transforms.article import AbstractSection, Article, ArticleLink, MeshTerm, OtherAbstract
from transforms.errors import ParseError
from transforms.normalize import (
    MONTHS,
    AuthorParts,
    abstract_from_sections,
    all_clean,
    clean_authors,
    clean_text,
    clean_title,
    normalize_doi,
    normalize_language,
    normalize_pages,
    trim_title,
    unique_clean,
)

log = logging.getLogger(__name__)

PARSER = "litingest.pubmed_xml"
# 1. The record elements, and the roots a PubMed XML file may have.
RECORD_TAGS = ("PubmedArticle", "PubmedBookArticle", "MedlineCitation", "DeleteCitation")
ROOT_TAGS = frozenset({"PubmedArticleSet", "MedlineCitationSet", "PubmedBookArticleSet"})
# 2. Inline markup: MathML is reduced to its tokens joined without layout white space.
MATHML_NS = "{http://www.w3.org/1998/Math/MathML}"
# 3. CommentsCorrections kinds that are not links about the article itself ("Cites" is the reference list).
LINK_KINDS_SKIPPED = frozenset({"Cites"})
SEVERAL_LANGUAGES = "several languages: "
# 4. Reading: the head read before parsing names the root element (HTML pages and E-utility answers are
# refused before parsing); a line longer than TAIL_KEEP bytes is only judged approximately when truncated.
HEAD_BYTES = 64 * 1024
TAIL_KEEP = 64 * 1024
# 5. What PubMed writes where it has no value (NLM's MEDLINE/PubMed element descriptions): an ArticleTitle of a
# record whose English title is not there yet or not known, also appended to a title in records up to about 2000;
# the Label of the first segment of a structured abstract that has no label in the article.
TITLE_PLACEHOLDERS = frozenset({"[in process citation]", "[not available]", "not available"})
IN_PROCESS_SUFFIX = " [in process citation]"
UNLABELLED = "UNLABELLED"
_ROOT_RE = re.compile(rb"<([A-Za-z_][\w.\-]*)[\s/>]")
_PROLOG_RE = re.compile(rb"<!--.*?-->|<\?.*?\?>|<!DOCTYPE[^\[>]*(?:\[.*?\])?\s*>", re.S)
_ORCID_RE = re.compile(r"(?<!\d)(\d{4})[-\s]?(\d{4})[-\s]?(\d{4})[-\s]?(\d{3}[\dXx])(?![\dXx])")
_YEAR_RE = re.compile(r"\b(\d{4})\b")
_MEDLINE_DATE_RE = re.compile(r"^\s*(\d{4})\s+([A-Za-z]+)")
_FIRST_WORD_RE = re.compile(r"\s*([A-Za-z]+)")
# The records to listen for, by root: a MedlineCitation inside a PubmedArticle is no record of its own.
TAGS_BY_ROOT = {
    "PubmedArticleSet": ("PubmedArticle", "PubmedBookArticle", "DeleteCitation"),
    "PubmedBookArticleSet": ("PubmedBookArticle", "DeleteCitation"),
    "MedlineCitationSet": ("MedlineCitation", "DeleteCitation"),
}
_PARSE_OPTIONS = dict(
    events=("end",),
    resolve_entities=False,
    no_network=True,
    load_dtd=False,
    dtd_validation=False,
    huge_tree=True,
    remove_comments=True,
    remove_pis=True,
)


@dataclass(slots=True)
class Deletion:
    """A `DeleteCitation`: these PMIDs are withdrawn from PubMed and must be removed."""

    pmids: list[str]


@dataclass(slots=True)
class RecordError:
    """One record of a file that could not be read; the rest of the file goes on."""

    name: str
    pmid: str | None
    reason: str

    def __str__(self) -> str:
        where = f"{self.name}: PMID {self.pmid}" if self.pmid else self.name
        return f"{where}: {self.reason}"


PubmedRecord = Article | Deletion | RecordError


def parse_pubmed_bytes(body: bytes, name: str) -> list[PubmedRecord]:
    """Every record of an (unpacked) PubMed XML document, in file order."""
    return list(iter_pubmed(io.BytesIO(body), name))


def iter_pubmed(source: BinaryIO, name: str) -> Iterator[PubmedRecord]:
    """Yield each citation of a PubMed XML stream as an `Article`, each `DeleteCitation` as a `Deletion`.

    `source` is a binary file object (open `.gz` files with gzip first). A record that cannot be read
    is yielded as a `RecordError`. A stream that is not PubMed XML, or is cut short, raises `ParseError`
    (stage "parse"); records before a truncation have been yielded by then. A PMID occurring several
    times (versions, re-issued citations) is yielded each time: the caller keeps the latest.
    """
    reader = _Reader(source)
    root = _check_head(reader.head, name)
    context = etree.iterparse(reader, tag=TAGS_BY_ROOT.get(root or "", RECORD_TAGS), **_PARSE_OPTIONS)
    checked = False
    try:
        for _, el in context:
            if not checked:
                _check_root(el.getroottree().getroot(), name)
                checked = True
            record = _read_record(el, name)
            if record is None:
                continue
            yield record
            _release(el)
    except etree.XMLSyntaxError as exc:
        raise ParseError(name, _syntax_reason(exc, reader), stage="parse") from exc
    if not checked:
        _check_root(context.root, name)


class _Reader:
    """A file object that hands lxml the head read beforehand, then the rest, and can tell where the data ends.

    Where the data ends (its line count and last line) only matters to an error message, and counting lines
    as they pass cost about 5 us a record of a baseline file: a seekable stream is counted when asked, by
    reading the same pieces again; any other stream as it is read.
    """

    def __init__(self, source: BinaryIO) -> None:
        self.source = source
        self.start = _position(source)
        self.head = source.read(HEAD_BYTES) or b""
        self.pending = self.head
        self.sizes: list[int] | None = None if self.start is None else []  # the pieces handed out, to read again
        self.counted = _LineCount()
        self.eof = False

    def read(self, size: int = -1) -> bytes:
        if self.pending:
            chunk, self.pending = self.pending, b""
        else:
            chunk = self.source.read(size if size and size > 0 else HEAD_BYTES) or b""
        if not chunk:
            self.eof = True
            return b""
        if self.sizes is None:
            self.counted.add(chunk)
        else:
            self.sizes.append(len(chunk))
        return chunk

    def end(self) -> _LineCount:
        """The line count and last line of the data handed out so far."""
        if self.sizes is None:
            return self.counted
        count, at = _LineCount(), self.source.tell()
        self.source.seek(self.start)
        for size in self.sizes:
            count.add(_read_exactly(self.source, size))
        self.source.seek(at)
        return count


class _LineCount:
    """Lines seen in the pieces added, and the last line (its last TAIL_KEEP bytes when it is longer)."""

    def __init__(self) -> None:
        self.lines = 1
        self.tail = b""

    def add(self, chunk: bytes) -> None:
        newlines = chunk.count(b"\n")
        if newlines:
            self.lines += newlines
            self.tail = chunk[chunk.rfind(b"\n") + 1 :]
        else:
            self.tail = (self.tail + chunk)[-TAIL_KEEP:]


def _position(source: BinaryIO) -> int | None:
    """Where a seekable stream is, or None."""
    try:
        return source.tell() if source.seekable() else None
    except (AttributeError, OSError, ValueError):
        return None


def _read_exactly(source: BinaryIO, size: int) -> bytes:
    parts = []
    while size > 0 and (part := source.read(size)):
        parts.append(part)
        size -= len(part)
    return b"".join(parts)


def _check_head(head: bytes, name: str) -> str | None:
    """The root element's name as the head shows it; an empty, non-XML or non-PubMed head is refused."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not text:
        raise ParseError(name, "empty document", stage="parse")
    if not text.startswith(b"<") and not head.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise ParseError(name, f"not XML: starts with {text[:40]!r}", stage="parse")
    m = _ROOT_RE.search(_PROLOG_RE.sub(b"", head))
    if not m:
        return None
    root = m.group(1).decode("ascii", "replace")
    _refuse_root(root, name, head)
    return root


def _check_root(root: etree._Element | None, name: str) -> None:
    if root is None:
        raise ParseError(name, "not XML: no root element", stage="parse")
    _refuse_root(etree.QName(root).localname, name, b"")


def _refuse_root(tag: str, name: str, head: bytes) -> None:
    if tag in ROOT_TAGS:
        return
    if tag.lower() == "html":
        raise ParseError(name, "not XML: an HTML page (<html>), not a PubMed XML file", stage="parse")
    reason = f"not PubMed XML: root element <{tag}>"
    errors = re.findall(rb"<ERROR>(.*?)</ERROR>", head, re.S)
    if errors:
        reason += " with ERROR " + "; ".join(e.decode("utf-8", "replace").strip() for e in errors)
    raise ParseError(name, reason, stage="parse")


def _syntax_reason(exc: etree.XMLSyntaxError, reader: _Reader) -> str:
    line, column = exc.position if exc.position else (exc.lineno, 0)
    if exc.code == 77 or (reader.eof and _at_end(line, column, reader.end())):
        return f"truncated XML at line {line} ({exc.msg})"
    if not _ROOT_RE.search(reader.head):
        return f"not XML: {exc.msg}"
    return f"malformed XML at line {line}: {exc.msg}"


def _at_end(line: int, column: int, end: _LineCount) -> bool:
    return line >= end.lines and column > len(end.tail.decode("utf-8", "ignore"))


def _release(el: etree._Element) -> None:
    """Free a finished record and everything before it, so memory stays flat over a large file."""
    el.clear(keep_tail=False)
    parent = el.getparent()
    if parent is None:
        return
    while el.getprevious() is not None:
        del parent[0]


def _read_record(el: etree._Element, name: str) -> PubmedRecord | None:
    tag = el.tag
    if tag == "MedlineCitation":
        parent = el.getparent()
        if parent is not None and parent.tag != "MedlineCitationSet":
            return None  # part of a PubmedArticle: read when that ends
    try:
        if tag == "DeleteCitation":
            return Deletion([p for p in (clean_text(x.text) for x in el.iterfind("PMID")) if p])
        return _finalize(_BUILDERS[tag](el))
    except Exception as exc:  # one bad record must not stop the file
        log.debug("record of %s not read", name, exc_info=True)
        return RecordError(name, _any_pmid(el), f"{type(exc).__name__}: {exc}")


def _any_pmid(el: etree._Element) -> str | None:
    """The PMID of a record that could not be read, wherever it can still be found."""
    pmid = el.findtext(".//PMID") or el.findtext("PubmedData/ArticleIdList/ArticleId[@IdType='pubmed']")
    return clean_text(pmid)


# ---------------------------------------------------------------- text


def text_of(el: etree._Element | None) -> str:
    """An element's text with inline markup dropped (no spaces added) and MathML as its tokens."""
    if el is None:
        return ""
    if not len(el):
        return el.text or ""
    parts: list[str] = []
    _walk(el, parts)
    return "".join(parts)


def _walk(el: etree._Element, parts: list[str]) -> None:
    if el.text:
        parts.append(el.text)
    for child in el:
        tag = child.tag
        if isinstance(tag, str):  # entity references, comments and PIs contribute nothing
            if tag.startswith(MATHML_NS):
                parts.append(_math_text(child))
            else:
                _walk(child, parts)
        if child.tail:
            parts.append(child.tail)


def _math_text(el: etree._Element) -> str:
    """MathML as its tokens in reading order: layout white space dropped, `<mtext> </mtext>` kept as a space."""
    parts: list[str] = []
    _math_walk(el, parts)
    return "".join(parts)


def _math_walk(el: etree._Element, parts: list[str]) -> None:
    name = el.tag.rpartition("}")[2] if isinstance(el.tag, str) else ""
    if name == "mtext":
        text = el.text or ""
        parts.append(" ".join(text.split()) or (" " if text else ""))
    elif el.text and el.text.strip():
        parts.append(el.text.strip())
    children = [c for c in el if isinstance(c.tag, str)]
    if name == "mmultiscripts":  # base, post-scripts, <mprescripts/>, pre-scripts: pre-scripts read first
        marks = [i for i, c in enumerate(children) if c.tag.endswith("mprescripts")]
        if marks:
            children = children[marks[0] + 1 :] + children[: marks[0]]
    for child in children:
        _math_walk(child, parts)


def _child(el: etree._Element, tag: str) -> etree._Element | None:
    """The first child named `tag` (a loop over children: several times faster than `find`)."""
    for child in el:
        if child.tag == tag:
            return child
    return None


def _child_text(el: etree._Element, tag: str) -> str | None:
    """The text of the first child named `tag`."""
    for child in el:
        if child.tag == tag:
            return child.text
    return None


# ---------------------------------------------------------------- records
# Each reader walks an element's children once and dispatches on the tag: `find` and `findtext` go
# through lxml's ElementPath and cost about a microsecond a call, which dominates a baseline file.
# Lists (authors, MeSH terms, keywords, abstract sections) are stored as `finalize` would leave them, by its
# helpers, as they are read; scalars are left raw and `_finalize` applies the rest of its rules once. So no
# value is cleaned twice and no list is rebuilt: normalization was a quarter of a baseline file's parse.


def _new_article() -> Article:
    return Article("pubmed", "pubmed_xml", parser=PARSER)


def _pubmed_article(el: etree._Element) -> Article:
    a, ids = None, None
    for child in el:
        tag = child.tag
        if tag == "MedlineCitation":
            a = _medline_citation(child)
        elif tag == "PubmedData":
            ids = _child(child, "ArticleIdList")
    if a is None:
        raise ValueError("PubmedArticle without MedlineCitation")
    if ids is not None:
        a.pmcid = None  # the record's own ArticleIdList is the authority, not MedlineCitation/OtherID
        _read_ids(a, ids)
    return a


def _medline_citation(cit: etree._Element) -> Article:
    a = _new_article()
    medline_ta = None
    for child in cit:
        tag = child.tag
        if tag == "Article":
            _read_journal_article(a, child)
        elif tag == "PMID":
            _read_pmid(a, child)
        elif tag == "MeshHeadingList":
            a.mesh_terms = _mesh_terms(child)
        elif tag == "KeywordList":
            _read_keywords(a, child)
        elif tag == "MedlineJournalInfo":
            medline_ta = _child_text(child, "MedlineTA")
        elif tag == "OtherAbstract":
            _add_other_abstract(a, child)
        elif tag == "CommentsCorrectionsList":
            a.links = _links(child)
        elif tag == "OtherID" and a.pmcid is None:
            a.pmcid = _pmcid_from_other_id(child)
    if not clean_text(a.journal_abbrev):
        a.journal_abbrev = medline_ta
    return a


def _book_article(el: etree._Element) -> Article:
    a = _new_article()
    doc = el.find("BookDocument")
    if doc is None:
        raise ValueError("PubmedBookArticle without BookDocument")
    book_title, book_authors = None, []
    for child in doc:
        tag = child.tag
        if tag == "PMID":
            _read_pmid(a, child)
        elif tag == "ArticleTitle":
            a.title = text_of(child)
        elif tag == "Book":
            book_title = text_of(child.find("BookTitle"))
            a.pub_date, a.pub_year = _pub_date(child.find("PubDate"))
            book_authors = [x for x in child if x.tag == "AuthorList"]
        elif tag in _COMMON_READERS:
            _COMMON_READERS[tag](a, child)
        elif tag == "ArticleIdList":
            _read_ids(a, child)
    a.title = a.title if clean_text(a.title) else book_title
    if not a.authors:  # a whole book: the Book's authors are the record's (its editors are not)
        for author_list in book_authors:
            _read_authors(a, author_list)
    _read_ids(a, el.find("PubmedBookData/ArticleIdList"))
    return a


_BUILDERS = {
    "PubmedArticle": _pubmed_article,
    "PubmedBookArticle": _book_article,
    "MedlineCitation": _medline_citation,
}


def _finalize(a: Article) -> Article:
    """`finalize`'s rules for the values left raw, with the record's oddities noted as warnings.

    Unlike `finalize`, keywords keep their repeats and trailing punctuation, and empty labelled sections stay:
    PubMed means them as written (tests/transforms/test_pubmed_xml.py names these as the only differences).
    """
    if not a.pmid:
        a.warnings.append("record without a PMID")
    title = clean_text(a.title)
    if title and (title[-1] == "]" or title[-2:] == "]." or title[0] in "Nn"):  # a placeholder's last or first letter
        title = _without_placeholder(title, a.warnings)
    if not title and a.vernacular_title:
        a.warnings.append("empty ArticleTitle: title taken from VernacularTitle")
        title = clean_text(a.vernacular_title)
    a.title = trim_title(title)
    if a.vernacular_title is not None:
        a.vernacular_title = clean_title(a.vernacular_title)
    scalars = (a.pmid, a.pmcid, a.journal, a.journal_abbrev, a.issn, a.volume, a.issue)
    if not all_clean([value for value in scalars if value is not None]):
        a.pmid, a.pmcid, a.journal, a.journal_abbrev, a.issn, a.volume, a.issue = map(clean_text, scalars)
    a.doi = normalize_doi(a.doi)
    a.pages = normalize_pages(a.pages)
    a.affiliations = unique_clean(a.affiliations)
    a.publication_types = unique_clean(a.publication_types)
    normalize_language(a)
    return a


def _without_placeholder(title: str, warnings: list[str]) -> str | None:
    """A (cleaned) title without PubMed's "no title yet" placeholder: None when it is nothing else."""
    bare = title.rstrip(".")
    key = bare.lower()
    if key in TITLE_PLACEHOLDERS:
        warnings.append(f"ArticleTitle is PubMed's placeholder {title!r}")
        return None
    if key.endswith(IN_PROCESS_SUFFIX):
        return bare[: -len(IN_PROCESS_SUFFIX)].rstrip() or None
    return title


def _read_pmid(a: Article, pmid: etree._Element) -> None:
    a.pmid = pmid.text
    version = pmid.get("Version")
    a.pmid_version = int(version) if version and version.isdigit() else None


def _read_journal_article(a: Article, art: etree._Element) -> None:
    for child in art:
        tag = child.tag
        if tag == "ArticleTitle":
            a.title = text_of(child)
        elif tag == "Journal":
            _read_journal(a, child)
        elif tag in _COMMON_READERS:
            _COMMON_READERS[tag](a, child)
        elif tag == "ELocationID":
            if a.doi is None and child.get("EIdType") == "doi" and child.get("ValidYN") != "N":
                a.doi = child.text  # replaced by PubmedData's ArticleIdList when that has one
        elif tag == "Affiliation":  # the pre-2014 article-level affiliation
            a.affiliations.append(text_of(child))


def _read_journal(a: Article, journal: etree._Element) -> None:
    for child in journal:
        tag = child.tag
        if tag == "Title":
            a.journal = child.text
        elif tag == "ISOAbbreviation":
            a.journal_abbrev = child.text
        elif tag == "ISSN":
            a.issn = a.issn or child.text
        elif tag == "JournalIssue":
            for part in child:
                if part.tag == "Volume":
                    a.volume = part.text
                elif part.tag == "Issue":
                    a.issue = part.text
                elif part.tag == "PubDate":
                    a.pub_date, a.pub_year = _pub_date(part)


def _read_ids(a: Article, ids: etree._Element | None) -> None:
    """The first DOI and PMC id of an ArticleIdList; they win over ELocationID and OtherID."""
    if ids is None:
        return
    doi = pmc = None
    for x in ids:
        kind = x.get("IdType")
        if kind == "doi":
            doi = doi or clean_text(x.text)
        elif kind == "pmc":
            pmc = pmc or clean_text(x.text)
    a.doi = doi or a.doi
    if pmc:
        a.pmcid = f"PMC{pmc}" if pmc.isdigit() else pmc.upper()


def _pmcid_from_other_id(el: etree._Element) -> str | None:
    """Old MEDLINE files give the PMC id only as `<OtherID Source="NLM">PMC4688405 [Available on ...]`."""
    value = (el.text or "").strip()
    return value.split()[0].upper() if value.upper().startswith("PMC") else None


# ---------------------------------------------------------------- parts shared by articles and books


def _read_abstract(a: Article, abstract: etree._Element) -> None:
    """The sections as `finalize` leaves them, then each empty labelled one put back at its place."""
    sections, empty = [], []
    for i, x in enumerate(x for x in abstract if x.tag == "AbstractText"):
        label, text = x.get("Label") or None, clean_text(text_of(x))
        if label == UNLABELLED:
            label = None
        if text:
            sections.append(AbstractSection(clean_text(label.rstrip(" :")) if label else None, text))
        elif label:
            empty.append((i, label))
    a.abstract = abstract_from_sections(sections) if sections else None
    for i, label in empty:
        sections.insert(i, AbstractSection(clean_text(label.rstrip(" :")), ""))
    a.abstract_sections = sections


def _sections(abstract: etree._Element) -> list[AbstractSection]:
    return [AbstractSection(_label(x), text_of(x)) for x in abstract if x.tag == "AbstractText"]


def _label(section: etree._Element) -> str | None:
    label = section.get("Label") or None
    return None if label == UNLABELLED else label


def _read_authors(a: Article, author_list: etree._Element) -> None:
    if author_list.get("Type") in (None, "authors"):  # not the editors of a book
        a.authors += clean_authors([_author(x) for x in author_list if x.tag == "Author" and x.get("ValidYN") != "N"])


def _read_language(a: Article, el: etree._Element) -> None:
    """The first Language is the article's; more are noted as one warning."""
    language = clean_text(el.text)
    if not language:
        return
    if a.language is None:
        a.language = language
        return
    for i, warning in enumerate(a.warnings):
        if warning.startswith(SEVERAL_LANGUAGES):
            a.warnings[i] = f"{warning}, {language}"
            return
    a.warnings.append(f"{SEVERAL_LANGUAGES}{a.language}, {language}")


def _read_publication_types(a: Article, el: etree._Element) -> None:
    a.publication_types.extend(text_of(p) for p in el if p.tag == "PublicationType")


def _read_publication_type(a: Article, el: etree._Element) -> None:
    a.publication_types.append(text_of(el))


def _read_keywords(a: Article, el: etree._Element) -> None:
    keywords = [text_of(x) for x in el if x.tag == "Keyword"]
    a.keywords += keywords if all_clean(keywords) else [k for k in map(clean_text, keywords) if k]


def _read_vernacular_title(a: Article, el: etree._Element) -> None:
    a.vernacular_title = clean_text(text_of(el))


def _read_pagination(a: Article, el: etree._Element) -> None:
    """MedlinePgn; without it (the DTD allows StartPage and EndPage alone), `StartPage-EndPage`."""
    a.pages = _child_text(el, "MedlinePgn") or _start_end(el)


def _start_end(el: etree._Element) -> str | None:
    start, end = clean_text(_child_text(el, "StartPage")), clean_text(_child_text(el, "EndPage"))
    return f"{start}-{end}" if start and end and end != start else start


_COMMON_READERS = {
    "Abstract": _read_abstract,
    "AuthorList": _read_authors,
    "Language": _read_language,
    "PublicationTypeList": _read_publication_types,
    "PublicationType": _read_publication_type,
    "KeywordList": _read_keywords,
    "VernacularTitle": _read_vernacular_title,
    "Pagination": _read_pagination,
}


def _add_other_abstract(a: Article, el: etree._Element) -> None:
    sections = [AbstractSection(clean_text(s.label), clean_text(s.text) or "") for s in _sections(el)]
    text = abstract_from_sections([s for s in sections if s.text])
    if text:
        a.other_abstracts.append(OtherAbstract(text=text, type=el.get("Type"), language=el.get("Language")))


def _author(el: etree._Element) -> AuthorParts:
    last = fore = initials = collective = orcid = None
    affiliations: list[str] = []
    for child in el:
        tag = child.tag
        if tag == "LastName":
            last = child.text
        elif tag == "ForeName" or tag == "FirstName":
            fore = child.text
        elif tag == "Initials":
            initials = child.text
        elif tag == "AffiliationInfo":
            for x in child:
                if x.tag == "Affiliation":
                    affiliations.append(text_of(x))
        elif tag == "CollectiveName":
            collective = text_of(child)
        elif tag == "Affiliation":
            affiliations.append(text_of(child))
        elif tag == "Identifier" and orcid is None and (child.get("Source") or "").upper() == "ORCID":
            orcid = _orcid(child.text)
    return last, fore, initials, collective, affiliations, orcid


def _orcid(value: str | None) -> str | None:
    """`https://orcid.org/0000-0002-1825-0097` or `0000000218250097` -> `0000-0002-1825-0097`."""
    m = _ORCID_RE.search(value or "")
    return "-".join(m.groups()).upper() if m else None


def _mesh_terms(mesh_list: etree._Element) -> list[MeshTerm]:
    """The headings with their names cleaned: one check for the whole list when they are all clean already."""
    terms, names = [], []
    for heading in mesh_list:
        if heading.tag != "MeshHeading":
            continue
        descriptor, major, qualifiers, ui = "", False, [], None
        for child in heading:
            tag = child.tag
            if tag == "DescriptorName":
                descriptor = text_of(child)
                major = child.get("MajorTopicYN") == "Y"
                ui = child.get("UI")
            elif tag == "QualifierName":
                qualifiers.append(text_of(child))
        terms.append(MeshTerm(descriptor, major, qualifiers, ui))
        names.append(descriptor)
        names += qualifiers
    if not all_clean(names):
        for term in terms:
            term.descriptor = clean_text(term.descriptor) or ""
            term.qualifiers = [clean_text(q) or "" for q in term.qualifiers]
    return terms


def _links(el: etree._Element) -> list[ArticleLink]:
    """CommentsCorrections as links; the note is the `Note`, else the cited `RefSource`."""
    links = []
    for x in el:
        kind = x.get("RefType")
        if x.tag != "CommentsCorrections" or not kind or kind in LINK_KINDS_SKIPPED:
            continue
        parts = {c.tag: c for c in x}
        note = clean_text(text_of(parts.get("Note"))) or clean_text(text_of(parts.get("RefSource")))
        pmid = parts.get("PMID")
        links.append(ArticleLink(kind=kind, pmid=clean_text(pmid.text) if pmid is not None else None, note=note))
    return links


# ---------------------------------------------------------------- dates


def _pub_date(el: etree._Element | None) -> tuple[str | None, int | None]:
    """`JournalIssue/PubDate` as ISO 8601, as precise as given; a Season gives its first month, if it names one."""
    if el is None:
        return None, None
    parts = {c.tag: c.text for c in el}
    if "MedlineDate" in parts:
        medline = clean_text(parts["MedlineDate"])
        if medline:
            return _medline_date(medline)
    year = (parts.get("Year") or "").strip()
    if not (year.isdigit() and len(year) == 4):
        return None, None
    month = _month_number(parts.get("Month"))
    if month is None and "Season" in parts:  # EFetch writes a MedlineDate `1978 Jul-Aug` as Year + Season `Jul-Aug`
        month = _first_month(parts["Season"])
    if month is None:
        return year, int(year)
    day = (parts.get("Day") or "").strip()
    if day.isdigit() and 1 <= int(day) <= 31:
        return f"{year}-{month:02d}-{int(day):02d}", int(year)
    return f"{year}-{month:02d}", int(year)


def _medline_date(value: str) -> tuple[str | None, int | None]:
    """`1998 Jul-Aug` -> 1998-07, `2000 Winter` or `1998-1999` -> the first year."""
    m = _MEDLINE_DATE_RE.match(value)
    if m:
        month = _month_number(m.group(2))
        if month is not None:
            return f"{m.group(1)}-{month:02d}", int(m.group(1))
    m = _YEAR_RE.search(value)
    return (m.group(1), int(m.group(1))) if m else (None, None)


def _first_month(value: str | None) -> int | None:
    """The month a Season or MedlineDate part starts with (`Jul-Aug` -> 7), None for a season (`Winter`)."""
    m = _FIRST_WORD_RE.match(value or "")
    return _month_number(m.group(1)) if m else None


def _month_number(value: str | None) -> int | None:
    value = (value or "").strip().lower().rstrip(".")
    if value.isdigit():
        return int(value) if 1 <= int(value) <= 12 else None
    return MONTHS.get(value)
