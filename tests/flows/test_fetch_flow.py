"""`ingest_urls` and `reparse` end to end: real Prefect flows, real HTTP to servers on 127.0.0.1, real DuckDB files."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from uuid import UUID

import duckdb
import pytest
from prefect.client.orchestration import get_client
from prefect.client.schemas.filters import ArtifactFilter, ArtifactFilterFlowRunId

from flows.fetch import FetchReport, ingest_urls, read_url_list, reparse
from scrapers.rawstore import RawStore, beside
from tests.scrapers.webstub import CORPUS, Hit, Reply, WebStub, closed_port, corpus_page, redirect
from transforms.pipeline import parse_bytes
from warehouse.search import index_path, search

CLI = [sys.executable, "-m", "flows.cli"]
ARTICLES = {"/peerj": "generic_peerj-4886.html", "/pubmed": "pubmed_38814972.html",
            "/springer": "springer_10.1007-s11926-017-0626-z.html"}
LANDING = ("/nature/article", "nature_10.1038-s41598-020-61892-5.html")  # reached through a DOI
DOI = "10.5555/litingest.fetch.1"
ETAG, LAST_MODIFIED = '"peerj-v1"', "Tue, 01 Jul 2025 10:00:00 GMT"
MAX_BYTES = 5 * 1024 * 1024
# A page in windows-1252 that says so only in its HTTP header; detection alone reads it as another code page.
CP1252_TITLE = "The Müller–Lyer illusion in children"
CP1252_PAGE = f"""<!DOCTYPE html><html lang="en"><head><title>{CP1252_TITLE} | Journal of Examples</title>
<meta name="citation_title" content="{CP1252_TITLE}">
<meta name="citation_author" content="Grégoire, Anaïs"><meta name="citation_author" content="Müller, Jürgen">
<meta name="citation_journal_title" content="Journal of Examples"><meta name="citation_doi" content="10.5555/cp.1252">
</head><body><h1>{CP1252_TITLE}</h1><div class="abstract"><h2>Abstract</h2>
<p>We asked 120 children aged 5–12 whether two lines “looked the same”. Naïve observers saw the ‘arrows’
differently — the effect shrank with age, and façade drawings gave the same result. Costs were under 5 € per
child.</p></div></body></html>""".encode("cp1252")


@dataclass
class Run:
    site: WebStub
    resolver: WebStub
    db: Path
    report: FetchReport
    urls: dict[str, str]  # name -> URL or DOI as given
    flow_run_id: UUID

    def outcome(self, name: str) -> str:
        [o] = [o for o in self.report.outcomes if o.url == self.key(name)]
        return o.outcome

    def reason(self, name: str) -> str:
        [o] = [o for o in self.report.outcomes if o.url == self.key(name)]
        return o.reason or ""

    def key(self, name: str) -> str:
        return f"https://doi.org/{DOI}" if name == "doi" else self.urls[name]


def rows(db: Path, query: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(query).fetchall()


def conditional(hit: Hit) -> Reply:
    """Answers 304 to a request that carries the page's validator; otherwise the page, with its validators."""
    if hit.headers.get("If-None-Match") == ETAG:
        return Reply(304, headers={"ETag": ETAG})
    return corpus_page(ARTICLES["/peerj"], ETag=ETAG)


def since(hit: Hit) -> Reply:
    if hit.headers.get("If-Modified-Since") == LAST_MODIFIED:
        return Reply(304)
    return corpus_page(ARTICLES["/pubmed"], **{"Last-Modified": LAST_MODIFIED})


def serve_all(site: WebStub, resolver: WebStub) -> dict[str, str]:
    site.route("/robots.txt", Reply(body=b"User-agent: *\nDisallow: /private/\n", content_type="text/plain"))
    urls = {"/peerj": site.route("/peerj", conditional), "/pubmed": site.route("/pubmed", since),
            "/springer": site.route("/springer", corpus_page(ARTICLES["/springer"])),
            "cp1252": site.route("/cp1252", Reply(body=CP1252_PAGE, content_type="text/html; charset=windows-1252")),
            "captcha": site.route("/challenge", corpus_page("generic_acs-cloudflare-challenge.html")),
            "captcha-403": site.route("/blocked", Reply(403, (CORPUS / "pmc_recaptcha-17913474.html").read_bytes())),
            "paywall": site.route("/stub", corpus_page("wiley_10.1002-andp.19263851302.html")),
            "missing": site.url("/missing"),
            "private": site.route("/private/1", corpus_page(ARTICLES["/peerj"])),
            "loop": site.route("/loop-a", redirect(site.url("/loop-b"))),
            "huge": site.route("/huge", Reply(chunks=lambda: (b"<p>" + b"x" * 1_048_000 + b"</p>" for _ in range(50)))),
            "cut-html": site.route("/cut", Reply(body=CP1252_PAGE[:200], content_type="text/html; charset=cp1252")),
            "ftp": "ftp://ftp.example.org/pub/article.html",
            "unreachable": f"http://127.0.0.1:{closed_port()}/article",
            "doi": DOI}
    site.route("/loop-b", redirect(site.url("/loop-a")))
    site.route(LANDING[0], corpus_page(LANDING[1]))
    resolver.route(f"/{DOI}", redirect(site.url(LANDING[0])))
    return urls


