"""The raw store: every fetched body kept gzip-compressed under its sha256, and an SQLite index of every fetch.

Bodies are content-addressed (`bodies/ab/abcdef....gz`), so a page fetched twice unchanged is stored once, and
a refetch answered 304 points at the body already there. The index (stdlib sqlite3, WAL, one short connection
per call) is safe for several threads and processes. It keeps what a rerun needs without the network: the URL as
asked, the final URL after redirects, status, headers, fetch time, validators (ETag, Last-Modified) and the
outcome, so every article can be rebuilt from it by a better extractor (`litingest reparse`).
"""

from __future__ import annotations

import gzip
import hashlib
import json
import os
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from scrapers.errors import ScrapeError

INDEX = "index.sqlite"
BODIES = "bodies"
# Headers never kept: they carry session secrets, not facts about the document.
PRIVATE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
SCHEMA = """
CREATE TABLE IF NOT EXISTS fetches (
    id            INTEGER PRIMARY KEY,
    url           TEXT NOT NULL,     -- as asked (a DOI as https://doi.org/DOI), the key of a document
    final_url     TEXT,              -- after redirects
    status        INTEGER,           -- HTTP status of the last answer; NULL when none came
    headers       TEXT,              -- JSON object of the last answer's headers
    fetched_at    TEXT NOT NULL,     -- ISO 8601, UTC
    etag          TEXT,
    last_modified TEXT,
    content_hash  TEXT,              -- sha256 hex of the body (its file under bodies/), NULL when none
    size          INTEGER,
    outcome       TEXT NOT NULL,     -- fetched, not_modified, http_404, ...; then loaded, no_article:captcha, ...
    reason        TEXT               -- the one-line message of a failure
);
CREATE INDEX IF NOT EXISTS fetches_url ON fetches (url, id);
"""
# Answers whose body is the document: what a refetch may revalidate and a reparse may rebuild from.
_USABLE = "content_hash IS NOT NULL AND (status BETWEEN 200 AND 299 OR status = 304)"


@dataclass
class FetchRecord:
    url: str
    outcome: str
    final_url: str | None = None
    status: int | None = None
    headers: dict[str, str] = field(default_factory=dict)
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    etag: str | None = None
    last_modified: str | None = None
    content_hash: str | None = None
    size: int | None = None
    reason: str | None = None
    id: int | None = None

    @property
    def content_type(self) -> str | None:
        return next((v for k, v in self.headers.items() if k.lower() == "content-type"), None)


def beside(db: str | os.PathLike[str]) -> Path:
    """The store that belongs to a database file: `<db>.raw/` next to it."""
    return Path(f"{os.fspath(db)}.raw")


def sha256(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class RawStore:
    def __init__(self, root: str | os.PathLike[str], create: bool = True) -> None:
        self.root = Path(root)
        if not create and not (self.root / INDEX).is_file():
            raise ScrapeError(str(self.root), "no raw store here (fetch pages first)")
        (self.root / BODIES).mkdir(parents=True, exist_ok=True)
        with self._connect() as con:
            con.execute("PRAGMA journal_mode=WAL")
            con.executescript(SCHEMA)

    def __repr__(self) -> str:
        return f"RawStore({str(self.root)!r})"

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        with closing(sqlite3.connect(self.root / INDEX, timeout=60)) as con:
            con.row_factory = sqlite3.Row
            with con:  # one transaction, committed on leaving
                yield con

    # --- bodies ---

    def _path(self, content_hash: str) -> Path:
        return self.root / BODIES / content_hash[:2] / f"{content_hash}.gz"

    def put_body(self, body: bytes) -> str:
        """Store `body` (once per content); return its sha256. Written to a temporary file, then renamed."""
        digest = sha256(body)
        path = self._path(digest)
        if path.exists():
            return digest
        path.parent.mkdir(exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
        try:
            with os.fdopen(fd, "wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as out:
                out.write(body)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return digest

    def has_body(self, content_hash: str) -> bool:
        return self._path(content_hash).is_file()

    def body(self, content_hash: str) -> bytes:
        path = self._path(content_hash)
        try:
            with gzip.open(path, "rb") as fh:
                body = fh.read()
        except FileNotFoundError as exc:
            raise ScrapeError(str(path), "stored body missing from the raw store") from exc
        except (OSError, EOFError) as exc:
            raise ScrapeError(str(path), f"stored body unreadable ({exc})") from exc
        if sha256(body) != content_hash:
            raise ScrapeError(str(path), "stored body does not match its hash (damaged file)")
        return body

    # --- the index ---

    def record(self, rec: FetchRecord) -> int:
        """Append one fetch to the index; return its id (also set on `rec`)."""
        headers = {k: v for k, v in rec.headers.items() if k.lower() not in PRIVATE_HEADERS}
        with self._connect() as con:
            cur = con.execute(
                "INSERT INTO fetches (url, final_url, status, headers, fetched_at, etag, last_modified, content_hash,"
                " size, outcome, reason) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (rec.url, rec.final_url, rec.status, json.dumps(headers), rec.fetched_at.isoformat(), rec.etag,
                 rec.last_modified, rec.content_hash, rec.size, rec.outcome, rec.reason))
            rec.id = cur.lastrowid
        return rec.id

    def set_outcome(self, record_id: int, outcome: str, reason: str | None = None) -> None:
        """What became of a fetched document once parsed and loaded (`loaded`, `no_article:captcha`, ...)."""
        with self._connect() as con:
            con.execute("UPDATE fetches SET outcome = ?, reason = ? WHERE id = ?", (outcome, reason, record_id))

    def last_usable(self, url: str) -> FetchRecord | None:
        """The latest fetch of `url` whose body is the document: its validators make the next fetch conditional."""
        with self._connect() as con:
            row = con.execute(f"SELECT * FROM fetches WHERE url = ? AND {_USABLE} ORDER BY id DESC LIMIT 1",
                              (url,)).fetchone()
        return _record(row) if row else None

    def documents(self) -> Iterator[FetchRecord]:
        """For every URL, its latest fetch with a usable body, in the order the URLs were first fetched."""
        with self._connect() as con:
            rows = con.execute(
                f"SELECT * FROM fetches WHERE id IN (SELECT max(id) FROM fetches WHERE {_USABLE} GROUP BY url) "
                "ORDER BY (SELECT min(id) FROM fetches f WHERE f.url = fetches.url)").fetchall()
        return (_record(r) for r in rows)

    def history(self, url: str | None = None) -> list[FetchRecord]:
        """Every fetch (of `url`), oldest first."""
        with self._connect() as con:
            rows = con.execute("SELECT * FROM fetches WHERE ? IS NULL OR url = ? ORDER BY id", (url, url)).fetchall()
        return [_record(r) for r in rows]


def _record(row: sqlite3.Row) -> FetchRecord:
    values = dict(row)
    values["headers"] = json.loads(values["headers"] or "{}")
    values["fetched_at"] = datetime.fromisoformat(values["fetched_at"])
    return FetchRecord(**values)
