"""The `load_baseline` flow: MEDLINE/PubMed baseline and update files parsed in parallel, loaded by one writer."""

from __future__ import annotations

import logging
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows.ingest import LOAD_BATCH, IngestReport, Parsed, load_parsed_into, parsed_record, refresh_search
from flows.progress import step_done
from flows.spool import is_complete, read_spool, write_spool
from scrapers.errors import ScrapeError
from scrapers.files import open_stream
from transforms.errors import ParseError
from transforms.pubmed_xml import iter_pubmed
from warehouse.access import Writer, writing

log = logging.getLogger(__name__)
# The niceness a parse worker on the writer's machine takes. The one writer is the serial step of a baseline load:
# at equal priority the two workers took two thirds of two cores, the writer fell behind and finished alone on one
# core at the end; yielding to it, the workers still use every cycle it leaves (bench/pubmed_xml.py, (d): +6-8 %).
WORKER_NICENESS = 10


@task(name="parse-pubmed-file")
def parse_pubmed_file(source: str, spool: str | None = None, writer_pid: int | None = None) -> list[Parsed] | int:
    """Runs in a worker process (or on a Dask cluster): parsing is the CPU-bound half of a baseline load.

    With `spool` (a folder the writer reads), the records go there a batch at a time as they are parsed and the
    number of batches is returned; without (a remote cluster shares no folder with the writer), the list.
    The records keep the file's order, so deletions and revised records apply as NLM wrote them.
    A spooling worker in another process than the writer (`writer_pid`) yields the CPU to it (`yield_cpu`).
    """
    records = _parsed(source)
    if spool is None:
        return list(records)
    if writer_pid is not None:
        yield_cpu(writer_pid)
    return write_spool(records, spool, LOAD_BATCH, Parsed.to_wire)


def yield_cpu(writer_pid: int) -> None:
    """Lower this thread's CPU priority to WORKER_NICENESS unless it runs in the writer's own process.

    On Linux the niceness is the calling thread's: a Dask worker's parsing thread, not its communication. Raising
    one's own niceness needs no privilege; where it fails, the worker parses at the priority it has.
    """
    if os.getpid() == writer_pid or not hasattr(os, "setpriority"):
        return
    try:
        if os.getpriority(os.PRIO_PROCESS, 0) < WORKER_NICENESS:
            os.setpriority(os.PRIO_PROCESS, 0, WORKER_NICENESS)
    except OSError as exc:
        log.debug("parse worker keeps its CPU priority: %s", exc)


def _parsed(source: str) -> Iterator[Parsed]:
    try:
        with open_stream(source) as stream:
            for record in iter_pubmed(stream, source):
                yield parsed_record(source, f"{source}#", record)
    except (ScrapeError, ParseError) as exc:
        yield Parsed(source, error=str(exc))


def task_runner(workers: int, dask_address: str | None):
    """Worker processes on this machine through Dask (prefect-dask), or an existing Dask cluster."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return DaskTaskRunner(address=dask_address)
    if workers <= 1:
        return ThreadPoolTaskRunner(max_workers=1)
    from prefect_dask import DaskTaskRunner

    return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1, "processes": True,
                                          "dashboard_address": None})


@flow(name="load_baseline")
def load_baseline(files: list[str], db: str, spool: bool = True) -> IngestReport:
    """Parse every file in parallel; load them in the order given, so an update's changes apply in order.

    The writer loads a file's batches while its worker is still parsing it (see flows/spool.py), one
    transaction per batch; a worker that dies is reported for its file and the other files go on.
    """
    root = Path(tempfile.mkdtemp(prefix=".litingest-spool-", dir=Path(db).resolve().parent)) if spool else None
    try:
        folders = [str(root / f"{i:05d}") if root else None for i in range(len(files))]
        futures = [parse_pubmed_file.submit(f, folder, os.getpid()) for f, folder in zip(files, folders, strict=True)]
        total = IngestReport()
        with writing(db) as writer:
            for source, future, folder in zip(files, futures, folders, strict=True):
                report = _load_file(writer, source, future, folder)
                total.add(report)
                step_done(source)
    finally:
        if root:
            shutil.rmtree(root, ignore_errors=True)
    refresh_search(db, total)
    create_markdown_artifact(
        f"# Baseline load\n\n{len(files)} files: {total.summary()}\n"
        + "".join(f"\n- {f}" for f in total.failures[:200]), key="baseline-report")
    return total


def _load_file(writer: Writer, source: str, future, folder: str | None) -> IngestReport:
    report = IngestReport()
    try:
        if folder is None:
            return load_parsed_into(writer, future.result())
        for batch in read_spool(folder, lambda: future.wrapped_future.done(), Parsed.from_wire):
            report.add(load_parsed_into(writer, batch))
        if not is_complete(folder):
            future.result()  # raises the worker's error
            raise RuntimeError("the parsing worker ended without finishing the file")
    except Exception as exc:
        log.warning("baseline file %s failed", source, exc_info=True)
        report.failures.append(f"{source}: not loaded completely ({type(exc).__name__}: {exc}); "
                               "rerun the file to finish it")
    return report


def run_load_baseline(files: list[str], db: str, workers: int = 2, dask_address: str | None = None) -> IngestReport:
    return load_baseline.with_options(task_runner=task_runner(workers, dask_address))(files, db, not dask_address)
