"""The fetcher against a real HTTP server on 127.0.0.1: pacing, caps, retries, redirects, limits, bad input."""

from __future__ import annotations

import pytest

from scrapers import fetch as F
from scrapers.fetch import Fetcher, target, user_agent
from scrapers.rawstore import RawStore
from tests.scrapers.fetching import quick_fetcher
from tests.scrapers.webstub import CORPUS, Reply, WebStub, closed_port, corpus_page, redirect

PAGE = "generic_peerj-4886.html"
# Request times are the server's, taken when each request arrives; the pace may be kept a little early by the
# scheduler's wake-up, never by a whole interval.
TOLERANCE = 0.05


def fetcher(store: RawStore | None = None, **policy: object) -> Fetcher:
    return quick_fetcher(store, **{"per_host": 4, **policy})


def spacings(times: list[float]) -> list[float]:
    ordered = sorted(times)
    return [b - a for a, b in zip(ordered, ordered[1:], strict=False)]


def test_a_page_is_fetched_with_its_body_headers_and_final_url(site: WebStub) -> None:
    url = site.route("/article/1", corpus_page(PAGE))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.ok and got.outcome == F.FETCHED and got.status == 200
    assert got.body == (CORPUS / PAGE).read_bytes()
    assert (got.url, got.final_url) == (url, url)
    raw = got.raw()
    assert (raw.input, raw.url, raw.content_type) == (url, url, "text/html; charset=utf-8")


def test_the_user_agent_names_the_tool_and_a_contact(site: WebStub) -> None:
    url = site.route("/a", Reply(body=b"<html><title>x</title></html>"))
    with fetcher() as f:
        f.fetch(url)
    agents = {h.headers["User-Agent"] for h in site.hits}
    assert agents == {"litingest/0.0-test (+mailto:tests@example.org)"}
    assert user_agent("1", None).startswith("litingest/1 (")


def test_requests_to_one_host_keep_its_pace(site: WebStub) -> None:
    urls = [site.route(f"/p{i}", Reply(body=b"<html><p>x</p></html>")) for i in range(5)]
    with fetcher(rate=5.0, per_host=4) as f:
        results = f.fetch_all(urls, workers=5)
    assert all(r.ok for r in results)
    assert len(site.hits) == 6  # robots.txt, then the five pages
    assert min(spacings(site.times())) >= 1 / 5.0 - TOLERANCE


def test_requests_in_flight_per_host_are_capped_while_hosts_run_side_by_side(site: WebStub,
                                                                             other_site: WebStub) -> None:
    slow = Reply(body=b"<html><p>x</p></html>", delay=0.3)
    urls = [s.route(f"/slow{i}", slow) for i in range(4) for s in (site, other_site)]
    with fetcher(per_host=2) as f:
        assert all(r.ok for r in f.fetch_all(urls, workers=8))
    assert site.max_active == 2 and other_site.max_active == 2
    a = [h.time for h in site.hits if h.path.startswith("/slow")]
    b = [h.time for h in other_site.hits if h.path.startswith("/slow")]
    assert any(x <= y < x + 0.3 for x in a for y in b)  # a page of one host was asked while the other's loaded


def test_429_waits_as_long_as_retry_after_says(site: WebStub) -> None:
    url = site.route("/busy", Reply(429, b"slow down", headers={"Retry-After": "1"}), Reply(body=b"<html>ok</html>"))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.ok and got.body == b"<html>ok</html>"
    first, second = site.times("/busy")
    assert second - first >= 1.0 - TOLERANCE


def test_5xx_is_retried_until_the_page_comes(site: WebStub) -> None:
    url = site.route("/flaky", Reply(503), Reply(502), Reply(body=b"<html>ok</html>"))
    with fetcher() as f:
        got = f.fetch(url)
        assert got.ok and f.budget.used == 2
    assert site.paths().count("/flaky") == 3


