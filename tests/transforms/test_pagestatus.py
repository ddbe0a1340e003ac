"""The page-status classifier: walls, stubs and error pages named by structure; article pages left alone."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.gold import SHARED, load
from transforms import encoding, pagestatus
from transforms.errors import NoArticleError
from transforms.page import Page
from transforms.pipeline import parse_bytes

PAGES = Path(__file__).parent / "pages" / "status"  # one folder per status; `none` holds pages that are no wall
CORPUS = SHARED / "corpus" / "html"
# The corpus' pages without an article, and what kind of page each is (their expectation files say it in words).
CORPUS_STATUS = {
    "generic_acs-cloudflare-challenge.html": pagestatus.CAPTCHA,
    "pmc_recaptcha-17913474.html": pagestatus.CAPTCHA,
    "wiley_10.1002-andp.19263851302.html": pagestatus.PAYWALL,
}
CORPUS_ARTICLES = sorted(s.name.removesuffix(".json") for s in CORPUS.glob("*.html.json")
                         if load(s).get("status") != "no_article")


def page_of(path: Path) -> Page:
    return Page(text=encoding.to_text(path.read_bytes()), kind="html", name=str(path))


def own_pages() -> list[pytest.ParameterSet]:
    return [pytest.param(p, p.parent.name, id=f"{p.parent.name}/{p.name}") for p in sorted(PAGES.glob("*/*.html"))]


def test_every_status_has_own_pages() -> None:
    assert {p.parent.name for p in PAGES.glob("*/*.html")} == {*pagestatus.STATUSES, "none"}


@pytest.mark.parametrize(("path", "expected"), own_pages())
def test_own_page(path: Path, expected: str) -> None:
    assert pagestatus.classify(page_of(path)) == (None if expected == "none" else expected)


@pytest.mark.parametrize("name", sorted(CORPUS_STATUS))
def test_corpus_page_without_article(name: str) -> None:
    assert pagestatus.classify(page_of(CORPUS / name)) == CORPUS_STATUS[name]


def test_corpus_pages_without_article_are_all_named() -> None:
    no_article = {s.name.removesuffix(".json") for s in CORPUS.glob("*.html.json")
                  if load(s).get("status") == "no_article"}
    assert no_article == set(CORPUS_STATUS)


@pytest.mark.parametrize("name", CORPUS_ARTICLES)
def test_corpus_article_page_is_no_wall(name: str) -> None:
    """Article pages carry cookie banners, sign-in links, buy boxes: none of that makes them a wall."""
    assert pagestatus.classify(page_of(CORPUS / name)) is None


def test_text_documents_have_no_status() -> None:
    assert pagestatus.classify(Page(text="Captcha required. 404 Not Found.", kind="text", name="x.txt")) is None


@pytest.mark.parametrize("name", sorted(CORPUS_STATUS))
def test_no_article_error_carries_the_status_and_keeps_its_message(name: str) -> None:
    path = CORPUS / name
    with pytest.raises(NoArticleError) as caught:
        parse_bytes(path.read_bytes(), str(path), url=load(CORPUS / f"{name}.json").get("url"))
    assert caught.value.status == CORPUS_STATUS[name]
    assert str(caught.value) == f"{path}: {caught.value.reason}"


def test_error_status_defaults_to_none() -> None:
    exc = NoArticleError("page.html", "no abstract")
    assert exc.status is None and str(exc) == "page.html: no abstract"


@pytest.mark.parametrize("text", ["", "<?xml version='1.0'?>"])
def test_a_page_without_structure_has_no_status(text: str) -> None:
    assert pagestatus.classify(Page(text=text, kind="html", name="empty.html")) is None
