"""A small web server for fetch tests: real HTTP/1.1 on 127.0.0.1, routes the test sets, every request recorded.

    with WebStub() as site:                                  # a ThreadingHTTPServer on a free port, in a thread
        site.route("/a", Reply(body=b"<html>..."))           # always this answer
        site.route("/b", Reply(429, headers={"Retry-After": "1"}), Reply(body=...))   # in turn, the last repeats
        site.route("/c", lambda request: Reply(304) if request.headers.get("If-None-Match") else Reply(...))
        site.url("/a"); site.hits; site.times("/a"); site.max_active

A path with no route answers 404 (so robots.txt allows everything unless routed). `Reply.truncate_to` sends a
Content-Length the body does not reach and closes the connection; `Reply.chunks` streams chunked without a
Content-Length; `Reply.delay` waits before answering.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import urlsplit

from tests.gold import SHARED

CORPUS = SHARED / "corpus" / "html"
HTML = "text/html; charset=utf-8"


@dataclass
class Reply:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)
    content_type: str | None = HTML
    delay: float = 0.0
    truncate_to: int | None = None
    chunks: Callable[[], Iterable[bytes]] | None = None


@dataclass(frozen=True)
class Hit:
    path: str
    time: float  # time.monotonic() when the request arrived
    headers: dict[str, str]
    method: str = "GET"


Route = Reply | Callable[["Hit"], Reply]


def page(path: Path, **headers: str) -> Reply:
    return Reply(body=path.read_bytes(), headers=dict(headers))


def corpus_page(name: str, **headers: str) -> Reply:
    return page(CORPUS / name, **headers)


def redirect(location: str, status: int = 302) -> Reply:
    return Reply(status, headers={"Location": location}, content_type=None)


def closed_port() -> int:
    """A port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class WebStub:
    def __init__(self) -> None:
        self.routes: dict[str, list[Route]] = {}
        self.hits: list[Hit] = []
        self.active = 0
        self.max_active = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(self))
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="webstub", daemon=True)

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def url(self, path: str) -> str:
        return self.base_url + path

    def route(self, path: str, *replies: Route) -> str:
        """Answer `path` with `replies` in turn (the last one repeats); return its URL."""
        with self._lock:
            self.routes[path] = list(replies)
        return self.url(path)

    def times(self, path: str | None = None) -> list[float]:
        return [h.time for h in self.hits if path is None or h.path == path]

    def paths(self) -> list[str]:
        return [h.path for h in self.hits]

    def start(self) -> WebStub:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> WebStub:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _reply(self, hit: Hit) -> Reply:
        with self._lock:
            self.hits.append(hit)
            queue = self.routes.get(hit.path)
            if not queue:
                return Reply(404, b"<html><head><title>404 Not Found</title></head><body>Not Found</body></html>")
            route = queue.pop(0) if len(queue) > 1 else queue[0]
        return route(hit) if callable(route) else route


def _handler(stub: WebStub) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_GET(self) -> None:  # noqa: N802 (the stdlib's name)
            hit = Hit(urlsplit(self.path).path, time.monotonic(), dict(self.headers.items()), "GET")
            with stub._lock:
                stub.active += 1
                stub.max_active = max(stub.max_active, stub.active)
            try:
                self._send(stub._reply(hit))
            except (BrokenPipeError, ConnectionResetError):
                self.close_connection = True  # the client stopped reading (a body over its limit)
            finally:
                with stub._lock:
                    stub.active -= 1

        def _send(self, reply: Reply) -> None:
            if reply.delay:
                time.sleep(reply.delay)
            self.send_response(reply.status)
            if reply.content_type and reply.status not in (204, 304):
                self.send_header("Content-Type", reply.content_type)
            for name, value in reply.headers.items():
                self.send_header(name, value)
            if reply.chunks is not None:
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                for chunk in _chunked(reply.chunks()):
                    self.wfile.write(chunk)
                return
            body = b"" if reply.status == 304 else reply.body
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if reply.truncate_to is not None:
                self.wfile.write(body[:reply.truncate_to])
                self.wfile.flush()
                self.close_connection = True
                return
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    return Handler


def _chunked(chunks: Iterable[bytes]) -> Iterator[bytes]:
    for chunk in chunks:
        if chunk:
            yield b"%x\r\n%s\r\n" % (len(chunk), chunk)
    yield b"0\r\n\r\n"


def serving() -> Iterator[WebStub]:
    """For a fixture: `yield from serving()`."""
    with WebStub() as stub:
        yield stub
