"""Embedded metadata (Highwire, JSON-LD, Dublin Core, PRISM, OpenGraph) read from small publisher-shaped pages."""

from __future__ import annotations

from pathlib import Path

import pytest

from transforms.article import Article, Author
from transforms.embedded import (
    embedded_metadata,
    is_clearly_abstract,
    markup_text,
    parse_author_name,
    split_keywords,
)
from transforms.page import Page

PAGES = Path(__file__).parent / "pages" / "html"


def load(name: str, url: str | None = None) -> Page:
    return Page(text=(PAGES / name).read_text(encoding="utf-8"), kind="html", name=name, url=url)


def draft(**fields) -> Article:
    return Article(site="generic", source_kind="html", **fields)


def names(article: Article) -> list[tuple[str | None, str | None, str | None, str | None]]:
    return [(a.last, a.fore, a.initials, a.collective) for a in article.authors]


# --- Highwire citation_* tags.


@pytest.fixture(scope="module")
def highwire() -> tuple[Article, dict[str, str]]:
    return embedded_metadata(load("highwire.html"), draft())


def test_highwire_bibliographic_fields(highwire):
    a, _ = highwire
    assert a.title == "Zinc uptake in E. coli biofilms under flow"
    assert a.doi == "10.1234/jtm.2021.0042"
    assert a.pmid == "33445566"
    assert a.journal == "Journal of Test Microbiology"
    assert a.journal_abbrev == "J Test Microbiol"
    assert a.issn == "1234-567X"
    assert (a.volume, a.issue, a.pages) == ("12", "3", "101-109")
    assert (a.pub_date, a.pub_year) == ("2021-03-05", 2021)
    assert a.language == "eng"
    assert a.publication_types == ["Research Article"]


def test_highwire_keywords_split_on_semicolons_before_commas(highwire):
    a, _ = highwire
    assert a.keywords == ["zinc", "biofilm, flow cell", "transport", "Escherichia coli"]


def test_highwire_authors_with_following_institutions_and_orcid(highwire):
    a, _ = highwire
    assert names(a) == [
        ("Smith", "John A", "JA", None),
        ("Doe", "Jane Q", "JQ", None),
        ("van der Berg", "Hans", "H", None),
        (None, None, None, "The Biofilm Consortium"),
    ]
    assert a.authors[0].affiliations == ["Department of Biology, University of Testing, Testville, USA"]
    assert a.authors[0].orcid == "https://orcid.org/0000-0002-1825-0097"
    assert a.authors[1].affiliations == [
        "Institute of Examples, Sampleton, UK",
        "Department of Biology, University of Testing, Testville, USA",
    ]
    assert a.authors[2].affiliations == []


def test_highwire_wins_over_dc_prism_and_og_and_says_so(highwire):
    a, sources = highwire
    assert sources["title"] == sources["doi"] == sources["volume"] == sources["authors"] == "citation_meta"
    assert set(sources.values()) == {"citation_meta"}
    assert a.abstract is None  # og:description and meta description are teasers, never the abstract


def test_fields_already_in_the_draft_are_kept():
    a, sources = embedded_metadata(load("highwire.html"), draft(title="Given title", volume="7"))
    assert (a.title, a.volume) == ("Given title", "7")
    assert "title" not in sources and "volume" not in sources
    assert a.doi == "10.1234/jtm.2021.0042"


# --- JSON-LD.


@pytest.fixture(scope="module")
def jsonld() -> tuple[Article, dict[str, str]]:
    return embedded_metadata(load("jsonld_graph.html"), draft())


def test_jsonld_article_in_graph_inside_cdata(jsonld):
    a, sources = jsonld
    assert a.title == "Sleep spindles and memory consolidation in older adults"
    assert a.doi == "10.5555/sleep.2020.42"
    assert (a.pub_date, a.pub_year) == ("2020-11-02", 2020)
    assert (a.journal, a.issn, a.volume, a.issue, a.pages) == (
        "Journal of Sleep Examples", "3456-7890", "17", "4", "e1001")
    assert a.keywords == ["sleep spindles", "memory", "ageing", "EEG"]
    assert a.language == "eng"
    assert sources["title"] == sources["doi"] == sources["journal"] == "json_ld"


def test_jsonld_authors_persons_and_organisations(jsonld):
    a, _ = jsonld
    assert names(a) == [
        ("García López", "María José", "MJ", None),
        ("Chen", "Wei", "W", None),
        (None, None, None, "Sleep Health Study Group"),
    ]
    assert a.authors[0].affiliations == ["Sleep Lab, University of Somewhere, Madrid, Spain"]


def test_jsonld_long_description_that_is_not_the_teaser_is_the_abstract(jsonld):
    a, sources = jsonld
    assert a.abstract.startswith("Sleep spindles are bursts of 11-16 Hz activity")
    assert a.abstract.endswith("independently of age and total sleep time.")
    assert sources["abstract"] == "json_ld"


