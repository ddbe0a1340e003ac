"""Site adapter: pubmed (stub)."""

from __future__ import annotations

from transforms.sites.base import Site


class _Site(Site):
    name = "pubmed"


SITE = _Site()
