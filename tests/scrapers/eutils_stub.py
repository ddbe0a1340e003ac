"""A local stand-in for NCBI E-utilities (ESearch, EPost, EFetch) serving real PubMed records: tests need no network.

Use it from any test folder:

    from tests.scrapers.eutils_stub import EutilsStub, Fault, eutils_stub  # the last is a pytest fixture

    with EutilsStub() as stub:                      # ThreadingHTTPServer on 127.0.0.1, a free port, in a thread
        client = EntrezClient(base_url=stub.base_url, ...)
        stub.inject(Fault.http(429, retry_after="1"), Fault.truncated(endpoint="efetch"))
        ...
        stub.requests                               # every request: path, endpoint, method, params, time

Records: every `PubmedArticle` / `PubmedBookArticle` of the `PubmedArticleSet` files (`*.xml`, `*.xml.gz`) in a
folder, by default `../shared/corpus/pubmed` next to the repository (read in place, never copied), kept byte for
byte and indexed by PMID (on a duplicate PMID the first file in sorted order wins), by entry date (edat:
`PubmedData/History/PubMedPubDate[@PubStatus="entrez"]`) and by publication date (pdat: `JournalIssue/PubDate` or
`Book/PubDate`: Year, Month as name or number, Day; a `MedlineDate` gives its first year and month; missing parts
are the 1st). A record without the date asked for matches no date-restricted search.

Terms: `*`, `all[sb]` or an empty term match every record; any other term matches the records whose title or
abstract contains each of its words, case-insensitively (`AND` and field tags such as `[tiab]` are ignored). It is
a substring match, not PubMed's query language. Results are ordered by PMID, highest first.

Faults (`Fault.*`, applied in queue order, each `times` times; `endpoint` and `when` narrow what they hit): an HTTP
status with an optional Retry-After, a stall before answering, a body truncated to a fraction (sent with a matching
Content-Length), a connection closed mid-body, a non-XML body (the corpus' real 2010 HTML/ASN.1 answer), an
HTTP-200 `<ERROR>` body, and an ESearch count override (to exercise the 10,000-record window split).
"""

from __future__ import annotations

import gzip
import re
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date
from functools import lru_cache
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

import pytest
from lxml import etree

from tests.gold import SHARED

CORPUS = SHARED / "corpus" / "pubmed"
NOT_XML_ANSWER = CORPUS / "efetch_pmfetch_html_asn1_not_xml.html"
MAX_RETSTART = 9999
DEFAULT_RETMAX = 20
ALL_TERMS = {"", "*", "all[sb]"}
MONTHS = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), start=1)}
RECORD_RE = re.compile(rb"<(PubmedArticle|PubmedBookArticle)>.*?</\1>", re.DOTALL)
PROLOG = {
    "esearch": b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE eSearchResult PUBLIC "-//NLM//DTD esearch '
               b'20060628//EN" "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20060628/esearch.dtd">\n',
    "epost": b'<?xml version="1.0" encoding="UTF-8" ?>\n<!DOCTYPE ePostResult PUBLIC "-//NLM//DTD epost 20090526//EN"'
             b' "https://eutils.ncbi.nlm.nih.gov/eutils/dtd/20090526/epost.dtd">',
    "efetch": b'<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, 1st January '
              b'2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n',
}
ERROR_ROOT = {"esearch": "eSearchResult", "epost": "ePostResult", "efetch": "eFetchResult"}


# --- the records --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class StubRecord:
    pmid: str
    xml: bytes  # the record's bytes as the corpus file has them
    edat: date | None
    pdat: date | None
    text: str  # title and abstract, lower case, for term matching


def _date(year: str | None, month: str | None = None, day: str | None = None) -> date | None:
    if not year or not year[:4].isdigit():
        return None
    m = int(month) if month and month.isdigit() else MONTHS.get((month or "")[:3].lower(), 1)
    return date(int(year[:4]), m, int(day) if day and day.isdigit() else 1)


def _pub_date(record: etree._Element) -> date | None:
    node = record.find("MedlineCitation/Article/Journal/JournalIssue/PubDate")
    node = node if node is not None else record.find("BookDocument/Book/PubDate")
    if node is None:
        return None
    if node.findtext("Year"):
        return _date(node.findtext("Year"), node.findtext("Month"), node.findtext("Day"))
    found = re.match(r"(\d{4})\s*([A-Za-z]{3})?", node.findtext("MedlineDate") or "")
    return _date(found.group(1), found.group(2)) if found else None


