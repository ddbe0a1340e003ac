"""A loading process for the concurrency and kill tests: `python -m tests.warehouse.load_proc DB TAG N BATCH PAUSE`.

Loads N copies of the real corpus records (fresh PMIDs and inputs, named by TAG) in batches of BATCH, each
batch its own transaction on a writer's turn (warehouse.access), pausing PAUSE seconds inside the turn after
each, and prints `committed K` after each commit so a test knows how far it got.
"""

from __future__ import annotations

import dataclasses
import sys
import time

from tests.gold import SHARED
from transforms.article import Article
from transforms.pubmed_xml import parse_pubmed_bytes
from warehouse.access import writing
from warehouse.bulk import load_batch
from warehouse.load import SourceRecord

CORPUS_FILE = SHARED / "corpus" / "pubmed" / "efetch_collective_author_7section_abstract.xml"


def records(tag: str, count: int) -> list[tuple[Article, SourceRecord]]:
    base = [r for r in parse_pubmed_bytes(CORPUS_FILE.read_bytes(), CORPUS_FILE.name) if isinstance(r, Article)]
    offset = 80_000_000 + sum(map(ord, tag)) * 100_000
    out = []
    for i in range(count):
        article = dataclasses.replace(base[i % len(base)], pmid=str(offset + i), doi=f"10.9999/{tag}.{i}")
        out.append((article, SourceRecord(f"{tag}#{i}", f"h{i}", 1, "test/1")))
    return out


def main(db: str, tag: str, count: int, batch: int, pause: float) -> None:
    items = records(tag, count)
    with writing(db) as writer:
        for k, start in enumerate(range(0, count, batch), 1):
            load_batch(writer.turn(), items[start:start + batch])
            print(f"committed {k}", flush=True)
            time.sleep(pause)
        print(f"hand-overs {writer.hand_overs}", flush=True)


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), float(sys.argv[5]))
