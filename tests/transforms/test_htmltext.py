"""Element text, the generic abstract finder and the generic HTML extractor, on publisher-shaped pages."""

from __future__ import annotations

from pathlib import Path

import lxml.html
import pytest

from transforms.article import AbstractSection, Article
from transforms.boilerplate import strip_boilerplate
from transforms.htmltext import (
    _attributes_holding,
    element_text,
    extract_generic_html,
    find_abstract,
    h1_title,
    keyword_line,
    meta_keywords,
    visible_doi,
)
from transforms.page import Page

PAGES = Path(__file__).parent / "pages" / "html"
S = AbstractSection


def load(name: str) -> Page:
    return Page((PAGES / name).read_text(encoding="utf-8"), "html", name)


def abstract_of(name: str) -> list[AbstractSection] | None:
    return find_abstract(strip_boilerplate(load(name).tree))


def fragment(html: str):
    return lxml.html.fragment_fromstring(html, create_parent="div")


def generic(name: str, **fields) -> Article:
    return extract_generic_html(load(name), Article(site="generic", source_kind="html", **fields))


# --- element_text.


def test_element_text_drops_inline_markup_without_adding_spaces():
    assert element_text(fragment("<p>H<sub>2</sub>O and Ca<sup>2+</sup> in <i>E. coli</i></p>")) == (
        "H2O and Ca2+ in E. coli")


def test_element_text_separates_blocks_and_collapses_space():
    el = fragment("<h2>Title</h2><p>One\n   two</p><ul><li>a</li><li>b</li></ul>x<br>y")
    assert element_text(el) == "Title\nOne two\na\nb\nx\ny"


def test_element_text_skips_scripts_but_keeps_their_tails():
    assert element_text(fragment("<p>a<script>var x;</script>b<style>p{}</style> c</p>")) == "ab c"


# --- find_abstract.


def test_plain_abstract_block_ignores_furniture_and_other_articles():
    assert abstract_of("furniture.html") == [
        S(None, "Delirium is common after cardiac surgery and is associated with longer stays and higher "
                "mortality. Statins have anti-inflammatory effects that might protect against it."),
        S(None, "In a cohort of 1,204 adults, preoperative statin use was associated with a lower incidence "
                "of delirium (adjusted odds ratio 0.62)."),
    ]


def test_structured_abstract_with_heading_labels():
    assert abstract_of("structured_h3.html") == [
        S("Background", "Depression in adolescents is common and treatments are limited."),
        S("Methods", "We randomised 120 adolescents to 12 weeks of aerobic exercise or stretching. "
                     "The primary outcome was the CDRS-R score at 12 weeks."),
        S("Results", "Scores fell more with exercise (difference −5.1, 95% CI −8.2 to −2.0)."),
        S("Conclusions", "Aerobic exercise reduced depressive symptoms."),
    ]


def test_run_in_bold_labels_become_sections():
    assert abstract_of("runin_bold.html") == [
        S("Background", "Falls are frequent in care homes."),
        S("Methods", "We did a cluster randomised trial in 40 homes."),
        S("Findings", "Falls fell by 23% with vitamin D. "
                      "The effect was larger in residents with low baseline levels."),
        S("Interpretation", "Vitamin D should be offered to residents."),
        S("Funding", "National Institute for Health Research."),
    ]


def test_bold_leads_without_colons_are_labels_when_the_block_repeats_them():
    assert abstract_of("runin_unmarked.html") == [
        S("Objectives", "To compare observed and predicted bleeding rates."),
        S("Design", "New initiator cohort study."),
        S("Main outcome measures", "Major bleeding (CHA2DS2-VASc adjusted)."),
        S("Results", "Trials underestimated bleeding."),
    ]


def test_a_single_unmarked_bold_lead_is_text():
    el = fragment("<div class='abstract'><p><b>Warfarin</b> has been used for decades in atrial "
                  "fibrillation and in venous thromboembolism.</p></div>")
    assert find_abstract(el) == [S(None, "Warfarin has been used for decades in atrial fibrillation and in "
                                         "venous thromboembolism.")]


