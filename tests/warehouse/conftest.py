"""Fixtures for warehouse tests: a fresh database file per test and a fully populated `Article`."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb
import pytest

from transforms.article import AbstractSection, Article, Author, MeshTerm
from warehouse.connect import connect
from warehouse.load import SourceRecord

TABLES = ("articles", "authors", "author_affiliations", "article_affiliations", "abstract_sections",
          "keywords", "mesh_terms", "publication_types", "sources", "schema_migrations")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "w.duckdb"


@pytest.fixture
def con(db: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(db)
    yield connection
    connection.close()


@pytest.fixture
def counts() -> Callable[[duckdb.DuckDBPyConnection], dict[str, int]]:
    def count(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
        return {t: connection.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in TABLES}
    return count


@pytest.fixture
def article() -> Article:
    return Article(
        site="pubmed", source_kind="html", source_url="https://pubmed.ncbi.nlm.nih.gov/123/", pmid="123",
        pmcid="PMC9", doi="10.1000/xyz", title="Aspirin and fever", abstract="Background. Methods.",
        abstract_sections=[AbstractSection("BACKGROUND", "Background."), AbstractSection(None, "Methods.")],
        journal="J Test", journal_abbrev="J T", issn="1234-5678", volume="7", issue="2", pages="10-20",
        pub_date="2024-03", pub_year=2024,
        authors=[Author(last="Smith", fore="Jane", initials="J", affiliations=["Univ A", "Hosp B"],
                        orcid="0000-0001"),
                 Author(collective="The Trial Group")],
        affiliations=["Unattributed Inst"], keywords=["aspirin", "fever"],
        mesh_terms=[MeshTerm("Aspirin", True, ["therapeutic use"]), MeshTerm("Fever")],
        publication_types=["Journal Article", "Randomized Controlled Trial"], language="eng",
        parser="pubmed_html", warnings=["no affiliations for author 2"])


@pytest.fixture
def source() -> SourceRecord:
    return SourceRecord(input="/data/page.html", content_hash="a" * 64, size_bytes=2048, parser="litingest/1")
