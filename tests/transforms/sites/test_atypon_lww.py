"""Atypon Literatum and Wolters Kluwer (LWW) adapters: who claims a page, and the rules that hold across each
platform's templates."""

from __future__ import annotations

import lxml.html
import pytest

from transforms.page import Page
from transforms.sites import atypon, choose_site, lww


def _page(html: str, url: str | None = None) -> Page:
    return Page(html, "html", "x", url)


def _tree(body: str) -> lxml.html.HtmlElement:
    return lxml.html.document_fromstring(f"<html><body>{body}</body></html>")


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://www.tandfonline.com/doi/full/10.1080/00268976.2013.788745", "atypon"),
        ("https://journals.sagepub.com/doi/10.3233/JAD-221229", "atypon"),
        ("https://www.pnas.org/doi/10.1073/pnas.0904402107", "atypon"),
        ("https://journals.lww.com/nurseeducatoronline/Abstract/2010/09000/x.11.aspx", "lww"),
        ("https://onlinelibrary.wiley.com/doi/10.1111/epi.17430", "wiley"),  # Literatum too, own adapter
    ],
)
def test_url_chooses_the_site(url: str, expected: str) -> None:
    assert choose_site(_page("<html><body><p>x</p></body></html>", url)).name == expected


def test_page_builder_tag_chooses_atypon_without_url() -> None:
    head = '<meta name="pbContext" content=";page:string:Article/Chapter View;website:website:app-site">'
    assert choose_site(_page(f"<html><head>{head}</head><body></body></html>")).name == "atypon"


def test_wiley_publisher_wins_over_the_platform_tag() -> None:
    head = ('<meta name="pbContext" content=";website:website:pericles">'
            '<meta name="citation_publisher" content="John Wiley &amp; Sons, Ltd">')
    assert choose_site(_page(f"<html><head>{head}</head><body></body></html>")).name == "wiley"


def test_wkhealth_tags_choose_lww_without_url() -> None:
    head = '<meta name="wkhealth_title" content="A trial">'
    assert choose_site(_page(f"<html><head>{head}</head><body></body></html>")).name == "lww"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Molecular Physics, Vol. 111, No. 9-11, July 2013, pp. 1092–1099",
         {"volume": "111", "issue": "9-11", "pages": "1092-1099"}),
        ("Vol. 6:15-38 (Volume publication date March 2015)", {"volume": "6", "pages": "15-38"}),
        ("Pages 211-219", {"pages": "211-219"}),
        ("Volume 93, Issue 1", {"volume": "93", "issue": "1"}),
        ("Published online: 12 Mar 2019", {}),
    ],
)
def test_citation_numbers(line: str, expected: dict[str, str]) -> None:
    assert atypon.citation_numbers(line) == expected


def test_self_citation_numbers_not_a_reference_s() -> None:
    body = ('<div typeof="ScholarlyArticle"><span property="volumeNumber">44</span></div>'
            '<div class="core-enumeration"><span property="volumeNumber">12</span>'
            '<span property="issueNumber">2</span></div>')
    assert atypon.issue_numbers(_tree(body)) == {"volume": "12", "issue": "2"}


@pytest.mark.parametrize(
    ("title_tag", "title", "expected"),
    [
        ("Long-Term Outcomes of Sepsis Survivors | Annual Review of Medicine",
         "Long-Term Outcomes of Sepsis Survivors", "Annual Review of Medicine"),
        ("CuAAC: An Efficient Click Reaction | ACS Combinatorial Science", "CuAAC: an efficient click reaction",
         "ACS Combinatorial Science"),
        ("Some other page | Sage Journals", "Long-Term Outcomes of Sepsis Survivors", None),
        ("Long-Term Outcomes of Sepsis Survivors - Bianchi, 2021", "Long-Term Outcomes of Sepsis Survivors", None),
    ],
)
def test_journal_from_title(title_tag: str, title: str, expected: str | None) -> None:
    tree = lxml.html.document_fromstring(f"<html><head><title>{title_tag}</title></head><body></body></html>")
    assert atypon.journal_from_title(tree, title) == expected


