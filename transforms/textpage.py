"""Helpers for pages saved as text: blocks, headings, abstracts, names and citation lines."""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from transforms.article import AbstractSection, Author
from transforms.normalize import MONTHS, clean_text, parse_date, split_run_together
from transforms.textrules import (
    ABSTRACT_END,
    COLLECTIVE_WORDS,
    COMPOUND_LABEL_RE,
    FURNITURE,
    LABEL_LINE_RE,
    RUN_IN_LABEL_RE,
)

# A label on its own line in capitals: "BACKGROUND AND OBJECTIVES:" (legacy PubMed, MEDLINE labels).
CAPS_LABEL_LINE_RE = re.compile(r"^(?=[^a-z]*$)[A-Z][A-Z ,&/-]{2,60}:$")
BULLET_RE = re.compile(r"^\s*(?:[•·▪◦‣∙*]|\d+\.\s+(?=\d))\s*")
# A prose paragraph: at least this many characters and one sentence end. Set from the seed pages:
# the shortest real abstract paragraph there is 190 characters, the longest blogger's note 82.
PROSE_MIN_CHARS = 120


def strip_bullet(line: str) -> str:
    return BULLET_RE.sub("", line).strip()


def find_line(lines: list[str], pattern: re.Pattern[str], start: int = 0, stop: int | None = None) -> int | None:
    for i in range(start, len(lines) if stop is None else min(stop, len(lines))):
        if pattern.search(lines[i]):
            return i
    return None


def next_nonblank(lines: list[str], start: int) -> int | None:
    for i in range(start, len(lines)):
        if lines[i].strip():
            return i
    return None


def blocks(lines: list[str], start: int = 0, stop: int | None = None) -> Iterator[tuple[int, list[str]]]:
    """Blank-line separated blocks as (first line index, stripped lines)."""
    current: list[str] = []
    first = start
    for i in range(start, len(lines) if stop is None else min(stop, len(lines))):
        text = lines[i].strip()
        if text:
            if not current:
                first = i
            current.append(text)
        elif current:
            yield first, current
            current = []
    if current:
        yield first, current


def is_furniture(line: str) -> bool:
    return bool(FURNITURE.match(line))


def is_prose(text: str) -> bool:
    return len(text) >= PROSE_MIN_CHARS and bool(re.search(r"[.!?)\]]\s+\S|[.!?)]$", text))


def collect_abstract(lines: list[str], start: int, end_re: re.Pattern[str] = ABSTRACT_END) -> list[AbstractSection]:
    """Paragraphs from `start` until an end heading; label lines and run-in labels become sections."""
    sections: list[AbstractSection] = []
    label: str | None = None
    for i in range(start, len(lines)):
        text = lines[i].strip()
        if not text:
            continue
        if is_end_heading(text, has_content=bool(sections)) or _repeats_label(text, sections):
            break
        if is_furniture(text):
            continue
        label_line = LABEL_LINE_RE.match(text) or COMPOUND_LABEL_RE.match(text)
        if label_line and len(text) < 60:
            label = label_line.group(1)
            continue
        if CAPS_LABEL_LINE_RE.match(text):
            label = text.rstrip(" :")
            continue
        run_in = RUN_IN_LABEL_RE.match(text)
        if run_in and _plausible_label(run_in.group(1)):
            sections.append(AbstractSection(label_case(run_in.group(1)), text[run_in.end():]))
            label = None
            continue
        sections.append(AbstractSection(label_case(label) if label else None, text))
        label = None
    return merge_unlabelled(sections)


def _repeats_label(text: str, sections: list[AbstractSection]) -> bool:
    """A label line naming a section the abstract already had ("Background" after "Conclusions"): a structured
    abstract names each part once, so this is the body's first heading (a full-text copy)."""
    label = LABEL_LINE_RE.match(text)
    return bool(label) and label_case(label.group(1)).lower() in {(s.label or "").lower() for s in sections}


def is_end_heading(text: str, has_content: bool) -> bool:
    # The body's headings may be numbered ("1. Introduction", "I. INTRODUCTION").
    text = _HEADING_NUMBER_RE.sub("", text) if has_content else text
    if not ABSTRACT_END.match(text):
        return False
    # "Introduction" on its own line opens a structured abstract, but after abstract text it starts the body.
    return has_content or not LABEL_LINE_RE.match(text)


_HEADING_NUMBER_RE = re.compile(r"^(?:\d{1,2}|[IVX]{1,4})\.?\s+(?=[A-Z])")


def _plausible_label(label: str) -> bool:
    return (LABEL_LINE_RE.match(label) is not None or COMPOUND_LABEL_RE.match(label) is not None
            or (label.isupper() and len(label.split()) <= 6))


