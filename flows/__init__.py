"""Prefect flows and the CLI: the wiring that owns policy (error mode, exit codes); nothing below imports it."""

from __future__ import annotations

import os

# Prefect reads these when it is imported: the temporary server takes 10-17 s to start on a
# 2-core machine (its default timeout is shorter), and nothing should phone home.
PREFECT_DEFAULTS = {
    "PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS": "90",
    "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    "DO_NOT_TRACK": "1",
    # Dask's scheduler and workers (load-baseline --workers) log every start and stop at INFO.
    "DASK_LOGGING__DISTRIBUTED": "warning",
}
for _key, _value in PREFECT_DEFAULTS.items():
    os.environ.setdefault(_key, _value)
