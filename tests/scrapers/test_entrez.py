"""EntrezClient against the local E-utilities stand-in: identity, pacing, retries, validation, paging, window splits."""

from __future__ import annotations

import json
import logging
import threading
from datetime import date
from pathlib import Path

import pytest
from lxml import etree

from scrapers.entrez import (
    MAX_RECORDS,
    EntrezClient,
    History,
    InvalidAnswer,
    SearchResult,
    Window,
    count_efetch_records,
    parse_epost,
    parse_esearch,
)
from scrapers.errors import FatalError, RetryBudgetExhausted, ScrapeError, TransientError
from scrapers.ratelimit import RateLimiter, registered
from tests.scrapers.eutils_stub import CORPUS, EutilsStub, Fault

KEY = "k3y-SECRET-0123456789"
EMAIL = "curator@example.org"
# Stub records entered PubMed (edat) from 1952 to 2026; this window holds most of them.
START, END = date(2025, 1, 1), date(2026, 12, 31)


def client_for(stub: EutilsStub, **kw: object) -> EntrezClient:
    """A client with test-sized waits: a fast private limiter, millisecond backoff, a short read timeout."""
    settings: dict[str, object] = dict(base_url=stub.base_url, email=EMAIL, limiter=RateLimiter(200),
                                       backoff_factor=0.01, backoff_jitter=0.0, timeout=(1, 0.5))
    settings.update(kw)
    return EntrezClient(**settings)  # type: ignore[arg-type]


def pmids_of(body: bytes) -> list[str]:
    root = etree.fromstring(body, etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False))
    return [p.text for p in root.iterfind("*/*/PMID")]


def gaps(stub: EutilsStub) -> list[float]:
    times = [r.time for r in stub.requests]
    return [b - a for a, b in zip(times, times[1:], strict=False)]


def assert_paced(stub: EutilsStub, per_second: float) -> None:
    """Requests at most `per_second`: measured where they arrive, so a busy machine may delay one request and
    bring it nearer the next; the span of all of them holds the pace, and no two come as a burst."""
    times = [r.time for r in stub.requests]
    assert times[-1] - times[0] >= (len(times) - 1) / per_second - 0.03
    assert min(gaps(stub)) >= 0.5 / per_second


# --- identity and secrets --------------------------------------------------------------------------------------


def test_every_request_names_tool_email_and_key(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, api_key=KEY)
    search = client.esearch("*", START, END)
    list(client.efetch_batches(search))
    client.epost(search.ids[:3])
    assert {r.endpoint for r in eutils_stub.requests} == {"esearch", "efetch", "epost"}
    for request in eutils_stub.requests:
        assert (request.params["tool"], request.params["email"], request.params["api_key"]) == ("litingest", EMAIL, KEY)
        assert KEY not in request.path  # sent in POST bodies only, so no URL carries it


