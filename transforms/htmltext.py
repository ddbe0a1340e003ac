"""Text and abstract helpers the HTML site adapters share, and the generic HTML extractor built on them."""

from __future__ import annotations

import copy
import re
from collections.abc import Iterator
from typing import NamedTuple

from lxml import etree

from transforms import boilerplate, provenance
from transforms.article import AbstractSection, Article
from transforms.embedded import embedded_metadata, is_clearly_abstract, split_keywords
from transforms.normalize import abstract_from_sections, clean_text, clean_title, normalize_doi
from transforms.page import Page

# 1. Element classes for text: blocks break lines, skipped elements give no text (their tails still count).
BLOCK_TAGS = frozenset(
    "address article aside blockquote br caption dd details div dl dt fieldset figcaption figure footer form "
    "h1 h2 h3 h4 h5 h6 header hr li main nav ol p pre section summary table tbody tfoot thead tr ul".split()
)
CELL_TAGS = frozenset({"td", "th"})
SKIP_TAGS = frozenset(
    "script style noscript template svg button select textarea input iframe object canvas head title".split()
)
HEADING_TAGS = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "dt"})
# Inline elements that can carry a run-in label: "<p><b>Background:</b> text</p>"; italics need a colon.
RUN_IN_TAGS = frozenset({"b", "strong", "span", "em", "i"})
BOLD_TAGS = frozenset({"b", "strong"})

# Letters by how rarely they appear in English words and class names, rarest first.
_RARE_LETTERS_FIRST = "zqxjkvbpygfwmucldrhsnioate"


def _attributes_holding(words: tuple[str, ...], attributes: tuple[str, ...]) -> etree.XPath:
    """Elements one of whose `attributes` holds one of `words` (lower-case letters) in any letter case.

    Written for libxml2's speed, where such queries cost a predicate per node: attribute nodes are tested
    (`//@class[...]/..`), not every element; a letter all the words hold (the rarest) is looked for first, in
    both cases, and only the values holding it have the words' letters lower-cased (`translate`, the slow
    part) and the words looked for.
    """
    if not words or not all(word.isalpha() and word.isascii() and word.islower() for word in words):
        raise ValueError(f"not lower-case words: {words}")
    letters = "".join(sorted({c for word in words for c in word}))
    common = next((c for c in _RARE_LETTERS_FIRST if all(c in word for word in words)), None)
    has_letter = f"[contains(., '{common}') or contains(., '{common.upper()}')]" if common else ""
    lowered = f"translate(., '{letters.upper()}', '{letters}')"
    has_word = " or ".join(f"contains({lowered}, '{w}')" for w in words)
    return etree.XPath(" | ".join(f"//@{a}{has_letter}[{has_word}]/.." for a in attributes))


def has_class(name: str) -> str:
    """An XPath test that the element's class list holds `name` as a whole token (`abstract`, not
    `abstract-title`): the test site adapters write their queries with."""
    return f"contains(concat(' ', normalize-space(@class), ' '), ' {name} ')"