def test_dc_subject_counts_as_keywords_only_when_the_page_shows_them() -> None:
    # Annals of Internal Medicine writes a subject taxonomy in dc.Subject, not the article's keywords.
    head = '<meta name="dc.Subject" content="sepsis; readmission">'
    shown = ('<section id="keywords"><h2>Keywords</h2>'
             '<ol><li><a>sepsis</a></li><li><a>readmission</a></li></ol></section>')
    assert atypon.subject_keywords(_page(f"<html><head>{head}</head><body>{shown}</body></html>")) == [
        "sepsis", "readmission"]
    assert atypon.subject_keywords(_page(f"<html><head>{head}</head><body><p>x</p></body></html>")) == []


def test_subtitle_joins_the_title_once() -> None:
    tree = _tree('<h1 class="citation__title">Vaccination of the Elderly</h1>'
                 '<div class="citation__subtitle">An Observational Study</div>')
    assert atypon.with_subtitle(tree, "Vaccination of the Elderly") == (
        "Vaccination of the Elderly: An Observational Study")
    assert atypon.with_subtitle(tree, "Vaccination of the Elderly: An Observational Study") == (
        "Vaccination of the Elderly: An Observational Study")


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("startPage%3D445%26pageCount%3D13%26volumeNum%3D172%26issueNum%3D7%26endPage%3D452",
         {"volume": "172", "issue": "7", "pages": "445-452"}),
        ("startPage%3De12%26volumeNum%3D9%26issueNum%3D%26endPage%3De12", {"volume": "9", "pages": "e12"}),
        ("title%3DA%2Btrial", {}),
    ],
)
def test_rightslink_numbers(query: str, expected: dict[str, str]) -> None:
    link = f'<a href="/servlet/linkout?type=rightslink&amp;url={query}">Permissions</a>'
    assert atypon.rightslink_numbers(_tree(link)) == expected


def test_rightslink_numbers_of_a_direct_copyright_link() -> None:
    link = ('<a href="https://s100.copyright.com/AppDispatchServlet?contentID=jocn_a_00371&amp;endPage=1077'
            '&amp;issueNum=7&amp;startPage=1062&amp;volumeNum=25"><img alt=""></a>')
    assert atypon.rightslink_numbers(_tree(link)) == {"volume": "25", "issue": "7", "pages": "1062-1077"}


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ('<h1 class="journalTitle"><a href="/toc/jocn/25/7"><img alt="Journal of Cognitive Neuroscience"></a></h1>',
         "Journal of Cognitive Neuroscience"),
        ('<h1 class="journal-heading"><a href="/journals/tmph20">Molecular Physics</a></h1>', "Molecular Physics"),
        ("<h1>An article</h1>", None),
    ],
)
def test_journal_heading(body: str, expected: str | None) -> None:
    assert atypon.journal_heading(_tree(body)) == expected


def test_literatum_doi_metadata_link_chooses_atypon_without_url() -> None:
    head = '<link rel="meta" type="application/unixref+xml" href="http://dx.doi.org/10.1162%2Fjocn_a_00371">'
    assert choose_site(_page(f"<html><head>{head}</head><body></body></html>")).name == "atypon"


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("Nurse Educator 41(3):p 142-146, May/June 2016.", "142-146"),
        ("Nurse Educator: September/October 2010 - Volume 35 - Issue 5 - p 205-207", "205-207"),
        ("Nurse Educator: May 2016 - Volume 41 - Issue 3 - p e12", None),
    ],
)
def test_lww_page_range_of_the_citation_line(line: str, expected: str | None) -> None:
    assert lww.shown_pages(_tree(f'<span id="ej-journal-date-volume-issue-pg">{line}</span>')) == expected