def label_case(label: str) -> str:
    """Labels as the page writes them (MEDLINE keeps `BACKGROUND AND OBJECTIVES`), without the colon."""
    return label.strip(" :.")


def merge_unlabelled(sections: list[AbstractSection]) -> list[AbstractSection]:
    """A labelled section's continuation lines belong to it; unlabelled paragraphs stay separate."""
    merged: list[AbstractSection] = []
    for s in sections:
        if merged and s.label is None and merged[-1].label is not None and any(x.label for x in merged):
            merged[-1] = AbstractSection(merged[-1].label, f"{merged[-1].text} {s.text}")
        else:
            merged.append(s)
    return merged


# Names ------------------------------------------------------------------------------------------

_DEGREES_RE = re.compile(
    r",?\s*\b(?:MD|PhD|Ph\.D\.|MSc|MS|MPH|MBBS|BSc|RN|DrPH|FRCP\w*|FACS|MA|DPhil|DDS|PharmD|Prof\.?|Dr\.?)\b\.?",
)
_INITIALS_RE = re.compile(r"^[A-Z][A-Z-]{0,3}$")


# Marks after a name: affiliation numbers, footnote signs, PMC's equal-contribution "#" and mail sign "✉".
_MARKS = "*†‡§¶#✉"
_NAME_SEP_RE = re.compile(rf",\s*(?=[^\d\s,{_MARKS}])|\s+&\s+|\s+and\s+|;\s*")
# PMC's copy may leave an empty mark after the numbers ("Paul Fontelo 1,, Fang Liu 1").
_TRAILING_REFS_RE = re.compile(rf"(?:[\s,]*(?:\d+|[{_MARKS}]))+[\s,]*$")


def names_with_refs(line: str) -> list[tuple[str, list[str]]]:
    """`Smith J1,2, Chen W2.` or `Jane A Smith 1 2, Wei Chen 2 & C Wu` -> (name, affiliation numbers)."""
    line = re.sub(r"\bet al\.?", "", line).strip().rstrip(".")
    out = []
    for part in _NAME_SEP_RE.split(line):
        part = strip_bullet(part).strip()
        marks = _TRAILING_REFS_RE.search(part)
        name = (part[: marks.start()] if marks else part).strip(" .,&")
        if name and not name.isdigit():
            out.append((name, re.findall(r"\d+", marks.group(0)) if marks else []))
    return out


def split_names(line: str) -> list[str]:
    return [name for name, _ in names_with_refs(line)]


def person(name: str) -> Author:
    """A displayed name into an `Author`: `Hideyuki Akaza`, `Smith JA` (MEDLINE style), `Smith, J.A.`."""
    name = _DEGREES_RE.sub("", clean_text(name) or "").strip(" ,")
    if COLLECTIVE_WORDS.search(name) and len(name.split()) > 2:
        return Author(collective=name)
    if "," in name:
        last, fore = (x.strip() for x in name.split(",", 1))
        if re.fullmatch(r"(?:[A-Z]\.?\s*-?)+", fore):
            return Author(last=last, initials=fore.replace(".", "").replace(" ", ""))
        return Author(last=last, fore=fore or None)
    if "\u00a0" in name.strip():
        fore, _, last = name.strip().rpartition("\u00a0")
        return Author(last=last.strip(), fore=fore.strip() or None)
    tokens = name.split()
    if len(tokens) >= 2 and _INITIALS_RE.match(tokens[-1]):
        return Author(last=" ".join(tokens[:-1]), initials=tokens[-1].replace("-", ""))
    if len(tokens) >= 2 and all(_INITIALS_RE.match(t.rstrip(".")) for t in tokens[:-1]):
        return Author(last=tokens[-1], initials="".join(t.rstrip(".") for t in tokens[:-1]))
    if len(tokens) == 1:
        return Author(last=tokens[0])
    last_start = _last_name_start(tokens)
    return Author(last=" ".join(tokens[last_start:]), fore=" ".join(tokens[:last_start]))


_PARTICLES = {"van", "von", "de", "der", "den", "del", "della", "di", "da", "dos", "du", "le", "la", "ter", "ten"}


def _last_name_start(tokens: list[str]) -> int:
    i = len(tokens) - 1
    while i > 1 and tokens[i - 1].lower() in _PARTICLES:
        i -= 1
    return i


# A surname with a lower-case particle fused to it: "diCenzo", "deSouza", "vanLeeuwen".
_INNER_CAPITAL_RE = re.compile(r"^[a-z]{1,3}[A-Z][a-z]")