def test_english_abstract_preferred_on_a_bilingual_page():
    assert abstract_of("bilingual.html") == [
        S(None, "We studied the effect of nitrogen dioxide on asthma attacks in 2,000 children in Paris "
                "over five years.")]


def test_abstract_after_a_heading_when_nothing_is_marked():
    assert abstract_of("no_metadata.html") == [
        S(None, "Soil nematodes were sampled in 30 alpine meadows between 1,800 and 2,600 m."),
        S(None, "Diversity declined with altitude, while the share of bacterial feeders rose."),
    ]


def test_english_heading_preferred_over_other_language_headings():
    html = ("<div><h2>Résumé</h2><p>Texte français assez long pour être pris pour un résumé d'article ici.</p>"
            "<h2>Abstract</h2><p>English text, long enough to be taken for the abstract of this article.</p>"
            "<p>A second paragraph.</p>"
            "<h2>Introduction</h2><p>Body.</p></div>")
    assert find_abstract(fragment(html)) == [
        S(None, "English text, long enough to be taken for the abstract of this article."),
        S(None, "A second paragraph."),
    ]


def test_a_page_wrapper_whose_class_names_recommendations_is_still_the_page():
    html = ("<div class='main-container uptodate-recommendations-off'><h1>The title</h1>"
            "<section class='Abstract'><h2>Abstract</h2><p>" + "The article's own abstract text. " * 4 + "</p>"
            "</section></div>")
    assert find_abstract(fragment(html)) == [S(None, ("The article's own abstract text. " * 4).strip())]


def test_an_abstract_heading_with_a_status_qualifier():
    html = ("<div><h3>Abstract (provisional)</h3><h4>Background</h4><p>Bats carry a lyssavirus in this region.</p>"
            "<h4>Conclusions</h4><p>Rescuers need clearer advice about scratches and bites.</p>"
            "<h3>Background</h3><p>Body.</p></div>")
    assert find_abstract(fragment(html)) == [
        S("Background", "Bats carry a lyssavirus in this region."),
        S("Conclusions", "Rescuers need clearer advice about scratches and bites."),
    ]


@pytest.mark.parametrize(
    "html",
    [
        "<div class='abstract graphical'><p>" + "A graphical abstract caption. " * 5 + "</p></div>",
        "<div class='abstract'><h2>Author summary</h2><p>" + "Plain words for everyone. " * 5 + "</p></div>",
        "<div class='abstract'><h2>eLife digest</h2><p>" + "Plain words for everyone. " * 5 + "</p></div>",
        "<div class='related-articles'><div class='abstract'><p>" + "Other article. " * 10 + "</p></div></div>",
        "<a class='abstract-link' href='#abstract'>" + "Abstract " * 12 + "</a>",
        "<div class='abstract'><p>Too short.</p></div>",
        "<div><p>No abstract anywhere on this page, only prose that goes on and on and on for a while.</p></div>",
    ],
)
def test_not_an_abstract(html):
    assert find_abstract(fragment(html)) is None


def test_abstract_prefix_copyright_and_doi_lines_are_dropped():
    html = ("<blockquote class='abstract'><span class='descriptor'>Abstract:</span>We measured things "
            "carefully over many years, in many different places, and found them. Hum Brain Mapp, 2012. © 2012 Wiley "
            "Periodicals, Inc.<p>DOI: http://dx.doi.org/10.7554/eLife.04407.001</p></blockquote>")
    assert find_abstract(fragment(html)) == [
        S(None, "We measured things carefully over many years, in many different places, and found them.")]


# --- Title and DOI shown on the page.


def test_h1_title_skips_the_logo():
    assert h1_title(load("no_metadata.html").tree) == "A survey of soil nematodes in alpine meadows"


