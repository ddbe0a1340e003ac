"""Site adapter: springer (stub)."""

from __future__ import annotations

from transforms.sites.base import Site


class _Site(Site):
    name = "springer"


SITE = _Site()