def looks_like_name(text: str) -> bool:
    text = re.sub(r"\b([A-Z])\.(?=[\s-]|$)", r"\1", text.strip())  # initials: "Chinedu N. Okafor"
    if not text or len(text) > 80 or re.search(r"[.:;!?]\s*\S|@|https?://|\d{3,}", text):
        return False
    words = text.replace("\u00a0", " ").split()
    return 1 <= len(words) <= 6 and all(w[:1].isupper() or w.lower() in _PARTICLES or _INNER_CAPITAL_RE.match(w)
                                        for w in words)


# Citations and volume lines ---------------------------------------------------------------------

_MONTHS = "|".join(sorted(MONTHS, key=len, reverse=True))
_VOLUME_LINE_RE = re.compile(
    r"(?:^|,\s*)Volume\s+(?P<volume>[\w.-]+)"
    r"(?:,\s*Issue\s+(?P<issue>[^,]+))?"
    r"(?:,\s*(?P<date>(?:\d{1,2}\s+)?(?:" + _MONTHS + r")\.?(?:\s+\d{1,2},?)?\s+\d{4}|\d{4}))?"
    r"(?:,\s*(?:pp?\.?|Pages?)\s+(?P<pages>[\w]+(?:\s*[–—-]\s*[\w]+)?))?"
    r"(?:,\s*(?:Article(?: number)?:?\s*)(?P<article>\w+))?",
    re.I,
)


def parse_volume_line(text: str) -> dict[str, str]:
    """`Volume 356, Issue 9232, 2 September 2000, Pages 802-807` and `, Volume 11, Issue 6, pp 434–440`."""
    m = _VOLUME_LINE_RE.search(text)
    if not m:
        return {}
    out = {k: v.strip() for k, v in m.groupdict().items() if v}
    if "date" in out:
        out["date"] = parse_date(out["date"]) or ""
    return {k: v for k, v in out.items() if v}


# "Akaza, H., Tsukamoto, T. et al. Int J Clin Oncol (2006) 11: 434. doi:10.1007/…" (Springer, pre-2018)
_OLD_SPRINGER_CITE_RE = re.compile(
    r"^(?P<authors>.+?\.)\s+(?P<journal>[A-Z][^()]*?)\s+\((?P<year>\d{4})\)\s+(?P<volume>[\w-]+)"
    r"(?:\s*\((?P<issue>[^)]+)\))?:\s*(?P<pages>[\w–-]+)\.?\s*(?:doi:\s*(?P<doi>\S+))?"
)
# "Nagayama, H., … et al. Title. Bone Marrow Transplant 23, 183–185 (1999). https://doi.org/…"
_SN_CITE_TAIL_RE = re.compile(
    r"(?P<journal>[A-Z][^.]*?)\s+(?P<volume>[\w-]+),\s+(?P<pages>[\w]+(?:[–-]\w+)?)\s+\((?P<year>\d{4})\)\."
    r"(?:\s*(?:https?://(?:dx\.)?doi\.org/|doi:\s*)(?P<doi>\S+))?\s*$"
)
_CITE_AUTHORS_RE = re.compile(r"^((?:[^,.]+,\s(?:[A-Z]\.[\s-]?)+,?\s*(?:&\s*)?)+(?:et al\.)?)\s*")


