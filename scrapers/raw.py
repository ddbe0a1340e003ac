"""`RawDocument`: the bytes of one document and where they came from, before anything parses them."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class RawDocument:
    input: str  # the path or URL as the user gave it: errors and the sources table name it
    body: bytes
    url: str | None = None  # the page's address, when known (passed by the user or fetched from)
    content_type: str | None = None
    fetched_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.body).hexdigest()

    @property
    def size(self) -> int:
        return len(self.body)