def test_jsonld_cited_articles_and_broken_scripts_are_ignored(jsonld):
    a, _ = jsonld
    assert "cited" not in (a.title or "")
    assert a.doi != "10.9999/cited.1"


@pytest.mark.parametrize(
    "script",
    [
        '{"@type": "ScholarlyArticle", "headline": ',  # truncated
        "not json at all",
        "",
        '["a list", 3, null]',
        '{"@type": ["CreativeWork"], "headline": 42, "author": [null, 3, {"name": ""}], "isPartOf": [1]}',
    ],
)
def test_jsonld_odd_or_invalid_scripts_never_crash(script):
    html = f'<html><head><script type="application/ld+json">{script}</script></head><body></body></html>'
    article, _ = embedded_metadata(Page(html, "html", "odd.html"), draft())
    assert article.authors == []


def test_jsonld_wrapped_in_html_comment_and_main_entity():
    doc = ('<!-- {"@type": "WebPage", "mainEntity": {"@type": "MedicalScholarlyArticle", '
           '"name": "Comment wrapped", "sameAs": "https://doi.org/10.5555/CW.1"}} -->')
    html = f'<html><head><script type="application/ld+json">{doc}</script></head><body></body></html>'
    article, sources = embedded_metadata(Page(html, "html", "c.html"), draft())
    assert (article.title, article.doi, sources["title"]) == ("Comment wrapped", "10.5555/cw.1", "json_ld")


# --- Dublin Core and PRISM.


@pytest.fixture(scope="module")
def dublin_core() -> tuple[Article, dict[str, str]]:
    return embedded_metadata(load("dc_only.html"), draft())


def test_dc_fields_and_doi_among_identifiers(dublin_core):
    a, sources = dublin_core
    assert a.title == "Propriétés magnétiques des alliages dilués"
    assert a.doi == "10.1051/jphys:0195800190012000"
    assert (a.pub_date, a.pub_year, a.language) == ("1958-12", 1958, "fre")
    assert names(a) == [("Dupont", "Marie", "M", None), ("Martin", "Jean-Luc", "JL", None)]
    assert sources["title"] == sources["doi"] == sources["authors"] == "dublin_core"


def test_prism_fills_what_dc_lacks(dublin_core):
    a, sources = dublin_core
    assert (a.journal, a.volume, a.issue, a.pages) == ("Journal de Physique et le Radium", "19", "12", "120-125")
    assert sources["journal"] == sources["pages"] == "prism"


def test_short_dc_description_is_not_an_abstract(dublin_core):
    a, _ = dublin_core
    assert a.abstract is None


def test_og_title_only_as_a_last_resort():
    html = ('<html><head><meta property="og:title" content="Only OG">'
            '<meta property="og:description" content="' + "teaser " * 80 + '"></head></html>')
    article, sources = embedded_metadata(Page(html, "html", "og.html"), draft())
    assert (article.title, sources) == ("Only OG", {"title": "opengraph"})


def test_no_metadata_at_all_gives_nothing():
    article, sources = embedded_metadata(load("no_metadata.html"), draft())
    assert sources == {}
    assert article.title is None


# --- Helpers.


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Smith, John", Author(last="Smith", fore="John", initials="J")),
        ("John Smith", Author(last="Smith", fore="John", initials="J")),
        ("Dr. Jean-Paul Martin, PhD", Author(last="Martin", fore="Jean-Paul", initials="JP")),
        ("Martin, J.-P., M.D.", Author(last="Martin", fore="J-P", initials="JP")),
        ("Michelina C. de la Maza", Author(last="de la Maza", fore="Michelina C", initials="MC")),
        ("Lieselotte Vande Walle", Author(last="Vande Walle", fore="Lieselotte", initials="L")),
        ("Sorooshyari SK", Author(last="Sorooshyari", fore=None, initials="SK")),
        ("Madonna", Author(last="Madonna")),
        ("ENIGMA Consortium", Author(collective="ENIGMA Consortium")),
        ("Mark O. Riedl Jr.", Author(last="Riedl", fore="Mark O", initials="MO")),
    ],
)
def test_parse_author_name(raw, expected):
    assert parse_author_name(raw) == expected


def test_parse_author_name_refuses_empty_and_degrees_only():
    assert parse_author_name("") is None
    assert parse_author_name("MD, PhD") is None


def test_split_keywords():
    assert split_keywords("a; b, c; d.") == ["a", "b, c", "d"]
    assert split_keywords("a, b ,c") == ["a", "b", "c"]


def test_markup_text_keeps_paragraphs_and_drops_inline_tags():
    assert markup_text("<p>First <i>in</i> one.</p><p>Second &amp; last.</p>") == "First in one.\n\nSecond & last."
    assert markup_text("H<sub>2</sub>O") == "H2O"


def test_is_clearly_abstract():
    long_text = "word " * 80
    assert is_clearly_abstract(long_text.strip())
    assert not is_clearly_abstract("short")
    assert not is_clearly_abstract(long_text.strip(), {long_text.strip()})


# --- Values as some publishers write them.


