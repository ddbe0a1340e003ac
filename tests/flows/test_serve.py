"""`litingest serve` end to end: a real Prefect server, the served deployments, a backfill run triggered by the API.

The in-process flow tests use Prefect's temporary server, which cannot schedule; this is the one place the
served deployments, their schedule and a run executed by the serving process are checked for real.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import duckdb
import httpx
import pytest

from tests.scrapers.eutils_stub import EutilsStub

BIN = Path(sys.executable).parent
TERM, START, END = "all[sb]", "2026-01-01", "2026-01-31"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(prefect_home: Path) -> dict[str, str]:
    """No developer's Prefect profile or API URL leaks in; nothing phones home."""
    env = {k: v for k, v in os.environ.items() if k not in ("PREFECT_API_URL", "PREFECT_PROFILE")}
    env.update(PREFECT_HOME=str(prefect_home), PREFECT_SERVER_ANALYTICS_ENABLED="false", DO_NOT_TRACK="1")
    return env


def start(args: list[str], env: dict[str, str], log: Path, cwd: Path) -> subprocess.Popen:
    # Its own process group, so stopping it also stops what it started (the served flow runs).
    with log.open("wb") as out:
        return subprocess.Popen(args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)


def stop(proc: subprocess.Popen, timeout: float = 20) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
            return
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
    proc.wait(timeout)


def wait_for(what: str, check: Callable[[], Any], timeout: float, procs: dict[Path, subprocess.Popen]) -> Any:
    """Poll `check` until it returns something truthy; fail early, with the logs, if a process died."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for log, proc in procs.items():
            if proc.poll() is not None:
                pytest.fail(f"{log.name} exited ({proc.returncode}) while waiting for {what}:\n{tail(log)}")
        try:
            found = check()
        except Exception:
            found = None
        if found:
            return found
        time.sleep(0.5)
    logs = "\n".join(f"--- {log.name}\n{tail(log)}" for log in procs)
    pytest.fail(f"no {what} within {timeout:.0f} s\n{logs}")


def tail(log: Path, lines: int = 40) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:]) if log.exists() else ""


@pytest.fixture
def prefect_server(tmp_path: Path) -> Iterator[tuple[str, dict[Path, subprocess.Popen]]]:
    """A real `prefect server start` on a free port with its own home; yields its API URL."""
    port, log = free_port(), tmp_path / "server.log"
    proc = start([str(BIN / "prefect"), "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                 {**base_env(tmp_path / "prefect-home"), "PREFECT_UI_ENABLED": "false"}, log, tmp_path)
    api, procs = f"http://127.0.0.1:{port}/api", {log: proc}
    try:
        wait_for("Prefect server health", lambda: httpx.get(f"{api}/health", timeout=2).status_code == 200, 90,
                 procs)
        yield api, procs
    finally:
        stop(proc)


def test_serve_refuses_without_a_prefect_server(tmp_path: Path) -> None:
    done = subprocess.run([str(BIN / "litingest"), "serve", "--db", str(tmp_path / "s.duckdb")],
                          env=base_env(tmp_path / "prefect-home"), cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 2, done.stderr
    assert "PREFECT_API_URL is not set" in done.stderr and "prefect server start" in done.stderr
    assert "PREFECT_API_URL=http://127.0.0.1:4200/api" in done.stderr
    assert not (tmp_path / "s.duckdb").exists()


def test_served_backfill_runs_from_the_api_and_nightly_is_scheduled(
        prefect_server: tuple[str, dict[Path, subprocess.Popen]], tmp_path: Path) -> None:
    from prefect.client.orchestration import get_client
    from prefect.settings import PREFECT_API_URL, temporary_settings

    api, procs = prefect_server
    db, log = tmp_path / "served.duckdb", tmp_path / "serve.log"
    with EutilsStub() as stub:
        want = set(stub.matching(TERM, "edat", START.replace("-", "/"), END.replace("-", "/")))
        assert want, "the stand-in has records entered in January 2026"
        env = {**base_env(tmp_path / "prefect-home"), "PREFECT_API_URL": api, "LITINGEST_DB": str(db),
               "LITINGEST_EUTILS_URL": stub.base_url, "LITINGEST_EMAIL": "tests@litingest.invalid"}
        serving = start([str(BIN / "litingest"), "serve"], env, log, tmp_path)
        procs = {**procs, log: serving}
        try:
            with temporary_settings({PREFECT_API_URL: api}), get_client(sync_client=True) as client:
                nightly = wait_for("nightly deployment", lambda: client.read_deployment_by_name("nightly/nightly"),
                                   60, procs)
                backfill = wait_for("backfill deployment",
                                    lambda: client.read_deployment_by_name("backfill/backfill"), 30, procs)
                [schedule] = nightly.schedules
                assert (schedule.schedule.cron, schedule.schedule.timezone, schedule.active) == ("0 2 * * *", "UTC",
                                                                                               True)
                assert not backfill.schedules
                assert nightly.parameters["db"] == backfill.parameters["db"] == str(db)

                run = client.create_flow_run_from_deployment(
                    backfill.id, parameters={"term": TERM, "start": START, "end": END})
                state = wait_for("finished backfill run",
                                 lambda: (s := client.read_flow_run(run.id).state) and s.is_final() and s, 90, procs)
                assert state.is_completed(), f"{state.type}: {state.message}\n{tail(log)}"
        finally:
            stop(serving)
    with duckdb.connect(str(db), read_only=True) as con:  # the run's process wrote it; it has finished
        assert {r[0] for r in con.execute("SELECT pmid FROM articles").fetchall()} == want