def run_flow(urls: list[str], db: Path, resolver: WebStub, **options: Any) -> FetchReport:
    return ingest_urls(urls, str(db), email="tests@litingest.invalid", doi_resolver=resolver.base_url + "/",
                       rate=50.0, per_host=2, workers=4, max_bytes=MAX_BYTES, backoff_factor=0.01, **options)


@pytest.fixture(scope="module")
def first(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Run]:
    with WebStub() as site, WebStub() as resolver:
        urls = serve_all(site, resolver)
        db = tmp_path_factory.mktemp("fetch") / "web.duckdb"
        state = run_flow(list(urls.values()), db, resolver, return_state=True)
        yield Run(site, resolver, db, state.result(), urls, state.state_details.flow_run_id)


def test_pages_are_fetched_parsed_and_loaded(first: Run) -> None:
    loaded = ["/peerj", "/pubmed", "/springer", "cp1252", "doi"]
    assert {o.url: o.outcome for o in first.report.outcomes if o.outcome == "loaded"} == {
        first.key(n): "loaded" for n in loaded}
    assert (first.report.inserted, first.report.updated) == (5, 0)
    assert len(first.report.outcomes) == len(first.urls)


@pytest.mark.parametrize("path", sorted(ARTICLES))
def test_rows_are_what_the_parser_makes_of_the_served_page(first: Run, path: str) -> None:
    url = first.urls[path]
    expected = parse_bytes((CORPUS / ARTICLES[path]).read_bytes(), url, url=url)
    [(title, doi, source_url)] = rows(first.db, "SELECT a.title, a.doi, a.source_url FROM articles a "
                                                f"JOIN sources s USING (article_id) WHERE s.input = '{url}'")
    assert (title, doi, source_url) == (expected.title, expected.doi, url)


def test_a_doi_is_loaded_from_its_landing_page(first: Run) -> None:
    [(source_url, title)] = rows(first.db, "SELECT a.source_url, a.title FROM articles a JOIN sources s "
                                           f"USING (article_id) WHERE s.input = 'https://doi.org/{DOI}'")
    landing = first.site.url(LANDING[0])
    assert source_url == landing
    assert title == parse_bytes((CORPUS / LANDING[1]).read_bytes(), "x", url=landing).title
    assert first.resolver.paths() == ["/robots.txt", f"/{DOI}"]


def test_the_http_charset_decodes_a_page_that_declares_none(first: Run) -> None:
    [(title, abstract)] = rows(first.db, "SELECT a.title, a.abstract FROM articles a JOIN sources s "
                                         f"USING (article_id) WHERE s.input = '{first.urls['cp1252']}'")
    assert title == CP1252_TITLE
    assert "Naïve observers saw the ‘arrows’ differently — the effect" in abstract and "5 € per" in abstract


@pytest.mark.parametrize(("name", "outcome", "reason"), [
    ("captcha", "no_article:captcha", "no article found"),
    ("paywall", "no_article:paywall", "no abstract on this"),
    ("captcha-403", "http_403", "HTTP 403 Forbidden (a captcha or bot wall)"),
    ("missing", "http_404", "HTTP 404 Not Found"),
    ("private", "robots_disallowed", "disallowed by"),
    ("loop", "redirect_loop", "redirect loop"),
    ("huge", "too_large", f"body over the limit of {MAX_BYTES} bytes"),
    ("cut-html", "no_article", "no abstract on this"),
    ("ftp", "bad_scheme", "only http and https URLs are fetched, not ftp:"),
    ("unreachable", "unreachable", "(Connection refused)"),
])
def test_each_bad_url_ends_in_a_recorded_failure_naming_it(first: Run, name: str, outcome: str, reason: str) -> None:
    key = first.key(name)
    assert first.outcome(name) == outcome
    assert first.reason(name).startswith(f"{key}: ") and reason in first.reason(name)
    assert first.reason(name) in first.report.failures
    [recorded] = [r for r in RawStore(beside(first.db)).history() if r.url == key]
    assert (recorded.outcome, recorded.reason) == (outcome, first.reason(name))


def test_an_http_error_says_what_its_page_shows_when_that_adds_something(first: Run) -> None:
    assert first.reason("captcha-403") == f"{first.key('captcha-403')}: HTTP 403 Forbidden (a captcha or bot wall)"
    assert first.reason("missing") == f"{first.key('missing')}: HTTP 404 Not Found"  # not "an error page" again


