"""Settings in layers with a stated priority: defaults < litingest.toml < LITINGEST_* environment < flags."""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any

DEFAULT_CONFIG = "litingest.toml"


@dataclass(frozen=True)
class Settings:
    db: str = "litingest.duckdb"


def load_settings(config: str | None = None, env: dict[str, str] | None = None, **flags: Any) -> Settings:
    """Build settings; a flag given as None leaves the lower layers' value in place."""
    settings = Settings()
    settings = replace(settings, **_from_toml(config))
    settings = replace(settings, **_from_env(os.environ if env is None else env))
    return replace(settings, **{k: v for k, v in flags.items() if v is not None})


def _known(values: dict[str, Any]) -> dict[str, Any]:
    names = {f.name for f in fields(Settings)}
    return {k: v for k, v in values.items() if k in names}


def _from_toml(config: str | None) -> dict[str, Any]:
    path = Path(config or DEFAULT_CONFIG)
    if not path.exists():
        if config:
            raise FileNotFoundError(f"{config}: configuration file not found")
        return {}
    with path.open("rb") as fh:
        data = tomllib.load(fh)
    return _known(data.get("litingest", data))


def _from_env(env: dict[str, str] | os._Environ[str]) -> dict[str, Any]:
    return _known({k.removeprefix("LITINGEST_").lower(): v for k, v in env.items() if k.startswith("LITINGEST_")})
