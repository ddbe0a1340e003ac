"""One article, many sources: matching, the merge rules, traceability, deletions and retractions."""

from __future__ import annotations

import dataclasses
import hashlib
from pathlib import Path

import duckdb
import orjson
import pytest

from tests.warehouse.legacy import load_as_before_0006
from tests.warehouse.seed_pages import BR_J_CANCER_IL2, SEEDS
from tests.warehouse.test_bulk import corpus_items, snapshot
from transforms.article import Article, ArticleLink, Author
from transforms.pipeline import parse_bytes, parse_records
from warehouse import migrate as migrate_module
from warehouse.bulk import load_batch
from warehouse.connect import connect
from warehouse.load import SourceRecord, delete_pmids, load_document
from warehouse.merge import FIELDS, MatchIndex, Source, SourceKeys, field_mask, merge, title_key
from warehouse.migrate import migrations

PAGES = Path(__file__).parent / "pages"
EFETCH = PAGES / "efetch_14583759_br_j_cancer_il2.xml"
HTML = PAGES / "pubmed_14583759_br_j_cancer_il2.html"
HTML_URL = "https://pubmed.ncbi.nlm.nih.gov/14583759/"
TEXT = SEEDS / BR_J_CANCER_IL2
PMID = "14583759"
Item = tuple[Article, SourceRecord]


def source_of(path: Path, body: bytes, input_: str | None = None) -> SourceRecord:
    return SourceRecord(input_ or str(path), hashlib.sha256(body).hexdigest(), len(body), "tests/merge")


def efetch(body: bytes | None = None) -> Item:
    body = EFETCH.read_bytes() if body is None else body
    [record] = list(parse_records(body, str(EFETCH)))
    assert isinstance(record, Article)
    return record, source_of(EFETCH, body, f"{EFETCH}#{PMID}.1")


def html_page() -> Item:
    body = HTML.read_bytes()
    return parse_bytes(body, str(HTML), url=HTML_URL), source_of(HTML, body)


def text_copy() -> Item:
    body = TEXT.read_bytes()
    return parse_bytes(body, str(TEXT)), source_of(TEXT, body)


def rows(con: duckdb.DuckDBPyConnection, sql: str, params: list | None = None) -> list[tuple]:
    return con.execute(sql, params).fetchall()


def field_sources(con: duckdb.DuckDBPyConnection) -> dict[str, list[tuple]]:
    out: dict[str, list[tuple]] = {}
    for field, input_, kind, origin in rows(con, "SELECT field, input, source_kind, origin FROM "
                                                 "article_field_sources ORDER BY field, source_rank"):
        out.setdefault(field, []).append((input_, kind, origin))
    return out


# ---------------------------------------------------------------- three source kinds, through the parsers


def test_efetch_html_and_a_text_copy_make_one_article_traceable_to_each(con: duckdb.DuckDBPyConnection) -> None:
    text, html, xml = text_copy(), html_page(), efetch()
    first = load_document(con, *text)
    assert rows(con, "SELECT pmid, doi, pmcid, journal_abbrev FROM articles") == [(None, None, None, "Br J Cancer")]
    # The text copy has no identifier: it gains them when the PubMed page of the same article comes (by title).
    assert load_document(con, *html).article_id == first.article_id
    assert rows(con, "SELECT pmid, doi, pmcid FROM articles") == [(PMID, "10.1038/sj.bjc.6601320", "PMC2394417")]
    assert load_document(con, *xml).article_id == first.article_id  # by PMID

    assert rows(con, "SELECT count(*) FROM articles") == [(1,)]
    assert rows(con, "SELECT input, source_kind, pmid FROM article_sources ORDER BY source_id") == [
        (str(TEXT), "text", None), (str(HTML), "html", PMID), (f"{EFETCH}#{PMID}.1", "pubmed_xml", PMID)]
    assert rows(con, "SELECT s.input, k.title_key FROM pmidless_keys k JOIN sources s USING (source_id)") == [
        (str(TEXT), rows(con, "SELECT title_key FROM article_sources WHERE pmid IS NULL")[0][0])]
    [row] = rows(con, "SELECT source_kind, journal, language, source_url, pub_date, retracted FROM articles")
    assert row == ("pubmed_xml", "British journal of cancer", "eng", HTML_URL, "2003-11-03", False)
    assert rows(con, "SELECT count(*), count(ui) FROM mesh_terms") == [(11, 11)]  # the XML's, with MeSH UIs
    assert rows(con, "SELECT count(*) FROM article_affiliations") == [(0,)]  # they come with the XML's authors
    assert rows(con, "SELECT last FROM authors WHERE position = 1") == [("Radny",)]

    # Each source keeps its own values and provenance.
    records = {i: orjson.loads(r) for i, r in rows(con, "SELECT input, record FROM article_sources")}
    assert records[str(TEXT)]["pmid"] is None and records[str(TEXT)]["affiliations"] == text[0].affiliations
    assert Article.from_dict(records[str(HTML)]) == html[0]
    provenance = dict(rows(con, "SELECT input, provenance FROM article_sources"))
    assert orjson.loads(provenance[str(HTML)])["title"] == "citation_meta"

    # Every field of the merged row names the source it came from.
    traced = field_sources(con)
    xml_input = f"{EFETCH}#{PMID}.1"
    for field in ("pmid", "doi", "title", "journal", "authors", "mesh_terms", "publication_types", "language",
                  "abstract", "pub_date", "site", "source_kind"):
        assert traced[field] == [(xml_input, "pubmed_xml", None)], field
    assert traced["source_url"] == [(str(HTML), "html", None)]
    filled = {name for name in FIELDS if getattr(xml[0], name)} | {"source_url", "site", "source_kind", "parser"}
    assert set(traced) == filled


