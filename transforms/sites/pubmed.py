"""PubMed abstract pages, current (pubmed.ncbi.nlm.nih.gov) and legacy (www.ncbi.nlm.nih.gov/pubmed)."""

from __future__ import annotations

import re

from lxml import etree

from transforms.article import Article, Author, MeshTerm
from transforms.htmltext import element_text
from transforms.normalize import clean_text, language_code, parse_date
from transforms.page import Page
from transforms.sites.base import Site
from transforms.textpage import (
    collect_abstract,
    find_line,
    is_furniture,
    looks_like_name,
    names_with_refs,
    next_nonblank,
    person,
    split_names,
    split_terms,
    strip_bullet,
)
from transforms.textrules import ABSTRACT_END, COLLECTIVE_WORDS, JOURNAL_LEADING_WORDS, PUBMED_PUBLICATION_TYPES

# "Br J Cancer. 2003 Nov 3;89(9):1620-6." — the journal may be missing when the page's journal
# button did not survive the copy (". 1998 Jul;99(7):430-5.").
CITATION_RE = re.compile(
    r"^\s*(?P<journal>[^.;]*?)\.?\s*(?P<date>\d{4}(?:\s+[A-Z][a-z]{2}(?:-[A-Z][a-z]{2})?)?(?:\s+\d{1,2})?"
    r"(?:\s+(?:Spring|Summer|Autumn|Fall|Winter))?)"
    r"(?:;(?P<volume>[^(:;\s]+)?(?:\((?P<issue>[^)]*)\))?)?(?::(?P<pages>[^.;\s]+))?\.(?P<rest>.*)$"
)
# "K Okuno et al. Nihon Geka Gakkai Zasshi. 1998 Jul." — the short citation under the title.
# The date may be missing ("Ana Marusic et al. Cochrane Database Syst Rev. .").
SHORT_CITATION_RE = re.compile(
    r"^\s*(?P<author>[^.]+?)(?P<etal>\s+et al)?\.\s+(?P<journal>[^.]+)\.\s+(?:\d{4}\b|\.\s*$)"
)
# Continuations of the citation line; "Published online" and "PMCID:" follow it in a classic PMC copy.
CITATION_TAIL_RE = re.compile(
    r"^\s*(?:doi:|Epub\b|eCollection\b|Online ahead of print|Print\b|Published online\b|PMCID:)", re.I
)
PMID_RE = re.compile(r"\bPMID:\s*(\d{1,9})\b")
PMCID_RE = re.compile(r"\bPMCID:\s*(PMC\d+)\b")
DOI_RE = re.compile(r"\b(?:DOI|doi):\s*(10\.\d{4,9}/\S+)")
LANGUAGE_RE = re.compile(r"^\s*\[Article in ([A-Za-z, ]+)\]\s*$")
KEYWORDS_RE = re.compile(r"^\s*(?:keywords|key words)\s*:\s*(.+)$", re.I)
KEYWORDS_HEAD_RE = re.compile(r"^\s*(?:keywords|key words)\s*:?\s*$", re.I)
AFFILIATION_HEAD_RE = re.compile(r"^\s*(?:Affiliations?|Author information)\s*$", re.I)
ABSTRACT_HEAD_RE = re.compile(r"^\s*Abstract\s*$")
NUMBERED_AFFILIATION_RE = re.compile(r"^\s*(?:•\s*)?(\d{1,3})\s*\.?\s*(?=[A-Z])(.+)$")
SECTION_HEADS = re.compile(
    r"^\s*(?:Publication types|MeSH terms|Substances|Grants and funding|LinkOut - more resources|"
    r"Supplementary concepts|Full text links|Related information|Similar articles|Cited by|References|"
    r"Comment in|Associated data|Figures|Conflict of interest statement|PubMed Disclaimer|Erratum in|"
    r"Supplemental Content|Keywords|Personal name as subject)\s*$",
    re.I,
)
# The citation line stands above the title; a rendered legacy HTML page puts NCBI's menus (about 300
# lines) before it. Citations further down belong to other articles ("Similar articles", "Cited by").
CITATION_WITHIN_LINES = 600
# Words of a journal abbreviation in a citation line ("Proc Natl Acad Sci U S A" has 7; NLM titles stay short).
MAX_JOURNAL_WORDS = 12
AFFILIATION_WORDS_RE = re.compile(
    r"\b(?:Department|Dept|University|Universit\w+|Institute|Institut|Hospital|School|Center|Centre|"
    r"Laborator\w+|College|Faculty|Clinic|Division|Unit)\b"
)
# Cues that say a text copy is a PubMed page, counted together; two are enough.
CUES = (
    "PubMed", "PMID:", "[Indexed for MEDLINE]", "PubMed Disclaimer", "MeSH terms", "MeSH Terms",
    "LinkOut - more resources", "Similar articles", "NCBI Homepage", "Author information",
)


