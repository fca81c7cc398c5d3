"""A throwaway PostgreSQL cluster and the Debian postgres exporter, for the Database
dashboard. The cluster lives in a temporary directory, listens on 127.0.0.1 and a unix
socket in that directory, and runs as the ``postgres`` user when started by root.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from stacks.quantis.service.processes import Process, ToolMissing, http_ok, require, spawn, wait_until

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
#: Small on purpose, so the database scenarios (service/db_faults.py) reach the alert
#: thresholds with real sessions and a small table: 20 connections (the exporter holds two),
#: and 16 MB of shared buffers (a table over 4 MB is scanned through a small buffer ring).
MAX_CONNECTIONS = 20
SHARED_BUFFERS = "16MB"


def _pg(program: str) -> str:
    for directory in PG_BIN_DIRS:
        if (directory / program).exists():
            return str(directory / program)
    found = shutil.which(program)
    if found is None:
        raise ToolMissing(f"{program} is not installed: run scripts/system-deps.sh (Debian package postgresql)")
    return found


def _as_owner(argv: list[str]) -> list[str]:
    """Run as ``postgres`` when we are root (PostgreSQL refuses to run as root)."""
    if os.geteuid() == 0:
        return [require("runuser", "util-linux"), "-u", "postgres", "--", *argv]
    return argv


def start_postgres(port: int, log_dir: Path) -> tuple[Process, Path]:
    """Start a new cluster; returns the process and its directory (remove it after stopping)."""
    # Its own temp dir: the caller's may not be reachable by the postgres user.
    workdir = Path(tempfile.mkdtemp(prefix="quantis-pg-"))
    data = workdir / "pgdata"
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres", "postgres")
    init = subprocess.run(_as_owner([_pg("initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                                     "-E", "UTF8", "--no-sync"]), capture_output=True, text=True, timeout=120)
    if init.returncode != 0:
        raise RuntimeError(f"initdb failed: {init.stderr.strip() or init.stdout.strip()}")
    proc = spawn("postgres", _as_owner([
        _pg("postgres"), "-D", str(data), "-p", str(port), "-c", "listen_addresses=127.0.0.1",
        "-c", f"unix_socket_directories={workdir}", "-c", "fsync=off",
        "-c", f"max_connections={MAX_CONNECTIONS}", "-c", f"shared_buffers={SHARED_BUFFERS}",
    ]), log_dir)

    def ready() -> bool:
        return subprocess.run([_pg("pg_isready"), "-h", "127.0.0.1", "-p", str(port)],
                              capture_output=True, timeout=5).returncode == 0

    wait_until(ready, 60, "postgresql", proc)
    return proc, workdir


def start_postgres_exporter(pg_port: int, port: int, log_dir: Path) -> Process:
    binary = require("prometheus-postgres-exporter", "prometheus-postgres-exporter")
    url = f"http://127.0.0.1:{port}"
    dsn = f"postgresql://postgres@127.0.0.1:{pg_port}/postgres?sslmode=disable"
    proc = spawn("postgres-exporter", [binary, f"--web.listen-address=127.0.0.1:{port}"], log_dir,
                 env={"DATA_SOURCE_NAME": dsn}, url=url)
    wait_until(http_ok(f"{url}/metrics"), 30, "postgres exporter", proc)
    return proc


def run_sql(pg_port: int, sql: str) -> None:
    """Some queries so the database has transactions and cache hits to show."""
    subprocess.run([_pg("psql"), "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-q", "-c", sql],
                   check=True, capture_output=True, timeout=60)
