"""PMC, PLOS, Frontiers and MDPI adapters: who claims a page, and the rules that hold across each template."""

from __future__ import annotations

import lxml.html
import pytest

from transforms.article import Article, Author
from transforms.page import Page
from transforms.sites import choose_site, mdpi, pmc


def _page(html: str, url: str | None = None) -> Page:
    return Page(html, "html", "x", url)


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://pmc.ncbi.nlm.nih.gov/articles/PMC2633119/", "pmc"),
        ("https://www.ncbi.nlm.nih.gov/pmc/articles/PMC1280342/", "pmc"),
        ("https://www.ncbi.nlm.nih.gov/pubmed/14583759", "pubmed"),
        ("https://pubmed.ncbi.nlm.nih.gov/9742523/", "pubmed"),
        ("https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0111303", "plos"),
        ("http://www.ploscompbiol.org/article/info%3Adoi%2F10.1371%2Fjournal.pcbi.1003604", "plos"),
        ("https://www.frontiersin.org/articles/10.3389/fpsyg.2014.01582/full", "frontiers"),
        ("http://journal.frontiersin.org/Journal/10.3389/fpsyg.2014.01582/full", "frontiers"),
        ("https://www.mdpi.com/2076-3425/15/3/264", "mdpi"),
    ],
)
def test_url_chooses_the_site(url: str, expected: str) -> None:
    assert choose_site(_page("<html><body><p>x</p></body></html>", url)).name == expected


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        ('<meta name="ncbi_db" content="pmc">', "pmc"),
        ('<meta property="og:url" content="https://journals.plos.org/plosone/article?id=10.1371/journal.pone.1">',
         "plos"),
        ('<meta name="citation_pdf_url" content="http://dx.plos.org/10.1371/journal.pcbi.1003604.pdf">', "plos"),
        ('<link rel="canonical" href="https://www.frontiersin.org/articles/10.3389/fpsyg.2014.01582/full">',
         "frontiers"),
        ('<meta name="citation_abstract_html_url" content="https://www.mdpi.com/2076-3425/15/3/264">', "mdpi"),
    ],
)
def test_page_cues_choose_the_site_without_url(head: str, expected: str) -> None:
    assert choose_site(_page(f"<html><head>{head}</head><body></body></html>")).name == expected


def test_a_repository_copy_of_a_publishers_tags_is_not_the_publisher() -> None:
    page = _page('<html><head><meta name="citation_publisher" content="Public Library of Science">'
                 '<meta name="citation_doi" content="10.1371/journal.pone.0111303">'
                 '<meta name="citation_pdf_url" content="https://eprints.example.ac.uk/1234/1/journal.pone.0111303.pdf">'
                 "</head></html>")
    assert choose_site(page).name not in ("plos", "frontiers", "mdpi", "pmc")


def _author(fore: str, last: str) -> Author:
    return Author(last=last, fore=fore)


def test_compound_surname_taken_from_the_cited_form() -> None:
    authors = [_author("Ulf", "Knothe"), _author("Melissa L Knothe", "Tate")]
    pmc.fix_surnames(authors, [("Knothe", "U"), ("Knothe Tate", "ML")])
    assert [(a.fore, a.last) for a in authors] == [("Ulf", "Knothe"), ("Melissa L", "Knothe Tate")]
    assert authors[1].initials == "ML"


def test_surnames_untouched_when_the_lists_differ_or_the_name_does_not_end_so() -> None:
    authors = [_author("Melissa L", "Tate")]
    pmc.fix_surnames(authors, [("Knothe Tate", "ML"), ("Smith", "J")])
    assert authors[0].last == "Tate"
    pmc.fix_surnames(authors, [("Jones Tate", "ML")])
    assert (authors[0].fore, authors[0].last) == ("Melissa L", "Tate")


def test_author_search_links_give_last_name_and_initials() -> None:
    assert pmc._term_name('https://pubmed.ncbi.nlm.nih.gov/?term="Quispe%20Huam%C3%A1n%20RE"[Author]') == (
        "Quispe Huamán", "RE")
    assert pmc._term_name("/pubmed/?term=Burbacher%20TM%5BAuthor%5D&cauthor=true") == ("Burbacher", "TM")
    assert pmc._term_name("/pubmed/?term=Heart%20Study%5BCorporate%20Author%5D") is None


