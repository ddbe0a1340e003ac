"""Field normalization shared by every parser, so all sources write values the same way."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import pycountry

from transforms.article import AbstractSection, Article, Author

_SPACE_RE = re.compile(r"\s+")
# Zero-width characters that copy-paste and HTML leave inside words.
_INVISIBLE_RE = re.compile("[\u200b\u200c\u200d\u2060\ufeff\u00ad]")
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
    """NFC, invisible characters removed, every run of white space (no-break, thin) as one space."""
    if value is None:
        return None
    if value.isascii() and value.isprintable() and "  " not in value and value[:1] != " " != value[-1:]:
        return value or None  # already clean: the common case, kept fast for bulk PubMed files
    value = _INVISIBLE_RE.sub("", unicodedata.normalize("NFC", value))
    # str.split() splits on the same white space as `\s` and is several times faster than the regex.
    return " ".join(value.split()) or None


def clean_title(value: str | None) -> str | None:
    """Drop PubMed's enclosing brackets (a translated title) and one trailing period."""
    value = clean_text(value)
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


def _clean_author(author: Author) -> Author:
    author.last = clean_text(author.last)
    author.fore = clean_text(author.fore)
    author.collective = clean_text(author.collective)
    author.initials = clean_text(author.initials) or initials_of(author.fore)
    if author.initials:
        author.initials = author.initials.replace(".", "").replace(" ", "")
    author.affiliations = _unique(clean_text(a) for a in author.affiliations)
    return author


def _unique(values) -> list[str]:
    """Values in order, each once: the first spelling of values equal but for case."""
    seen: dict[str, None] = {}
    lowered: set[str] = set()
    for v in values:
        if v and v.lower() not in lowered:
            seen[v] = None
            lowered.add(v.lower())
    return list(seen)


def abstract_from_sections(sections: list[AbstractSection]) -> str | None:
    parts = [f"{s.label}: {s.text}" if s.label else s.text for s in sections if s.text]
    return "\n\n".join(parts) or None


def finalize(article: Article) -> Article:
    """Apply the record's normalization rules in one place, whatever parser filled it."""
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
    a.affiliations = _unique(clean_text(x) for x in a.affiliations)
    a.keywords = _unique(clean_text(k.strip(" .;,")) for k in a.keywords)
    a.publication_types = _unique(clean_text(p) for p in a.publication_types)
    if a.language:
        code = language_code(a.language)
        if code is None:
            a.warnings.append(f"unknown language {a.language!r}")
        a.language = code
    if a.pub_date and a.pub_year is None:
        a.pub_year = year_of(a.pub_date)
    return a
