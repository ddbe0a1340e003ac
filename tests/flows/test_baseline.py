"""load_baseline end to end: files parsed in worker processes, loaded in order by one writer."""

from __future__ import annotations

import gzip
import http.server
import multiprocessing
import os
import threading
from concurrent.futures import ProcessPoolExecutor
from functools import partial
from pathlib import Path

import duckdb
import pytest

from flows.baseline import WORKER_NICENESS, parse_pubmed_file, run_load_baseline
from tests.gold import SHARED
from transforms.pubmed_xml import iter_pubmed

BASELINE = SHARED / "corpus" / "pubmed" / "baseline_sample_pubmed26n1334.xml.gz"


def baseline_pmids() -> list[str]:
    with gzip.open(BASELINE) as fh:
        return [r.pmid for r in iter_pubmed(fh, str(BASELINE)) if hasattr(r, "pmid")]


def rows(db: Path, sql: str) -> list[tuple]:
    with duckdb.connect(str(db), read_only=True) as con:
        return con.execute(sql).fetchall()


def write_update(path: Path, deleted: str, revised: str) -> None:
    """An update file as NLM writes them: a revised citation, then the DeleteCitation element."""
    with gzip.open(BASELINE) as fh:
        text = fh.read().decode("utf-8")
    start = text.index(f'<PMID Version="1">{revised}</PMID>')
    start = text.rindex("<PubmedArticle>", 0, start)
    end = text.index("</PubmedArticle>", start) + len("</PubmedArticle>")
    record = text[start:end]
    title_start = record.index("<ArticleTitle>") + len("<ArticleTitle>")
    record = record[:title_start] + "REVISED " + record[title_start:]
    path.write_text(f'<?xml version="1.0"?>\n<PubmedArticleSet>{record}<DeleteCitation><PMID Version="1">'
                    f"{deleted}</PMID></DeleteCitation></PubmedArticleSet>\n", encoding="utf-8")


@pytest.fixture(scope="module")
def served_baseline():
    handler = partial(http.server.SimpleHTTPRequestHandler, directory=str(BASELINE.parent))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/{BASELINE.name}"
    server.shutdown()


def test_baseline_then_update_apply_in_file_order_with_worker_processes(tmp_path: Path) -> None:
    pmids = baseline_pmids()
    deleted, revised = pmids[0], pmids[1]
    update = tmp_path / "pubmed26n9999.xml"
    write_update(update, deleted, revised)
    db = tmp_path / "b.duckdb"
    report = run_load_baseline([str(BASELINE), str(update)], str(db), workers=2)
    assert report.ok and report.deleted == 1 and report.inserted == len(set(pmids)) + 1 - 1
    loaded = {r[0] for r in rows(db, "SELECT pmid FROM articles")}
    assert loaded == set(pmids) - {deleted}
    assert rows(db, f"SELECT title FROM articles WHERE pmid = '{revised}'")[0][0].startswith("REVISED ")
    assert rows(db, "SELECT pmid FROM deleted_pmids") == [(deleted,)]


def test_a_rerun_changes_nothing_and_a_url_loads_like_a_file(tmp_path: Path, served_baseline: str) -> None:
    db = tmp_path / "u.duckdb"
    first = run_load_baseline([served_baseline], str(db), workers=1)
    assert first.ok and first.inserted == len(set(baseline_pmids()))
    again = run_load_baseline([served_baseline], str(db), workers=1)
    assert again.inserted == 0 and again.updated == 0 and again.unchanged == first.inserted


def test_bad_files_are_reported_and_the_rest_loads(tmp_path: Path) -> None:
    broken = tmp_path / "broken.xml.gz"
    broken.write_bytes(gzip.compress(b"<PubmedArticleSet><PubmedArticle><MedlineCitation>"))
    db = tmp_path / "bad.duckdb"
    report = run_load_baseline([str(tmp_path / "missing.xml"), str(broken), str(BASELINE)], str(db), workers=1)
    assert not report.ok and len(report.failures) == 2
    assert any("missing.xml: no such file" in f for f in report.failures)
    assert any("broken.xml.gz" in f and "truncated" in f for f in report.failures)
    assert report.inserted == len(set(baseline_pmids()))


def test_a_file_whose_worker_fails_midway_is_reported_and_the_next_file_loads(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Batches go to the writer while the file is parsed: those before the failure are in, the file is named."""
    from flows import baseline

    real = baseline._parsed

    def dying(source: str):
        for i, record in enumerate(real(source)):
            if i == 5 and source.endswith("dies.xml.gz"):
                raise RuntimeError("worker died")
            yield record

    dies = tmp_path / "dies.xml.gz"
    dies.write_bytes(BASELINE.read_bytes())
    monkeypatch.setattr(baseline, "_parsed", dying)
    monkeypatch.setattr(baseline, "LOAD_BATCH", 2)
    db = tmp_path / "d.duckdb"
    report = run_load_baseline([str(dies), str(BASELINE)], str(db), workers=1)
    assert [f.split(":")[0] for f in report.failures] == [str(dies)]
    assert "worker died" in report.failures[0] and "rerun" in report.failures[0]
    assert rows(db, f"SELECT count(*) FROM sources WHERE input LIKE '{dies}#%'") == [(4,)]
    assert report.inserted == len(set(baseline_pmids()))  # the second file attaches to the first four by PMID
    assert not list(tmp_path.glob(".litingest-spool-*"))  # the spool is removed


def _niceness_after_parsing(source: str, spool: str, writer_pid: int) -> int:
    parse_pubmed_file.fn(source, spool, writer_pid)
    return os.getpriority(os.PRIO_PROCESS, 0)


def test_a_parse_worker_apart_from_the_writer_yields_the_cpu_to_it(tmp_path: Path) -> None:
    """The spooling task lowers its priority in a worker process, never in the writer's own process."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        apart = pool.submit(_niceness_after_parsing, str(BASELINE), str(tmp_path / "a"), os.getpid()).result()
    assert apart == max(WORKER_NICENESS, os.getpriority(os.PRIO_PROCESS, 0))
    assert (tmp_path / "a" / "done").read_text() == "1"
    before = os.getpriority(os.PRIO_PROCESS, 0)
    parse_pubmed_file.fn(str(BASELINE), str(tmp_path / "b"), os.getpid())
    assert os.getpriority(os.PRIO_PROCESS, 0) == before
