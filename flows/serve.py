"""Serve `nightly` (on a cron schedule) and `backfill` (on demand) as Prefect deployments from one process.

Schedules need Prefect's scheduler, which only a real server runs: the temporary server Prefect starts when
PREFECT_API_URL is unset would accept the deployments and then never create a scheduled run. So we refuse
instead of serving a schedule that silently never fires.
"""

from __future__ import annotations

from pathlib import Path

import flows  # noqa: F401  (Prefect environment defaults, before Prefect is imported)
from flows.settings import DEFAULT_CONFIG, Settings

NIGHTLY = "nightly"
BACKFILL = "backfill"
TIMEZONE = "UTC"
LOCAL_API_URL = "http://127.0.0.1:4200/api"
NO_SERVER = (
    "PREFECT_API_URL is not set: schedules do not run on Prefect's temporary server. "
    "Start a server with `prefect server start` (or run `make serve`, which starts one) and set "
    f"PREFECT_API_URL={LOCAL_API_URL}"
)


class NoPrefectServer(RuntimeError):
    """Raised instead of serving deployments whose schedule would never fire."""


def api_url() -> str | None:
    """Prefect's own view of the setting, so a URL set in a Prefect profile counts as well as the environment."""
    from prefect.settings import get_current_settings

    return get_current_settings().api.url


def deployment_parameters(settings: Settings, config: str | None) -> dict[str, str | None]:
    """Absolute paths: flow runs start in their own processes and must find the same files whatever the cwd."""
    if config is None and Path(DEFAULT_CONFIG).exists():
        config = DEFAULT_CONFIG
    return {"db": str(Path(settings.db).resolve()), "config": str(Path(config).resolve()) if config else None}


def build_deployments(settings: Settings, config: str | None) -> list:
    """`nightly` with its cron in UTC; `backfill` unscheduled, with the same db/config as overridable defaults."""
    from prefect.deployments.runner import EntrypointType
    from prefect.schedules import Cron

    from flows.pubmed import backfill, nightly

    params = deployment_parameters(settings, config)
    # Module entrypoints: the package is installed, so a flow run imports `flows.pubmed` from any directory.
    return [
        nightly.to_deployment(name=NIGHTLY, schedules=[Cron(settings.nightly_cron, timezone=TIMEZONE)],
                              parameters=params, entrypoint_type=EntrypointType.MODULE_PATH,
                              description=f"Saved searches, {settings.nightly_cron} ({TIMEZONE}).",
                              tags=["litingest"]),
        backfill.to_deployment(name=BACKFILL, parameters=params, entrypoint_type=EntrypointType.MODULE_PATH,
                               description="Run with --param term=... --param start=YYYY-MM-DD --param end=...",
                               tags=["litingest"]),
    ]


def serve_deployments(settings: Settings, config: str | None = None) -> None:
    """Register both deployments and execute their runs until interrupted; schedules pause on shutdown."""
    if not api_url():
        raise NoPrefectServer(NO_SERVER)
    from prefect import serve

    serve(*build_deployments(settings, config))
