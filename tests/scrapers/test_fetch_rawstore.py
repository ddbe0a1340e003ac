"""The raw store (gzip bodies by sha256, an SQLite index) and the conditional refetch built on it."""

from __future__ import annotations

import gzip
import multiprocessing
import threading
from pathlib import Path

import pytest

from scrapers.errors import ScrapeError
from scrapers.rawstore import FetchRecord, RawStore, beside, sha256
from tests.scrapers.fetching import quick_fetcher as fetcher
from tests.scrapers.webstub import CORPUS, Hit, Reply, WebStub

PAGE = (CORPUS / "generic_peerj-4886.html").read_bytes()


def test_bodies_are_stored_once_gzip_compressed_under_their_hash(tmp_path: Path) -> None:
    store = RawStore(tmp_path / "raw")
    digest = store.put_body(PAGE)
    assert store.put_body(PAGE) == digest == sha256(PAGE)
    [path] = (tmp_path / "raw" / "bodies").rglob("*.gz")
    assert path.name == f"{digest}.gz" and path.parent.name == digest[:2]
    assert gzip.decompress(path.read_bytes()) == PAGE and path.stat().st_size < len(PAGE) / 2
    assert store.body(digest) == PAGE


def test_a_damaged_or_missing_body_is_an_error_naming_the_file(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    digest = store.put_body(b"<html>a</html>")
    path = next((tmp_path / "bodies").rglob("*.gz"))
    path.write_bytes(gzip.compress(b"<html>b</html>"))
    with pytest.raises(ScrapeError, match=f"{path}: stored body does not match its hash"):
        store.body(digest)
    path.unlink()
    with pytest.raises(ScrapeError, match="stored body missing"):
        store.body(digest)


def test_the_index_keeps_every_fetch_and_finds_the_last_usable_one(tmp_path: Path) -> None:
    store = RawStore(tmp_path)
    h = store.put_body(b"<html>v1</html>")
    first = store.record(FetchRecord("http://a.test/1", "fetched", "http://a.test/one", 200,
                                     {"ETag": '"v1"', "Set-Cookie": "secret=1"}, etag='"v1"', content_hash=h, size=15))
    store.record(FetchRecord("http://a.test/1", "http_503", "http://a.test/one", 503, content_hash=h))
    store.record(FetchRecord("http://a.test/2", "unreachable", reason="http://a.test/2: cannot reach"))
    store.set_outcome(first, "no_article:captcha", "http://a.test/1: no article")
    usable = store.last_usable("http://a.test/1")
    assert usable is not None and usable.id == first and usable.etag == '"v1"'
    assert usable.headers == {"ETag": '"v1"'}  # cookies are never kept
    assert (usable.outcome, usable.reason) == ("no_article:captcha", "http://a.test/1: no article")
    assert store.last_usable("http://a.test/2") is None
    assert [r.url for r in store.documents()] == ["http://a.test/1"]
    assert [r.outcome for r in store.history()] == ["no_article:captcha", "http_503", "unreachable"]


def test_a_store_that_is_not_there_is_refused_when_asked_not_to_create(tmp_path: Path) -> None:
    with pytest.raises(ScrapeError, match="no raw store here"):
        RawStore(tmp_path / "none", create=False)
    assert beside(tmp_path / "x.duckdb") == tmp_path / "x.duckdb.raw"


def _write_rows(root: str, name: str) -> None:
    store = RawStore(root)
    for i in range(40):
        store.record(FetchRecord(f"http://{name}.test/{i}", "fetched", content_hash=store.put_body(b"same body")))


def test_threads_and_processes_write_one_index_safely(tmp_path: Path) -> None:
    root = str(tmp_path / "raw")
    RawStore(root)
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_write_rows, args=(root, f"p{i}")) for i in range(2)]
    threads = [threading.Thread(target=_write_rows, args=(root, f"t{i}")) for i in range(3)]
    for w in procs + threads:
        w.start()
    for w in procs + threads:
        w.join()
    assert all(p.exitcode == 0 for p in procs)
    assert len(RawStore(root).history()) == 5 * 40
    assert len(list((tmp_path / "raw" / "bodies").rglob("*.gz"))) == 1


def test_a_refetch_is_conditional_and_a_304_reuses_the_stored_body(tmp_path: Path, site: WebStub) -> None:
    def answer(hit: Hit) -> Reply:
        if hit.headers.get("If-None-Match") == '"v1"':
            return Reply(304, headers={"ETag": '"v1"'})
        return Reply(body=PAGE, headers={"ETag": '"v1"', "Last-Modified": "Tue, 01 Jul 2025 10:00:00 GMT"})

    url = site.route("/article", answer)
    store = RawStore(tmp_path)
    with fetcher(store) as f:
        first = f.fetch(url)
    with fetcher(store) as f:  # a later run
        second = f.fetch(url)
    asked = [h for h in site.hits if h.path == "/article"]
    assert "If-None-Match" not in asked[0].headers
    assert asked[1].headers["If-None-Match"] == '"v1"'
    assert asked[1].headers["If-Modified-Since"] == "Tue, 01 Jul 2025 10:00:00 GMT"
    assert (first.outcome, first.status) == ("fetched", 200)
    assert (second.outcome, second.status, second.body) == ("not_modified", 304, PAGE)
    assert second.content_hash == first.content_hash == sha256(PAGE)
    assert second.content_type == "text/html; charset=utf-8"  # the stored headers, updated by the 304's
    assert [r.status for r in store.history(url)] == [200, 304]


def test_a_changed_page_is_downloaded_again(tmp_path: Path, site: WebStub) -> None:
    url = site.route("/article", Reply(body=b"<html>one</html>", headers={"ETag": '"1"'}),
                     Reply(body=b"<html>two</html>", headers={"ETag": '"2"'}))
    store = RawStore(tmp_path)
    with fetcher(store) as f:
        f.fetch(url)
        again = f.fetch(url)
    assert (again.outcome, again.body, again.etag) == ("fetched", b"<html>two</html>", '"2"')
    assert [h.headers.get("If-None-Match") for h in site.hits if h.path == "/article"] == [None, '"1"']
    assert len(list((tmp_path / "bodies").rglob("*.gz"))) == 2


def test_failures_are_recorded_too(tmp_path: Path, site: WebStub) -> None:
    store = RawStore(tmp_path)
    missing = site.url("/missing")
    with fetcher(store) as f:
        f.fetch_all([missing, "ftp://x.test/a"], workers=1)
    rows = {r.url: r for r in store.history()}
    assert (rows[missing].status, rows[missing].outcome) == (404, "http_404")
    assert rows[missing].content_hash is not None  # the error page's body is kept as well
    assert rows["ftp://x.test/a"].outcome == "bad_scheme" and rows["ftp://x.test/a"].reason.startswith("ftp://x.test/a")