# Publication types that can lead a journal line; "News" and the like also begin NLM journal abbreviations
# ("News Physiol Sci"), so those are not split off.
_TYPES_LONGEST_FIRST = sorted(PUBMED_PUBLICATION_TYPES - JOURNAL_LEADING_WORDS, key=len, reverse=True)


class PubMed(Site):
    name = "pubmed"
    hosts = ("pubmed.ncbi.nlm.nih.gov", "ncbi.nlm.nih.gov")
    url_pattern = re.compile(r"pubmed\.ncbi\.nlm\.nih\.gov|ncbi\.nlm\.nih\.gov/pubmed", re.I)
    priority = 10
    needs_abstract_on_html = False

    def matches(self, page: Page) -> bool:
        if page.kind == "html":
            return page.meta_has(("ncbi_db",), re.compile(r"^pubmed$", re.I))
        head = page.text[:20000]
        cues = sum(1 for cue in CUES if cue in head)
        has_citation = any(is_citation_line(line) for line in page.lines[:60])
        return cues >= 3 or (cues >= 1 and has_citation)

    def extract_text(self, lines: list[str], draft: Article) -> Article:
        return extract_text(lines, draft)

    def patch_html(self, page: Page, article: Article) -> Article:
        heading = page.tree.xpath('//*[@id="full-view-heading"]')
        if heading:
            return _current_html(page.tree, heading[0], article, page.meta)
        return _legacy_html(page.tree, article)


def is_citation_line(line: str) -> bool:
    """A PubMed citation line, not prose that happens to end a sentence on a year ("... from February 2011.
    The first search ..."): the journal before the date is an abbreviation of a few words."""
    m = CITATION_RE.match(line)
    if not m or len(m.group("journal").split()) > MAX_JOURNAL_WORDS:
        return False
    # Not a bulleted history line ("• Received July 19, 2011."): an abbreviation neither opens on a list mark
    # nor ends on a comma before the year.
    journal = m.group("journal").strip()
    return not journal.startswith(("•", "*", "-")) and not journal.endswith(",")


# --- HTML: the current layout is read from its DOM; older layouts are rendered to lines and read like a
# text copy, since their markup changed often but their visible text did not.
_AUTHOR_ITEMS = etree.XPath('.//span[contains(concat(" ", @class, " "), " authors-list-item ")]')
_AFFILIATION_ITEMS = etree.XPath('(//div[contains(@class, "affiliations")])[1]//li')
_IDENTIFIERS = etree.XPath('//*[@id="full-view-identifiers"]')
_LIST_BUTTONS = '//*[@id="{}"]//li//button'
_ALSEC = '//a[@alsec="{}"]/@alterm'
_CITATION_PREFIX_RE = re.compile(r"^\s*\d+:\s+")


def _current_html(root: etree._Element, heading: etree._Element, a: Article,
                  page_meta: dict[str, list[str]]) -> Article:
    cit = heading.xpath('.//span[@class="cit"]')
    m = CITATION_RE.match(element_text(cit[0])) if cit else None
    if m:
        a.pub_date = parse_date(m.group("date")) or a.pub_date
        a.volume, a.issue, a.pages = m.group("volume"), m.group("issue"), m.group("pages")
        a.pub_year = None
    journal = heading.xpath('.//*[@id="full-view-journal-trigger"]')
    if journal:
        a.journal_abbrev = clean_text(journal[0].text_content()) or a.journal_abbrev
        a.journal = a.journal or journal[0].get("title")
    authors = [_dom_author(item) for item in _AUTHOR_ITEMS(heading)]
    _split_like_medline(authors, page_meta.get("citation_authors", []))
    if authors:
        numbered = _numbered_affiliations(root)
        a.authors = []
        for author, refs in authors:
            author.affiliations = [numbered[r] for r in refs if r in numbered]
            a.authors.append(author)
    _read_identifiers(" ".join(element_text(x) for x in _IDENTIFIERS(root)), a)
    heading_text = element_text(heading)
    lang = re.search(r"\[Article in ([A-Za-z]+)", heading_text)
    a.language = language_code(lang.group(1)) if lang else a.language
    types = [_text(x) for x in root.xpath(_LIST_BUTTONS.format("publication-types"))]
    a.publication_types = types or [element_text(x) for x in heading.xpath('.//*[@class="publication-type"]')]
    a.mesh_terms = _mesh_terms([_text(x) for x in root.xpath(_LIST_BUTTONS.format("mesh-terms"))])
    keywords = root.xpath('//*[@id="abstract"]//p[strong[contains(@class, "sub-title")][contains(., "Keywords")]]')
    if keywords:
        a.keywords = split_terms(element_text(keywords[0]).split(":", 1)[-1])
    return a


