"""Page furniture removal works on a copy, spares the article, and its selector data stays well-formed."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from transforms import boilerplate
from transforms.boilerplate import (
    BOILERPLATE_GROUPS,
    BOILERPLATE_LINE_GROUPS,
    BOILERPLATE_LINES,
    Group,
    _group,
    _lines,
    is_boilerplate_line,
    strip_boilerplate,
)
from transforms.htmltext import element_text
from transforms.page import Page

PAGES = Path(__file__).parent / "pages" / "html"


@pytest.fixture()
def page() -> Page:
    return Page((PAGES / "furniture.html").read_text(encoding="utf-8"), "html", "furniture.html")


def test_strip_removes_furniture_and_keeps_the_article(page):
    text = element_text(strip_boilerplate(page.tree))
    for junk in ("We use cookies", "Skip to main content", "Current issue", "Home", "Advertisement",
                 "Share on Twitter", "Access options", "Buy this article", "References", "Delirium after surgery",
                 "Similar articles", "Statins and stroke", "This article is cited by", "Recommended articles",
                 "beta-blockers", "All rights reserved", "window.dataLayer", "position: fixed"):
        assert junk not in text, junk
    assert "Statins and delirium after cardiac surgery: a cohort study" in text
    assert "preoperative statin use was associated with a lower incidence of delirium" in text
    assert "Figure 1. Study flow chart." in text  # captions are not furniture, only not abstract text


def test_strip_works_on_a_copy(page):
    before = lxml.html.tostring(page.tree)
    stripped = strip_boilerplate(page.tree)
    assert lxml.html.tostring(page.tree) == before
    assert stripped is not page.tree
    assert page.tree.xpath("//*[@id='onetrust-consent-sdk']")


def test_body_and_main_are_never_removed_for_their_classes(page):
    stripped = strip_boilerplate(page.tree)
    assert stripped.find("body") is not None
    assert stripped.find(".//main") is not None


def test_token_match_spares_a_wrapper_holding_the_title():
    html = '<html><body><div class="nav-open-wrapper"><h1>Title</h1><p>Text of the page.</p></div></body></html>'
    stripped = strip_boilerplate(lxml.html.document_fromstring(html))
    assert element_text(stripped) == "Title\nText of the page."


def test_a_later_references_heading_in_a_flat_layout_does_not_remove_the_body():
    html = ("<html><body><div class='body'><h2>Abstract</h2><p>Kept text.</p>"
            "<h2>References</h2><p>A ref.</p></div></body></html>")
    assert "Kept text." in element_text(strip_boilerplate(lxml.html.document_fromstring(html)))


def test_tails_survive_removal():
    html = "<html><body><p>Before <button>x</button>after.</p></body></html>"
    assert element_text(strip_boilerplate(lxml.html.document_fromstring(html))) == "Before after."


def test_empty_groups_are_refused():
    with pytest.raises(ValueError):
        _group()
    with pytest.raises(ValueError):
        _group(tokens=())
    with pytest.raises(ValueError):
        _lines()


def test_every_group_holds_selectors():
    for name, group in {**BOILERPLATE_GROUPS, "not_abstract": boilerplate.NOT_ABSTRACT}.items():
        assert isinstance(group, Group)
        assert any(group), name
    for name, patterns in BOILERPLATE_LINE_GROUPS.items():
        assert patterns, name


@pytest.mark.parametrize(
    "line",
    ["Skip to main content", "  We use cookies to improve your experience.", "Download citation",
     "Rights and permissions", "Similar articles", "This article is cited by", "Access options",
     "Buy this article", "Buy article PDF", "Accept all cookies", "1234 Accesses", "Go to:"],
)
def test_boilerplate_lines(line):
    assert is_boilerplate_line(line)


@pytest.mark.parametrize(
    "line",
    ["Similar articles were excluded from the meta-analysis.", "Methods", "Access to care was limited.",
     "Results: cookies were eaten."],
)
def test_prose_is_not_a_boilerplate_line(line):
    assert not is_boilerplate_line(line)


def test_boilerplate_lines_is_the_union_of_its_groups():
    assert len(BOILERPLATE_LINES) == sum(len(g) for g in BOILERPLATE_LINE_GROUPS.values())


def test_an_article_alert_sign_up_box_is_furniture():
    tree = lxml.html.document_fromstring(
        "<html><body><div class='article'><h1>Title</h1><p>Abstract text stays.</p>"
        "<div class='article-alert-signup-div'><a class='close'>close</a>"
        "<span>Sign up to receive new article alerts from this journal</span></div></div></body></html>")
    text = element_text(strip_boilerplate(tree))
    assert "Abstract text stays." in text
    assert "Sign up" not in text and "close" not in text
