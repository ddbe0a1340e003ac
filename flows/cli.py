"""The `litingest` command: parse, ingest and sql."""

from __future__ import annotations

import logging
import sys

import click

import flows  # noqa: F401  (sets Prefect's environment defaults before Prefect is imported)
from flows.settings import load_settings

DB_HELP = "DuckDB file (default: LITINGEST_DB, then litingest.toml, then ./litingest.duckdb)."


def _error(message: str) -> None:
    click.echo(f"error: {message}", err=True)


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("-v", "--verbose", is_flag=True, help="Show Prefect's and the parsers' logs.")
@click.option("--config", type=click.Path(dir_okay=False), default=None, help="Configuration file.")
@click.pass_context
def main(ctx: click.Context, verbose: bool, config: str | None) -> None:
    """Turn biomedical article pages into clean rows in DuckDB."""
    logging.basicConfig(level=logging.INFO if verbose else logging.WARNING, format="%(levelname)s %(message)s")
    ctx.obj = {"config": config, "verbose": verbose}


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--url", default=None, help="The address the page was saved from (helps pick the site).")
def parse(paths: tuple[str, ...], url: str | None) -> None:
    """Print one JSON line per document (the Article record plus `input`); writes nothing."""
    from flows.ingest import parse_raw
    from scrapers.errors import ScrapeError
    from scrapers.files import iter_documents

    failed = 0
    for item in iter_documents(list(paths), url):
        if isinstance(item, ScrapeError):
            _error(str(item))
            failed += 1
            continue
        for parsed in parse_raw(item):
            if parsed.deleted:
                click.echo(f"note: {parsed.input}: deletes PMIDs {', '.join(parsed.deleted)}", err=True)
            elif parsed.article is None:
                _error(parsed.error or f"{parsed.input}: no record")
                failed += 1
            else:
                click.echo(parsed.article.to_json(input=parsed.input))
    sys.exit(1 if failed else 0)


@main.command()
@click.argument("paths", nargs=-1, required=True)
@click.option("--db", default=None, help=DB_HELP)
@click.option("--url", default=None, help="The address the pages were saved from.")
@click.pass_context
def ingest(ctx: click.Context, paths: tuple[str, ...], db: str | None, url: str | None) -> None:
    """Run the `ingest_files` Prefect flow: parse every file (folders are walked) and load it."""
    settings = load_settings(ctx.obj["config"], db=db)
    _quiet_prefect(ctx.obj["verbose"])
    from flows.ingest import ingest_files

    report = ingest_files(list(paths), settings.db, url)
    for failure in report.failures:
        _error(failure)
    click.echo(f"{settings.db}: {report.summary()}")
    sys.exit(0 if report.ok else 1)