def _entry_date(record: etree._Element) -> date | None:
    node = record.find("*/History/PubMedPubDate[@PubStatus='entrez']")
    return None if node is None else _date(node.findtext("Year"), node.findtext("Month"), node.findtext("Day"))


def _record(xml: bytes) -> StubRecord:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    root = etree.fromstring(xml, parser)
    pmid = root.findtext("MedlineCitation/PMID") or root.findtext("BookDocument/PMID") or ""
    text = " ".join("".join(n.itertext()) for n in root.iter("ArticleTitle", "AbstractText"))
    return StubRecord(pmid.strip(), xml, _entry_date(root), _pub_date(root), " ".join(text.lower().split()))


def _article_sets(folder: Path) -> Iterator[Path]:
    for path in sorted(folder.iterdir()):
        if path.name.endswith((".xml", ".xml.gz")):
            yield path


@lru_cache(maxsize=4)
def load_records(folder: Path = CORPUS) -> dict[str, StubRecord]:
    """PMID -> record, for every record of the folder's PubmedArticleSet files."""
    records: dict[str, StubRecord] = {}
    for path in _article_sets(folder):
        data = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        if b"<PubmedArticleSet" not in data[:2000]:
            continue
        for match in RECORD_RE.finditer(data):
            record = _record(match.group(0))
            records.setdefault(record.pmid, record)
    return records


def _words(term: str) -> list[str]:
    plain = re.sub(r"\[[^\]]*\]", " ", term.lower())
    return [w for w in re.split(r"[\s()\"]+", plain) if w and w not in ("and",)]


