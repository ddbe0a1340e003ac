"""The one exception the warehouse raises, so callers can report database problems without knowing DuckDB."""

from __future__ import annotations


class WarehouseError(Exception):
    """A database could not be opened, migrated, loaded or queried; the message names the file."""
