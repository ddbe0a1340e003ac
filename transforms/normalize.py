"""Field normalization shared by every parser, so all sources write values the same way."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from functools import lru_cache

import pycountry

from transforms.article import AbstractSection, Article, Author

_SPACE_RE = re.compile(r"\s+")
# Zero-width characters that copy-paste and HTML leave inside words.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
_PRINTABLE_ASCII = bytes(range(0x20, 0x7F))
_DASHES = "\u2010\u2011\u2012\u2013\u2014\u2015\u2212\ufe58\ufe63\uff0d"
_DASH_RE = re.compile(f"\\s*[{_DASHES}-]\\s*")
_DOI_PREFIX_RE = re.compile(r"^(?:doi\s*:?\s*|https?://(?:dx\.)?doi\.org/|info:doi/)+", re.I)
_DOI_RE = re.compile(r"10\.\d{4,9}/\S+")

MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january", "janvier", "januar"),
            ("feb", "february", "fevrier", "februar"),
            ("mar", "march", "mars", "marz"),
            ("apr", "april", "avril"),
            ("may", "mai"),
            ("jun", "june", "juin", "juni"),
            ("jul", "july", "juillet", "juli"),
            ("aug", "august", "aout"),
            ("sep", "sept", "september", "septembre"),
            ("oct", "october", "octobre", "oktober"),
            ("nov", "november", "novembre"),
            ("dec", "december", "decembre", "dezember"),
        ]
    )
    for m in names
}
# A season gives only the year: PubMed writes "2000 Winter" for an issue whose month is unknown.
SEASONS = ("spring", "summer", "autumn", "fall", "winter")
_MONTH_RE = "|".join(sorted(MONTHS, key=len, reverse=True))


def clean_text(value: str | None) -> str | None:
    """Invisible characters removed, then NFC, every run of white space (no-break, thin) as one space.

    Removal before NFC: an invisible character between a letter and its combining accent would otherwise keep them
    apart through NFC and a second cleaning would join them (the rule must give the same value twice).
    """
    if value is None:
        return None
    # Already clean, the common case kept fast for bulk PubMed files: a printable string has no white space but
    # the space and no invisible (format) character, so only doubled or outer spaces and NFC are left to check.
    if value.isascii():
        if _printable_ascii(value) and "  " not in value and value[:1] != " " != value[-1:]:
            return value or None
        return " ".join(value.split()) or None  # NFC and the invisible characters cannot change ASCII
    if (value.isprintable() and "  " not in value and value[0] != " " != value[-1]
            and unicodedata.is_normalized("NFC", value)):
        return value
    if _INVISIBLE_RE.search(value):
        value = _INVISIBLE_RE.sub("", value)
    value = unicodedata.normalize("NFC", value)
    # str.split() splits on the same white space as `\s` and is several times faster than the regex.
    return " ".join(value.split()) or None


def _printable_ascii(value: str) -> bool:
    """`value.isprintable()` for an ASCII string; a long one is read as bytes, five times faster."""
    return value.isprintable() if len(value) < 40 else not value.encode().translate(None, _PRINTABLE_ASCII)


def clean_title(value: str | None) -> str | None:
    """Drop PubMed's enclosing brackets (a translated title) and one trailing period."""
    return trim_title(clean_text(value))


def trim_title(value: str | None) -> str | None:
    """`clean_title` of a value `clean_text` has cleaned already."""
    if not value:
        return None
    if value.startswith("[") and value.rstrip(".").endswith("]") and value.count("[") == 1:
        value = value.rstrip(".")[1:-1].strip()
    if value.endswith(".") and not value.endswith(".."):
        value = value[:-1].rstrip()
    return value or None


def normalize_pages(value: str | None) -> str | None:
    """Page ranges with an ASCII hyphen and no surrounding labels: `pp 434–440` -> `434-440`."""
    value = clean_text(value)
    if not value:
        return None
    value = re.sub(r"^(?:pages?|pp?\.?)(?=[\s.:\d])\s*:?\s*", "", value, flags=re.I)
    value = _DASH_RE.sub("-", value).strip(" .,;")
    return value or None


def normalize_doi(value: str | None) -> str | None:
    """A bare DOI in lower case: resolver prefixes, `doi:` and trailing punctuation removed."""
    value = clean_text(value)
    if not value:
        return None
    value = _DOI_PREFIX_RE.sub("", value)
    match = _DOI_RE.search(value)
    if not match:
        return None
    return match.group(0).rstrip(".,;)]}>").lower()


def find_doi(text: str) -> str | None:
    match = _DOI_RE.search(text)
    return normalize_doi(match.group(0)) if match else None


def _iso(year: int, month: int | None = None, day: int | None = None) -> str | None:
    if not 1000 <= year <= 2999:
        return None
    if month is None or not 1 <= month <= 12:
        return f"{year:04d}"
    if day is None or not 1 <= day <= 31:
        return f"{year:04d}-{month:02d}"
    return f"{year:04d}-{month:02d}-{day:02d}"


def _month(token: str) -> int | None:
    plain = unicodedata.normalize("NFKD", token).encode("ascii", "ignore").decode().lower().rstrip(".")
    return MONTHS.get(plain)


