"""robots.txt through the fetcher: rules obeyed per agent, read once per origin, RFC 9309 answers, Crawl-delay."""

from __future__ import annotations

import pytest

from scrapers.errors import ScrapeError
from scrapers.robots import RobotsCache
from tests.scrapers.fetching import quick_fetcher as fetcher
from tests.scrapers.webstub import Reply, WebStub, redirect

TOLERANCE = 0.05
PAGE = Reply(body=b"<html><title>t</title><p>text</p></html>")


def robots(text: str) -> Reply:
    return Reply(body=text.encode(), content_type="text/plain")


def test_disallowed_paths_are_never_asked_and_robots_txt_is_read_once(site: WebStub) -> None:
    site.route("/robots.txt", robots("User-agent: *\nDisallow: /private/\n"))
    urls = [site.route("/public/1", PAGE), site.route("/private/2", PAGE), site.route("/public/3", PAGE)]
    with fetcher() as f:
        results = f.fetch_all(urls, workers=3)
    assert [r.outcome for r in results] == ["fetched", "robots_disallowed", "fetched"]
    assert results[1].reason == f"{urls[1]}: disallowed by {site.base_url}/robots.txt for litingest"
    assert "/private/2" not in site.paths()
    assert site.paths().count("/robots.txt") == 1


def test_rules_for_our_agent_win_over_the_default(site: WebStub) -> None:
    site.route("/robots.txt", robots("User-agent: *\nAllow: /\n\nUser-agent: litingest\nDisallow: /\n"))
    url = site.route("/a", PAGE)
    with fetcher() as f:
        assert f.fetch(url).outcome == "robots_disallowed"
    assert site.paths() == ["/robots.txt"]


def test_rules_for_other_agents_do_not_apply(site: WebStub) -> None:
    site.route("/robots.txt", robots("User-agent: BadBot\nDisallow: /\n"))
    url = site.route("/a", PAGE)
    with fetcher() as f:
        assert f.fetch(url).ok


def test_no_robots_txt_allows_everything(site: WebStub) -> None:
    url = site.route("/a", PAGE)  # /robots.txt answers 404
    with fetcher() as f:
        assert f.fetch(url).ok


def test_a_robots_txt_the_server_cannot_give_allows_nothing(site: WebStub) -> None:
    site.route("/robots.txt", Reply(500, b"oops"))
    url = site.route("/a", PAGE)
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "robots_disallowed"
    assert got.reason == (f"{url}: {site.base_url}/robots.txt answered HTTP 500: nothing is fetched while the site "
                          "cannot say what it allows (RFC 9309)")
    assert "/a" not in site.paths()


def test_a_redirect_to_a_disallowed_page_stops_there(site: WebStub, other_site: WebStub) -> None:
    other_site.route("/robots.txt", robots("User-agent: *\nDisallow: /members/\n"))
    landing = other_site.route("/members/article", PAGE)
    url = site.route("/go", redirect(landing))
    with fetcher() as f:
        got = f.fetch(url)
    assert got.outcome == "robots_disallowed"
    assert got.reason == f"{url}: disallowed by {other_site.base_url}/robots.txt for litingest ({landing})"
    assert other_site.paths() == ["/robots.txt"]


def test_crawl_delay_slows_the_pace(site: WebStub) -> None:
    site.route("/robots.txt", robots("User-agent: *\nCrawl-delay: 1\n"))
    urls = [site.route(f"/p{i}", PAGE) for i in range(2)]
    with fetcher(rate=50.0) as f:
        assert all(r.ok for r in f.fetch_all(urls, workers=2))
    first, second = sorted(site.times("/p0") + site.times("/p1"))
    assert second - first >= 1.0 - TOLERANCE


def test_rules_are_read_again_after_the_ttl() -> None:
    now = [0.0]
    asked: list[str] = []

    def get(url: str) -> tuple[int, bytes]:
        asked.append(url)
        return 200, b"User-agent: *\nDisallow: /x\n" if len(asked) == 1 else b""

    cache = RobotsCache(get, "litingest", ttl=100, clock=lambda: now[0])
    assert cache.refusal("http://h.test/x/1") and cache.refusal("http://h.test/x/2")
    now[0] = 101
    assert cache.refusal("http://h.test/x/1") is None
    assert asked == ["http://h.test/robots.txt", "http://h.test/robots.txt"]


def test_an_unreachable_origin_raises_for_every_url_without_asking_again() -> None:
    asked: list[str] = []

    def get(url: str) -> tuple[int, bytes]:
        asked.append(url)
        raise ScrapeError(url, "cannot reach http://h.test (Connection refused)")

    cache = RobotsCache(get, "litingest")
    for path in ("/a", "/b"):
        with pytest.raises(ScrapeError, match="Connection refused"):
            cache.refusal("http://h.test" + path)
    assert asked == ["http://h.test/robots.txt"]


def test_a_robots_txt_behind_too_many_redirects_counts_as_none(site: WebStub) -> None:
    site.route("/robots.txt", redirect(site.url("/r0")))
    for i in range(6):
        site.route(f"/r{i}", redirect(site.url(f"/r{i + 1}")))
    url = site.route("/a", PAGE)
    with fetcher() as f:
        assert f.fetch(url).ok
    assert "/r4" in site.paths() and "/r5" not in site.paths()  # RFC 9309: five redirects, then unavailable