def _bound(value: str | None, upper: bool) -> date | None:
    """An E-utilities date (YYYY, YYYY/MM or YYYY/MM/DD) as the first or last day it covers."""
    if not value:
        return None
    parts = [int(p) for p in value.replace("-", "/").split("/")]
    if len(parts) == 3:
        return date(*parts)
    if len(parts) == 2:
        month_end = date(parts[0] + parts[1] // 12, parts[1] % 12 + 1, 1).toordinal() - 1
        return date.fromordinal(month_end) if upper else date(parts[0], parts[1], 1)
    return date(parts[0], 12, 31) if upper else date(parts[0], 1, 1)


# --- requests, answers and faults ---------------------------------------------------------------------------


@dataclass(frozen=True)
class RecordedRequest:
    path: str
    endpoint: str  # esearch, epost, efetch (the .fcgi stripped), or the unknown path's last part
    method: str
    params: dict[str, str]  # query string and form body together; repeated names joined with ","
    time: float  # time.monotonic() when the request had arrived
    headers: dict[str, str]


@dataclass
class Answer:
    status: int = 200
    body: bytes = b""
    content_type: str = "text/xml; charset=UTF-8"
    headers: dict[str, str] = field(default_factory=dict)
    stall: float = 0.0
    cut: bool = False  # send the full Content-Length, then half the body, then close
    truncate: float | None = None  # keep this fraction of the body, with a matching Content-Length


@dataclass
class Fault:
    kind: str  # http, stall, truncate, cut, not_xml, ncbi_error, count
    endpoint: str | None = None  # esearch, epost, efetch; None hits any
    times: int | None = 1  # None: every matching request from now on
    when: Callable[[dict[str, str]], bool] | None = None
    status: int = 500
    retry_after: str | None = None
    seconds: float = 0.0
    fraction: float = 0.5
    message: str = ""  # the <ERROR> text, or the body of an HTTP fault
    count: int | Callable[[dict[str, str]], int | None] | None = None

    @classmethod
    def http(cls, status: int, retry_after: str | None = None, message: str = "", **kw: object) -> Fault:
        return cls("http", status=status, retry_after=retry_after, message=message, **kw)  # type: ignore[arg-type]

    @classmethod
    def stall(cls, seconds: float, **kw: object) -> Fault:
        return cls("stall", seconds=seconds, **kw)  # type: ignore[arg-type]

    @classmethod
    def truncated(cls, fraction: float = 0.5, **kw: object) -> Fault:
        return cls("truncate", fraction=fraction, **kw)  # type: ignore[arg-type]

    @classmethod
    def cut(cls, **kw: object) -> Fault:
        return cls("cut", **kw)  # type: ignore[arg-type]

    @classmethod
    def not_xml(cls, **kw: object) -> Fault:
        return cls("not_xml", **kw)  # type: ignore[arg-type]

    @classmethod
    def ncbi_error(cls, message: str, **kw: object) -> Fault:
        return cls("ncbi_error", message=message, **kw)  # type: ignore[arg-type]

    @classmethod
    def count_override(cls, count: int | Callable[[dict[str, str]], int | None], **kw: object) -> Fault:
        kw.setdefault("times", None)
        return cls("count", endpoint="esearch", count=count, **kw)  # type: ignore[arg-type]

    def hits(self, endpoint: str, params: dict[str, str]) -> bool:
        return (self.times is None or self.times > 0) and self.endpoint in (None, endpoint) and (
            self.when is None or self.when(params))


def error_body(endpoint: str, message: str) -> bytes:
    """An HTTP-200 failure as NCBI writes it: the endpoint's envelope holding `<ERROR>`."""
    root = ERROR_ROOT.get(endpoint, "eFetchResult")
    return PROLOG.get(endpoint, b"") + f"<{root}>\n\t<ERROR>{escape(message)}</ERROR>\n</{root}>\n".encode()


# --- the server ---------------------------------------------------------------------------------------------


class EutilsStub:
    """ESearch/EPost/EFetch over real records, on 127.0.0.1, with recorded requests and injectable faults."""

    def __init__(self, corpus: Path = CORPUS) -> None:
        self.records = load_records(corpus)
        self.requests: list[RecordedRequest] = []
        self.faults: list[Fault] = []
        self._histories: dict[str, list[list[str]]] = {}  # WebEnv -> query_key - 1 -> PMIDs
        self._lock = threading.Lock()
        self._stopping = threading.Event()
        self._server: ThreadingHTTPServer | None = None

    # lifecycle

    def start(self) -> EutilsStub:
        server = _Server(("127.0.0.1", 0), _Handler)
        server.stub = self
        self._server = server
        threading.Thread(target=server.serve_forever, args=(0.01,), name="eutils-stub", daemon=True).start()
        return self

    def stop(self) -> None:
        self._stopping.set()
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    def __enter__(self) -> EutilsStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        assert self._server is not None, "start() the stub first"
        return f"http://127.0.0.1:{self._server.server_address[1]}/entrez/eutils/"

    # test helpers

    def inject(self, *faults: Fault) -> None:
        with self._lock:
            self.faults.extend(faults)

    def requests_to(self, endpoint: str) -> list[RecordedRequest]:
        return [r for r in list(self.requests) if r.endpoint == endpoint]

    def matching(self, term: str, datetype: str = "edat", mindate: str | None = None,
                 maxdate: str | None = None) -> list[str]:
        """The PMIDs ESearch answers for this query, in its order."""
        words, low, high = _words(term), _bound(mindate, False), _bound(maxdate, True)
        pmids = [r.pmid for r in self.records.values() if self._matches(r, words, datetype, low, high, term)]
        return sorted(pmids, key=int, reverse=True)

    @staticmethod
    def _matches(record: StubRecord, words: list[str], datetype: str, low: date | None, high: date | None,
                 term: str) -> bool:
        if term.strip().lower() not in ALL_TERMS and not all(w in record.text for w in words):
            return False
        if low is None and high is None:
            return True
        when = record.pdat if datetype == "pdat" else record.edat
        return when is not None and (low is None or when >= low) and (high is None or when <= high)

    # answering

    def answer(self, method: str, path: str, headers: dict[str, str], body: bytes) -> Answer:
        params = _params(path, body)
        endpoint = urlsplit(path).path.rsplit("/", 1)[-1].removesuffix(".fcgi")
        with self._lock:
            self.requests.append(RecordedRequest(path, endpoint, method, params, time.monotonic(), headers))
        fault = self._take(endpoint, params, exclude="count")
        if fault is not None and fault.kind in ("http", "not_xml", "ncbi_error"):
            return self._fault_answer(fault, endpoint)
        answer = self._route(endpoint, params)
        answer.headers.update(_rate_headers(params))
        if fault is not None:
            answer.stall = fault.seconds if fault.kind == "stall" else 0.0
            answer.cut = fault.kind == "cut"
            answer.truncate = fault.fraction if fault.kind == "truncate" else None
        return answer

    def _take(self, endpoint: str, params: dict[str, str], exclude: str = "", only: str = "") -> Fault | None:
        with self._lock:
            for fault in self.faults:
                if fault.kind != exclude and (not only or fault.kind == only) and fault.hits(endpoint, params):
                    if fault.times is not None:
                        fault.times -= 1
                    return fault
        return None

    def _fault_answer(self, fault: Fault, endpoint: str) -> Answer:
        if fault.kind == "not_xml":
            return Answer(body=NOT_XML_ANSWER.read_bytes(), content_type="text/html; charset=UTF-8")
        if fault.kind == "ncbi_error":
            return Answer(body=error_body(endpoint, fault.message))
        headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
        if fault.status == 429 and not fault.message:  # NCBI's own words when over the rate
            return Answer(429, b'{"error":"API rate limit exceeded","count":"4"}', "application/json", headers)
        body = fault.message or f"<html><body>{fault.status} error</body></html>"
        return Answer(fault.status, body.encode(), "text/html", headers)

    def _route(self, endpoint: str, params: dict[str, str]) -> Answer:
        handlers = {"esearch": self._esearch, "epost": self._epost, "efetch": self._efetch}
        if endpoint not in handlers:
            return Answer(404, b"<html><body>Not Found</body></html>", "text/html")
        if params.get("db", "pubmed") != "pubmed":
            return Answer(body=error_body(endpoint, f"Invalid db name specified: {params.get('db')}"))
        return handlers[endpoint](params)

    def _esearch(self, params: dict[str, str]) -> Answer:
        retstart, retmax = int(params.get("retstart") or 0), int(params.get("retmax") or DEFAULT_RETMAX)
        if retstart > MAX_RETSTART:
            return Answer(body=error_body("esearch", f"Search Backend failed: Exception: 'retstart' cannot be "
                                                     f"larger than {MAX_RETSTART}."))
        term = params.get("term", "")
        pmids = self.matching(term, params.get("datetype", "edat"), params.get("mindate"), params.get("maxdate"))
        count = self._count(params, len(pmids))
        history = self._store(params.get("WebEnv"), pmids) if params.get("usehistory") == "y" else None
        return Answer(body=_esearch_xml(count, retmax, retstart, pmids[retstart:retstart + retmax], history, term))

    def _count(self, params: dict[str, str], real: int) -> int:
        fault = self._take("esearch", params, only="count")
        if fault is None:
            return real
        count = fault.count(params) if callable(fault.count) else fault.count
        return real if count is None else count

    def _store(self, webenv: str | None, pmids: list[str]) -> tuple[str, str]:
        with self._lock:
            if not webenv or webenv not in self._histories:
                webenv = f"MCID_{len(self._histories) + 1:024x}"
                self._histories[webenv] = []
            self._histories[webenv].append(pmids)
            return webenv, str(len(self._histories[webenv]))

    def _epost(self, params: dict[str, str]) -> Answer:
        ids = [i for i in params.get("id", "").split(",") if i.strip()]
        if not ids:
            return Answer(body=error_body("epost", "Empty ID list; Nothing to store"))
        webenv, query_key = self._store(params.get("WebEnv"), [i.strip() for i in ids])
        xml = f"<ePostResult>\n\t<QueryKey>{query_key}</QueryKey>\n\t<WebEnv>{webenv}</WebEnv>\n</ePostResult>\n"
        return Answer(body=PROLOG["epost"] + xml.encode())

    def _efetch(self, params: dict[str, str]) -> Answer:
        if params.get("retmode") != "xml":  # NCBI's default for pubmed is ASN.1 text, not XML
            return Answer(body=NOT_XML_ANSWER.read_bytes(), content_type="text/html; charset=UTF-8")
        pmids = self._history_ids(params) if "query_key" in params else params.get("id", "").split(",")
        if pmids is None:
            return Answer(body=error_body("efetch", f"Cannot retrieve history data. query_key: "
                                                    f"{params.get('query_key')}, WebEnv: {params.get('WebEnv')}"))
        retstart = int(params.get("retstart") or 0)
        retmax = int(params.get("retmax") or (DEFAULT_RETMAX if "query_key" in params else len(pmids)))
        if retstart > MAX_RETSTART:
            return Answer(body=error_body("efetch", f"'retstart' cannot be larger than {MAX_RETSTART}."))
        found = [self.records[p].xml for p in pmids[retstart:retstart + retmax] if p in self.records]
        body = PROLOG["efetch"] + b"<PubmedArticleSet>\n" + b"\n".join(found) + b"\n</PubmedArticleSet>\n"
        return Answer(body=body)

    def _history_ids(self, params: dict[str, str]) -> list[str] | None:
        with self._lock:
            sets = self._histories.get(params.get("WebEnv", ""), [])
        key = params.get("query_key", "")
        return sets[int(key) - 1] if key.isdigit() and 0 < int(key) <= len(sets) else None


def _params(path: str, body: bytes) -> dict[str, str]:
    merged: dict[str, list[str]] = {}
    for source in (urlsplit(path).query, body.decode("utf-8", "replace")):
        for name, values in parse_qs(source, keep_blank_values=True).items():
            merged.setdefault(name, []).extend(values)
    return {name: ",".join(values) for name, values in merged.items()}


def _rate_headers(params: dict[str, str]) -> dict[str, str]:
    limit = "10" if params.get("api_key") else "3"
    return {"X-RateLimit-Limit": limit, "X-RateLimit-Remaining": limit}


def _esearch_xml(count: int, retmax: int, retstart: int, ids: list[str], history: tuple[str, str] | None,
                 term: str) -> bytes:
    head = f"<eSearchResult><Count>{count}</Count><RetMax>{len(ids)}</RetMax><RetStart>{retstart}</RetStart>"
    if history:
        head += f"<QueryKey>{history[1]}</QueryKey><WebEnv>{history[0]}</WebEnv>"
    id_list = "<IdList>\n" + "".join(f"<Id>{i}</Id>\n" for i in ids) + "</IdList>" if ids else "<IdList/>"
    tail = f"<TranslationSet/><QueryTranslation>{escape(term)}</QueryTranslation>"
    if count == 0:
        tail += "<WarningList><OutputMessage>No items found.</OutputMessage></WarningList>"
    return PROLOG["esearch"] + (head + id_list + tail + "</eSearchResult>\n").encode()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # a handler stalling on purpose must not hold up stop()
    stub: EutilsStub

    def handle_error(self, request: object, client_address: object) -> None:
        """Clients that hang up mid-answer are part of the tests, not errors worth a traceback."""


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    wbufsize = 1 << 16  # headers and body leave in one write: no delayed-ACK pause between them
    disable_nagle_algorithm = True
    server: _Server

    def do_GET(self) -> None:  # noqa: N802 (http.server's naming)
        self._handle()

    def do_POST(self) -> None:  # noqa: N802
        self._handle()

    def log_message(self, format: str, *args: object) -> None:
        """Quiet: the stub's record of requests is `EutilsStub.requests`."""

    def _handle(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        stub = self.server.stub
        answer = stub.answer(self.command, self.path, dict(self.headers), body)
        if answer.stall and stub._stopping.wait(answer.stall):
            self.close_connection = True
            return
        try:
            self._send(answer)
        except (BrokenPipeError, ConnectionResetError):  # the client gave up (a stall past its timeout)
            self.close_connection = True

    def _send(self, answer: Answer) -> None:
        body = answer.body
        if answer.truncate is not None:
            body = body[: int(len(body) * answer.truncate)]
        gzipped = "gzip" in self.headers.get("Accept-Encoding", "") and answer.status == 200
        if gzipped:
            body = gzip.compress(body)
        self.send_response(answer.status)
        self.send_header("Content-Type", answer.content_type)
        self.send_header("Content-Length", str(len(body)))
        if gzipped:
            self.send_header("Content-Encoding", "gzip")
        for name, value in answer.headers.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body[: len(body) // 2] if answer.cut else body)
        self.wfile.flush()
        self.close_connection = self.close_connection or answer.cut


@pytest.fixture
def eutils_stub() -> Iterator[EutilsStub]:
    """A running stub for one test; faults and recorded requests start empty."""
    with EutilsStub() as stub:
        yield stub