def parse_cite_line(text: str, title: str | None = None) -> dict[str, object]:
    """A Springer Nature "Cite this article" line into authors, journal, volume, pages, year, doi."""
    text = clean_text(text) or ""
    m = _OLD_SPRINGER_CITE_RE.match(text)
    if m:
        out: dict[str, object] = {k: v for k, v in m.groupdict().items() if v and k != "authors"}
        out["authors"] = cite_authors(m.group("authors"))
        return out
    tail = _SN_CITE_TAIL_RE.search(text)
    if not tail:
        return {}
    out = {k: v for k, v in tail.groupdict().items() if v}
    head = text[: tail.start()].strip()
    authors = _CITE_AUTHORS_RE.match(head)
    if authors:
        out["authors"] = cite_authors(authors.group(1))
        head = head[authors.end():]
    if title and head.startswith(title[: max(10, len(title) // 2)]):
        out["title"] = head.rstrip(". ")
    elif head:
        out["title"] = head.rstrip(". ")
    return out


def cite_authors(text: str) -> list[Author]:
    """`Berg, A., Ruiz, T. & Sato, K. et al.` -> authors with initials (a truncated list when et al.)."""
    found = re.findall(r"([^,.&]+?),\s((?:[A-Z][a-z]?\.[\s-]?)+)", text)
    return [Author(last=last.strip(" &"), initials=ini.replace(".", "").replace(" ", "").replace("-", ""))
            for last, ini in found]


def split_terms(text: str) -> list[str]:
    """A keyword line: separators when the page has them, else run-together terms split back."""
    text = text.strip().rstrip(".")
    for sep in (";", "·", "•", "|", ","):
        if sep in text:
            return [t.strip() for t in text.split(sep) if t.strip()]
    return split_run_together(text)


def first_match(patterns: Iterable[re.Pattern[str]], text: str) -> re.Match[str] | None:
    for p in patterns:
        m = p.search(text)
        if m:
            return m
    return None


# Markdown saves and printed copies --------------------------------------------------------------

_MD_HEADING_RE = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
_MD_IMAGE_RE = re.compile(r"!\[[^\]]*\]\([^)]*\)|\[image\]\s*", re.I)
_MD_LINK_RE = re.compile(r"\[([^\]]*)\]\((?:[^()\s]|\([^)]*\))*(?:\s+\"[^\"]*\")?\)")
_MD_EMPHASIS_RE = re.compile(r"(\*\*|__)(.+?)\1")
_MD_QUOTE_RE = re.compile(r"^\s*>\s?")
_MD_LIST_RE = re.compile(r"^(\s*)[*+]\s+")
# Lines a markdown converter leaves for what had no text: images, math fences, rules.
_MD_EMPTY_RE = re.compile(r"^\s*(?:\[image\]|\$\$|[-*_]{3,}|\|?(?:\s*:?-+:?\s*\|)+\s*:?-*:?\s*)\s*$", re.I)
# A line a printer or converter broke inside a sentence: it ends on a word, a comma or a hyphen.
_OPEN_END_RE = re.compile(r"[\w,;(\-–]$")
_CONTINUES_RE = re.compile(r"^[a-z(]")
# A line cannot end a paragraph on a function word: what follows continues it, whatever its case.
_DANGLING_RE = re.compile(r"\b(?:of|the|and|or|a|an|in|on|for|to|with|by|from|at|as|via|into|than|between)$")
# A copy is hard-wrapped and double-spaced when at least this share of its lines is followed by a blank line
# and this share of those ends inside a sentence (the printed Springer copies: 0.95 and 0.6; seed copies with one
# paragraph a line: under 0.1 end inside a sentence).
DOUBLE_SPACED_SHARE = 0.8
OPEN_END_SHARE = 0.3
WRAPPED_LINE_MIN = 30


def plain_lines(lines: list[str]) -> list[str]:
    """Lines of a text copy with markdown markup removed and printer-wrapped paragraphs joined again, so site
    rules written for a browser's text copy read a markdown save or a printed page alike."""
    if not any(_MD_HEADING_RE.match(x) or _MD_LINK_RE.search(x) or _MD_EMPTY_RE.match(x) for x in lines):
        return lines
    out: list[str] = []
    last_h1 = None
    for line in lines:
        if _MD_EMPTY_RE.match(line):
            continue
        heading = _MD_HEADING_RE.match(line)
        text = heading.group(2) if heading else _MD_QUOTE_RE.sub("", line)
        text = _MD_EMPHASIS_RE.sub(r"\2", _MD_LINK_RE.sub(r"\1", _MD_IMAGE_RE.sub("", text)))
        text = _MD_LIST_RE.sub(r"\1• ", text).rstrip()
        if heading and heading.group(1) == "#" and last_h1 is not None:
            # A title a converter split into several first-level headings ("# An Exactly", "# Curl-Free ...").
            out[last_h1] = f"{out[last_h1]} {text}"
            del out[last_h1 + 1:]
            continue
        last_h1 = len(out) if heading and heading.group(1) == "#" else (last_h1 if not line.strip() else None)
        out.append(text)
    return rewrap(out)


def rewrap(lines: list[str]) -> list[str]:
    """Join a hard-wrapped, double-spaced copy's lines back into paragraphs (only when the whole copy is so)."""
    nonblank = [i for i, x in enumerate(lines) if x.strip()]
    spaced = [i for i in nonblank if i + 1 < len(lines) and not lines[i + 1].strip()]
    if len(nonblank) < 10 or len(spaced) < DOUBLE_SPACED_SHARE * len(nonblank):
        return lines
    if sum(1 for i in spaced if _OPEN_END_RE.search(lines[i])) < OPEN_END_SHARE * len(spaced):
        return lines
    out: list[str] = []
    joinable = False
    for line in lines:
        text = line.strip()
        if not text:
            if not joinable:
                out.append(line)
            continue
        hyphen = bool(re.search(r"[^\W\d]-$", out[-1])) if out else False
        dangling = bool(_DANGLING_RE.search(out[-1]) or out[-1].endswith(",")) if out else False
        if joinable and (_CONTINUES_RE.match(text) or (hyphen or dangling) and text[:1].isalpha()):
            out[-1] = f"{out[-1]}{'' if hyphen else ' '}{text}"
        else:
            if joinable:
                out.append("")
            out.append(line)
        joinable = len(out[-1]) >= WRAPPED_LINE_MIN and bool(_OPEN_END_RE.search(out[-1]))
    return out
