"""Rows as the loader wrote them before migration 0006: one record per article, no `article_sources`."""

from __future__ import annotations

from datetime import datetime

import duckdb

from transforms.article import Article
from warehouse.load import ARTICLE_COLUMNS, CHILD_TABLES, SourceRecord


def load_as_before_0006(con: duckdb.DuckDBPyConnection, article: Article, source: SourceRecord) -> int:
    """A new article's row with its child rows, and the source's row."""
    now = datetime(2024, 1, 1)
    values = [list(v) if isinstance(v, list) else v for v in (getattr(article, c) for c in ARTICLE_COLUMNS)]
    marks = ", ".join("?" * (len(ARTICLE_COLUMNS) + 2))
    article_id = con.execute(f"INSERT INTO articles ({', '.join(ARTICLE_COLUMNS)}, created_at, updated_at) "
                             f"VALUES ({marks}) RETURNING article_id", [*values, now, now]).fetchone()[0]
    for table in CHILD_TABLES:
        names = ", ".join(f'"{name}"' for name, _ in table.columns)
        for row in table.rows(article):
            con.execute(f"INSERT INTO {table.name} (article_id, {names}) VALUES (?{', ?' * len(row)})",
                        [article_id, *row])
    con.execute("INSERT INTO sources (article_id, input, content_hash, size_bytes, site, source_kind, parser, "
                "loaded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [article_id, source.input, source.content_hash, source.size_bytes, article.site,
                 article.source_kind, source.parser, now])
    return article_id
