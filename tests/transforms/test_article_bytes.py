"""`Article.to_bytes`: the content hash of PubMed records and their form between processes."""

from __future__ import annotations

import copy
import gzip

from tests.gold import SHARED
from transforms.article import Article
from transforms.pubmed_xml import parse_pubmed_bytes


def corpus_articles() -> list[Article]:
    out = []
    for path in sorted((SHARED / "corpus" / "pubmed").glob("efetch_*.xml*")):
        body = gzip.decompress(path.read_bytes()) if path.suffix == ".gz" else path.read_bytes()
        try:
            out += [r for r in parse_pubmed_bytes(body, path.name) if isinstance(r, Article)]
        except Exception:  # E-utility error answers beside the records
            continue
    return out


def test_every_real_record_round_trips_and_encodes_the_same_twice() -> None:
    articles = corpus_articles()
    assert len(articles) > 10 and any(a.mesh_terms and a.authors and a.abstract_sections for a in articles)
    for article in articles:
        encoded = article.to_bytes()
        assert Article.from_bytes(encoded) == article
        assert copy.deepcopy(article).to_bytes() == encoded  # equal values, other objects: the same bytes


def test_a_changed_field_changes_the_bytes() -> None:
    article = corpus_articles()[0]
    changed = copy.deepcopy(article)
    changed.authors[0].affiliations.append("Elsewhere")
    assert changed.to_bytes() != article.to_bytes()