def test_the_search_index_is_rebuilt_after_the_run(first: Run) -> None:
    assert index_path(first.db).is_file()  # built by the flow, not by the first search
    hits = search(first.db, "Müller-Lyer illusion children")
    assert [h.title for h in hits] == [CP1252_TITLE]


def test_nothing_is_loaded_for_a_page_without_an_article(first: Run) -> None:
    inputs = {r[0] for r in rows(first.db, "SELECT input FROM sources")}
    assert inputs == {first.key(n) for n in ("/peerj", "/pubmed", "/springer", "cp1252", "doi")}


def test_the_run_leaves_a_markdown_artifact_with_its_summary(first: Run) -> None:
    with get_client(sync_client=True) as client:
        [artifact] = client.read_artifacts(artifact_filter=ArtifactFilter(
            flow_run_id=ArtifactFilterFlowRunId(any_=[first.flow_run_id])))
    assert (artifact.key, artifact.type) == ("ingest-urls-report", "markdown")
    text = artifact.data
    assert first.report.summary() in text
    assert "| loaded | 5 |" in text and "| http_404 | 1 |" in text and "| no_article:captcha | 1 |" in text
    assert f"- {first.reason('missing')}" in text


def test_a_refetch_is_conditional_and_unchanged_pages_stay_unchanged(first: Run) -> None:
    before = len(first.site.hits)
    urls = [first.urls[p] for p in ("/peerj", "/pubmed", "/springer")]
    report = run_flow(urls, first.db, first.resolver)
    again = {h.path: h.headers for h in first.site.hits[before:]}
    assert again["/peerj"].get("If-None-Match") == ETAG
    assert again["/pubmed"].get("If-Modified-Since") == LAST_MODIFIED
    assert "If-None-Match" not in again["/springer"]  # it sent no validator: downloaded again
    assert (report.not_modified, report.unchanged, report.inserted, report.failures) == (2, 3, 0, [])
    statuses = {r.url: r.status for r in RawStore(beside(first.db)).history() if r.url in urls}
    assert statuses == {urls[0]: 304, urls[1]: 304, urls[2]: 200}  # the latest fetch of each


def test_reparse_rebuilds_every_article_without_the_network(tmp_path: Path) -> None:
    db = tmp_path / "w.duckdb"
    with WebStub() as site, WebStub() as resolver:
        urls = [site.route(p, corpus_page(name)) for p, name in ARTICLES.items()]
        assert run_flow(urls + [site.url("/missing")], db, resolver).inserted == 3
        titles = rows(db, "SELECT s.input, a.title FROM articles a JOIN sources s USING (article_id) ORDER BY 1")
    db.unlink()  # the servers are stopped too: only the raw store is left
    report = reparse(str(db))
    assert (report.inserted, report.failures) == (3, [])
    assert rows(db, "SELECT s.input, a.title FROM articles a JOIN sources s USING (article_id) ORDER BY 1") == titles
    assert {o.outcome for o in report.outcomes} == {"loaded"}


def test_reparse_without_a_raw_store_says_so(tmp_path: Path) -> None:
    report = reparse(str(tmp_path / "none.duckdb"))
    assert report.failures == [f"{tmp_path / 'none.duckdb.raw'}: no raw store here (fetch pages first)"]


def test_url_lists_skip_blanks_and_comments() -> None:
    assert read_url_list(["# pages\n", "https://a.test/x#sec1\n", "\n", "  10.1000/abc  \n"]) == [
        "https://a.test/x#sec1", "10.1000/abc"]


def test_the_commands_fetch_then_reparse_offline(tmp_path: Path) -> None:
    db = tmp_path / "cli.duckdb"
    env = {**os.environ, "LITINGEST_EMAIL": "tests@litingest.invalid"}
    listed = tmp_path / "urls.txt"
    with WebStub() as site:
        good = [site.route(p, corpus_page(name)) for p, name in ARTICLES.items()]
        listed.write_text(f"# two from a file\n{good[1]}\n{good[2]}\n")
        out = subprocess.run([*CLI, "fetch", good[0], site.url("/missing"), "--from-file", str(listed),
                              "--db", str(db), "--rate", "50"], capture_output=True, text=True, env=env)
    assert out.returncode == 1, out.stderr
    assert f"error: {site.url('/missing')}: HTTP 404 Not Found" in out.stderr.splitlines()
    assert out.stdout.strip().startswith(f"{db}: 4 URLs, 3 loaded")
    db.unlink()
    out = subprocess.run([*CLI, "reparse", "--db", str(db)], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr
    assert rows(db, "SELECT count(*) FROM articles") == [(3,)]
