"""Decoding by declared charset then detection, and mojibake repair."""

from __future__ import annotations

from transforms.encoding import decode, repair, to_text


def test_cp949_read_no_break_space_is_repaired() -> None:
    broken = "show the\ud63bpositive effect; Adoptive\ud63bimmunotherapy"
    assert repair(broken) == "show the\u00a0positive effect; Adoptive\u00a0immunotherapy"


def test_real_korean_text_is_left_alone() -> None:
    korean = "\ud55c\uad6d\uc5b4 \ubb38\uc7a5\uc740 \uadf8\ub300\ub85c \ub461\ub2c8\ub2e4 \ud63b"
    assert repair(korean) == korean


def test_utf8_read_as_cp1252_is_repaired() -> None:
    assert repair("T\u00c3\u00bcbingen interferon-\u00ce\u00b1") == "T\u00fcbingen interferon-\u03b1"


def test_curly_quotes_are_kept() -> None:
    assert repair("it\u2019s \u201cfine\u201d") == "it\u2019s \u201cfine\u201d"


def test_declared_charset_wins_then_detection() -> None:
    html = '<html><head><meta charset="iso-8859-1"></head><body>T\u00fcbingen</body></html>'.encode("latin-1")
    assert "T\u00fcbingen" in decode(html)
    assert decode("caf\u00e9".encode("cp1252"), "text/html; charset=windows-1252") == "caf\u00e9"
    assert "T\u00fcbingen" in to_text("Department of Dermatology, T\u00fcbingen, Germany. " .encode("cp1252") * 5)


def test_bom_decides() -> None:
    assert decode("abc".encode("utf-16")) == "abc"
    assert decode("\ufeffabc".encode("utf-8")) == "abc"
