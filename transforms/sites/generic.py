"""Site adapter: generic (stub)."""

from __future__ import annotations

from transforms.sites.base import Site


class _Site(Site):
    name = "generic"


SITE = _Site()