def test_5xx_that_persists_is_a_failure_naming_the_status(site: WebStub) -> None:
    url = site.route("/down", Reply(503, b"down"))
    with fetcher() as f:
        got = f.fetch(url)
    assert (got.ok, got.outcome, got.status) == (False, "http_503", 503)
    assert got.reason == f"{url}: HTTP 503 Service Unavailable"
    assert site.paths().count("/down") == 6  # the first attempt and five retries


@pytest.mark.parametrize("status", [403, 404, 410])
def test_http_errors_are_failures_with_their_status(site: WebStub, status: int) -> None:
    url = site.route("/gone", Reply(status, b"<html><title>error</title></html>"))
    with fetcher() as f:
        got = f.fetch(url)
    assert (got.ok, got.outcome, got.status) == (False, f"http_{status}", status)
    assert got.reason.startswith(f"{url}: HTTP {status} ")
    assert site.paths().count("/gone") == 1  # 4xx is not retried


def test_redirects_are_followed_and_the_final_url_kept(site: WebStub, other_site: WebStub) -> None:
    landing = other_site.route("/landing", corpus_page(PAGE))
    url = site.route("/old", redirect(site.url("/moved"), 301))
    site.route("/moved", redirect(landing, 302))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.ok and (got.url, got.final_url) == (url, landing)
    assert other_site.paths() == ["/robots.txt", "/landing"]  # the landing host's robots.txt asked too


@pytest.mark.parametrize("form", ["10.1234/abc.5(x)", "doi:10.1234/abc.5(x)", "https://doi.org/10.1234/abc.5(x)",
                                  "http://dx.doi.org/10.1234/abc.5(x)"])
def test_a_doi_is_resolved_through_the_resolver(site: WebStub, other_site: WebStub, form: str) -> None:
    landing = other_site.route("/article/abc5", corpus_page(PAGE))
    site.route("/10.1234/abc.5(x)", redirect(landing))
    with fetcher(doi_resolver=site.base_url + "/") as f:
        got = f.fetch(form)
    assert got.ok and got.final_url == landing
    assert got.url == "https://doi.org/10.1234/abc.5(x)"  # kept under its doi.org address, whatever the resolver
    assert got.request_url == site.url("/10.1234/abc.5(x)")


def test_target_keys_and_quotes() -> None:
    assert target("  https://Example.org/a b#frag ") == ("https://Example.org/a%20b", "https://Example.org/a%20b")
    assert target("10.1000/a#b", "http://r.test/") == ("https://doi.org/10.1000/a%23b", "http://r.test/10.1000/a%23b")


def test_a_redirect_loop_is_a_failure(site: WebStub) -> None:
    url = site.route("/a", redirect(site.url("/b")))
    site.route("/b", redirect(site.url("/a")))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "redirect_loop"
    assert got.reason == f"{url}: redirect loop (back at {url})"


def test_a_redirect_back_with_a_new_cookie_is_not_a_loop(site: WebStub) -> None:
    """Publishers send a first visit back to the same address with a session cookie set."""
    def check(hit):
        if "Cookie" in hit.headers:
            return Reply(body=b"<html>in</html>")
        return Reply(302, headers={"Location": site.url("/c"), "Set-Cookie": "session=1; Path=/"})

    url = site.route("/c", check)
    with fetcher() as f:
        got = f.fetch(url)
    assert got.ok and got.body == b"<html>in</html>"


def test_too_many_redirects(site: WebStub) -> None:
    for i in range(12):
        site.route(f"/r{i}", redirect(site.url(f"/r{i + 1}")))
    with fetcher(max_redirects=10) as f:
        got = f.fetch(site.url("/r0"))
    assert got.outcome == "too_many_redirects" and "more than 10 redirects" in got.reason


@pytest.mark.parametrize("url", ["ftp://ftp.example.org/pub/a.html", "file:///etc/passwd", "javascript:alert(1)",
                                 "mailto:someone@example.org"])