# 2. What marks an abstract block, and what looks like one but is not the article's abstract.
ABSTRACT_ATTRIBUTES = ("id", "class", "itemprop", "data-title")
_ABSTRACT_XPATH = _attributes_holding(("abstract",), ABSTRACT_ATTRIBUTES)
CONTAINER_TAGS = frozenset({"div", "section", "article", "blockquote", "p", "span", "td", "dd", "aside"})
# Class/id words that make an "abstract" element something else: a link, a tab, a label, a teaser.
NOT_ABSTRACT_ATTR_RE = re.compile(
    r"(?<![a-z])(?:graphical|visual|highlights?|author-?summary|summary|digest|lay|plain-?language|teaser|"
    r"toggle|links?|button|btn|tabs?|nav|menu|titles?|heading|header|label|keywords?|figure|image|short)(?![a-z])",
    re.I,
)
ABSTRACT_HEADINGS = frozenset(
    {"abstract", "summary", "abstract and figures", "résumé", "resume", "zusammenfassung", "resumen",
     "resumo", "riassunto", "samenvatting", "sammanfattning", "streszczenie", "abstrakt"}
)
ENGLISH_HEADINGS = frozenset({"abstract", "summary", "abstract and figures"})
# A status qualifier after an abstract heading ("Abstract (provisional)" on BMC pages before typesetting).
ABSTRACT_QUALIFIER_RE = re.compile(r"\s*\((?:provisional|preliminary|unedited)\)$")
OTHER_BLOCK_HEADING_RE = re.compile(
    r"^(?:graphical abstract|visual abstract|video abstract|(?:research )?highlights|author summary|"
    r"(?:elife )?digest|lay summary|plain language summary|editor'?s summary|significance statement|"
    r"key points|teaser)\b",
    re.I,
)
KEYWORDS_RE = re.compile(r"^(?:key\s?words?|index terms|mots[- ]cl[ée]s|schlüsselwörter)\b\s*[:.]?", re.I)
# Lines inside an abstract block that are not abstract text; a leading "Abstract:"; a closing copyright
# notice with the journal citation before it ("... are linked. Hum Brain Mapp, 2012. © 2012 Wiley").
ABSTRACT_NOISE_RE = re.compile(
    r"^(?:go to:?|copyright\b.*|©.*|\(?c\)\s*\d{4}.*|abstract\s*:?|doi:.*|https?://(?:dx\.)?doi\.org/\S+)$",
    re.I,
)
ABSTRACT_PREFIX_RE = re.compile(r"^(?:abstract|summary)\s*[:.]\s*", re.I)
TRAILING_COPYRIGHT_RE = re.compile(
    r"(?<=[.!?])\s+(?:[A-Z][\w .&-]{2,60}, \d{4}\.\s*)?(?:©|\([cC]\)|Copyright\b\s*©?)\s*\d{4}\b.*$"
)
ENGLISH_ATTR_RE = re.compile(r"(?<![a-z])(?:en|eng|english)(?![a-z])", re.I)
LABEL_CLASS_RE = re.compile(r"(?<![a-z])(?:label|title|heading|head|sec-?title)(?![a-z])", re.I)

# 3. Thresholds, set on the corpus: labels are short ("Materials and Methods", "Purpose of the Review").
MIN_ABSTRACT_CHARS = 80
# Far longer than any abstract in the corpus (~3,000 characters): a page wrapper, not an abstract.
MAX_ABSTRACT_CHARS = 12000
MAX_LABEL_CHARS = 60
# A keyword line holds a few short terms; more, or longer ones, is prose or a list of something else.
MIN_LINE_TERMS, MAX_LINE_TERMS, MAX_TERM_CHARS = 2, 30, 100
MAX_LABEL_WORDS = 8
KNOWN_LABELS = frozenset(
    "background objective objectives aim aims purpose introduction methods method design setting "
    "participants patients interventions results findings conclusion conclusions interpretation context "
    "importance discussion significance measurements limitations".split()
)

_SPACE_RE = re.compile(r"\s+")
_CAMEL_RE = re.compile(r"(?<=[a-z])(?=[A-Z])")
_LABEL_PUNCT = " :.\u2014\u2013-"
_HEADING_LEVEL = {f"h{i}": i for i in range(1, 7)}
_H1_XPATH = etree.XPath("//h1")
_DOI_HOLDER_XPATH = _attributes_holding(("doi",), ("class", "id"))
_LOGO_RE = re.compile(r"logo|brand", re.I)
# A field label inside the title heading (arXiv: `<h1><span class="descriptor">Title:</span>...`).
_TITLE_LABEL_RE = re.compile(r"^title\s*:\s*", re.I)
_KEYWORD_HOLDER_XPATH = _attributes_holding(("kwd", "keyword"), ("class", "id"))
_KEYWORD_ATTR_RE = re.compile(r"(?<![a-z])(?:kwds?|key-?words?)(?![a-z])", re.I)
_TERM_PUNCT = " .,;:\u00b7|"
_DOI_WORD_RE = re.compile(r"(?<![a-z])doi(?![a-z])", re.I)


# --- Text.


def _tag(el: etree._Element) -> str | None:
    return el.tag.lower() if isinstance(el.tag, str) else None


