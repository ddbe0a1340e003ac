"""The spool hands batches from a parsing worker to the writer while the worker is still parsing."""

from __future__ import annotations

import threading
from pathlib import Path

from flows.spool import is_complete, read_spool, write_spool


def test_batches_are_read_in_order_while_the_worker_still_writes(tmp_path: Path) -> None:
    first_read = threading.Event()

    def items():
        yield from range(3)  # the first batch
        assert first_read.wait(10), "the reader did not get the first batch before the file was finished"
        yield from range(3, 7)

    worker = threading.Thread(target=write_spool, args=(items(), tmp_path, 3))
    worker.start()
    got = []
    for batch in read_spool(tmp_path, finished=lambda: not worker.is_alive()):
        got.append(batch)
        first_read.set()
    worker.join()
    assert got == [[0, 1, 2], [3, 4, 5], [6]]
    assert is_complete(tmp_path) and not list(tmp_path.glob("*.batch"))  # read batches are deleted


def test_a_worker_that_dies_ends_the_reading_without_done(tmp_path: Path) -> None:
    def items():
        yield from range(4)
        raise RuntimeError("worker died")

    def run():
        try:
            write_spool(items(), tmp_path, 2)
        except RuntimeError:
            pass

    worker = threading.Thread(target=run)
    worker.start()
    got = list(read_spool(tmp_path, finished=lambda: not worker.is_alive()))
    worker.join()
    assert got == [[0, 1], [2, 3]] and not is_complete(tmp_path)