def test_the_merged_row_is_the_same_whatever_the_order(con: duckdb.DuckDBPyConnection, tmp_path: Path) -> None:
    for item in (text_copy(), html_page(), efetch()):
        load_document(con, *item)
    other = connect(tmp_path / "other.duckdb")
    result = load_batch(other, [efetch(), html_page(), text_copy()])
    assert (result.inserted, result.updated) == (1, 2)
    columns = "* EXCLUDE (article_id, created_at, updated_at, chosen_from)"
    assert rows(other, f"SELECT {columns} FROM articles") == rows(con, f"SELECT {columns} FROM articles")
    for table in ("authors", "author_affiliations", "mesh_terms", "keywords", "abstract_sections"):
        assert rows(other, f"SELECT * EXCLUDE (article_id) FROM {table} ORDER BY ALL") == rows(
            con, f"SELECT * EXCLUDE (article_id) FROM {table} ORDER BY ALL")
    assert field_sources(other) == field_sources(con)
    other.close()


def test_a_changed_source_is_merged_again_and_reloading_changes_nothing(con: duckdb.DuckDBPyConnection) -> None:
    items = [text_copy(), html_page(), efetch()]
    load_batch(con, items)
    before = snapshot(con), rows(con, "SELECT updated_at FROM articles")
    again = load_batch(con, items)
    assert (again.unchanged, snapshot(con), rows(con, "SELECT updated_at FROM articles")) == (3, *before)

    revised = EFETCH.read_bytes().replace(b"<ArticleTitle>Phase II", b"<ArticleTitle>REVISED Phase II")
    assert load_document(con, *efetch(revised)).action == "updated"
    assert rows(con, "SELECT title FROM articles") == [("REVISED Phase II trial of intralesional therapy with "
                                                        "interleukin-2 in soft-tissue melanoma metastases",)]
    assert rows(con, "SELECT count(*) FROM article_sources") == [(3,)]
    load_document(con, *efetch())
    assert snapshot(con) == before[0]


def test_deleting_the_pmid_drops_pubmeds_records_and_keeps_the_text_copy(con: duckdb.DuckDBPyConnection) -> None:
    load_batch(con, [text_copy(), html_page(), efetch()])
    [(article_id,)] = rows(con, "SELECT article_id FROM articles")
    assert delete_pmids(con, [PMID], "update.xml") == 1
    assert rows(con, "SELECT article_id, pmid, doi, source_kind FROM articles") == [(article_id, None, None, "text")]
    assert rows(con, "SELECT input FROM sources") == rows(con, "SELECT input FROM article_sources") == [(str(TEXT),)]
    assert {i for inputs in field_sources(con).values() for i, _, _ in inputs} == {str(TEXT)}
    assert rows(con, "SELECT count(*) FROM authors") == [(0,)]  # the text copy names none
    assert rows(con, "SELECT pmid, input FROM deleted_pmids") == [(PMID, "update.xml")]
    assert rows(con, "SELECT source_id, article_id, doi FROM pmidless_keys") == rows(
        con, "SELECT source_id, article_id, doi FROM article_sources")  # the text copy's keys, the only ones left


# ---------------------------------------------------------------- stored records


