"""Turn-taking on one DuckDB file across processes: writers one at a time, readers between their turns.

DuckDB lets one process hold a database file for writing, and a read-only open fails meanwhile ("Could not
set lock on file"). So every litingest process first takes an advisory lock on `<db>.lock` (`fcntl.flock`):
exclusive for a writer, shared for readers, blocking, so processes queue instead of failing. A queued
process leaves a marker file (`<db>.lock.wait.<pid>`) while it waits; a long load checks for markers
between its transactions and, when someone waits, commits its turn: it closes the database (DuckDB
checkpoints on close), releases the lock, lets the waiters in, then queues again and goes on. Nobody waits
for a whole nightly run, and no lock error reaches the user. A process killed mid-turn loses its lock with
its life; its open transaction never committed, so the database holds the last commit.

Processes that do not go through here (a DuckDB shell on the file) still meet DuckDB's own lock; README says
to use `litingest sql`, or to open the file read-only and retry.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import duckdb

from warehouse.connect import connect

log = logging.getLogger(__name__)
# A writer keeps its turn at least this long before handing over: a hand-over costs a checkpoint.
MIN_TURN_SECONDS = 2.0
# How long a writer that handed over leaves the waiters before queueing again.
HAND_OVER_PAUSE = 0.05
WAIT_MARK = ".wait."


def lock_path(db: str | Path) -> Path:
    return Path(f"{Path(db).resolve()}.lock")


class _FileLock:
    """One flock on the database's lock file, with a waiting marker while it blocks."""

    def __init__(self, db: str | Path, exclusive: bool) -> None:
        self.path = lock_path(db)
        self.exclusive = exclusive
        self.fd: int | None = None

    def acquire(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        mode = fcntl.LOCK_EX if self.exclusive else fcntl.LOCK_SH
        try:
            fcntl.flock(fd, mode | fcntl.LOCK_NB)
        except BlockingIOError:
            marker = Path(f"{self.path}{WAIT_MARK}{os.getpid()}.{id(self)}")
            marker.touch()
            log.info("waiting for %s: another litingest process is writing", self.path.with_suffix(""))
            try:
                fcntl.flock(fd, mode)
            except BaseException:
                os.close(fd)
                raise
            finally:
                marker.unlink(missing_ok=True)
        self.fd = fd

    def release(self) -> None:
        if self.fd is not None:
            fcntl.flock(self.fd, fcntl.LOCK_UN)
            os.close(self.fd)
            self.fd = None


def others_waiting(db: str | Path) -> bool:
    """Whether a live process waits for the database; markers of dead processes are removed."""
    path = lock_path(db)
    for marker in path.parent.glob(f"{path.name}{WAIT_MARK}*"):
        pid = marker.name.rsplit(WAIT_MARK, 1)[1].split(".")[0]
        if pid.isdigit() and _alive(int(pid)):
            return True
        marker.unlink(missing_ok=True)
    return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


class Writer:
    """A writer's turn on the database: `con` between transactions may change after `turn()`."""

    def __init__(self, db: str | Path) -> None:
        self.db = db
        self._lock = _FileLock(db, exclusive=True)
        self.con: duckdb.DuckDBPyConnection | None = None
        self._since = 0.0
        self.hand_overs = 0

    def open(self) -> Writer:
        self._lock.acquire()
        try:
            self.con = connect(self.db)
        except BaseException:
            self._lock.release()
            raise
        self._since = time.monotonic()
        return self

    def close(self) -> None:
        try:
            if self.con is not None:
                self.con.close()
        finally:
            self.con = None
            self._lock.release()

    def turn(self) -> duckdb.DuckDBPyConnection:
        """Between transactions: hand the database over if another process waits, then carry on."""
        if time.monotonic() - self._since >= MIN_TURN_SECONDS and others_waiting(self.db):
            self.close()
            self.hand_overs += 1
            time.sleep(HAND_OVER_PAUSE)
            self.open()
        assert self.con is not None
        return self.con


@contextmanager
def writing(db: str | Path) -> Iterator[Writer]:
    """The database for writing, after any writer or readers before us; closed and released at the end."""
    writer = Writer(db).open()
    try:
        yield writer
    finally:
        writer.close()


@contextmanager
def reading(db: str | Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """The database read-only, as the last writer committed it; waits for a writer's turn to end."""
    lock = _FileLock(db, exclusive=False)
    lock.acquire()
    try:
        con = connect(db, read_only=True)
        try:
            yield con
        finally:
            con.close()
    finally:
        lock.release()
