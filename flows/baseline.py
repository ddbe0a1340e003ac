"""The `load_baseline` flow: MEDLINE/PubMed baseline and update files parsed in parallel, loaded by one writer."""

from __future__ import annotations

import logging
from collections.abc import Callable

from prefect import flow, task
from prefect.artifacts import create_markdown_artifact
from prefect.task_runners import ThreadPoolTaskRunner

from flows.ingest import IngestReport, Parsed, load_parsed, parsed_record
from scrapers.errors import ScrapeError
from scrapers.files import open_stream
from transforms.errors import ParseError
from transforms.pubmed_xml import iter_pubmed

log = logging.getLogger(__name__)


@task(name="parse-pubmed-file")
def parse_pubmed_file(source: str) -> list[Parsed]:
    """Runs in a worker process (or on a Dask cluster): parsing is the CPU-bound half of a baseline load.

    The records keep the file's order, so deletions and revised records apply as NLM wrote them.
    """
    parsed: list[Parsed] = []
    try:
        with open_stream(source) as stream:
            for record in iter_pubmed(stream, source):
                parsed.append(parsed_record(source, f"{source}#", record))
    except (ScrapeError, ParseError) as exc:
        parsed.append(Parsed(source, error=str(exc)))
    return parsed


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


# Called after each file is loaded (the CLI's progress bar); a flow parameter must be JSON, a callback is not.
on_file_loaded: Callable[[str, IngestReport], None] | None = None


@flow(name="load_baseline")
def load_baseline(files: list[str], db: str) -> IngestReport:
    """Parse every file in parallel; load them in the order given, so an update's changes apply in order."""
    futures = [parse_pubmed_file.submit(f) for f in files]
    total = IngestReport()
    for source, future in zip(files, futures, strict=True):
        report = load_parsed(db, future.result())
        total.add(report)
        if on_file_loaded:
            on_file_loaded(source, report)
    create_markdown_artifact(
        f"# Baseline load\n\n{len(files)} files: {total.summary()}\n"
        + "".join(f"\n- {f}" for f in total.failures[:200]), key="baseline-report")
    return total


def run_load_baseline(files: list[str], db: str, workers: int = 2, dask_address: str | None = None) -> IngestReport:
    return load_baseline.with_options(task_runner=task_runner(workers, dask_address))(files, db)