@main.command("fetch")
@click.argument("urls", nargs=-1)
@click.option("--from-file", "from_file", type=click.File("r"), default=None,
              help="URLs or DOIs one a line ('-' for stdin; lines starting with # skipped).")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--doi-resolver", default=None, help="Where DOIs are resolved (default https://doi.org/).")
@click.option("--rate", type=click.FloatRange(min=0.01), default=1.0, show_default=True,
              help="Requests a second per host.")
@click.option("--per-host", type=click.IntRange(1, 16), default=2, show_default=True,
              help="Requests in flight per host.")
@click.option("--workers", type=click.IntRange(1, 64), default=8, show_default=True, help="Fetching threads.")
@click.pass_context
def fetch_urls(ctx: click.Context, urls: tuple[str, ...], from_file, db: str | None, doi_resolver: str | None,
               rate: float, per_host: int, workers: int) -> None:
    """Run the `ingest_urls` flow: fetch article pages and DOIs politely, keep them raw beside the database
    (DB.raw/), parse and load them."""
    from flows.fetch import read_url_list

    settings = load_settings(ctx.obj["config"], db=db)
    targets = list(urls) + (read_url_list(from_file) if from_file else [])
    if not targets:
        _error("no URLs given: pass them as arguments or with --from-file")
        sys.exit(2)
    if not settings.email:
        click.echo("warning: no contact address for the User-Agent: set email in litingest.toml or LITINGEST_EMAIL",
                   err=True)
    _quiet_prefect(ctx.obj["verbose"])
    from flows.fetch import DOI_RESOLVER, ingest_urls

    report = ingest_urls(targets, settings.db, email=settings.email, doi_resolver=doi_resolver or DOI_RESOLVER,
                         rate=rate, per_host=per_host, workers=workers)
    for failure in report.failures:
        _error(failure)
    click.echo(f"{settings.db}: {report.summary()}")
    sys.exit(0 if report.ok else 1)


@main.command("reparse")
@click.option("--db", default=None, help=DB_HELP)
@click.pass_context
def reparse_pages(ctx: click.Context, db: str | None) -> None:
    """Rebuild every fetched article from the raw store beside the database (DB.raw/), without the network."""
    settings = load_settings(ctx.obj["config"], db=db)
    _quiet_prefect(ctx.obj["verbose"])
    from flows.fetch import reparse

    report = reparse(settings.db)
    for failure in report.failures:
        _error(failure)
    click.echo(f"{settings.db}: {report.summary()}")
    sys.exit(0 if report.ok else 1)


@main.command()
@click.argument("query")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_context
def sql(ctx: click.Context, query: str, db: str | None, fmt: str) -> None:
    """Run one SQL query on the database, opened read-only."""
    from warehouse.errors import WarehouseError
    from warehouse.query import format_result, run_sql

    settings = load_settings(ctx.obj["config"], db=db)
    try:
        columns, rows = run_sql(settings.db, query)
    except WarehouseError as exc:
        _error(str(exc))
        sys.exit(1)
    click.echo(format_result(columns, rows, fmt))


@main.command()
@click.argument("text")
@click.option("--limit", type=click.IntRange(1), default=20, show_default=True, help="Most hits to show.")
@click.option("--db", default=None, help=DB_HELP)
@click.option("--format", "fmt", type=click.Choice(["table", "csv", "json"]), default="table")
@click.pass_context
def search(ctx: click.Context, text: str, limit: int, db: str | None, fmt: str) -> None:
    """Full-text search (BM25) of titles, abstracts, keywords and MeSH terms, best first; never waits for a load."""
    from dataclasses import astuple, fields

    from warehouse.errors import WarehouseError
    from warehouse.query import format_result
    from warehouse.search import SearchHit
    from warehouse.search import search as run_search

    settings = load_settings(ctx.obj["config"], db=db)
    try:
        hits = run_search(settings.db, text, limit)
    except (WarehouseError, ValueError) as exc:
        _error(str(exc))
        sys.exit(1)
    click.echo(format_result([f.name for f in fields(SearchHit)], [astuple(h) for h in hits], fmt))


@main.command()
@click.argument("directory", type=click.Path(file_okay=False))
@click.option("--format", "fmt", type=click.Choice(["parquet", "csv"]), default="parquet", show_default=True)
@click.option("--db", default=None, help=DB_HELP)
@click.option("--overwrite", is_flag=True, help="Replace the tables' folders if DIRECTORY already has them.")
@click.pass_context
def export(ctx: click.Context, directory: str, fmt: str, db: str | None, overwrite: bool) -> None:
    """Write each table and view to DIRECTORY/<table>/: Parquet partitioned by pub_year (Hive layout), or CSV."""
    from warehouse.errors import WarehouseError
    from warehouse.export import export as run_export

    settings = load_settings(ctx.obj["config"], db=db)
    try:
        exported = run_export(settings.db, directory, fmt, overwrite=overwrite)
    except WarehouseError as exc:
        _error(str(exc))
        sys.exit(1)
    for item in exported:
        click.echo(f"{item.path}: {item.rows} rows")


@main.command()
@click.option("--db", default=None, help=DB_HELP)
@click.pass_context
def nightly(ctx: click.Context, db: str | None) -> None:
    """Load what entered PubMed since each saved search's watermark (searches from litingest.toml)."""
    settings = load_settings(ctx.obj["config"], db=db)
    if not settings.searches:
        _error(f"no saved searches: add [[searches]] with a name and a term to {ctx.obj['config'] or 'litingest.toml'}")
        sys.exit(2)
    _quiet_prefect(ctx.obj["verbose"])
    from flows import progress
    from flows.pubmed import nightly as nightly_flow

    with progress.bar(len(settings.searches), "saved searches"):
        report = nightly_flow(db=settings.db, config=ctx.obj["config"])
    _finish(report, settings.db)


@main.command()
@click.option("--term", required=True, help="PubMed query, as typed in PubMed's search box.")
@click.option("--from", "start", required=True, type=click.DateTime(["%Y-%m-%d"]), help="First day, YYYY-MM-DD.")
@click.option("--to", "end", required=True, type=click.DateTime(["%Y-%m-%d"]), help="Last day, YYYY-MM-DD.")
@click.option("--datetype", type=click.Choice(["edat", "pdat"]), default="edat", help="Entrez or publication date.")
@click.option("--chunk", type=click.Choice(["month", "week", "day"]), default="month")
@click.option("--db", default=None, help=DB_HELP)
@click.pass_context
def backfill(ctx: click.Context, term: str, start, end, datetype: str, chunk: str, db: str | None) -> None:
    """Load every record of TERM in a date range, chunk by chunk; a rerun does only what is left."""
    settings = load_settings(ctx.obj["config"], db=db)
    _quiet_prefect(ctx.obj["verbose"])
    from flows import progress
    from flows.pubmed import backfill as backfill_flow
    from flows.pubmed import split_range

    with progress.bar(len(split_range(start.date(), end.date(), chunk)), f"{chunk} chunks"):
        report = backfill_flow(term, start.date(), end.date(), chunk=chunk, datetype=datetype, db=settings.db,
                               config=ctx.obj["config"])
    _finish(report, settings.db)


@main.command("load-baseline")
@click.argument("files", nargs=-1, required=True)
@click.option("--db", default=None, help=DB_HELP)
@click.option("--workers", type=click.IntRange(1, 64), default=2, show_default=True,
              help="Parser processes on this machine.")
@click.option("--dask-address", default=None, help="Parse on an existing Dask cluster (tcp://host:8786) instead.")
@click.pass_context
def load_baseline(ctx: click.Context, files: tuple[str, ...], db: str | None, workers: int,
                  dask_address: str | None) -> None:
    """Load MEDLINE/PubMed baseline or update files (.xml or .xml.gz, paths or URLs), in the order given."""
    settings = load_settings(ctx.obj["config"], db=db)
    _quiet_prefect(ctx.obj["verbose"])
    from flows import baseline, progress

    with progress.bar(len(files), "files"):
        report = baseline.run_load_baseline(list(files), settings.db, workers, dask_address)
    for failure in report.failures:
        _error(failure)
    click.echo(f"{settings.db}: {report.summary()}")
    sys.exit(0 if report.ok else 1)


def _finish(report, db: str) -> None:
    for pmid in report.missing:
        _error(f"PMID {pmid}: listed by ESearch but not returned by EFetch")
    for failure in report.failures:
        _error(failure)
    click.echo(f"{db}: {report.summary()}")
    sys.exit(0 if report.ok else 1)


def _quiet_prefect(verbose: bool) -> None:
    """Prefect logs every task at INFO; a CLI user wants the summary, unless asking for more."""
    import os

    if not verbose:
        os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
        os.environ.setdefault("PREFECT_LOGGING_SERVER_LEVEL", "WARNING")


@main.command()
@click.option("--db", default=None, help=DB_HELP)
@click.pass_context
def serve(ctx: click.Context, db: str | None) -> None:
    """Serve `nightly` (cron from the config, UTC) and `backfill` (on demand) via the server at PREFECT_API_URL."""
    from flows.serve import NoPrefectServer, serve_deployments

    settings = load_settings(ctx.obj["config"], db=db)
    if not settings.searches:
        click.echo("warning: no saved searches in the config: the nightly runs will load nothing", err=True)
    try:
        serve_deployments(settings, ctx.obj["config"])
    except NoPrefectServer as exc:
        _error(str(exc))
        sys.exit(2)


if __name__ == "__main__":
    main()