def _collect(el: etree._Element, out: list[str]) -> None:
    tag = _tag(el)
    if tag is None or tag in SKIP_TAGS:
        return
    mark = "\n" if tag in BLOCK_TAGS else " " if tag in CELL_TAGS else ""
    out.append(mark)
    if el.text:
        out.append(_SPACE_RE.sub(" ", el.text))
    for child in el:
        _collect(child, out)
        if child.tail:
            out.append(_SPACE_RE.sub(" ", child.tail))
    out.append(mark)


def element_text(el: etree._Element) -> str:
    """Text of `el`: inline markup dropped without adding spaces, block elements on their own lines."""
    out: list[str] = []
    _collect(el, out)
    lines = (clean_text(line) for line in "".join(out).split("\n"))
    return "\n".join(line for line in lines if line)


def _one_line(el: etree._Element) -> str:
    return clean_text(element_text(el).replace("\n", " ")) or ""


# --- Finding the abstract block.


def _heading_text(text: str) -> str:
    return clean_text(text.strip(_LABEL_PUNCT).lower()) or ""


def _first_heading(el: etree._Element) -> str:
    for child in el.iter("h1", "h2", "h3", "h4", "h5", "h6"):
        return _heading_text(_one_line(child))
    return ""


def _in_other_articles(el: etree._Element) -> bool:
    """Inside a related / cited-by box. An ancestor holding the page's `<h1>` is the page wrapper, whatever
    its class says (Springer's `<div class="main-container uptodate-recommendations-off">`)."""
    pattern = boilerplate.RELATED_TOKENS
    if pattern is None:
        return False
    return any(pattern.search(boilerplate.attribute_words(a)) and a.find(".//h1") is None
               for a in el.iterancestors())


def _attribute_words(el: etree._Element) -> str:
    """Class and id with camelCase split into words: `AbstractImageWrap` -> `Abstract-Image-Wrap`."""
    return _CAMEL_RE.sub("-", boilerplate.attribute_words(el))


def _is_candidate(el: etree._Element) -> bool:
    """An abstract-marked container that is not a wrapper (holding the h1 title), a teaser or keywords."""
    if _tag(el) not in CONTAINER_TAGS or NOT_ABSTRACT_ATTR_RE.search(_attribute_words(el)):
        return False
    if el.find(".//h1") is not None or _in_other_articles(el):
        return False
    if OTHER_BLOCK_HEADING_RE.match(_first_heading(el)):
        return False
    text = element_text(el)
    return MIN_ABSTRACT_CHARS <= len(text) <= MAX_ABSTRACT_CHARS and not KEYWORDS_RE.match(text)


def _outermost(elements: list[etree._Element]) -> list[etree._Element]:
    chosen = set(elements)
    return [el for el in elements if not any(a in chosen for a in el.iterancestors())]


def _narrowest(el: etree._Element, candidates: list[etree._Element]) -> etree._Element:
    """Step into the one candidate nested in `el` (its extra text is a heading, a DOI line, a byline);
    stay when two or more are nested: they are the parts, or the languages, of this abstract."""
    while True:
        inner = _outermost([c for c in candidates if c is not el and el in c.iterancestors()])
        if len(inner) != 1:
            return el
        el = inner[0]


def _is_english(el: etree._Element) -> bool:
    lang = el.get("lang") or el.get("{http://www.w3.org/XML/1998/namespace}lang") or el.get("xml:lang")
    if lang:
        return lang.lower().startswith("en")
    return bool(ENGLISH_ATTR_RE.search(boilerplate.attribute_words(el)))


def _prefer_english(elements: list[etree._Element]) -> etree._Element | None:
    return next((el for el in elements if _is_english(el)), elements[0] if elements else None)


def _level(el: etree._Element) -> int:
    return _HEADING_LEVEL.get(_tag(el) or "", 7)


def _ends_section(el: etree._Element, level: int) -> bool:
    if _level(el) <= level:
        return True
    return any(_level(h) <= level for h in el.iter("h1", "h2", "h3", "h4", "h5", "h6"))


