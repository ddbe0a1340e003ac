"""Field accuracy and speed of our HTML extractor against trafilatura's metadata extraction, on the same pages.

    .venv/bin/python bench/extraction_report.py [DIR_OR_EXPECTATION ...] [--passes N]

Pages: every `*.html.json` expectation file (format: ../shared/gold/README.md) of the given directories, or the
given expectation files; by default ../shared/corpus/html. Pages whose expectation has `status: no_article` are
left out (neither extractor is asked to refuse them here). Ours is `transforms.pipeline.parse_bytes(body, name,
url)`; trafilatura is `trafilatura.bare_extraction(body, url=url, with_metadata=True)`; both get the page's raw
bytes and URL. Site = the file name before its first `_`.

A field is scored on a page only when its expectation states it. Both sides are normalized as `tests.gold.norm`
does (NFC, white space runs as one space, ends trimmed). "Correct" means:

- title: equal, after dropping one trailing period on both sides (the record's convention).
- doi: equal, case-insensitively (DOIs are). trafilatura has no DOI field: shown as n/a.
- authors: the same number of authors and the same last names in order (`collective` where the expectation
  names a group); with `first_author` only the first author's last name. trafilatura gives one string
  (`"A; B"`): it is split on `;` and each part read with our name parser (`Last, First` or `First Last`).
- journal: equal, case-insensitively. trafilatura has no journal field: its `sitename` is compared.
- date: the expectation's `pub_date` at its own precision (`1955`, `2019-02`, `2019-02-07`: the extractor's
  date must start with it), else its `pub_year` against the date's year. trafilatura: its `date`.
- abstract: the expectation's `starts_with`, `ends_with` and each `contains` hold. trafilatura has no abstract
  field: its `description` (meta description / og:description / citation_abstract) is compared.

Abstract token F1 (lower-cased word tokens, multiset overlap), per page with an abstract block, averaged; no
abstract scores 0. Expectations give fragments, not the whole abstract, so scoring the whole extracted text
against the fragments would punish a correct abstract for its unknown middle. The extracted text is therefore
scored only on the windows the fragments describe: its first len(starts_with) tokens against `starts_with`, its
last len(ends_with) tokens against `ends_with`, and for each `contains` fragment the window of the same length
that overlaps it most. A truncated teaser loses the `ends_with` window, a digest or page furniture appended or
prepended shifts the end or start window, wrong text loses all three; text in the unknown middle counts neither
way. Where an expectation gives only `contains`, only those windows count.

Speed: pages per second over `--passes` passes of every page (default 3, the two extractors alternating pass by
pass in one process, after one untimed pass that also gives the scores). trafilatura also extracts the main
text of the page, which we do not: the ratio compares whole calls as a user makes them. Other processes on the
machine move the figures; compare ratios from one run, not seconds across runs.
"""

from __future__ import annotations

import argparse
import logging
import re
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))  # tests.gold: the expectation format and its normalization

import trafilatura  # noqa: E402

from tests.gold import SHARED, load, norm  # noqa: E402
from transforms.embedded import parse_author_name  # noqa: E402
from transforms.errors import ParseError  # noqa: E402
from transforms.pipeline import parse_bytes  # noqa: E402

DEFAULT_DIRS = (SHARED / "corpus" / "html",)
FIELDS = ("title", "doi", "authors", "journal", "date", "abstract")
EXTRACTORS = ("ours", "trafilatura")
NOT_EXTRACTED = {("trafilatura", "doi")}  # no such field in its output
_TOKEN_RE = re.compile(r"\w+")


@dataclass
class Page:
    name: str
    site: str
    body: bytes
    url: str | None
    spec: dict[str, Any]


@dataclass
class Fields:
    """What one extractor gave for one page, in comparable form."""

    title: str | None = None
    doi: str | None = None
    authors: list[dict[str, str | None]] = field(default_factory=list)
    journal: str | None = None
    date: str | None = None
    abstract: str | None = None


# --- Pages.


def pages_of(targets: Iterable[Path]) -> list[Page]:
    specs: list[Path] = []
    for target in targets:
        specs += sorted(target.glob("*.html.json")) if target.is_dir() else [target]
    pages = []
    for spec_path in specs:
        spec = load(spec_path)
        if spec.get("status") == "no_article":
            continue
        body = (spec_path.parent / spec["file"]).read_bytes()
        pages.append(Page(spec["file"], spec["file"].split("_", 1)[0], body, spec.get("url"), spec))
    return pages


# --- The two extractors, each to `Fields`.


def ours(page: Page) -> Fields:
    try:
        a = parse_bytes(page.body, page.name, url=page.url)
    except ParseError:
        return Fields()
    date = a.pub_date or (str(a.pub_year) if a.pub_year else None)
    authors = [{"last": x.last, "collective": x.collective} for x in a.authors]
    return Fields(a.title, a.doi, authors, a.journal, date, a.abstract)