def test_a_source_alone_is_stored_without_its_record_and_written_out_when_joined(
        con: duckdb.DuckDBPyConnection, shared: Path) -> None:
    """The article's rows are the record of its only source: read back from them, they give the record again."""
    originals = [(a, s) for a, s in corpus_items(shared) if a.doi][:40]
    load_batch(con, originals)
    assert rows(con, "SELECT count(*) FROM article_sources WHERE record IS NULL") == [(len(originals),)]
    copies = [(dataclasses.replace(a, source_kind="html", site="generic", pmid=None, pmid_version=None),
               SourceRecord(f"https://example.org/{a.pmid}", "h", 1, "p")) for a, _ in originals]
    for item in copies[:20]:
        load_document(con, *item)  # each stored record read back from the rows, one by one
    load_batch(con, copies[20:])
    stored = dict(rows(con, "SELECT input, record FROM article_sources WHERE record IS NOT NULL"))
    assert len(stored) == 2 * len(originals)
    for article, source in originals:
        assert Article.from_dict(orjson.loads(stored[source.input])) == article, source.input


# ---------------------------------------------------------------- retractions


@pytest.fixture
def target(article: Article) -> Item:
    return dataclasses.replace(article, pmid="500", doi="10.1/retracted", pmcid=None, title="Retracted"), \
        SourceRecord("target.xml", "t", 1, "p")


@pytest.fixture
def notice(article: Article) -> Item:
    record = dataclasses.replace(article, pmid="900", doi="10.1/notice", pmcid=None, title="Retraction notice",
                                 publication_types=["Retraction of Publication"],
                                 links=[ArticleLink("RetractionOf", "500", "J Test. 2024;7:10")])
    return record, SourceRecord("notice.xml", "n", 1, "p")


def flags(con: duckdb.DuckDBPyConnection) -> dict[str, bool]:
    return dict(rows(con, "SELECT pmid, retracted FROM articles"))


@pytest.mark.parametrize("order", ["notice first", "article first", "one batch"])
def test_a_retraction_notice_flags_the_article_whichever_comes_first(
        con: duckdb.DuckDBPyConnection, target: Item, notice: Item, order: str) -> None:
    if order == "one batch":
        load_batch(con, [notice, target])
    else:
        for item in ([notice, target] if order == "notice first" else [target, notice]):
            load_document(con, *item)
    assert flags(con) == {"500": True, "900": False}
    delete_pmids(con, ["900"])  # the notice withdrawn: the article is no longer flagged by it
    assert flags(con) == {"500": False}


def test_an_article_flags_itself_by_type_or_link(con: duckdb.DuckDBPyConnection, target: Item) -> None:
    article, source = target
    load_document(con, dataclasses.replace(article, publication_types=["Journal Article", "Retracted Publication"]),
                  source)
    assert flags(con) == {"500": True}
    load_document(con, dataclasses.replace(article, links=[ArticleLink("RetractionIn", "900")]),
                  dataclasses.replace(source, content_hash="t2"))
    assert flags(con) == {"500": True}
    load_document(con, article, dataclasses.replace(source, content_hash="t3"))
    assert flags(con) == {"500": False}


# ---------------------------------------------------------------- the rules, on their own


def src(record: Article, input_: str, order: int) -> Source:
    return Source(input_, order, record)


def test_pubmed_xml_comes_first_then_the_later_version_then_the_newest(article: Article) -> None:
    xml = dataclasses.replace(article, source_kind="pubmed_xml", title="XML title", source_url=None, pmid_version=1)
    html = dataclasses.replace(article, title="HTML title", journal="Other", issn=None, pmid_version=None)
    assert merge([src(html, "b", 2), src(xml, "a", 1)]).article.title == "XML title"
    merged = merge([src(html, "b", 2), src(xml, "a", 1)])
    assert (merged.article.source_url, merged.article.journal) == (article.source_url, article.journal)
    assert dict(merged.chosen_from)["b"] == ["source_url"] and merged.chosen_from[0][0] == "a"
    v2 = dataclasses.replace(xml, title="Version 2", pmid_version=2)
    assert merge([src(v2, "v2", 1), src(xml, "v1", 2)]).article.title == "Version 2"
    newer = dataclasses.replace(html, title="Newer page")
    assert merge([src(newer, "n", 3), src(html, "o", 2)]).article.title == "Newer page"


def test_the_longest_clean_abstract_wins(article: Article) -> None:
    xml = dataclasses.replace(article, source_kind="pubmed_xml", abstract="Short but complete.")
    teaser = dataclasses.replace(article, abstract="A much longer teaser read from the page's description …")
    meta = dataclasses.replace(article, abstract="The description meta tag, long and without an ellipsis at all.",
                               provenance={"abstract": "html_meta"})
    page = dataclasses.replace(article, source_kind="text", abstract="The full abstract of the page, the longest.")
    assert merge([src(xml, "x", 1), src(teaser, "t", 2), src(meta, "m", 3)]).article.abstract == xml.abstract
    merged = merge([src(xml, "x", 1), src(teaser, "t", 2), src(page, "p", 3)])
    assert merged.article.abstract == page.abstract
    assert merged.article.abstract_sections == page.abstract_sections