def test_other_schemes_are_refused_without_a_request(url: str) -> None:
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "bad_scheme" and got.status is None and got.body is None
    assert got.reason.startswith(f"{url}: only http and https URLs are fetched, not ")


@pytest.mark.parametrize("text", ["", "example.org/article", "http://", "http://host:99999/"])
def test_what_is_no_url_is_refused(text: str) -> None:
    with fetcher() as f:
        got = f.fetch(text)
    assert got.outcome == "bad_url" and got.reason.startswith(f"{text.strip()}: ")


def test_a_redirect_to_another_scheme_is_refused(site: WebStub) -> None:
    url = site.route("/to-ftp", redirect("ftp://ftp.example.org/a.pdf"))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "bad_scheme"
    assert got.reason == (f"{url}: redirected to ftp://ftp.example.org/a.pdf: "
                          "only http and https URLs are fetched, not ftp:")


def test_an_unreachable_host_is_a_failure_naming_the_url_and_reason() -> None:
    base = f"http://127.0.0.1:{closed_port()}"
    with fetcher() as f:
        first, second = f.fetch_all([base + "/a", base + "/b"], workers=1)
    assert first.outcome == second.outcome == "unreachable"
    assert first.reason == f"{base}/a: cannot reach {base} (Connection refused)"
    assert second.reason == f"{base}/b: cannot reach {base} (Connection refused)"


def test_a_body_declared_over_the_limit_is_not_downloaded(site: WebStub) -> None:
    url = site.route("/big", Reply(body=b"x" * 5000))
    with fetcher(max_bytes=1000) as f:
        got = f.fetch(url)
    assert got.outcome == "too_large" and got.body is None
    assert got.reason == f"{url}: body of 5000 bytes is over the limit of 1000 bytes, not downloaded"


def test_a_streamed_body_is_stopped_at_the_limit(site: WebStub) -> None:
    """A 50 MB page without a Content-Length, against the default 20 MB limit."""
    sent = []

    def fifty_mb():
        for _ in range(50):
            sent.append(1)
            yield b"<p>" + b"x" * (1024 * 1024 - 7) + b"</p>\n"

    url = site.route("/huge", Reply(chunks=fifty_mb))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "too_large" and got.body is None
    assert got.reason == f"{url}: body over the limit of {F.DEFAULT_MAX_BYTES} bytes, download stopped"
    assert len(sent) < 50  # the server could not hand the whole page over


def test_a_body_cut_off_is_a_failure(site: WebStub) -> None:
    body = (CORPUS / PAGE).read_bytes()
    url = site.route("/cut", Reply(body=body, truncate_to=len(body) // 3))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "truncated" and got.reason.startswith(f"{url}: body cut off after ")


def test_a_document_that_is_no_web_page_is_not_downloaded(site: WebStub) -> None:
    url = site.route("/paper.pdf", Reply(body=b"%PDF-1.7 ...", content_type="application/pdf"))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "unsupported_type" and got.reason == f"{url}: not a web page (application/pdf)"


def test_a_server_that_stalls_times_out(site: WebStub) -> None:
    url = site.route("/stall", Reply(body=b"<html></html>", delay=1.0))
    with fetcher(timeout=(2.0, 0.2)) as f:
        got = f.fetch(url)
    assert got.outcome == "timeout" and got.reason.startswith(f"{url}: timed out")


def test_one_bad_url_does_not_stop_the_rest(site: WebStub) -> None:
    good = site.route("/good", corpus_page(PAGE))
    urls = ["ftp://x.test/a", site.url("/missing"), good, f"http://127.0.0.1:{closed_port()}/x"]
    with fetcher() as f:
        results = f.fetch_all(urls, workers=3)
    assert [r.outcome for r in results] == ["bad_scheme", "http_404", "fetched", "unreachable"]
    assert [r.url for r in results] == urls