def theirs(page: Page) -> Fields:
    doc = trafilatura.bare_extraction(page.body, url=page.url, with_metadata=True)
    if doc is None:
        return Fields()
    d = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    names = [parse_author_name(n) for n in (d.get("author") or "").split(";")]
    authors = [{"last": n.last, "collective": n.collective} for n in names if n]
    return Fields(d.get("title"), None, authors, d.get("sitename"), d.get("date"), d.get("description"))


RUN: dict[str, Callable[[Page], Fields]] = {"ours": ours, "trafilatura": theirs}


# --- Scoring one field.


def _fold(value: str | None) -> str:
    return (norm(value or "") or "").casefold()


def _title(value: str | None) -> str:
    text = norm(value or "") or ""
    return text[:-1] if text.endswith(".") else text


def _same_people(got: list[dict[str, str | None]], want: list[dict[str, str]]) -> bool:
    def key(person: dict[str, Any]) -> str:
        return _fold(person.get("last") or person.get("collective"))

    return len(got) == len(want) and all(key(g) == key(w) for g, w in zip(got, want, strict=True))


def _date_ok(got: str | None, expect: dict[str, Any]) -> bool:
    got = norm(got or "") or ""
    if expect.get("pub_date"):
        return bool(got) and got.startswith(str(expect["pub_date"]))
    return got[:4] == str(expect["pub_year"])


def _abstract_ok(got: str | None, block: dict[str, Any]) -> bool:
    text, block = norm(got or "") or "", norm(block)
    return bool(text) and (
        text.startswith(block.get("starts_with", "")) and text.endswith(block.get("ends_with", ""))
        and all(part in text for part in block.get("contains", []))
    )


def scored_fields(spec: dict[str, Any]) -> list[str]:
    expect = spec.get("expect", {})
    wanted = {"title": "title" in expect, "doi": "doi" in expect, "journal": "journal" in expect,
              "authors": "authors" in expect or "first_author" in expect,
              "date": "pub_date" in expect or "pub_year" in expect, "abstract": bool(spec.get("abstract"))}
    return [f for f in FIELDS if wanted[f]]


def correct(name: str, got: Fields, spec: dict[str, Any]) -> bool:
    expect = spec.get("expect", {})
    if name == "title":
        return bool(got.title) and _title(got.title) == _title(expect["title"])
    if name == "doi":
        return bool(got.doi) and _fold(got.doi) == _fold(expect["doi"])
    if name == "journal":
        return bool(got.journal) and _fold(got.journal) == _fold(expect["journal"])
    if name == "authors":
        if "authors" in expect:
            return _same_people(got.authors, expect["authors"])
        return _same_people(got.authors[:1], [expect["first_author"]])
    if name == "date":
        return _date_ok(got.date, expect)
    return _abstract_ok(got.abstract, spec["abstract"])


# --- Abstract token F1 over the windows the expectation describes.


def tokens(text: str | None) -> list[str]:
    return _TOKEN_RE.findall((norm(text or "") or "").lower())


def _best_window(candidate: list[str], fragment: list[str]) -> list[str]:
    """The window of `candidate` as long as `fragment` sharing the most tokens with it."""
    size = len(fragment)
    if len(candidate) <= size:
        return candidate
    want = Counter(fragment)
    best, best_score = candidate[:size], -1
    for start in range(len(candidate) - size + 1):
        window = candidate[start:start + size]
        score = sum((Counter(window) & want).values())
        if score > best_score:
            best, best_score = window, score
            if score == size:
                break
    return best


def abstract_f1(got: str | None, block: dict[str, Any]) -> float:
    candidate = tokens(got)
    if not candidate:
        return 0.0
    reference: list[str] = []
    picked: list[str] = []
    head, tail = tokens(block.get("starts_with")), tokens(block.get("ends_with"))
    if head:
        reference += head
        picked += candidate[:len(head)]
    if tail:
        reference += tail
        picked += candidate[-len(tail):]
    for part in block.get("contains", []):
        fragment = tokens(part)
        reference += fragment
        picked += _best_window(candidate, fragment)
    overlap = sum((Counter(picked) & Counter(reference)).values())
    if not overlap:
        return 0.0
    precision, recall = overlap / len(picked), overlap / len(reference)
    return 2 * precision * recall / (precision + recall)


# --- Runs and the report.


@dataclass
class Tally:
    right: Counter[tuple[str, str, str]] = field(default_factory=Counter)  # (extractor, site, field)
    asked: Counter[tuple[str, str]] = field(default_factory=Counter)  # (site, field)
    f1: dict[tuple[str, str], list[float]] = field(default_factory=lambda: defaultdict(list))  # (extractor, site)
    pages: Counter[str] = field(default_factory=Counter)
    wrong: dict[str, list[str]] = field(default_factory=lambda: defaultdict(list))  # extractor -> "page: field"