def test_h1_title_drops_a_title_label():
    tree = fragment("<h1 class='title'><span class='descriptor'>Title:</span>Sparse attention for notes</h1>")
    assert h1_title(tree) == "Sparse attention for notes"


def test_visible_doi_from_an_element_named_doi():
    assert visible_doi(strip_boilerplate(load("no_metadata.html").tree)) == "10.5555/nema.77"


def test_attribute_queries_match_a_word_in_any_letter_case_in_any_listed_attribute():
    tree = lxml.html.document_fromstring(
        "<html><body><div id='ABSTRACT-1'></div><div data-title='Graphical AbStRaCt'></div><div class='abs tract'>"
        "</div><div title='abstract'></div><p class='KWD'></p><p id='key-words'></p><p id='KeyWord'></p></body></html>"
    )
    abstract = _attributes_holding(("abstract",), ("id", "class", "itemprop", "data-title"))
    assert [el.get("id") or el.get("data-title") for el in abstract(tree)] == ["ABSTRACT-1", "Graphical AbStRaCt"]
    keywords = _attributes_holding(("kwd", "keyword"), ("class", "id"))
    assert [el.get("class") or el.get("id") for el in keywords(tree)] == ["KWD", "KeyWord"]
    no_common_letter = _attributes_holding(("kwd", "abstract"), ("id", "class"))
    assert [el.get("id") or el.get("class") for el in no_common_letter(tree)] == ["ABSTRACT-1", "KWD"]
    with pytest.raises(ValueError, match="not lower-case words"):
        _attributes_holding(("DOI",), ("class",))


# --- extract_generic_html.


def test_generic_html_page_without_metadata():
    a = generic("no_metadata.html")
    assert a.title == "A survey of soil nematodes in alpine meadows"
    assert a.doi == "10.5555/nema.77"
    assert a.abstract == ("Soil nematodes were sampled in 30 alpine meadows between 1,800 and 2,600 m.\n\n"
                          "Diversity declined with altitude, while the share of bacterial feeders rose.")
    assert a.abstract_sections == []  # unlabelled paragraphs are not a structured abstract


def test_generic_html_structured_abstract_beats_short_metadata_abstract():
    a = generic("structured_h3.html")
    assert [s.label for s in a.abstract_sections] == ["Background", "Methods", "Results", "Conclusions"]
    assert a.abstract.startswith("Background: Depression in adolescents is common")
    assert a.title == "Aerobic exercise for depression in adolescents: a randomised trial"


def test_generic_html_falls_back_to_a_long_metadata_abstract():
    a = generic("jsonld_graph.html")
    assert a.abstract.startswith("Sleep spindles are bursts of 11-16 Hz activity")
    assert a.title == "Sleep spindles and memory consolidation in older adults"


def test_generic_html_drops_a_short_metadata_abstract_without_a_block():
    html = ('<html><head><meta name="citation_title" content="T"><meta name="citation_abstract" '
            'content="Too short to trust."></head><body><p>Nothing here.</p></body></html>')
    a = extract_generic_html(Page(html, "html", "x.html"), Article(site="generic", source_kind="html"))
    assert a.abstract is None


def test_generic_html_keeps_an_abstract_the_draft_already_has():
    a = generic("furniture.html", abstract="Given abstract.")
    assert a.abstract == "Given abstract."
    assert a.title == "Statins and delirium after cardiac surgery: a cohort study"


def test_generic_html_bilingual_page_keeps_metadata_language():
    a = generic("bilingual.html")
    assert a.language == "fre"
    assert a.abstract.startswith("We studied the effect of nitrogen dioxide")


def test_generic_html_does_not_touch_the_page_tree():
    page = load("furniture.html")
    before = lxml.html.tostring(page.tree)
    extract_generic_html(page, Article(site="generic", source_kind="html"))
    assert lxml.html.tostring(page.tree) == before


# --- Keywords from <meta name="keywords">.

KEYWORD_META = '<meta name="keywords" content="neuroblast lineage, Central complex, D. melanogaster">'