@pytest.mark.parametrize(
    ("html", "kind"),
    [
        ('<section class="abstract"><h2>Abstract</h2><p>text</p></section>', "abstract"),
        ('<section class="abstract"><p>untitled text</p></section>', "abstract"),
        ('<section class="abstract"><h2>Author summary</h2><p>text</p></section>', "summary"),
        ('<section class="abstract"><h2>Simple Summary</h2><p>text</p></section>', "summary"),
        ('<section class="abstract"><h2>Graphical abstract</h2><p>text</p></section>', "skip"),
        ('<section class="abstract"><h2>Significance</h2><p>text</p></section>', "skip"),
        ("<div class=\"abstract\"><h2>Editor's Summary</h2><p>text</p></div>", "summary"),
        ('<section class="abstract" lang="pt"><h2>Resumo</h2><p>texto</p></section>', "other-language"),
        ('<div class="tsec"><div class="goto"><a href="#">Go to:</a></div><h2>Resumen</h2><p>t</p></div>',
         "other-language"),
    ],
)
def test_abstract_blocks_are_told_apart(html: str, kind: str) -> None:
    assert pmc.block_kind(lxml.html.fragment_fromstring(html)) == kind


def test_untitled_structured_block_keeps_its_first_label() -> None:
    block = lxml.html.fragment_fromstring(
        '<section class="abstract"><h3>Background</h3><p>Why it was studied, at some length here.</p>'
        "<h3>Results</h3><p>What was found, at some length as well.</p></section>")
    assert [s.label for s in pmc.block_sections(block)] == ["Background", "Results"]


def test_pmc_keywords_only_from_keyword_groups() -> None:
    tree = lxml.html.document_fromstring(
        '<html><body><div class="sec"><strong class="kwd-title">Abbreviations: </strong>'
        '<span class="kwd-text">BP, blood pressure</span></div>'
        '<div class="sec"><strong class="kwd-title">Keywords: </strong><span class="kwd-text">a, b, c</span></div>'
        '<section class="kwd-group"><p><strong>Keywords:</strong> d, e</p></section></body></html>')
    assert pmc.keywords_of(tree) == ["a", "b", "c", "d", "e"]


def test_run_in_labels_split_only_a_labelled_paragraph() -> None:
    text = ("Background/Objectives: Why. Methods: How it was done: carefully. Results: What (n = 3). "
            "Conclusions: So.")
    sections = mdpi.split_run_in_labels(text)
    assert [(s.label, s.text) for s in sections] == [
        ("Background/Objectives", "Why."), ("Methods", "How it was done: carefully."),
        ("Results", "What (n = 3)."), ("Conclusions", "So.")]
    assert mdpi.split_run_in_labels("We asked one question. Results: none were labelled at the start.") == []
    assert mdpi.split_run_in_labels("Background: only one label here, and the text goes on.") == []
    assert mdpi.split_run_in_labels("Background: a. The main finding: b. Conclusions: c.")[0].text == (
        "a. The main finding: b.")


def test_mdpi_affiliations_tied_by_superscripts_and_notes_left_out() -> None:
    tree = lxml.html.document_fromstring(
        '<html><body><div class="art-authors">by <span class="inlineblock"><div>A One</div><sup> 1,*</sup>, '
        '</span><span class="inlineblock"><div>B Two</div><sup> 2</sup></span></div>'
        '<div class="art-affiliations"><div class="affiliation"><div class="affiliation-item"><sup>1</sup></div>'
        '<div class="affiliation-name">First Institute</div></div><div class="affiliation">'
        '<div class="affiliation-item"><sup>2</sup></div><div class="affiliation-name">Second Institute</div></div>'
        '<div class="affiliation"><div class="affiliation-item"><sup>*</sup></div>'
        '<div class="affiliation-name">Author to whom correspondence should be addressed.</div></div></div>'
        "</body></html>")
    article = Article(site="mdpi", source_kind="html", authors=[_author("A", "One"), _author("B", "Two")])
    mdpi._read_affiliations(tree, article)
    assert [a.affiliations for a in article.authors] == [["First Institute"], ["Second Institute"]]


def _parse(html: str, url: str) -> Article:
    from transforms.pipeline import parse_bytes

    return parse_bytes(html.encode(), "page.html", url=url)


def test_open_access_article_without_abstract_is_a_record_but_a_bare_page_is_not() -> None:
    from transforms.errors import NoArticleError

    editorial = ('<html><head><meta name="citation_title" content="Correction: A study of things">'
                 '<meta name="citation_doi" content="10.1371/journal.pone.0300001"></head>'
                 "<body><h1>Correction: A study of things</h1><p>The funding statement is wrong.</p></body></html>")
    article = _parse(editorial, "https://journals.plos.org/plosone/article?id=10.1371/journal.pone.0300001")
    assert (article.site, article.title, article.abstract) == ("plos", "Correction: A study of things", None)
    contents = "<html><head><title>PLOS ONE</title></head><body><h1>Browse the latest issue</h1></body></html>"
    with pytest.raises(NoArticleError, match="page.html: no citation_title"):
        _parse(contents, "https://journals.plos.org/plosone/issue")