def _text(el: etree._Element) -> str:
    return clean_text(el.text_content()) or ""


def _split_like_medline(authors: list[tuple[Author, list[str]]], meta: list[str]) -> None:
    """Split displayed full names where `citation_authors` (`de Souza Lima R;`) says the last name ends."""
    listed = [x.strip() for value in meta for x in value.split(";") if x.strip()]
    if len(listed) != len(authors):
        return
    for (author, _), medline in zip(authors, listed, strict=True):
        last, _, initials = medline.rpartition(" ")
        full = f"{author.fore or ''} {author.last or ''}".strip()
        if last and full.endswith(" " + last):
            author.last, author.fore, author.initials = last, full[: -len(last)].strip(), initials


def _dom_author(item: etree._Element) -> tuple[Author, list[str]]:
    name = item.xpath('.//a[contains(@class, "full-name")]')
    text = element_text(name[0]) if name else element_text(item)
    refs = [element_text(x).strip(" ,") for x in item.xpath('.//*[contains(@class, "affiliation-link")]')]
    return person(text), [r for r in refs if r.isdigit()]


def _numbered_affiliations(root: etree._Element) -> dict[str, str]:
    out: dict[str, str] = {}
    for li in _AFFILIATION_ITEMS(root):
        key = li.xpath('.//sup[contains(@class, "key")]')
        number = element_text(key[0]) if key else ""
        text = element_text(li)
        out.setdefault(number or str(len(out) + 1), text[len(number):].strip() if number else text)
    return out


def _legacy_html(root: etree._Element, a: Article) -> Article:
    lines = [_CITATION_PREFIX_RE.sub("", line) for line in element_text(root).split("\n")]
    found = extract_text(lines, Article(site=a.site, source_kind=a.source_kind))
    for name in ("title", "journal_abbrev", "pub_date", "volume", "issue", "pages", "pmid", "pmcid", "doi",
                 "authors", "affiliations", "abstract_sections", "keywords", "language"):
        value = getattr(found, name)
        if value:
            setattr(a, name, value)
    a.pub_year = None
    a.publication_types = list(root.xpath(_ALSEC.format("ptyp"))) or found.publication_types
    mesh = [str(x) for x in root.xpath(_ALSEC.format("mesh"))]
    a.mesh_terms = _mesh_terms(mesh) or found.mesh_terms
    return a


def extract_text(lines: list[str], a: Article, header_at: int | None = None) -> Article:
    """`header_at`: the line above the title when the page has no citation line PubMed's way (a PMC author
    manuscript's "Published in final edited form as: …" cites odd volumes); the citation fields stay empty."""
    cite_at = next((i for i, line in enumerate(lines[:CITATION_WITHIN_LINES]) if is_citation_line(line)), None)
    if cite_at is None and header_at is None:
        a.warnings.append("no citation line found")
        return a
    if cite_at is not None:
        cite = CITATION_RE.match(lines[cite_at])
        types, journal = _split_types(cite.group("journal") or _journal_above(lines, cite_at) or "")
        a.journal_abbrev = journal or None
        a.pub_date = parse_date(cite.group("date"))
        a.volume, a.issue, a.pages = cite.group("volume"), cite.group("issue"), cite.group("pages")
        a.publication_types = _types_above(lines, cite_at) or types
    else:
        cite_at = header_at
    title_at = _title_line(lines, cite_at + 1)
    a.title = lines[title_at].strip() if title_at is not None else None
    abstract_at = find_line(lines, ABSTRACT_HEAD_RE, start=cite_at)
    if abstract_at is not None:
        start = abstract_at + 1
        header_end = abstract_at
    else:
        start = _legacy_abstract_start(lines, title_at or cite_at)
        header_end = start if start is not None else len(lines)
    _read_header(lines, (title_at or cite_at) + 1, header_end, a)
    _read_identifiers("\n".join(lines), a)
    _read_short_citation(lines, a)
    if start is not None:
        a.abstract_sections = collect_abstract(lines, start, ABSTRACT_END)
    _read_keywords(lines, a)
    # The current layout's "Page navigation" menu above the citation repeats these headings: read below it.
    listed_types = _section_items(lines, "Publication types", cite_at)
    if listed_types:
        a.publication_types = listed_types
    a.mesh_terms = _mesh_terms(_section_items(lines, "MeSH terms", cite_at))
    return a


