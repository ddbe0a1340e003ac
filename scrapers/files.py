"""Raw documents from local files: paths as given, folders walked in a stable order."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

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