def keyword_page(head: str, body: str) -> Page:
    return Page(f"<html><head>{head}</head><body>{body}</body></html>", "html", "k.html")


def test_meta_keywords_count_when_the_page_shows_each_as_a_keyword():
    body = ("<ul><li><a class='keyword' href='/b?k=1'>neuroblast lineage</a></li>"
            "<li><a class='keyword' href='/b?k=2'>central complex</a></li>"
            "<li class='kwd'>D. melanogaster;</li></ul>")
    assert meta_keywords(keyword_page(KEYWORD_META, body)) == ["neuroblast lineage", "Central complex",
                                                              "D. melanogaster"]


def test_meta_keywords_shown_as_one_keyword_line():
    body = "<p class='keywords'><b>Keywords:</b> neuroblast lineage; central complex; D. melanogaster</p>"
    assert meta_keywords(keyword_page(KEYWORD_META, body)) == ["neuroblast lineage", "Central complex",
                                                              "D. melanogaster"]


@pytest.mark.parametrize(
    "body",
    [
        "<p>neuroblast lineage, central complex, D. melanogaster</p>",  # shown, but not as keywords
        "<span class='keyword'>neuroblast lineage</span><span class='keyword'>central complex</span>",  # one missing
        # "keyword" inside another class word: a search box's suggestions, not the article's keywords
        "<div class='keywordsearch'><a>neuroblast lineage</a><a>central complex</a><a>D. melanogaster</a></div>",
    ],
)
def test_meta_keywords_the_page_does_not_show_as_keywords_are_left_out(body):
    assert meta_keywords(keyword_page(KEYWORD_META, body)) == []


def test_site_wide_meta_keywords_stay_out_of_the_record():
    head = '<meta name="citation_title" content="A title"><meta name="keywords" content="PLOS, Open Access, Science">'
    body = "<h1>A title</h1><p>PLOS publishes Open Access Science.</p><a class='keyword'>Science</a>"
    a = extract_generic_html(keyword_page(head, body), Article(site="generic", source_kind="html"))
    assert a.keywords == []
    assert "keywords" not in a.provenance


def test_citation_keywords_win_over_meta_keywords():
    head = '<meta name="citation_keywords" content="zinc; biofilm">' + KEYWORD_META
    body = "".join(f"<a class='keyword'>{k}</a>" for k in ("neuroblast lineage", "central complex", "D. melanogaster"))
    a = extract_generic_html(keyword_page(head, body), Article(site="generic", source_kind="html"))
    assert (a.keywords, a.provenance["keywords"]) == (["zinc", "biofilm"], "citation_meta")


def test_shown_meta_keywords_fill_the_record_and_say_so():
    body = "".join(f"<a class='keyword'>{k}</a>" for k in ("neuroblast lineage", "central complex", "D. melanogaster"))
    a = extract_generic_html(keyword_page(KEYWORD_META, body), Article(site="generic", source_kind="html"))
    assert (a.keywords, a.provenance["keywords"]) == (["neuroblast lineage", "Central complex", "D. melanogaster"],
                                                      "html_meta")


@pytest.mark.parametrize(
    ("html", "expected"),
    [
        ('<span id="keywords"><h5>Keywords: </h5>Physiotherapy; Text messaging; Trials</span>',
         ["Physiotherapy", "Text messaging", "Trials"]),
        ('<div class="kwd-group">Keywords. sepsis, readmission</div>', ["sepsis", "readmission"]),
        # Prose, a lone term, an unlabelled list and a search box are no keyword line.
        ('<p class="keywords">Keywords: we chose the search terms with a librarian, and the searches were run in '
         'three databases from their start until the end of June in the year the review began</p>', []),
        ('<div id="keywords">Keywords: sepsis</div>', []),
        ('<div class="keywords">sepsis; readmission</div>', []),
        ('<form><label class="keyword-search">Search by keywords</label></form>', []),
    ],
)
def test_keyword_line(html, expected):
    assert keyword_line(fragment(html)) == expected
