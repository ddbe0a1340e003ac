"""Raw documents from local files: paths as given, folders walked in a stable order."""

from __future__ import annotations

import gzip
import os
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path
from typing import BinaryIO

import requests

from scrapers.errors import ScrapeError
from scrapers.raw import RawDocument

# Files a walk of a folder passes over: expectation files, notes and hidden files are not documents.
SKIPPED_SUFFIXES = (".json", ".md", ".yaml", ".yml", ".toml", ".py", ".pyc")
# A saved page larger than this is not an article page; refusing it keeps memory bounded.
MAX_FILE_BYTES = 64 * 1024 * 1024


def expand(paths: list[str]) -> list[str]:
    """Each path as given; a folder becomes its document files, sorted, so runs are repeatable."""
    out: list[str] = []
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, files in os.walk(p):
                dirs[:] = sorted(d for d in dirs if not d.startswith("."))
                out.extend(
                    os.path.join(root, f)
                    for f in sorted(files)
                    if not f.startswith(".") and not f.endswith(SKIPPED_SUFFIXES)
                )
        else:
            out.append(p)
    return out


def read(path: str, url: str | None = None) -> RawDocument:
    file = Path(path)
    if not file.exists():
        raise ScrapeError(path, "no such file")
    if not file.is_file():
        raise ScrapeError(path, "not a regular file")
    size = file.stat().st_size
    if size > MAX_FILE_BYTES:
        raise ScrapeError(path, f"file too large ({size} bytes, limit {MAX_FILE_BYTES})")
    try:
        body = file.read_bytes()
    except OSError as exc:
        raise ScrapeError(path, f"cannot read: {exc.strerror or exc}") from exc
    return RawDocument(input=path, body=body, url=url)


def iter_documents(paths: list[str], url: str | None = None) -> Iterator[RawDocument | ScrapeError]:
    """Documents in order; an unreadable one is yielded as its error so the run goes on."""
    for path in expand(paths):
        try:
            yield read(path, url)
        except ScrapeError as exc:
            yield exc


GZIP_MAGIC = b"\x1f\x8b"
DOWNLOAD_CHUNK = 1 << 20


@contextmanager
def open_stream(source: str, session: requests.Session | None = None) -> Iterator[BinaryIO]:
    """A binary stream of a local file or an http(s) URL, unpacked when gzip-compressed.

    A URL is downloaded to a temporary file first (in chunks, never held in memory), so a 1 GB baseline
    file streams from disk like a local one.
    """
    with ExitStack() as stack:
        path = source
        if source.startswith(("http://", "https://")):
            path = stack.enter_context(_downloaded(source, session))
        elif not Path(source).is_file():
            raise ScrapeError(source, "no such file")
        raw = stack.enter_context(open(path, "rb"))  # noqa: SIM115 (closed by the ExitStack)
        if raw.read(2) == GZIP_MAGIC:
            raw.seek(0)
            yield stack.enter_context(gzip.GzipFile(fileobj=raw))
        else:
            raw.seek(0)
            yield raw


@contextmanager
def _downloaded(url: str, session: requests.Session | None) -> Iterator[str]:
    session = session or requests.Session()
    with tempfile.NamedTemporaryFile(prefix="litingest-", suffix=".download", delete=False) as out:
        try:
            with session.get(url, stream=True, timeout=(10, 120)) as response:
                if response.status_code != 200:
                    raise ScrapeError(url, f"HTTP {response.status_code}")
                for chunk in response.iter_content(DOWNLOAD_CHUNK):
                    out.write(chunk)
        except requests.RequestException as exc:
            Path(out.name).unlink(missing_ok=True)
            raise ScrapeError(url, f"download failed ({type(exc).__name__}: {exc})") from exc
        except ScrapeError:
            Path(out.name).unlink(missing_ok=True)
            raise
    try:
        yield out.name
    finally:
        Path(out.name).unlink(missing_ok=True)
