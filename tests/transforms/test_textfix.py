"""`textfix.fix_text` gives ftfy's own output, on real pages and on generated text meant to hit every shortcut."""

from __future__ import annotations

import random
import re._constants as sre_constants
import re._parser as sre_parser
from pathlib import Path

import ftfy
import pytest
from ftfy.badness import BADNESS_RE
from ftfy.badness import is_bad as ftfy_is_bad

from tests.gold import SHARED
from transforms import encoding, textfix
from transforms.encoding import _FTFY_CONFIG

CORPUS = SHARED / "corpus" / "html"
OWN_PAGES = Path(__file__).parent / "pages"
CONFIGS = {
    "ours": _FTFY_CONFIG,
    "short_segments": _FTFY_CONFIG._replace(max_decode_length=40),
    "unescape": _FTFY_CONFIG._replace(unescape_html=True),
    "no_unescape": _FTFY_CONFIG._replace(unescape_html=False),
    "no_line_breaks": _FTFY_CONFIG._replace(fix_line_breaks=False, normalization=None),
    "ftfy_default": ftfy.TextFixerConfig(explain=False),  # fixers textfix does not model: all through ftfy
}
# Pieces of text ftfy treats differently: mojibake, entities, ligatures, controls, line breaks, combining marks.
PIECES = (
    ["plain words ", "x", " ", ".", "<p>", "</p>", "&amp;", "&eacute;", "&EACUTE;", "&#233;", "&nbsp", "\n", "\n",
     "\r\n", "\r", "\t", "\x1b[31m", "\x00", "\x7f", "\x0c"]
    + ["\u00e9", "\u00fc", "\u2013", "\u2014", "\u2019", "\u201c", "\u201d", "\u2026", "\u00a0", "\u00b0", "\u00b1",
       "\u00d7", "\u00b5", "\u03b1", "\u00a9", "\ufeff", "\ufb01", "\u0133", "\u2028", "\u0085", "\u009d",
       "e\u0301", "\u00c3\u00a9", "\u00e2\u20ac\u2122", "\u00c3 ", "\u00c3\u0192\u00c2\u00a9", "\u00ce\u00b1",
       "\u00d0\u00b2", "\u0412\u0402", "\u00e0\u00a4", "\u0153a", "\u00c2 ", "\u00d8\u00a7\u00d9\u201e"]
)


def _texts(seed: int, count: int, size: int, ascii_weight: int) -> list[str]:
    rnd = random.Random(seed)
    weights = [ascii_weight if piece.isascii() else 1 for piece in PIECES]
    return ["".join(rnd.choices(PIECES, weights, k=rnd.randint(0, size))) for _ in range(count)]


def _real_pages() -> list[Path]:
    pages = sorted(CORPUS.glob("*.html")) + sorted(p for p in OWN_PAGES.rglob("*") if p.suffix in (".html", ".txt"))
    assert len(pages) > 30
    return pages


def test_badness_constants_hold_for_the_installed_ftfy() -> None:
    """Every match of the badness regex starts at most BADNESS_LEAD characters before its first character that
    cannot be ASCII, is at most BADNESS_WIDTH long, and the regex looks at nothing outside the match."""
    tree = sre_parser.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
    assert tree.getwidth()[1] <= textfix.BADNESS_WIDTH

    def ascii_possible(op, av) -> bool:
        if op == sre_constants.LITERAL:
            return av < 128
        if op == sre_constants.IN:
            if any(o == sre_constants.NEGATE for o, _ in av):
                return True
            return any(o == sre_constants.CATEGORY or (o == sre_constants.LITERAL and a < 128)
                       or (o == sre_constants.RANGE and a[0] < 128) for o, a in av)
        return True  # anything else may match ASCII

    def opcodes(items):
        for op, av in items:
            yield av if op == sre_constants.AT else op
            if op == sre_constants.BRANCH:
                for branch in av[1]:
                    yield from opcodes(branch)
            elif op in (sre_constants.MAX_REPEAT, sre_constants.MIN_REPEAT):
                yield from opcodes(av[2])

    assert set(opcodes(tree)) <= {sre_constants.BRANCH, sre_constants.LITERAL, sre_constants.IN, sre_constants.ANY,
                             sre_constants.MAX_REPEAT, sre_constants.AT_BEGINNING}
    [(op, (_, branches))] = list(tree)
    assert op == sre_constants.BRANCH
    for branch in branches:
        lead = 0
        for item_op, item in branch:
            if item_op == sre_constants.AT:
                continue
            if item_op == sre_constants.MAX_REPEAT:
                _, most, [(sub_op, sub)] = item
                assert ascii_possible(sub_op, sub)
                lead += most
            elif ascii_possible(item_op, item):
                lead += 1
            else:
                break
        else:
            pytest.fail(f"a branch of the badness regex can match ASCII only: {branch}")
        assert lead <= textfix.BADNESS_LEAD


@pytest.mark.parametrize("seed", range(4))
def test_is_bad_agrees_with_ftfy(seed: int) -> None:
    texts = _texts(seed, 3000, 60, ascii_weight=3)
    assert any(ftfy_is_bad(t) for t in texts) and not all(ftfy_is_bad(t) for t in texts)
    assert [textfix.is_bad(t) for t in texts] == [ftfy_is_bad(t) for t in texts]


@pytest.mark.parametrize("name", list(CONFIGS))
def test_generated_text_is_fixed_as_ftfy_fixes_it(name: str) -> None:
    config = CONFIGS[name]
    texts = _texts(7, 1000, 40, ascii_weight=2) + _texts(8, 200, 400, ascii_weight=40)
    fixed = [textfix.fix_text(t, config) for t in texts]
    assert fixed == [ftfy.fix_text(t, config=config) for t in texts]
    assert sum(f != t for f, t in zip(fixed, texts, strict=True)) > 100  # the texts do hold things to fix


@pytest.mark.parametrize(("name", "chars"), [("ours", None), ("short_segments", 20000)])
def test_real_pages_are_fixed_as_ftfy_fixes_them(name: str, chars: int | None) -> None:
    config = CONFIGS[name]
    for page in _real_pages():
        text = encoding.decode(page.read_bytes())[:chars]
        assert textfix.fix_text(text, config) == ftfy.fix_text(text, config=config), page.name


def test_a_page_with_crlf_lines_and_a_mojibake_line() -> None:
    lines = ["<p>plain line</p>\r\n"] * 50 + ["<p>T\u00c3\u00bcbingen \ufb01eld\ufeff</p>\r\n"] + ["tail\r\n"] * 5
    text = "".join(lines)
    assert textfix.fix_text(text, _FTFY_CONFIG) == ftfy.fix_text(text, config=_FTFY_CONFIG)
    assert textfix.fix_text(text, _FTFY_CONFIG) == (
        "<p>plain line</p>\n" * 50 + "<p>T\u00fcbingen field</p>\n" + "tail\n" * 5
    )


def test_entities_are_unescaped_only_before_the_first_tag_as_ftfy_does() -> None:
    text = "Caf&eacute; one\nCaf&eacute; two <b>\nCaf&eacute; three\n"
    assert textfix.fix_text(text, _FTFY_CONFIG) == ftfy.fix_text(text, config=_FTFY_CONFIG)
    assert textfix.fix_text(text, _FTFY_CONFIG).startswith("Caf\u00e9 one\nCaf&eacute; two")