_DATE_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[T ].*)?$"), "ymd"),
    (re.compile(r"^(\d{4})/(\d{1,2})/(\d{1,2})$"), "ymd"),
    (re.compile(r"^(\d{4})-(\d{1,2})$"), "ym"),
    (re.compile(r"^(\d{4})/(\d{1,2})$"), "ym"),
    (re.compile(rf"^(\d{{4}})\s+({_MONTH_RE})\.?(?:\s*[-/]\s*\w+\.?)?(?:\s+(\d{{1,2}}))?\b.*$", re.I), "yMd"),
    (re.compile(rf"^(\d{{1,2}})\s+({_MONTH_RE})\.?,?\s+(\d{{4}})$", re.I), "dMy"),
    (re.compile(rf"^({_MONTH_RE})\.?\s+(\d{{1,2}}),?\s+(\d{{4}})$", re.I), "Mdy"),
    (re.compile(rf"^({_MONTH_RE})\.?(?:\s*[-/]\s*\w+\.?)?,?\s+(\d{{4}})$", re.I), "My"),
    (re.compile(rf"^({_MONTH_RE})\.?[-/](\d{{4}})$", re.I), "My"),
    (re.compile(r"^(\d{4})(?:\s+\w+)?$"), "y"),
]


def parse_date(value: str | None) -> str | None:
    """ISO 8601 as precise as the source: `2003 Nov 3` -> 2003-11-03, `1998 Jul-Aug` -> 1998-07."""
    value = clean_text(value)
    if not value:
        return None
    value = value.strip(" .,;")
    for pattern, order in _DATE_PATTERNS:
        m = pattern.match(value)
        if not m:
            continue
        g = m.groups()
        if order == "ymd":
            return _iso(int(g[0]), int(g[1]), int(g[2]))
        if order == "ym":
            return _iso(int(g[0]), int(g[1]))
        if order == "yMd":
            return _iso(int(g[0]), _month(g[1]), int(g[2]) if g[2] else None)
        if order == "dMy":
            return _iso(int(g[2]), _month(g[1]), int(g[0]))
        if order == "Mdy":
            return _iso(int(g[2]), _month(g[0]), int(g[1]))
        if order == "My":
            return _iso(int(g[1]), _month(g[0]))
        return _iso(int(g[0]))
    return None


def year_of(iso_date: str | None) -> int | None:
    return int(iso_date[:4]) if iso_date and iso_date[:4].isdigit() else None


@lru_cache(maxsize=512)
def language_code(value: str | None) -> str | None:
    """ISO 639-2/B as PubMed writes it (`jpn`, `ger`, `fre`), from a name, a 2- or 3-letter code."""
    value = clean_text(value)
    if not value:
        return None
    key = value.split("-")[0].split("_")[0].strip().lower()
    lang = None
    try:
        if len(key) == 2:
            lang = pycountry.languages.get(alpha_2=key)
        elif len(key) == 3:
            lang = pycountry.languages.get(alpha_3=key) or pycountry.languages.get(bibliographic=key)
        else:
            lang = pycountry.languages.get(name=key.capitalize())
    except LookupError:
        lang = None
    if lang is None:
        return None
    return getattr(lang, "bibliographic", None) or lang.alpha_3


# Run-together terms from a text copy: a term starts at a capitalised word glued to the end of a
# word of 3+ lower-case letters or a Greek letter ("CombinationRenal", "IFN-αCombination"), or at
# an upper-case run glued to a digit ("IL-2IFN"). Two-letter prefixes (Mc, De) are not split.
_GLUE_RE = re.compile(r"(?<=[a-z]{3})(?=[A-Z][a-z])|(?<=[\u0370-\u03ff])(?=[A-Z][a-z])|(?<=\d)(?=[A-Z]{2})")


def split_run_together(value: str) -> list[str]:
    return [part.strip() for part in _GLUE_RE.split(value) if part.strip()]


def initials_of(fore: str | None) -> str | None:
    """`Hideyuki` -> `H`, `Jean-Paul` -> `JP`, `J. R. R.` -> `JRR` (MEDLINE style, no dots)."""
    if not fore:
        return None
    parts = [p for p in re.split(r"[\s.\-]+", fore) if p]
    letters = "".join(p[0] for p in parts if p[0].isalpha())
    return letters.upper() or None


AuthorParts = tuple[str | None, str | None, str | None, str | None, list[str], str | None]


def clean_authors(parts: list[AuthorParts]) -> list[Author]:
    """Authors from their parts as read (last, fore, initials, collective, affiliations, orcid) by the rules
    `finalize` applies to authors; one without a name is dropped.

    A list's names, and its affiliations, are each checked at once (`all_clean`): in the common case, clean
    already, no value is cleaned on its own.
    """
    if not all_clean([name for part in parts for name in (part[0], part[1], part[2]) if name is not None]):
        return [_author_from_parts(*part) for part in parts if part[0] or part[3] or part[1]]
    clean_affiliations = all_clean([affiliation for part in parts for affiliation in part[4]])
    authors = []
    for last, fore, initials, collective, affiliations, orcid in parts:
        if last or collective or fore:
            initials = _initials(initials, fore)
            if collective is not None:
                collective = clean_text(collective)
            if not clean_affiliations:
                affiliations = unique_clean(affiliations)
            elif len(affiliations) > 1:
                affiliations = _unique(affiliations)
            authors.append(Author(last, fore, initials, collective, affiliations, orcid))
    return authors