def _following_block(heading: etree._Element) -> etree._Element | None:
    """The siblings after an "Abstract" heading, up to the next heading of its level, in a new `<div>`."""
    level, anchor = _level(heading), heading
    if not any(_tag(s) for s in heading.itersiblings()) and heading.getparent() is not None:
        anchor = heading.getparent()  # the heading sits alone in its own wrapper
    block = etree.Element("div")
    for sibling in anchor.itersiblings():
        if _tag(sibling) is None:
            continue
        if _ends_section(sibling, level):
            break
        block.append(copy.deepcopy(sibling))
    return block if len(element_text(block)) >= MIN_ABSTRACT_CHARS else None


def _abstract_heading_text(h: etree._Element) -> str:
    """A heading's words without a status qualifier: BMC's "Abstract (provisional)" is the abstract."""
    return ABSTRACT_QUALIFIER_RE.sub("", _heading_text(_one_line(h)))


def _abstract_headings(tree: etree._Element) -> list[etree._Element]:
    found = [h for h in tree.iter("h1", "h2", "h3", "h4", "h5", "h6", "strong", "b")
             if _abstract_heading_text(h) in ABSTRACT_HEADINGS and not _in_other_articles(h)]
    english = [h for h in found if _abstract_heading_text(h) in ENGLISH_HEADINGS]
    return english + [h for h in found if h not in english]


def abstract_block(tree: etree._Element) -> etree._Element | None:
    """The element holding the article's abstract: marked by id/class/itemprop, else after a heading."""
    candidates = [el for el in _ABSTRACT_XPATH(tree) if _is_candidate(el)]
    chosen = _prefer_english(_outermost(candidates))
    if chosen is not None:
        return _narrowest(chosen, candidates)
    for heading in _abstract_headings(tree):
        block = _following_block(heading)
        if block is not None:
            return block
    return None


# --- Turning the block into sections.


def _clean_block(block: etree._Element) -> etree._Element:
    """A copy without figures, tables, "Go to:" links and abstracts in other languages."""
    block = copy.deepcopy(block)
    for el in boilerplate.NOT_ABSTRACT_MATCHER.find(block):
        if el is not block:
            boilerplate.remove_element(el)
    tagged = [el for el in block.iterdescendants() if el.get("lang")]
    if any(_is_english(el) for el in tagged):
        for el in tagged:
            if not _is_english(el):
                boilerplate.remove_element(el)
    return block


def _is_label_element(el: etree._Element) -> bool:
    if _tag(el) in HEADING_TAGS:
        return True
    return bool(LABEL_CLASS_RE.search(el.get("class") or "")) and _is_short_label(_one_line(el))


def _is_short_label(text: str) -> bool:
    return 0 < len(text) <= MAX_LABEL_CHARS and len(text.split()) <= MAX_LABEL_WORDS


def _has_blocks(el: etree._Element) -> bool:
    return any(_tag(d) in BLOCK_TAGS and _tag(d) != "br" for d in el.iterdescendants())


Item = str | etree._Element


class Paragraph(NamedTuple):
    """A paragraph and the short bold run it may open with (a run-in label if the block agrees)."""

    lead: str | None  # the opening bold or label-classed run, when short
    marked: bool  # the lead ends in ':' or '.', or is a known label word: a label on its own evidence
    text: str  # the text after the lead
    whole: str  # the whole paragraph


def _blocks(el: etree._Element) -> Iterator[tuple[str, str | Paragraph]]:
    """("label", text) and ("para", Paragraph) in document order; inline runs become paragraphs."""
    run: list[Item] = [el.text or ""]
    for child in el:
        tag = _tag(child)
        if tag is None or tag in SKIP_TAGS:
            pass
        elif _is_label_element(child):
            yield from _paragraph(run)
            run = []
            yield "label", _one_line(child)
        elif tag == "br" or tag in BLOCK_TAGS:
            yield from _paragraph(run)
            run = []
            if tag != "br":
                yield from (_blocks(child) if _has_blocks(child) else _paragraph(_inline_items(child)))
        else:
            run.append(child)
        run.append(child.tail or "")
    yield from _paragraph(run)


def _inline_items(el: etree._Element) -> list[Item]:
    items: list[Item] = [el.text or ""]
    for child in el:
        items += [child, child.tail or ""]
    return items


def _item_text(item: Item) -> str:
    return _SPACE_RE.sub(" ", item) if isinstance(item, str) else _one_line(item)