def _journal_above(lines: list[str], cite_at: int) -> str | None:
    """The journal button on its own line above ". 2021 Jun;193(5):e31-e33." in some copies."""
    above = lines[cite_at - 1].strip() if cite_at else ""
    if above and len(above) < 80 and above.lower() not in PUBMED_PUBLICATION_TYPES and not is_furniture(above):
        return above
    return None


def _split_types(journal: str) -> tuple[list[str], str]:
    """A copy of the current layout runs the publication-type label into the journal button on one line
    ("Review Microbiol Mol Biol Rev"): the known type names in front are types, the rest the journal."""
    types: list[str] = []
    while True:
        lowered = journal.lower()
        found = next((t for t in _TYPES_LONGEST_FIRST if lowered.startswith(t + " ")), None)
        if not found:
            return types, journal.strip()
        types.append(journal[: len(found)])
        journal = journal[len(found):].strip()


def _title_line(lines: list[str], start: int) -> int | None:
    """The first line after the citation that is not its continuation (doi, Epub, a free-article flag)."""
    i = next_nonblank(lines, start)
    while i is not None and (CITATION_TAIL_RE.match(lines[i]) or is_furniture(lines[i].strip())):
        i = next_nonblank(lines, i + 1)
    return i


def _types_above(lines: list[str], cite_at: int) -> list[str]:
    """The publication type PubMed prints above the citation ("Review", "Randomized Controlled Trial")."""
    found = []
    for line in lines[max(0, cite_at - 3):cite_at]:
        text = strip_bullet(line)
        if text.lower() in PUBMED_PUBLICATION_TYPES:
            found.append(text)
    return found


def _read_header(lines: list[str], start: int, stop: int, a: Article) -> None:
    """Authors, language and affiliations between the title and the abstract."""
    refs: list[list[str]] = []
    i = start
    while i < stop:
        text = lines[i].strip()
        lang = LANGUAGE_RE.match(text)
        if lang:
            a.language = language_code(lang.group(1).split(",")[0])
        elif AFFILIATION_HEAD_RE.match(text):
            i = _read_affiliations(lines, i + 1, stop, a, refs)
            continue
        elif PMID_RE.search(text) or SECTION_HEADS.match(text):
            break
        elif a.authors and not a.affiliations and AFFILIATION_WORDS_RE.search(text) and len(text) < 500 \
                and not any(au.affiliations for au in a.authors):
            a.affiliations.append(text)
        elif text and not a.authors and _is_author_line(text, a.title):
            found = names_with_refs(text)
            a.authors = [person(n) for n, _ in found]
            refs = [r for _, r in found]
        i += 1


def _is_author_line(text: str, title: str | None) -> bool:
    if text == title or is_furniture(text) or text.startswith("[") or SHORT_CITATION_RE.match(text):
        return False
    names = split_names(text)
    if len(names) == 1 and COLLECTIVE_WORDS.search(text) and not re.search(r"[.:;!?]\s", text):
        return True
    if not names or len(text) > 3000 or not all(looks_like_name(n) or COLLECTIVE_WORDS.search(n) for n in names):
        return False
    return "," in text or re.search(r"\d\s*$", text) is not None or text.endswith(".")


def _read_affiliations(lines: list[str], start: int, stop: int, a: Article, refs: list[list[str]]) -> int:
    numbered: dict[str, str] = {}
    plain: list[str] = []
    i = start
    while i < stop:
        text = strip_bullet(lines[i]) if lines[i].strip() else ""
        if not text:
            if numbered or plain:
                break
            i += 1
            continue
        if PMID_RE.search(text) or SECTION_HEADS.match(text) or ABSTRACT_HEAD_RE.match(text) or len(text) > 500:
            break
        # A collapsed "Affiliations" list shows nothing: the next lines are the repeated heading block
        # (publication type, title), not affiliations.
        if text.lower() in PUBMED_PUBLICATION_TYPES or text == a.title:
            break
        m = NUMBERED_AFFILIATION_RE.match(text)
        if m:
            numbered[m.group(1)] = m.group(2).strip()
        elif text.isdigit() and i + 1 < stop and lines[i + 1].strip():
            numbered[text] = lines[i + 1].strip()
            i += 1
        else:
            plain.append(text)
        i += 1
    _attach_affiliations(a, numbered, plain, refs)
    return i


