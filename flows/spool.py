"""Parsed records handed from a parsing worker to the one writer through files, a batch at a time.

A worker returning a whole baseline file's records (30,000 `Article`s) held them all in its memory, in the
pickled result and again in the writer's; and the writer could start only when the file was parsed. Through
a spool folder the worker writes each batch as it is parsed and the writer loads it as soon as it appears:
memory stays at a few batches whatever the file size, and parsing and loading overlap.

Items travel as `encode` makes them (plain values) through `marshal`, several times cheaper than pickling
dataclasses; the folder is private to one run (made by the writer, removed when it ends), so loading it is safe.
"""

from __future__ import annotations

import marshal
import time
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

from warehouse.bulk import paused_gc

DONE = "done"  # written last, with the number of batches: the worker finished the file
POLL_SECONDS = 0.05


def _same(item: Any) -> Any:
    return item


def write_spool(items: Iterable[Any], folder: str | Path, batch_size: int,
                encode: Callable[[Any], Any] = _same) -> int:
    """Write `items` to `folder` in batches of `batch_size`, each file complete when it appears; return the count."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    written, batch = 0, []
    with paused_gc():  # pickling a batch of acyclic records: see paused_gc
        for item in items:
            batch.append(encode(item))
            if len(batch) >= batch_size:
                _write(folder, written, batch)
                written, batch = written + 1, []
        if batch:
            _write(folder, written, batch)
            written += 1
    _atomic_write(folder / DONE, str(written).encode())
    return written


def read_spool(folder: str | Path, finished: Callable[[], bool],
               decode: Callable[[Any], Any] = _same) -> Iterator[list[Any]]:
    """The batches of `folder` in order, each deleted once read, until the worker's `DONE` says there are no more.

    `finished()` says whether the worker has ended (a future is done): ended without `DONE`, it failed, and
    reading stops; the caller asks the future for the error.
    """
    folder = Path(folder)
    index = 0
    while True:
        path = folder / _name(index)
        if path.exists():
            with paused_gc():
                batch = [decode(item) for item in marshal.loads(path.read_bytes())]
            path.unlink()
            index += 1
            yield batch
            continue
        done = folder / DONE
        if done.exists():
            if index >= int(done.read_text()):
                return
            continue  # a batch renamed in before DONE was written: read it next
        if finished() and not done.exists() and not path.exists():
            return
        time.sleep(POLL_SECONDS)


def is_complete(folder: str | Path) -> bool:
    return (Path(folder) / DONE).exists()


def _write(folder: Path, index: int, batch: list[Any]) -> None:
    _atomic_write(folder / _name(index), marshal.dumps(batch))


def _atomic_write(path: Path, data: bytes) -> None:
    tmp = path.with_suffix(".tmp")
    tmp.write_bytes(data)
    tmp.replace(path)


def _name(index: int) -> str:
    return f"{index:06d}.batch"