def _lead(items: list[Item]) -> etree._Element | None:
    """The paragraph's first element when nothing but white space precedes it and it can carry a label."""
    first = next((i for i in items if not (isinstance(i, str) and not i.strip())), None)
    if first is None or isinstance(first, str) or _tag(first) not in RUN_IN_TAGS:
        return None
    if _tag(first) == "span" and not LABEL_CLASS_RE.search(first.get("class") or ""):
        return None
    return first


def _paragraph(items: list[Item]) -> Iterator[tuple[str, Paragraph]]:
    whole = clean_text("".join(_item_text(i) for i in items)) or ""
    lead_el = _lead(items)
    lead = _one_line(lead_el) if lead_el is not None else ""
    if not whole:
        return
    if not lead or not _is_short_label(lead) or not whole.startswith(lead):
        yield "para", Paragraph(None, False, whole, whole)
        return
    text = whole[len(lead):].lstrip(_LABEL_PUNCT)
    after = whole[len(lead):].lstrip()
    marked = lead.endswith((":", ".")) or after.startswith((":", ".", "\u2014", "\u2013"))
    marked = marked or lead.strip(_LABEL_PUNCT).lower() in KNOWN_LABELS
    bold = _tag(lead_el) in BOLD_TAGS or _tag(lead_el) == "span"
    yield "para", Paragraph(lead if (marked or bold) else None, marked, text, whole)


def _skip_label(text: str) -> bool:
    return bool(OTHER_BLOCK_HEADING_RE.match(text) or KEYWORDS_RE.match(text))


def _tidy_paragraph(text: str) -> str:
    text = ABSTRACT_PREFIX_RE.sub("", text)
    return TRAILING_COPYRIGHT_RE.sub("", text).strip()


class _Sections:
    """Accumulates sections: paragraphs under a label join it; unlabelled paragraphs stand alone."""

    def __init__(self) -> None:
        self.sections: list[AbstractSection] = []
        self.label: str | None = None
        self.skipping = False

    def add_label(self, text: str) -> None:
        heading = _heading_text(text)
        self.skipping = _skip_label(heading)
        plain = self.skipping or heading in ABSTRACT_HEADINGS
        self.label = None if plain else clean_text(text.strip(_LABEL_PUNCT))

    def add_text(self, text: str) -> None:
        text = _tidy_paragraph(text)
        if self.skipping or not text or KEYWORDS_RE.match(text) or ABSTRACT_NOISE_RE.match(text):
            return
        if self.label and self.sections and self.sections[-1].label == self.label:
            self.sections[-1].text += " " + text
        else:
            self.sections.append(AbstractSection(self.label, text))


def sections_of(block: etree._Element) -> list[AbstractSection]:
    """Sections of an abstract block: labelled parts joined under their label, else one per paragraph.

    A bold lead without ':' counts as a label when two or more paragraphs of the block open with one.
    """
    events = list(_blocks(_clean_block(block)))
    bold_leads = sum(1 for kind, p in events if kind == "para" and isinstance(p, Paragraph) and p.lead)
    out = _Sections()
    for _kind, value in events:
        if isinstance(value, str):
            out.add_label(value)
        elif value.lead and (value.marked or bold_leads >= 2 or not value.text):
            out.add_label(value.lead)
            out.add_text(value.text)
        else:
            out.add_text(value.whole)
    return out.sections


def find_abstract(tree: etree._Element) -> list[AbstractSection] | None:
    """The article's abstract as sections (label None when unlabelled), or None when none is found."""
    block = abstract_block(tree)
    if block is None:
        return None
    sections = sections_of(block)
    return sections if sum(len(s.text) for s in sections) >= MIN_ABSTRACT_CHARS else None


# --- Other visible fields.


def h1_title(tree: etree._Element) -> str | None:
    """The first `<h1>` that is not the site's logo."""
    for h1 in _H1_XPATH(tree):
        if _LOGO_RE.search(boilerplate.attribute_words(h1)):
            continue
        title = clean_title(_TITLE_LABEL_RE.sub("", _one_line(h1)))
        if title and len(title) > 3:
            return title
    return None