def _author_from_parts(last: str | None, fore: str | None, initials: str | None, collective: str | None,
                       affiliations: list[str], orcid: str | None) -> Author:
    return Author(*_author_names(last, fore, initials, collective), unique_clean(affiliations), orcid)


def _clean_author(author: Author) -> Author:
    author.last, author.fore, author.initials, author.collective = _author_names(
        author.last, author.fore, author.initials, author.collective)
    author.affiliations = unique_clean(author.affiliations)
    return author


def _author_names(last: str | None, fore: str | None, initials: str | None,
                  collective: str | None) -> tuple[str | None, str | None, str | None, str | None]:
    fore = clean_text(fore)
    return clean_text(last), fore, _initials(clean_text(initials), fore), clean_text(collective)


def _initials(initials: str | None, fore: str | None) -> str | None:
    """The initials as given (cleaned), else made from the (cleaned) fore name; no dots, no spaces between
    capitals (`J. R.` -> `JR`). A space after a lower-case particle stays: NLM writes `Mde L` for Maria de
    Lourdes, and `MdeL` is no one's initials."""
    initials = initials or initials_of(fore)
    if initials and ("." in initials or " " in initials):
        parts = initials.replace(".", " ").split()
        initials = parts[0] if parts else ""
        for part in parts[1:]:
            initials += part if initials[-1].isupper() else f" {part}"
    return initials or None


def all_clean(values: list[str]) -> bool:
    """Whether `clean_text` returns every value as it is, by one check of the values joined by a space.

    The join is clean only if each value is: an empty value, or one with an outer space, makes a double or outer
    space of it. (A printable ASCII join only: other values are left to `clean_text`.)
    """
    if not values:
        return True
    joined = " ".join(values)
    return (joined.isascii() and _printable_ascii(joined) and "  " not in joined
            and joined[:1] != " " != joined[-1:] and joined != "")


def unique_clean(values: list[str | None]) -> list[str]:
    """The values cleaned (`clean_text`), empty ones dropped, each once (`_unique`)."""
    if len(values) == 1:  # the common case: one affiliation, one publication type
        value = clean_text(values[0])
        return [value] if value else []
    return _unique(map(clean_text, values)) if values else []


def _unique(values: Iterable[str | None]) -> list[str]:
    """Values in order, each once: the first spelling of values equal but for case."""
    out: list[str] = []
    lowered: set[str] = set()
    for v in values:
        if v:
            low = v.lower()
            if low not in lowered:  # so `v` is not in `out` either
                out.append(v)
                lowered.add(low)
    return out


def abstract_from_sections(sections: list[AbstractSection]) -> str | None:
    parts = [f"{s.label}: {s.text}" if s.label else s.text for s in sections if s.text]
    return "\n\n".join(parts) or None


def normalize_language(a: Article) -> None:
    """The record's language as its ISO 639-2/B code; one not known is dropped and noted as a warning."""
    if a.language:
        code = language_code(a.language)
        if code is None:
            a.warnings.append(f"unknown language {a.language!r}")
        a.language = code


def finalize(article: Article) -> Article:
    """Apply the record's normalization rules in one place, whatever parser filled it.

    (`transforms.pubmed_xml` applies the same rules itself as it reads, through the helpers here, so that no
    value of a bulk file is cleaned twice: a change of rule here must be made there too. It keeps keywords and
    empty labelled sections as PubMed writes them: see its `_finalize`.)
    """
    a = article
    a.title = clean_title(a.title)
    for name in ("journal", "journal_abbrev", "volume", "issue", "issn", "pmcid", "source_url"):
        setattr(a, name, clean_text(getattr(a, name)))
    a.pmid = clean_text(a.pmid)
    a.doi = normalize_doi(a.doi)
    a.pages = normalize_pages(a.pages)
    a.abstract_sections = [
        AbstractSection(clean_text(s.label.rstrip(" :")) if s.label else None, text)
        for s in a.abstract_sections
        if (text := clean_text(s.text))
    ]
    if a.abstract_sections:
        a.abstract = abstract_from_sections(a.abstract_sections)
    elif a.abstract:
        paragraphs = [clean_text(p) for p in re.split(r"\n\s*\n", a.abstract)]
        a.abstract = "\n\n".join(p for p in paragraphs if p) or None
    a.authors = [_clean_author(x) for x in a.authors if x.last or x.collective or x.fore]
    a.affiliations = unique_clean(a.affiliations)
    a.keywords = _unique(clean_text(k.strip(" .;,")) for k in a.keywords)
    a.publication_types = unique_clean(a.publication_types)
    normalize_language(a)
    if a.pub_date and a.pub_year is None:
        a.pub_year = year_of(a.pub_date)
    return a
