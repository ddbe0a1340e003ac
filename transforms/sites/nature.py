"""Site adapter: nature (stub)."""

from __future__ import annotations

from transforms.sites.base import Site


class _Site(Site):
    name = "nature"


SITE = _Site()
