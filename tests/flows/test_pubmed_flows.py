"""The nightly and backfill flows end to end: real Prefect flows, real HTTP to a local E-utilities stand-in."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import duckdb
import pytest

from flows.pubmed import backfill, nightly, split_range
from tests.scrapers.eutils_stub import EutilsStub, Fault

TABLES = ("articles", "authors", "abstract_sections", "keywords", "mesh_terms", "publication_types", "sources")
START, END = date(2025, 10, 1), date(2026, 2, 28)


@pytest.fixture
def stub(monkeypatch: pytest.MonkeyPatch):
    with EutilsStub() as running:
        monkeypatch.setenv("LITINGEST_EUTILS_URL", running.base_url)
        monkeypatch.setenv("LITINGEST_EMAIL", "tests@litingest.invalid")
        yield running


def pmids(db: Path) -> set[str]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {r[0] for r in con.execute("SELECT pmid FROM articles").fetchall()}


def counts(db: Path) -> dict[str, int]:
    with duckdb.connect(str(db), read_only=True) as con:
        return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}


def expected(stub: EutilsStub, start: date = START, end: date = END) -> set[str]:
    return set(stub.matching("all[sb]", "edat", start.strftime("%Y/%m/%d"), end.strftime("%Y/%m/%d")))


def test_split_range_by_month_week_day() -> None:
    assert split_range(date(2025, 1, 15), date(2025, 3, 2), "month") == [
        (date(2025, 1, 15), date(2025, 1, 31)), (date(2025, 2, 1), date(2025, 2, 28)),
        (date(2025, 3, 1), date(2025, 3, 2))]
    assert len(split_range(date(2025, 1, 1), date(2025, 1, 14), "week")) == 2
    assert len(split_range(date(2025, 1, 1), date(2025, 1, 3), "day")) == 3
    with pytest.raises(ValueError, match="ends"):
        split_range(date(2025, 2, 1), date(2025, 1, 1), "day")


def test_backfill_loads_exactly_the_range_and_a_rerun_changes_nothing(stub: EutilsStub, tmp_path: Path) -> None:
    db = tmp_path / "b.duckdb"
    want = expected(stub)
    assert 10 < len(want) < len(stub.records)
    report = backfill("all[sb]", START, END, chunk="month", db=str(db))
    assert report.ok and report.counted == len(want) == report.loaded
    assert pmids(db) == want
    before, requests = counts(db), len(stub.requests)
    again = backfill("all[sb]", START, END, chunk="month", db=str(db))
    assert again.counted == 0 and counts(db) == before
    assert len(stub.requests) == requests, "finished chunks are not fetched again"


def test_backfill_interrupted_then_rerun_equals_an_uninterrupted_run(stub: EutilsStub, tmp_path: Path) -> None:
    clean = tmp_path / "clean.duckdb"
    backfill("all[sb]", START, END, chunk="month", db=str(clean))
    broken = tmp_path / "broken.duckdb"
    stub.inject(*[Fault.not_xml(endpoint="efetch") for _ in range(40)])
    first = backfill("all[sb]", START, END, chunk="month", db=str(broken))
    assert not first.ok and first.failures
    assert pmids(broken) < pmids(clean)
    stub.faults.clear()
    backfill("all[sb]", START, END, chunk="month", db=str(broken))
    assert pmids(broken) == pmids(clean) and counts(broken) == counts(clean)


def test_transient_faults_end_in_a_correct_load(stub: EutilsStub, tmp_path: Path) -> None:
    stub.inject(Fault.http(429, retry_after="1", endpoint="esearch"), Fault.http(500, endpoint="efetch"),
                Fault.truncated(endpoint="efetch"))
    db = tmp_path / "f.duckdb"
    report = backfill("all[sb]", date(2026, 1, 1), date(2026, 1, 31), db=str(db))
    assert report.ok and pmids(db) == expected(stub, date(2026, 1, 1), date(2026, 1, 31))


def test_nightly_twice_adds_nothing_the_second_time(stub: EutilsStub, tmp_path: Path) -> None:
    config = tmp_path / "litingest.toml"
    config.write_text('[[searches]]\nname = "everything"\nterm = "all[sb]"\n', encoding="utf-8")
    db = tmp_path / "n.duckdb"
    today = date(2026, 1, 24)
    first = nightly(db=str(db), config=str(config), today=today)
    want = expected(stub, date(2026, 1, 23), today)
    assert first.ok and want and pmids(db) == want
    before = counts(db)
    second = nightly(db=str(db), config=str(config), today=today)
    assert second.ok and counts(db) == before and second.loaded == second.unchanged
    with duckdb.connect(str(db), read_only=True) as con:
        assert con.execute("SELECT watermark FROM search_watermarks").fetchall() == [(today,)]
