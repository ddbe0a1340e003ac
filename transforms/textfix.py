"""ftfy's `fix_text`, handing it only the lines it could change.

ftfy fixes a text line by line, and each line costs it a dozen passes even when it changes nothing; a web page
has thousands of lines, nearly all plain ASCII. `fix_text` here gives exactly ftfy's output: a line goes to ftfy
(`ftfy.fix_and_explain`, with the configuration ftfy's own loop would use) unless it provably comes back
unchanged, or changed only by fixers that map characters one by one (line breaks, ligatures, control
characters), which are then applied here in ftfy's order. Mojibake is judged by ftfy's own badness regex.
tests/transforms/test_textfix.py compares the output with ftfy's.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

import ftfy
from ftfy import chardata
from ftfy.badness import BADNESS_RE

# Every match of ftfy's badness regex has a non-ASCII character among its first BADNESS_LEAD + 1 characters and
# is at most BADNESS_WIDTH long; the regex has no look-around or end anchor. tests/transforms/test_textfix.py
# reads these off the installed ftfy's pattern.
BADNESS_LEAD = 2
BADNESS_WIDTH = 7
# The fixers ftfy's `fix_and_explain` applies after `fix_encoding`, in its order.
LATER_FIXERS = ("fix_c1_controls", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes",
                "fix_line_breaks", "fix_surrogates", "remove_terminal_escapes", "remove_control_chars")
# Fixers whose characters are not listed here: with one enabled, ftfy sees every line.
_NOT_MODELLED = ("fix_character_width", "uncurl_quotes")

# (Written out, not `[^\x00-\x7f]+`: the regex engine scans for a leading single class several times faster.)
_NON_ASCII_RUN_RE = re.compile(r"[^\x00-\x7f][^\x00-\x7f]*")
# A line of printable ASCII, tab and line feed is left alone by every fixer but the HTML unescaper, which needs
# a `&`. (Single character classes: the regex engine scans for those fast.)
_ACTIVE_RE = re.compile(r"[^\t\n\x20-\x7e]")
_ACTIVE_OR_AMP_RE = re.compile(r"[^\t\n\x20-\x25\x27-\x7e]")


def _char_class(codepoints: list[int]) -> str:
    return "".join(re.escape(chr(c)) for c in codepoints)


def _translator(table: dict[int, str | None]) -> Callable[[str], str]:
    """`text.translate(table)` as a regex substitution: the same result, and no per-character table lookup
    over long non-ASCII lines, where `str.translate` is slow."""
    chars = re.compile(f"[{_char_class(sorted(table))}]")

    def translate(text: str) -> str:
        return chars.sub(lambda m: table[ord(m.group())] or "", text)

    return translate


# ftfy's fixers that are `str.translate` calls, done faster.
_FAST_FIXERS = {"fix_latin_ligatures": _translator(chardata.LIGATURES),
                "remove_control_chars": _translator(chardata.CONTROL_CHARS)}


def is_bad(text: str) -> bool:
    """`ftfy.badness.is_bad`, with the regex tried only around runs of non-ASCII characters, where a match
    must lie (BADNESS_LEAD, BADNESS_WIDTH)."""
    start = end = -1
    for run in _NON_ASCII_RUN_RE.finditer(text):
        if run.start() - BADNESS_LEAD > end:  # a new window; search the one before
            if end >= 0 and BADNESS_RE.search(text, start, end):
                return True
            start = max(0, run.start() - BADNESS_LEAD)
        end = run.end() + BADNESS_WIDTH
    return end >= 0 and bool(BADNESS_RE.search(text, start, end))


class _Fixer:
    """ftfy's loop for one configuration."""

    def __init__(self, config: ftfy.TextFixerConfig) -> None:
        self.config = config
        self.modelled = not any(getattr(config, name) for name in _NOT_MODELLED)
        # The characters each enabled later fixer changes; without them it returns its input.
        changes = {
            "fix_c1_controls": "\x80-\x9f",
            "fix_latin_ligatures": _char_class(sorted(chardata.LIGATURES)),
            "fix_line_breaks": "\r\u2028\u2029\x85",
            "fix_surrogates": "\ud800-\udfff",
            "remove_terminal_escapes": "\x1b",
            "remove_control_chars": _char_class(sorted(chardata.CONTROL_CHARS)),
        }
        enabled = [name for name in LATER_FIXERS if name in changes and getattr(config, name)]
        self.later = [(re.compile(f"[{changes[name]}]"), _FAST_FIXERS.get(name, ftfy.FIXERS[name]))
                      for name in enabled]
        chars = "".join(changes[name] for name in enabled)
        self.touched = re.compile(f"[{chars}]") if chars else re.compile(r"(?!)")
        self.cuts_crs = config.fix_line_breaks

    def _clean_start(self, segment: str, config: ftfy.TextFixerConfig) -> bool:
        """ftfy's first two steps, HTML unescaping and the encoding fix, leave `segment` as it is."""
        return (("&" not in segment or not config.unescape_html)
                and (segment.isascii() or not config.fix_encoding or not is_bad(segment)))

    def _settled(self, segment: str, config: ftfy.TextFixerConfig) -> bool:
        """A round of ftfy's fixers leaves `segment` as it is, so ftfy returns it."""
        return (not self.touched.search(segment) and self._clean_start(segment, config)
                and (config.normalization is None or unicodedata.is_normalized(config.normalization, segment)))

    def segment(self, segment: str, config: ftfy.TextFixerConfig) -> str:
        if config.unescape_html == "auto" and "<" in segment:  # as `fix_and_explain` decides, once
            config = config._replace(unescape_html=False)
        if self._clean_start(segment, config):
            if self.cuts_crs and segment.endswith("\r\n") and not self.touched.search(segment, 0, len(segment) - 2):
                # Only the CR of the line end to cut. A badness match new to the cut line must end at its LF.
                fixed = segment[:-2] + "\n"
                if ((config.normalization is None or unicodedata.is_normalized(config.normalization, fixed))
                        and not BADNESS_RE.search(fixed, max(0, len(fixed) - BADNESS_WIDTH))):
                    return fixed
            # ftfy's first round is then the character fixers and normalization: done here. When it changes
            # nothing, or a second round would not, that is ftfy's answer.
            fixed = segment
            if self.touched.search(segment):
                for changes, fixer in self.later:
                    if changes.search(fixed):
                        fixed = fixer(fixed)
            if config.normalization is not None:
                fixed = unicodedata.normalize(config.normalization, fixed)
            if fixed == segment or self._settled(fixed, config):
                return fixed
        return ftfy.fix_and_explain(segment, config).text

    def _segment_around(self, text: str, i: int) -> tuple[int, int]:
        """ftfy's segment holding index `i`: its line, cut every `max_decode_length` characters."""
        start = text.rfind("\n", 0, i) + 1
        end = text.find("\n", i) + 1 or len(text)
        size = self.config.max_decode_length
        if end - start > size:
            start += (i - start) // size * size
            if end - start > size:
                end = start + size
        return start, end

    def fix(self, text: str) -> str:
        config = self.config
        first_lt = text.find("<")
        # Where a `&` can still be unescaped: ftfy stops for good at the first segment holding a `<`.
        if config.unescape_html == "auto":
            amp_until = len(text) if first_lt < 0 else first_lt
        else:
            amp_until = len(text) if config.unescape_html else 0
        # A CR before the LF that ends an otherwise plain line only becomes an LF (`fix_line_breaks`): done here
        # for whole stretches of such lines, found in a copy where those CRs read as spaces. (Not when lines
        # past max_decode_length are cut into several segments, where a CR may end one.)
        bulk_crlf = config.fix_line_breaks and len(text) <= config.max_decode_length and "\r\n" in text
        scan = text.replace("\r\n", " \n") if bulk_crlf else text
        plain = config._replace(unescape_html=False)
        out: list[str] = []
        done = 0
        while True:
            m = _ACTIVE_OR_AMP_RE.search(scan, done, amp_until) if done < amp_until else None
            m = m or _ACTIVE_RE.search(scan, max(done, amp_until))
            if m is None:
                break
            start, end = self._segment_around(text, m.start())
            unescape_off = config.unescape_html == "auto" and 0 <= first_lt < end
            out += [text[done:start], self.segment(text[start:end], plain if unescape_off else config)]
            done = end
        out.append(text[done:])
        if bulk_crlf:
            # Only the stretches between fixed segments can hold a CRLF still; fixed segments hold none.
            return "".join(part.replace("\r\n", "\n") if n % 2 == 0 else part for n, part in enumerate(out))
        return "".join(out)


@lru_cache(maxsize=8)
def _fixer(config: ftfy.TextFixerConfig) -> _Fixer:
    return _Fixer(config)


def fix_text(text: str, config: ftfy.TextFixerConfig) -> str:
    """`ftfy.fix_text(text, config=config)`, the same output."""
    fixer = _fixer(config)
    if not fixer.modelled:
        return ftfy.fix_text(text, config=config)
    return fixer.fix(text)