def _attach_affiliations(a: Article, numbered: dict[str, str], plain: list[str], refs: list[list[str]]) -> None:
    tied = False
    if numbered and refs and len(refs) == len(a.authors):
        for author, author_refs in zip(a.authors, refs, strict=True):
            author.affiliations = [numbered[r] for r in author_refs if r in numbered]
            tied = tied or bool(author.affiliations)
    if len(a.authors) == 1 and not tied:
        a.authors[0].affiliations = list(numbered.values()) + plain
        return
    if not tied:
        a.affiliations.extend(numbered.values())
    a.affiliations.extend(plain)


def _read_identifiers(text: str, a: Article) -> None:
    for pattern, field in ((PMID_RE, "pmid"), (PMCID_RE, "pmcid"), (DOI_RE, "doi")):
        m = pattern.search(text)
        if m and not getattr(a, field):
            setattr(a, field, m.group(1))


def _read_short_citation(lines: list[str], a: Article) -> None:
    """`K Okuno et al. Nihon Geka Gakkai Zasshi. 1998 Jul.` fills the journal and, failing a list, the first author."""
    for line in lines:
        m = SHORT_CITATION_RE.match(line)
        if not m or not looks_like_name(m.group("author")):
            continue
        a.journal_abbrev = a.journal_abbrev or m.group("journal").strip()
        if not a.authors:
            a.authors = [person(m.group("author"))]
            if m.group("etal"):
                a.warnings.append("author list truncated on the page (et al.)")
        return


def _legacy_abstract_start(lines: list[str], after: int) -> int | None:
    """The legacy layout has no "Abstract" heading: the abstract is the first long paragraph after the header."""
    for i in range(after + 1, len(lines)):
        text = lines[i].strip()
        if PMID_RE.search(text) or SECTION_HEADS.match(text):
            return None
        if len(text) > 200 and not _is_affiliation(lines, i):
            return i
    return None


def _is_affiliation(lines: list[str], i: int) -> bool:
    previous = next((lines[j].strip() for j in range(i - 1, -1, -1) if lines[j].strip()), "")
    return bool(AFFILIATION_HEAD_RE.match(previous)) and len(lines[i]) < 400


def _read_keywords(lines: list[str], a: Article) -> None:
    """`Keywords: a; b; c.` on one line, or a `KEYWORDS:` heading with the terms on the next line."""
    for i, line in enumerate(lines):
        m = KEYWORDS_RE.match(line) or KEYWORDS_HEAD_RE.match(line)
        if not m:
            continue
        terms = m.group(1) if m.re is KEYWORDS_RE else lines[next_nonblank(lines, i + 1) or i]
        a.keywords = split_terms(terms)
        return


def _section_items(lines: list[str], heading: str, start: int = 0) -> list[str]:
    at = find_line(lines, re.compile(rf"^\s*{re.escape(heading)}\s*$", re.I), start=start)
    if at is None:
        return []
    items = []
    for line in lines[at + 1:]:
        text = strip_bullet(line)
        if not text:
            continue
        if SECTION_HEADS.match(text) or is_furniture(text) and text.lower() not in PUBMED_PUBLICATION_TYPES:
            break
        items.append(text)
    return items


def _mesh_terms(items: list[str]) -> list[MeshTerm]:
    """`Interleukin-2 / administration & dosage*` lines, one per qualifier, into one term per descriptor."""
    terms: dict[str, MeshTerm] = {}
    for item in items:
        parts = [p.strip() for p in item.split("/")]
        descriptor = parts[0].rstrip("*").strip()
        if not descriptor:
            continue
        term = terms.setdefault(descriptor, MeshTerm(descriptor=descriptor))
        term.major = term.major or any(p.endswith("*") for p in parts)
        for q in parts[1:]:
            q = q.rstrip("*").strip()
            if q and q not in term.qualifiers:
                term.qualifiers.append(q)
    return list(terms.values())


SITE = PubMed()
