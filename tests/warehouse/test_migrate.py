"""Numbered migrations apply once, are recorded, and a database newer than the code is refused."""

from __future__ import annotations

import dataclasses
from datetime import datetime
from pathlib import Path

import duckdb
import pytest

from warehouse import migrate as migrate_module
from warehouse.connect import connect
from warehouse.errors import WarehouseError
from warehouse.migrate import Migration, code_version, migrate, migrations

TABLES = {"articles", "authors", "author_affiliations", "article_affiliations", "abstract_sections",
          "keywords", "mesh_terms", "publication_types", "sources", "schema_migrations",
          "other_abstracts", "article_links", "deleted_pmids", "search_watermarks", "backfill_chunks",
          "article_sources", "pmidless_keys"}


def test_migration_files_are_numbered_without_gaps() -> None:
    found = migrations()
    assert [m.version for m in found] == list(range(1, len(found) + 1))
    assert found[0].name == "0001_initial" and code_version() == len(found)


def test_migrations_apply_once_and_are_recorded(con: duckdb.DuckDBPyConnection) -> None:
    rows = con.execute("SELECT version, name, applied_at FROM schema_migrations").fetchall()
    assert [(v, n) for v, n, _ in rows] == [(m.version, m.name) for m in migrations()]
    assert isinstance(rows[0][2], datetime)
    tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
    assert tables == TABLES


def test_reopening_applies_nothing(db: Path) -> None:
    connect(db).close()
    con = connect(db)
    first = con.execute("SELECT * FROM schema_migrations").fetchall()
    assert migrate(con) == []
    con.close()
    con = connect(db)
    assert con.execute("SELECT * FROM schema_migrations").fetchall() == first
    con.close()


def test_database_newer_than_the_code_is_refused(db: Path) -> None:
    con = connect(db)
    con.execute("INSERT INTO schema_migrations VALUES (99, '0099_future', now()::TIMESTAMP)")
    con.close()
    for read_only in (False, True):
        with pytest.raises(WarehouseError, match=rf"database .*w\.duckdb has schema version 99, newer than "
                                                 rf"this code's {code_version()}: upgrade litingest"):
            connect(db, read_only=read_only)


def test_read_only_open_refuses_an_older_schema(db: Path) -> None:
    con = connect(db)
    con.execute("DELETE FROM schema_migrations")
    con.close()
    with pytest.raises(WarehouseError, match=r"has schema version 0, older than this code's .*read-write"):
        connect(db, read_only=True)


def test_failed_migration_rolls_back_and_is_not_recorded(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    connect(db).close()
    broken = Migration(code_version() + 1, "9999_broken", "CREATE TABLE half (a INTEGER); SELECT * FROM no_such_table;")
    monkeypatch.setattr(migrate_module, "migrations", lambda: [*migrations(), broken])
    with pytest.raises(WarehouseError, match=r"migration 9999_broken failed: .*no_such_table"):
        connect(db)
    monkeypatch.undo()
    con = connect(db)
    assert con.execute("SELECT max(version) FROM schema_migrations").fetchone() == (code_version(),)
    assert con.execute("SELECT count(*) FROM duckdb_tables() WHERE table_name = 'half'").fetchone() == (0,)
    con.close()


def test_child_tables_lose_their_keys_and_keep_their_rows(db: Path, article, monkeypatch: pytest.MonkeyPatch) -> None:
    """A database made before migration 0005 keeps every child row when its tables are rebuilt without keys."""
    from tests.warehouse.legacy import load_as_before_0006
    from warehouse.load import CHILD_TABLES, SourceRecord

    monkeypatch.setattr(migrate_module, "migrations", lambda: [m for m in migrations() if m.version < 5])
    con = connect(db)
    load_as_before_0006(con, article, SourceRecord("a.html", "h", 1, "p"))
    before = {t.name: con.execute(f"SELECT * FROM {t.name} ORDER BY ALL").fetchall() for t in CHILD_TABLES}
    keyed = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                        "AND table_name IN (SELECT unnest(?))", [list(before)]).fetchone()[0]
    con.close()
    monkeypatch.undo()
    con = connect(db)
    after = {t.name: con.execute(f"SELECT * FROM {t.name} ORDER BY ALL").fetchall() for t in CHILD_TABLES}
    left = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type = 'PRIMARY KEY' "
                       "AND table_name IN (SELECT unnest(?))", [list(before)]).fetchone()[0]
    con.close()
    assert keyed == len(CHILD_TABLES) and left == 0
    assert after == before and any(before.values())


def test_articles_and_sources_lose_their_indexes_and_keep_their_rows(db: Path, article,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Migrations 0005-0008 on a database loaded before them: every article and source row, their ids and the
    sequences kept, no ART index or key left on the tables the loader writes, the page's keys in pmidless_keys."""
    from tests.warehouse.legacy import load_as_before_0006
    from warehouse.load import SourceRecord, load_document

    monkeypatch.setattr(migrate_module, "migrations", lambda: [m for m in migrations() if m.version < 5])
    con = connect(db)
    load_as_before_0006(con, article, SourceRecord("a.html", "h", 1, "p"))
    page = dataclasses.replace(article, pmid=None, pmcid=None, doi="10.1000/other", title="Another page on fever")
    load_as_before_0006(con, page, SourceRecord("c.html", "h3", 1, "p"))
    indexed = con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0]
    columns = {"articles": "article_id, pmid, doi, title, abstract", "sources": "*"}
    before = {t: con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall() for t, c in columns.items()}
    con.close()
    monkeypatch.undo()
    con = connect(db)
    after = {t: con.execute(f"SELECT {c} FROM {t} ORDER BY ALL").fetchall() for t, c in columns.items()}
    left = con.execute("SELECT count(*) FROM duckdb_indexes()").fetchone()[0]
    keys = con.execute("SELECT count(*) FROM duckdb_constraints() WHERE constraint_type IN ('PRIMARY KEY', 'UNIQUE') "
                       "AND table_name IN ('articles', 'sources')").fetchone()[0]
    pmidless = con.execute("SELECT source_id, doi FROM pmidless_keys").fetchall()
    second = load_document(con, article, SourceRecord("b.html", "h2", 1, "p"))
    ids = con.execute("SELECT max(source_id) FROM sources").fetchone()
    con.close()
    assert indexed == 3 and left == 0 and keys == 0
    assert after == before and all(before.values())
    assert pmidless == [(2, "10.1000/other")]  # the page's keys; the PubMed page has a PMID
    assert second.article_id == before["articles"][0][0] and ids == (3,)  # sequences go on where they were