def score(pages: list[Page]) -> Tally:
    tally = Tally()
    for page in pages:
        tally.pages[page.site] += 1
        got = {name: RUN[name](page) for name in EXTRACTORS}
        for f in scored_fields(page.spec):
            tally.asked[(page.site, f)] += 1
            for name in EXTRACTORS:
                if correct(f, got[name], page.spec):
                    tally.right[(name, page.site, f)] += 1
                elif (name, f) not in NOT_EXTRACTED:
                    tally.wrong[name].append(f"{page.name}: {f}")
        if page.spec.get("abstract"):
            for name in EXTRACTORS:
                tally.f1[(name, page.site)].append(abstract_f1(got[name].abstract, page.spec["abstract"]))
    return tally


def timed(pages: list[Page], passes: int) -> dict[str, float]:
    """Pages per second of each extractor, passes alternating between them."""
    seconds = dict.fromkeys(EXTRACTORS, 0.0)
    for _ in range(passes):
        for name in EXTRACTORS:
            run = RUN[name]
            start = time.perf_counter()
            for page in pages:
                run(page)
            seconds[name] += time.perf_counter() - start
    return {name: passes * len(pages) / s for name, s in seconds.items()}


def _share(right: int, asked: int) -> str:
    return f"{right}/{asked} ({100 * right / asked:.0f}%)" if asked else "-"


def _cell(tally: Tally, name: str, sites: list[str], f: str) -> str:
    if (name, f) in NOT_EXTRACTED:
        return "n/a"
    asked = sum(tally.asked[(s, f)] for s in sites)
    return _share(sum(tally.right[(name, s, f)] for s in sites), asked)


def _mean(values: list[float]) -> float | None:
    return sum(values) / len(values) if values else None


def _f1_cell(tally: Tally, name: str, sites: list[str]) -> str:
    mean = _mean([v for s in sites for v in tally.f1.get((name, s), [])])
    return "-" if mean is None else f"{mean:.2f}"


def report(tally: Tally, speed: dict[str, float], passes: int) -> str:
    sites = sorted(tally.pages)
    total = sum(tally.pages.values())
    lines = [f"Pages: {total} ({len(sites)} sites). Cells: correct / pages whose expectation states the field.", ""]
    lines += ["| field | ours | trafilatura |", "|---|---|---|"]
    for f in FIELDS:
        lines.append(f"| {f} | {_cell(tally, 'ours', sites, f)} | {_cell(tally, 'trafilatura', sites, f)} |")
    lines.append(f"| abstract token F1 (mean) | {_f1_cell(tally, 'ours', sites)} | "
                 f"{_f1_cell(tally, 'trafilatura', sites)} |")
    lines += ["", "Per site, ours / trafilatura (share correct; F1 = mean abstract token F1):", ""]
    lines += ["| site | pages | " + " | ".join(FIELDS) + " | F1 |", "|---" * (len(FIELDS) + 3) + "|"]
    for site in sites:
        cells = []
        for f in FIELDS:
            asked = tally.asked[(site, f)]
            if not asked:
                cells.append("-")
                continue
            shares = ["n/a" if (n, f) in NOT_EXTRACTED else f"{100 * tally.right[(n, site, f)] / asked:.0f}%"
                      for n in EXTRACTORS]
            cells.append(" / ".join(shares))
        f1 = " / ".join(_f1_cell(tally, n, [site]) for n in EXTRACTORS)
        lines.append(f"| {site} | {tally.pages[site]} | " + " | ".join(cells) + f" | {f1} |")
    ratio = speed["ours"] / speed["trafilatura"]
    lines += ["", f"Speed over {passes} passes of {total} pages (same process, alternating):", "",
              "| extractor | pages/s | ratio to trafilatura |", "|---|---|---|",
              f"| ours | {speed['ours']:.1f} | {ratio:.2f}x |",
              f"| trafilatura 2.3.1 | {speed['trafilatura']:.1f} | 1.00x |"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("targets", nargs="*", type=Path, help="directories of pages, or expectation files")
    parser.add_argument("--passes", type=int, default=3, help="timed passes over every page (default 3)")
    parser.add_argument("--misses", action="store_true", help="also list each page and field scored wrong")
    args = parser.parse_args(argv)
    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    logging.getLogger("htmldate").setLevel(logging.CRITICAL)
    targets = args.targets or list(DEFAULT_DIRS)
    missing = [t for t in targets if not t.exists()]
    if missing:
        parser.error(f"no such directory or file: {', '.join(map(str, missing))}")
    pages = pages_of(targets)
    if not pages:
        parser.error(f"no expectation files (*.html.json) with an article in {', '.join(map(str, targets))}")
    tally = score(pages)
    print(report(tally, timed(pages, args.passes), args.passes))
    if args.misses:
        for name in EXTRACTORS:
            print(f"\n{name} misses:\n" + "\n".join(f"- {m}" for m in tally.wrong[name]))


if __name__ == "__main__":
    main()
