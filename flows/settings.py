"""Settings in layers with a stated priority: defaults < litingest.toml < environment < command-line flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = "litingest.toml"
NCBI_EUTILS = "https://eutils.ncbi.nlm.nih.gov/entrez/eutils/"
# Environment names that are not LITINGEST_*: NCBI's own convention for the key.
ENV_ALIASES = {"NCBI_API_KEY": "api_key"}


@dataclass(frozen=True)
class SavedSearch:
    name: str
    term: str


@dataclass(frozen=True)
class Settings:
    db: str = "litingest.duckdb"
    eutils_url: str = NCBI_EUTILS
    email: str | None = None
    api_key: str | None = None
    batch_size: int = 500
    nightly_cron: str = "0 2 * * *"
    searches: tuple[SavedSearch, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:  # the API key never reaches a log
        shown = {f.name: getattr(self, f.name) for f in fields(self) if f.name != "api_key"}
        return f"Settings({shown}, api_key={'set' if self.api_key else None})"


def load_settings(config: str | None = None, env: dict[str, str] | None = None, **flags: Any) -> Settings:
    """Build settings; a flag given as None leaves the lower layers' value in place."""
    settings = Settings()
    settings = replace(settings, **_from_toml(config))
    settings = replace(settings, **_from_env(os.environ if env is None else env))
    return replace(settings, **{k: v for k, v in flags.items() if v is not None})


def _coerce(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name: f for f in fields(Settings)}
    out = {k: v for k, v in values.items() if k in names and k != "searches"}
    if "batch_size" in out:
        out["batch_size"] = int(out["batch_size"])
    return out


def _from_toml(config: str | None) -> dict[str, Any]:
    path = Path(config or DEFAULT_CONFIG)
    if not path.exists():
        if config:
            raise FileNotFoundError(f"{config}: configuration file not found")
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    values = _coerce(data.get("litingest", {}))
    searches = data.get("searches", [])
    for i, s in enumerate(searches):
        if not isinstance(s, dict) or not s.get("name") or not s.get("term"):
            raise ValueError(f"{path}: searches[{i}] needs a name and a term")
    if searches:
        values["searches"] = tuple(SavedSearch(str(s["name"]), str(s["term"])) for s in searches)
    return values


def _from_env(env: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    values = {k.removeprefix("LITINGEST_").lower(): v for k, v in env.items() if k.startswith("LITINGEST_")}
    values.update({name: env[key] for key, name in ENV_ALIASES.items() if env.get(key)})
    return _coerce(values)