def test_the_key_is_never_logged_nor_put_in_errors(eutils_stub: EutilsStub, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    client = client_for(eutils_stub, api_key=KEY)
    eutils_stub.inject(Fault.http(500), Fault.truncated(endpoint="efetch"))
    batches = list(client.efetch_batches(client.esearch("*", START, END)))
    eutils_stub.inject(Fault.http(400, message=f'{{"error":"API key invalid","api-key":"{KEY}"}}'))
    with pytest.raises(FatalError) as caught:
        client.esearch("asthma")
    error = caught.value
    assert batches and "retrying" in caplog.text and "POST" in caplog.text
    assert KEY not in caplog.text
    assert KEY not in str(error) and "API key invalid" in str(error)
    assert KEY not in json.dumps(error.context, default=str) and error.context["params"]["tool"] == "litingest"
    assert KEY not in repr(client) and "api_key=set" in repr(client)
    assert not any(KEY in "".join(map(str, key)) for key in registered())


# --- pacing ------------------------------------------------------------------------------------------------------


def test_without_a_key_requests_are_three_per_second(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, limiter=None)
    assert client.limiter.rate == 3
    for _ in range(4):
        client.count("*", START, END)
    assert len(eutils_stub.requests) == 4
    assert_paced(eutils_stub, 3)


def test_with_a_key_requests_are_ten_per_second(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, limiter=None, api_key=KEY)
    assert client.limiter.rate == 10
    for _ in range(5):
        client.count("*", START, END)
    assert len(eutils_stub.requests) == 5
    assert_paced(eutils_stub, 10)


def test_clients_and_threads_of_a_process_share_the_pace(eutils_stub: EutilsStub) -> None:
    first, second = client_for(eutils_stub, limiter=None, api_key=KEY), client_for(eutils_stub, limiter=None,
                                                                                   api_key=KEY)
    assert first.limiter is second.limiter

    def search(client: EntrezClient) -> None:
        for _ in range(2):
            client.count("*", START, END)

    threads = [threading.Thread(target=search, args=(c,)) for c in (first, second, first)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(eutils_stub.requests) == 6
    assert_paced(eutils_stub, 10)


# --- transport failures: retried by urllib3 -------------------------------------------------------------------


def test_429_waits_as_long_as_retry_after_says(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(429, retry_after="1", endpoint="esearch"))
    result = client_for(eutils_stub).esearch("*", START, END)
    assert result.count > 0
    assert [r.endpoint for r in eutils_stub.requests] == ["esearch", "esearch"]
    assert gaps(eutils_stub)[0] >= 0.95


def test_500_is_retried(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(500, times=2))
    client = client_for(eutils_stub)
    assert client.epost(["9997"]) == History("MCID_000000000000000000000001", "1")
    assert len(eutils_stub.requests) == 3 and client.budget.used == 2


def test_a_lasting_5xx_is_reported_as_transient(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(503, times=None))
    with pytest.raises(TransientError) as caught:
        client_for(eutils_stub).esearch("asthma")
    assert caught.value.retryable
    assert "HTTP 503 after 5 retries" in str(caught.value) and str(caught.value).startswith("esearch 'asthma'")
    assert caught.value.context["endpoint"] == "esearch.fcgi" and caught.value.context["status"] == 503
    assert len(eutils_stub.requests) == 6


def test_a_stall_past_the_timeout_is_retried(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, timeout=(1, 0.3))
    search = client.esearch("*", START, END)
    eutils_stub.inject(Fault.stall(1.0, endpoint="efetch"))
    batches = list(client.efetch_batches(search))
    assert sum(b.records for b in batches) == search.count
    assert [r.params["retstart"] for r in eutils_stub.requests_to("efetch")] == ["0", "0"]


# --- answers that arrive but cannot be used: retried here, then reported ------------------------------------


def test_a_connection_cut_mid_answer_is_retried(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub)
    search = client.esearch("*", START, END)
    eutils_stub.inject(Fault.cut(endpoint="efetch"))
    assert [b.records for b in client.efetch_batches(search)] == [search.count]
    assert len(eutils_stub.requests_to("efetch")) == 2


@pytest.mark.parametrize("fault, reason", [
    (Fault.truncated, "truncated or malformed XML"),
    (Fault.not_xml, "not XML (an HTML page)"),
])
def test_a_garbled_batch_is_retried_once_then_used(eutils_stub: EutilsStub, fault, reason: str,
                                                   caplog: pytest.LogCaptureFixture) -> None:
    client = client_for(eutils_stub, batch_size=50)
    search = client.esearch("*", START, END)
    eutils_stub.inject(fault(endpoint="efetch", when=lambda p: p["retstart"] == "50"))
    batches = list(client.efetch_batches(search))
    assert [b.retstart for b in batches] == list(range(0, search.count, 50))
    assert [r.params["retstart"] for r in eutils_stub.requests_to("efetch")] == ["0", "50", "50"]
    assert reason in caplog.text


@pytest.mark.parametrize("fault, reason", [
    (Fault.truncated, "truncated or malformed XML"),
    (Fault.not_xml, "not XML (an HTML page)"),
])
def test_a_batch_garbled_every_time_is_reported_never_returned(eutils_stub: EutilsStub, fault, reason: str) -> None:
    client = client_for(eutils_stub, batch_size=50, max_attempts=3)
    search = client.esearch("*", START, END)
    eutils_stub.inject(fault(endpoint="efetch", times=None, when=lambda p: p["retstart"] == "50"))
    got = []
    with pytest.raises(TransientError) as caught:
        for batch in client.efetch_batches(search):
            got.append(batch.retstart)
    message = str(caught.value)
    assert got == [0]
    assert message.startswith("efetch query_key=1 retstart=50: ") and reason in message
    assert "gave up after 3 attempts" in message and "\n" not in message
    assert caught.value.context["attempts"] == 3 and caught.value.context["params"]["retstart"] == 50


def test_an_http_200_error_body_is_retried_then_reported(eutils_stub: EutilsStub) -> None:
    message = "Search Backend failed: Database is not supported: pubmed"
    eutils_stub.inject(Fault.ncbi_error(message, endpoint="esearch", times=None))
    with pytest.raises(TransientError) as caught:
        client_for(eutils_stub, max_attempts=2).esearch("asthma", date(2024, 1, 1), date(2024, 1, 31))
    assert f"NCBI error: {message}" in str(caught.value)
    assert str(caught.value).startswith("esearch 'asthma' 2024/01/01-2024/01/31 retstart=0: ")
    assert len(eutils_stub.requests) == 2


def test_an_error_body_that_asking_again_cannot_fix_is_not_retried(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.ncbi_error("Invalid db name specified: nothing", endpoint="epost", times=None))
    with pytest.raises(FatalError) as caught:
        client_for(eutils_stub).epost(["9997"])
    assert not caught.value.retryable and "Invalid db name specified: nothing" in str(caught.value)
    assert caught.value.context["attempts"] == 1 and caught.value.context["endpoint"] == "epost.fcgi"
    assert len(eutils_stub.requests) == 1


def test_a_4xx_is_terminal(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(414, times=None))
    with pytest.raises(FatalError, match="HTTP 414"):
        client_for(eutils_stub).epost(["9997"])
    assert len(eutils_stub.requests) == 1


# --- the retry budget --------------------------------------------------------------------------------------------


def test_answer_retries_stop_when_the_budget_is_spent(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, retry_budget=2, max_attempts=10)
    search = client.esearch("*", START, END)
    eutils_stub.inject(Fault.truncated(endpoint="efetch", times=None))
    with pytest.raises(RetryBudgetExhausted, match="retry budget of 2 spent; last: truncated") as caught:
        next(client.efetch_batches(search))
    assert not caught.value.retryable and isinstance(caught.value, ScrapeError)
    assert len(eutils_stub.requests_to("efetch")) == 3


def test_transport_retries_stop_when_the_budget_is_spent(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.http(500, times=None))
    client = client_for(eutils_stub, retry_budget=1)
    with pytest.raises(RetryBudgetExhausted, match="retry budget of 1 spent; last: HTTP 500"):
        client.esearch("asthma")
    assert len(eutils_stub.requests) == 2
    with pytest.raises(RetryBudgetExhausted):  # the run's budget stays spent
        client.epost(["9997"])
    assert len(eutils_stub.requests) == 3


# --- the history server ------------------------------------------------------------------------------------------


def test_history_paging_returns_every_record_once(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, batch_size=10)
    search = client.esearch("*", START, END)
    expected = eutils_stub.matching("*", "edat", "2025/01/01", "2026/12/31")
    assert search.count == len(expected) > 30 and list(search.ids) == expected
    fetched = [p for batch in client.efetch_batches(search) for p in pmids_of(batch.body)]
    assert sorted(fetched) == sorted(expected) and len(set(fetched)) == len(fetched)
    requests = eutils_stub.requests_to("efetch")
    assert [int(r.params["retstart"]) for r in requests] == list(range(0, search.count, 10))
    assert {r.params["retmax"] for r in requests[:-1]} == {"10"}
    assert {(r.params["WebEnv"], r.params["query_key"]) for r in requests} == {(search.webenv, search.query_key)}
    assert {r.params["retmode"] for r in requests} == {"xml"}


def test_esearch_sends_dates_as_ncbi_writes_them(eutils_stub: EutilsStub) -> None:
    search = client_for(eutils_stub).esearch("*", date(2026, 1, 5), date(2026, 1, 25), datetype="pdat")
    params = eutils_stub.requests[0].params
    assert (params["mindate"], params["maxdate"], params["datetype"]) == ("2026/01/05", "2026/01/25", "pdat")
    assert params["usehistory"] == "y" and params["db"] == "pubmed"
    assert list(search.ids) == eutils_stub.matching("*", "pdat", "2026/01/05", "2026/01/25")


def test_a_search_without_history_cannot_be_fetched(eutils_stub: EutilsStub) -> None:
    search = client_for(eutils_stub).esearch("*", START, END, usehistory=False)
    assert search.webenv is None and search.history is None
    with pytest.raises(ValueError, match="history server"):
        client_for(eutils_stub).efetch_batches(search)


def test_epost_then_fetch_the_posted_records(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub, batch_size=2)
    pmids = eutils_stub.matching("*")[:5]
    history = client.epost(pmids)
    assert eutils_stub.requests_to("epost")[0].params["id"] == ",".join(pmids)
    fetched = [p for batch in client.efetch_batches(history, len(pmids)) for p in pmids_of(batch.body)]
    assert fetched == pmids


def test_efetch_refuses_more_than_the_history_server_pages_through(eutils_stub: EutilsStub) -> None:
    big = SearchResult(MAX_RECORDS + 1, "MCID_1", "1", (), 0, 0)
    with pytest.raises(FatalError, match="split with search_windows"):
        client_for(eutils_stub).efetch_batches(big)
    assert eutils_stub.requests == []


# --- windows of at most 10,000 records -------------------------------------------------------------------------


def _days(params: dict[str, str]) -> int:
    low, high = (date(*map(int, params[k].split("/"))) for k in ("mindate", "maxdate"))
    return (high - low).days + 1


def test_a_window_over_10000_is_halved_until_each_part_fits(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.count_override(lambda p: 3000 * _days(p)))
    windows = client_for(eutils_stub).search_windows("cancer", date(2024, 1, 1), date(2024, 1, 10))
    assert windows == [
        Window(date(2024, 1, 1), date(2024, 1, 3), 9000), Window(date(2024, 1, 4), date(2024, 1, 5), 6000),
        Window(date(2024, 1, 6), date(2024, 1, 8), 9000), Window(date(2024, 1, 9), date(2024, 1, 10), 6000),
    ]
    asked = [(r.params["mindate"], r.params["maxdate"]) for r in eutils_stub.requests]
    assert asked[:3] == [("2024/01/01", "2024/01/10"), ("2024/01/01", "2024/01/05"), ("2024/01/01", "2024/01/03")]
    assert all(r.params["retmax"] == "0" and "usehistory" not in r.params for r in eutils_stub.requests)


def test_a_window_that_fits_is_one_search(eutils_stub: EutilsStub) -> None:
    client = client_for(eutils_stub)
    assert client.search_windows("*", START, END) == [Window(START, END, len(eutils_stub.matching("*", "edat",
                                                                                             "2025/01/01",
                                                                                             "2026/12/31")))]
    assert len(eutils_stub.requests) == 1


def test_a_single_day_over_10000_is_a_clear_error(eutils_stub: EutilsStub) -> None:
    eutils_stub.inject(Fault.count_override(12_345))
    with pytest.raises(FatalError) as caught:
        client_for(eutils_stub).search_windows("cancer", date(2024, 1, 1), date(2024, 1, 2), "pdat")
    message = str(caught.value)
    assert message.startswith("esearch 'cancer' 2024/01/01: 12345 records on one day (pdat)") and "10000" in message
    assert not caught.value.retryable


# --- parsing the real answers in the corpus ------------------------------------------------------------------


def _expectation(path: Path) -> dict:
    return json.loads(path.with_name(path.name + ".expect.json").read_text(encoding="utf-8"))["_response"]


@pytest.mark.parametrize("path", sorted(CORPUS.glob("esearch_*.xml")), ids=lambda p: p.name)
def test_esearch_answers_read_as_expected(path: Path) -> None:
    expected = _expectation(path)
    result = parse_esearch(path.read_bytes())
    assert not expected["is_error"] and expected["errors"] == []
    got = {"count": result.count, "retmax": result.retmax, "retstart": result.retstart,
           "query_key": result.query_key, "webenv": result.webenv, "query_translation": result.query_translation,
           "ids": list(result.ids), "phrases_not_found": list(result.phrases_not_found),
           "warnings": list(result.warnings)}
    assert got == {k: expected[k] for k in got}


@pytest.mark.parametrize("path", sorted(CORPUS.glob("epost_*.xml")), ids=lambda p: p.name)
def test_epost_answers_read_as_expected(path: Path) -> None:
    expected = _expectation(path)
    if expected["is_error"]:
        with pytest.raises(InvalidAnswer) as caught:
            parse_epost(path.read_bytes())
        assert list(caught.value.ncbi_errors) == expected["errors"]
        assert not caught.value.retryable  # invalid db, empty id list: asking again cannot help
    else:
        assert parse_epost(path.read_bytes()) == History(expected["webenv"], expected["query_key"])


def test_the_real_non_xml_efetch_answer_is_refused() -> None:
    with pytest.raises(InvalidAnswer, match="not XML"):
        count_efetch_records((CORPUS / "efetch_pmfetch_html_asn1_not_xml.html").read_bytes())
    assert count_efetch_records((CORPUS / "efetch_empty_articleset.xml").read_bytes()) == 0
    assert count_efetch_records((CORPUS / "efetch_2rec_kie_keywords_2025.xml").read_bytes()) == 2


def test_answers_are_read_without_dtds_entities_or_network() -> None:
    hostile = (b'<?xml version="1.0"?><!DOCTYPE eSearchResult [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
               b"<eSearchResult><Count>1</Count><RetMax>1</RetMax><RetStart>0</RetStart>"
               b"<QueryTranslation>&x;</QueryTranslation></eSearchResult>")
    result = parse_esearch(hostile)
    assert result.count == 1 and "root:" not in (result.query_translation or "")