def visible_doi(tree: etree._Element) -> str | None:
    """A DOI shown in an element whose class or id names it (`<a class="doi">`, `id="arxiv-doi-link"`)."""
    for el in _DOI_HOLDER_XPATH(tree):
        if _DOI_WORD_RE.search(boilerplate.attribute_words(el)):
            doi = normalize_doi(el.get("href") or "") or normalize_doi(_one_line(el))
            if doi:
                return doi
    return None


def _shown_keywords(tree: etree._Element) -> set[str]:
    """Case-folded texts of the elements a page marks as keywords (`class="kwd"`, `<a class="keyword">`)."""
    shown: set[str] = set()
    seen: set[etree._Element] = set()  # holders nest (a keyword list in a keyword section): read each once
    for holder in _KEYWORD_HOLDER_XPATH(tree):
        if not _KEYWORD_ATTR_RE.search(_attribute_words(holder)):
            continue
        for el in holder.iter():
            if el in seen:
                continue
            seen.add(el)
            text = KEYWORDS_RE.sub("", _one_line(el))  # one term per element, or "Keywords: a; b; c"
            shown.update(t.strip(_TERM_PUNCT).casefold() for t in [text, *split_keywords(text)])
    return shown


def keyword_line(tree: etree._Element) -> list[str]:
    """Terms of a labelled keyword line the page shows with no keyword tag in its head (`<span id="keywords">
    <h5>Keywords: </h5>a; b; c</span>`): the first keyword-marked element whose text opens with the label."""
    for holder in _KEYWORD_HOLDER_XPATH(tree):
        if not _KEYWORD_ATTR_RE.search(_attribute_words(holder)):
            continue
        text = _one_line(holder)
        label = KEYWORDS_RE.match(text)
        terms = split_keywords(text[label.end():]) if label else []
        if MIN_LINE_TERMS <= len(terms) <= MAX_LINE_TERMS and all(len(t) <= MAX_TERM_CHARS for t in terms):
            return terms
    return []


def keywords_if_shown(tree: etree._Element, terms: list[str]) -> list[str]:
    """`terms` when the page shows each one as a keyword, else none."""
    if not terms:
        return []
    shown = _shown_keywords(tree)
    return terms if all(t.strip(_TERM_PUNCT).casefold() in shown for t in terms) else []


def meta_keywords(page: Page) -> list[str]:
    """`<meta name="keywords">` terms when the page also shows each one as a keyword. On its own the tag
    often holds the site's words ("PLOS, Open Access, Science", "PubMed, NCBI"), not the article's."""
    return keywords_if_shown(page.tree, [t for value in page.meta.get("keywords", []) for t in split_keywords(value)])


# --- The generic HTML extractor.


def _fill_abstract(article: Article, tree: etree._Element) -> None:
    sections = find_abstract(tree)
    if sections:
        labelled = any(s.label for s in sections)
        article.abstract_sections = sections if labelled else []
        article.abstract = abstract_from_sections(sections)
        provenance.note(article, "abstract", provenance.CONTENT)
        provenance.note(article, "abstract_sections", provenance.CONTENT)
    elif article.abstract and not is_clearly_abstract(article.abstract):
        article.abstract = None  # too short to trust as an abstract without a block on the page
        provenance.note(article, "abstract", provenance.CONTENT)


def _fill(article: Article, name: str, value: object, source: str) -> None:
    """Set an empty field, recording its source."""
    if value and not getattr(article, name):
        setattr(article, name, value)
        provenance.note(article, name, source)


def extract_generic_html(page: Page, draft: Article) -> Article:
    """Embedded metadata, then the abstract, title and DOI the page shows, for fields still empty."""
    had_abstract = bool(draft.abstract or draft.abstract_sections)
    article, _sources = embedded_metadata(page, draft)
    tree = boilerplate.strip_boilerplate(page.tree)
    if not had_abstract:
        _fill_abstract(article, tree)
    _fill(article, "title", article.title or h1_title(tree), provenance.CONTENT)
    _fill(article, "doi", article.doi or visible_doi(tree), provenance.CONTENT)
    _fill(article, "keywords", article.keywords or meta_keywords(page), provenance.HTML_META)
    _fill(article, "keywords", article.keywords or keyword_line(tree), provenance.CONTENT)
    return article
