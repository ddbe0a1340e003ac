"""Field provenance: every filled field of a parse says which source filled it, and the record keeps it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.gold import check
from transforms import provenance
from transforms.article import AbstractSection, Article, Author
from transforms.page import Page
from transforms.pipeline import parse_bytes
from transforms.sites.base import Site

PAGES = Path(__file__).parent / "pages"
BIBLIOGRAPHIC = ("title", "doi", "journal", "issn", "volume", "issue", "pages", "pub_date", "pub_year", "authors",
                 "keywords", "abstract")


def parse(relative: str, url: str | None = None) -> Article:
    path = PAGES / relative
    return parse_bytes(path.read_bytes(), str(path), url=url)


def filled(article: Article) -> set[str]:
    return {name for name in provenance.TRACKED if getattr(article, name)}


def test_generic_html_page_names_a_source_for_every_filled_field():
    a = parse("sites_html/generic_journal.html", "https://journal.example.org/article/view/417")
    assert filled(a) == set(a.provenance)
    assert set(BIBLIOGRAPHIC) <= set(a.provenance)
    # No citation_* tags on this page: Dublin Core and JSON-LD fill it, the abstract is read from the page.
    assert a.provenance["abstract"] == "content"
    assert a.provenance["title"] in {"json_ld", "dublin_core"}
    assert set(a.provenance.values()) <= {"json_ld", "dublin_core", "prism", "content"}


def test_citation_tags_come_first_and_a_site_adapter_signs_what_it_corrects():
    a = parse("sites_html/biorxiv_preprint.html", "https://www.biorxiv.org/content/10.1101/2021.03.14.435211v1")
    assert a.provenance["title"] == a.provenance["authors"] == a.provenance["doi"] == "citation_meta"
    assert a.provenance["language"] == "dublin_core"
    assert a.provenance["pub_date"] == a.provenance["pub_year"] == "site:biorxiv"


def test_a_correction_in_place_is_signed_by_the_site():
    class Fixer(Site):
        name = "fixer"

        def patch_html(self, page: Page, article: Article) -> Article:
            article.authors[0].last = "Corrected"  # edited in place, not replaced
            return article

    html = ('<html><head><meta name="citation_title" content="T"><meta name="citation_author" content="Ann Lee">'
            '<meta name="citation_author" content="Bo Chan"></head><body></body></html>')
    a = Fixer().extract(Page(html, "html", "p.html"), Article(site="fixer", source_kind="html"))
    assert a.provenance == {"title": "citation_meta", "authors": "site:fixer"}


def test_generic_text_page_is_text():
    a = parse("text/generic_dspace_repository.txt")
    assert a.provenance and set(a.provenance.values()) == {"text"}
    assert filled(a) <= set(a.provenance)


def test_site_adapter_on_a_text_page_signs_its_fields():
    a = parse("text/pubmed_current_structured.txt")
    assert a.provenance["title"] == a.provenance["abstract"] == "site:pubmed"


def test_emptied_field_loses_its_source():
    a = Article(site="s", source_kind="html", abstract="Teaser.", provenance={"abstract": "opengraph"})
    before = provenance.snapshot(a)
    a.abstract = None
    provenance.note_changes(a, before, "site:s")
    assert a.provenance == {}


def test_sections_give_their_source_to_the_abstract_built_from_them():
    a = Article(site="s", source_kind="html", abstract="From metadata.", provenance={"abstract": "json_ld"})
    before = provenance.snapshot(a)
    a.abstract_sections = [AbstractSection("Background", "Text.")]
    provenance.note_changes(a, before, "site:s")
    assert a.provenance == {"abstract": "site:s", "abstract_sections": "site:s"}


def test_provenance_round_trips_through_dict_and_json():
    a = Article(site="generic", source_kind="html", title="T", authors=[Author(last="Lee")],
                provenance={"title": "citation_meta", "authors": "site:nature"})
    assert Article.from_dict(a.to_dict()) == a
    assert Article.from_dict(json.loads(a.to_json())).provenance == a.provenance
    assert Article.from_dict({"site": "x", "source_kind": "text"}).provenance == {}  # records stored before it


@pytest.mark.parametrize("source", ["citation_meta", "content"])
def test_expectation_checks_ignore_provenance(source):
    record = Article(site="generic", source_kind="html", title="T", provenance={"title": source}).to_dict()
    assert check(record, {"expect": {"title": "T"}, "no_field_contains": [source]}) == []
