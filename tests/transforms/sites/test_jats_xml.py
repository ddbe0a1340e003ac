"""JATS / NLM XML articles saved as pages: the document, not its address, picks the reader."""

from __future__ import annotations

import pytest

from transforms.errors import NoArticleError
from transforms.page import Page
from transforms.pipeline import detect_kind, parse_bytes
from transforms.sites import choose_site

NLM_DOCTYPE = ('<!DOCTYPE article PUBLIC "-//NLM//DTD Journal Publishing DTD v2.3 20070202//EN" '
               '"journalpublishing.dtd">')
FRONT = """<front><journal-meta><journal-title>Frontiers in Aging Neuroscience</journal-title>
<abbrev-journal-title abbrev-type="pubmed">Front. Aging Neurosci.</abbrev-journal-title></journal-meta>
<article-meta><article-id pub-id-type="doi">10.3389/fnagi.2012.00007</article-id>
<title-group><article-title>Gait speed and white matter in late life</article-title></title-group>
<contrib-group><contrib contrib-type="author"><name><surname>Ólafsdóttir</surname>
<given-names>Hrefna</given-names></name></contrib></contrib-group>
<pub-date pub-type="epub"><day>2</day><month>5</month><year>2012</year></pub-date><volume>4</volume>
<elocation-id>7</elocation-id>
<abstract><p>Slower walkers had more white matter lesions.</p><p>The link held after adjustment.</p></abstract>
</article-meta></front>"""


def _jats(front: str = FRONT, doctype: str = NLM_DOCTYPE) -> str:
    opening = '<?xml version="1.0" encoding="UTF-8"?>'
    return f'{opening}\n{doctype}\n<article article-type="research-article">{front}</article>'


@pytest.mark.parametrize("url", [None, "https://www.frontiersin.org/articles/10.3389/fnagi.2012.00007/xml/nlm",
                                 "https://journals.plos.org/plosone/article/file?id=10.1371/journal.pone.1&type=manuscript"])
def test_a_jats_document_is_read_as_jats_whatever_its_address(url: str | None) -> None:
    assert choose_site(Page(_jats(), "html", "x", url)).name == "jats"


def test_an_html5_page_with_article_elements_is_not_jats() -> None:
    html = "<!DOCTYPE html><html><body><article><header><h1>T</h1></header><p>x</p></article></body></html>"
    assert choose_site(Page(html, "html", "x", "https://example.org/post")).name != "jats"


def test_front_matter_fields_and_one_section_per_unlabelled_paragraph() -> None:
    a = parse_bytes(_jats().encode(), "frontiers.xml")
    assert (a.site, a.title, a.doi, a.volume, a.pages, a.pub_date) == (
        "jats", "Gait speed and white matter in late life", "10.3389/fnagi.2012.00007", "4", "7", "2012-05-02")
    assert (a.journal, a.journal_abbrev) == ("Frontiers in Aging Neuroscience", "Front. Aging Neurosci.")
    assert [(x.last, x.fore) for x in a.authors] == [("Ólafsdóttir", "Hrefna")]
    assert a.abstract == "Slower walkers had more white matter lesions.\n\nThe link held after adjustment."


def test_jats_without_an_html_cue_in_its_opening_is_still_read() -> None:
    padding = "<custom-meta><meta-name>n</meta-name></custom-meta>" * 300
    body = _jats(FRONT.replace("<article-meta>", f"<article-meta><custom-meta-group>{padding}</custom-meta-group>"))
    assert detect_kind(body.encode(), "plos.xml") == "text"
    assert parse_bytes(body.encode(), "plos.xml").title == "Gait speed and white matter in late life"


def test_jats_front_matter_with_neither_title_nor_abstract_is_no_article() -> None:
    front = "<front><journal-meta><journal-title>J</journal-title></journal-meta><article-meta></article-meta></front>"
    with pytest.raises(NoArticleError, match="empty.xml"):
        parse_bytes(_jats(front).encode(), "empty.xml")


def test_no_external_entity_is_resolved() -> None:
    doctype = '<!DOCTYPE article PUBLIC "-//NLM//DTD JATS//EN" "x.dtd" [<!ENTITY secret SYSTEM "file:///etc/hostname">]>'
    front = FRONT.replace("Gait speed", "&secret;Gait speed")
    a = parse_bytes(_jats(front, doctype).encode(), "entity.xml")
    assert a.title == "Gait speed and white matter in late life"