def _head(tags: str) -> Page:
    return Page(text=f"<html><head>{tags}</head><body></body></html>", kind="html", name="x")


def test_character_references_escaped_twice_are_undone():
    # `&amp;#x2009;` in the source is `&#x2009;` once the attribute is decoded (Hindawi).
    assert markup_text("180&#x2009;kg ha&#x2212;1") == "180 kg ha\u22121"  # thin space as a space
    assert markup_text("AT&T and R&D &copy 2015") == "AT&T and R&D &copy 2015"  # no reference, left alone


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("Volume 5", "5"), ("Vol. 12", "12"), ("November", "November"), ("Suppl 2", "Suppl 2"),
     ("Publish Ahead of Print", None)],
)
def test_volume_without_its_label_and_never_a_placeholder(tag, expected):
    article, _ = embedded_metadata(_head(f'<meta name="citation_volume" content="{tag}">'), draft())
    assert article.volume == expected


def test_author_listing_does_not_double_the_per_author_tags():
    page = _head('<meta name="citation_authors" content="Okafor, Chidera; Lindgren, Per">'
                 '<meta name="citation_author" content="Chidera Okafor">'
                 '<meta name="citation_author" content="Per Lindgren">')
    article, _ = embedded_metadata(page, draft())
    assert names(article) == [("Okafor", "Chidera", "C", None), ("Lindgren", "Per", "P", None)]


def test_author_listing_alone_gives_the_authors():
    page = _head('<meta name="citation_authors" content="Okafor, Chidera; Lindgren, Per">')
    assert [a.last for a in embedded_metadata(page, draft())[0].authors] == ["Okafor", "Lindgren"]


def test_wolters_kluwer_prefix_reads_as_highwire_after_the_citation_tag():
    page = _head('<meta name="wkhealth_title" content="A trial">'
                 '<meta name="wkhealth_authors" content="Harrington, Claire M.">'
                 '<meta name="wkhealth_authors" content="Adeyemi, Tunde">'
                 '<meta name="wkhealth_doi" content="10.1097/NNE.0000000000000231">'
                 '<meta name="citation_doi" content="10.1097/NNE.0000000000000999">'
                 '<meta name="wkhealth_journal_title_legacy" content="Nurse Educator">'
                 '<meta name="wkhealth_article_publication_date" content="May/June 2016">')
    article, sources = embedded_metadata(page, draft())
    assert (article.title, article.journal, article.pub_date) == ("A trial", "Nurse Educator", "2016-05")
    assert article.doi == "10.1097/nne.0000000000000999"
    assert names(article) == [("Harrington", "Claire M", "CM", None), ("Adeyemi", "Tunde", "T", None)]
    assert sources["title"] == "citation_meta"


def test_journal_issn_tag_is_an_issn():
    page = _head('<meta name="citation_journal_issn" content="2230-2263">')
    assert embedded_metadata(page, draft())[0].issn == "2230-2263"


def test_a_description_cut_short_is_no_abstract():
    # Literatum's dc.Description runs to several hundred characters, then stops with "...".
    page = _head('<meta name="dc.Description" content="' + "Balance training reduces falls. " * 12 + 'Th...">')
    assert embedded_metadata(page, draft())[0].abstract is None
    assert not is_clearly_abstract("Balance training reduces falls. " * 12 + "Th\u2026")


def _tags(*pairs: tuple[str, str]) -> Page:
    metas = "".join(f'<meta name="{k}" content="{v}">' for k, v in pairs)
    return Page(text=f"<html><head>{metas}</head><body></body></html>", kind="html", name="x")


def test_a_comma_form_creator_says_where_a_citation_author_surname_starts():
    page = _tags(("citation_author", "Mateus de Oliveira Prado"), ("citation_author", "Ana Lima"),
                 ("dc.creator", "de Oliveira Prado, Mateus"), ("dc.creator", "Lima, Ana"))
    article, _ = embedded_metadata(page, draft())
    assert names(article) == [("de Oliveira Prado", "Mateus", "M", None), ("Lima", "Ana", "A", None)]


def test_creators_naming_other_people_or_a_different_count_change_nothing():
    page = _tags(("citation_author", "Mateus de Oliveira Prado"), ("dc.creator", "Prado, Joana"))
    assert names(embedded_metadata(page, draft())[0]) == [("Prado", "Mateus de Oliveira", "MDO", None)]
    page = _tags(("citation_author", "Mateus de Oliveira Prado"), ("citation_author", "Ana Lima"),
                 ("dc.creator", "de Oliveira Prado, Mateus"))
    assert names(embedded_metadata(page, draft())[0])[0] == ("Prado", "Mateus de Oliveira", "MDO", None)


def test_the_cover_date_comes_before_the_online_date():
    page = _tags(("citation_title", "T"), ("citation_online_date", "2007/10/23"),
                 ("citation_cover_date", "1977/01/01"))
    article, _ = embedded_metadata(page, draft())
    assert (article.pub_date, article.pub_year) == ("1977-01-01", 1977)