def test_keywords_are_the_union_of_all_sources(article: Article) -> None:
    xml = dataclasses.replace(article, source_kind="pubmed_xml", keywords=["Aspirin", "fever"])
    html = dataclasses.replace(article, keywords=["aspirin", "Pyrexia", "pyrexia", "NSAID"])
    merged = merge([src(html, "h", 2), src(xml, "x", 1)])
    assert merged.article.keywords == ["Aspirin", "fever", "Pyrexia", "NSAID"]
    assert dict(merged.chosen_from)["h"] == ["keywords"]
    assert merge([src(html, "h", 2)]).article is html  # one source: its record as it is


def test_title_keys_ignore_case_accents_and_punctuation_and_need_five_words() -> None:
    assert title_key("Phase II trial of intralesional therapy with interleukin-2.") == title_key(
        "PHASE II trial of intralésional therapy with interleukin 2")
    assert title_key("Letter to the editor.") is None


def test_a_record_matches_by_identifier_then_title_unless_an_identifier_contradicts() -> None:
    index = MatchIndex()
    title = "Phase II trial of intralesional therapy"
    index.put(1, [SourceKeys(pmid="1", doi="10.1/a", title_key=title_key(title), pub_year=2003, first_author="radny")])
    index.put(2, [SourceKeys(title_key=title_key(title), pub_year=2003)])  # a text copy: no identifiers
    assert index.find(SourceKeys(pmid="1", doi="10.1/other")) == 1
    assert index.find(SourceKeys(pmid="2", doi="10.1/a")) is None  # same DOI, another PMID: another article
    assert index.find(SourceKeys(doi="10.1/a", pmid=None)) == 1
    same_title = SourceKeys(pmid="3", title_key=title_key(title), pub_year=2003, first_author="radny")
    assert index.find(same_title) == 2  # article 1 has another PMID; the text copy has none
    assert index.find(dataclasses.replace(same_title, pub_year=2004)) is None
    index.put(2, [SourceKeys(title_key=title_key(title), pub_year=2003, first_author="caroli")])
    assert index.find(same_title) is None  # another first author


# ---------------------------------------------------------------- a database loaded before migration 0006


def test_a_database_from_before_0006_gets_its_sources_records_and_merges_on(
        db: Path, article: Article, source: SourceRecord, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(migrate_module, "migrations", lambda: [m for m in migrations() if m.version < 6])
    con = connect(db)
    load_as_before_0006(con, article, source)
    con.close()
    monkeypatch.undo()
    con = connect(db)
    [(record, provenance)] = rows(con, "SELECT record, provenance FROM article_sources")
    assert Article.from_dict(orjson.loads(record)) == article and orjson.loads(provenance) == {}
    assert rows(con, "SELECT chosen_from[1].input, retracted FROM articles") == [(source.input, False)]
    assert "title" in rows(con, "SELECT chosen_fields(chosen_from[1].fields) FROM articles")[0][0]
    assert {f for (f,) in rows(con, "SELECT field FROM article_field_sources")} >= {"title", "pmid", "authors"}
    page = dataclasses.replace(article, pmid=None, title="From the publisher", keywords=["salicylate"],
                               authors=[Author(last="Smith")])
    assert load_document(con, page, SourceRecord("pub.html", "p", 1, "p")).action == "updated"
    assert rows(con, "SELECT title, pmid FROM articles") == [("From the publisher", "123")]
    assert rows(con, "SELECT keyword FROM keywords ORDER BY position") == [("salicylate",), ("aspirin",), ("fever",)]
    con.close()



def test_chosen_from_masks_name_the_fields_of_the_record_in_order(con: duckdb.DuckDBPyConnection) -> None:
    """Migration 0009's macro lists the Article record's fields in the code's bit order: a field added to the record
    without a migration appending its name fails here."""
    everything = (1 << len(FIELDS)) - 1
    assert rows(con, "SELECT chosen_fields(?)", [everything]) == [(list(FIELDS),)]
    for i, name in enumerate(FIELDS):
        assert field_mask([name]) == 1 << i
        assert rows(con, "SELECT chosen_fields(?)", [field_mask([name])]) == [([name],)]
