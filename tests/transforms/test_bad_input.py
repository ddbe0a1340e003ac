"""Bad documents end in one clear error that names the input and the reason."""

from __future__ import annotations

import pytest

from transforms.errors import NoArticleError, ParseError
from transforms.pipeline import detect_kind, parse_bytes

UNKNOWN_LAYOUT = b"""Shopping list

eggs
milk
bread and a note to call the plumber about the kitchen sink on Tuesday
"""
HTML_WITHOUT_ARTICLE = b"""<!doctype html><html><head><title>Welcome</title></head>
<body><nav><a href="/">Home</a> <a href="/about">About us</a></nav>
<p>Opening hours: Monday to Friday.</p><footer>Contact</footer></body></html>"""


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"", "empty document"),
        (b"  \n\n\t ", "empty document"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "binary file"),
        (bytes(range(256)) * 4, "binary file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "binary file"),
    ],
)
def test_detect_rejects_empty_and_binary(body: bytes, reason: str) -> None:
    with pytest.raises(ParseError, match=f"^bad/input.bin: {reason}"):
        detect_kind(body, "bad/input.bin")


def test_unknown_layout_is_reported_not_guessed() -> None:
    with pytest.raises(NoArticleError, match=r"^notes\.txt: unknown layout"):
        parse_bytes(UNKNOWN_LAYOUT, "notes.txt")


def test_html_page_without_article() -> None:
    with pytest.raises(NoArticleError, match=r"^home\.html: "):
        parse_bytes(HTML_WITHOUT_ARTICLE, "home.html")


def test_detects_html_and_text() -> None:
    assert detect_kind(b"<!DOCTYPE html><html><body>x</body></html>", "a") == "html"
    assert detect_kind(b"Br J Cancer. 2003 Nov 3;89(9):1620-6.\n", "a") == "text"


@pytest.mark.parametrize("body", [b"<!DOCTYPE html><!-- cut here", b"<!doctype html>\n<!-- a page cut short"])
def test_html_cut_before_any_element_is_a_parse_error(body: bytes) -> None:
    with pytest.raises(ParseError, match=r"^cut\.html: not an HTML document"):
        parse_bytes(body, "cut.html", url="https://www.thelancet.com/journals/lancet/article/x/fulltext")


NEWS_PAGE = b"""<!doctype html><html><head><title>Telescope spots a distant galaxy</title>
<meta name="citation_title" content="Telescope spots a distant galaxy">
<meta name="citation_doi" content="10.1038/d41586-000-00000-0">
<meta name="citation_article_type" content="News">
<meta name="citation_journal_title" content="Nature"></head>
<body><h1>Telescope spots a distant galaxy</h1><p>By a reporter.</p>
<p>Astronomers said on Monday that they had seen the galaxy. More observations are planned.</p></body></html>"""


def test_a_page_without_an_abstract_says_what_it_showed() -> None:
    """A news item (title, DOI, no abstract) is no record; the reason names it, not only 'a paywall'."""
    with pytest.raises(NoArticleError) as caught:
        parse_bytes(NEWS_PAGE, "news.html", url="https://example.org/articles/d41586-000-00000-0")
    message = str(caught.value)
    assert "news.html" in message and "no abstract" in message
    assert '"Telescope spots a distant galaxy", News)' in message
