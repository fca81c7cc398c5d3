"""Real database conditions for the PostgreSQL alerts, made with ``psql`` against the live
stack's throwaway cluster (``service/postgres.py``):

``connections``  hold ``n`` idle client sessions open (PostgresConnectionsSaturated)
``deadlock``     two transactions lock two rows in opposite order; PostgreSQL detects the
                 deadlock and aborts one of them (PostgresDeadlocks)
``cache misses`` sequential scans of a table several times larger than shared_buffers, in a
                 database of its own, so nearly every block comes from outside shared buffers
                 (PostgresLowCacheHitRatio); ``cache_hits`` clears it with index lookups that
                 all hit shared buffers

Every session is a ``psql`` child process owned by the caller and closed by it; nothing is
left running. Each function raises :class:`DatabaseFaultError` with PostgreSQL's own message
when a statement fails unexpectedly.
"""

from __future__ import annotations

import subprocess
import threading
import time
from collections.abc import Callable
from types import TracebackType

from stacks.quantis.service.postgres import _pg

#: The database the cache scenario scans (created by it; nothing else uses it, so its
#: blks_hit / blks_read ratio is the scenario's own).
CACHE_DATABASE = "quantis_cache_probe"
#: Rows of about 1 kB each (about 22 MB on disk), over a quarter of the local cluster's 16 MB shared_buffers.
CACHE_TABLE_ROWS = 20_000
#: The deadlock's table (in database ``postgres``).
DEADLOCK_TABLE = "quantis_deadlock_probe"


class DatabaseFaultError(RuntimeError):
    """A statement of a database scenario failed (message: what ran and PostgreSQL's error)."""


def _psql_argv(pg_port: int, database: str) -> list[str]:
    return [_pg("psql"), "-X", "-q", "-h", "127.0.0.1", "-p", str(pg_port), "-U", "postgres", "-d", database,
            "-v", "ON_ERROR_STOP=1"]


def query(pg_port: int, sql: str, database: str = "postgres", timeout: float = 120.0) -> str:
    """Run ``sql`` in one session; its unaligned, tuples-only output (stripped)."""
    proc = subprocess.run([*_psql_argv(pg_port, database), "-A", "-t", "-c", sql],
                          capture_output=True, text=True, timeout=timeout)
    if proc.returncode != 0:
        raise DatabaseFaultError(f"{sql!r} in database {database!r} failed: {proc.stderr.strip()}")
    return proc.stdout.strip()


def client_connections(pg_port: int) -> int:
    """Client sessions open now, as the exporter's pg_stat_activity_count counts them (those
    of a database; the query's own session included)."""
    return int(query(pg_port, "SELECT count(*) FROM pg_stat_activity WHERE datname IS NOT NULL"))


def _wait(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise DatabaseFaultError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(0.1)


class Session:
    """One interactive ``psql`` session fed through its standard input."""

    def __init__(self, pg_port: int, database: str = "postgres", application: str = "quantis-db-fault") -> None:
        self.popen = subprocess.Popen(
            _psql_argv(pg_port, database), stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env={"PGAPPNAME": application, "PATH": "/usr/bin:/bin"},
        )

    def send(self, sql: str) -> None:
        assert self.popen.stdin is not None
        self.popen.stdin.write(sql.rstrip() + "\n")
        self.popen.stdin.flush()

    def close(self, timeout: float = 15.0) -> str:
        """End the session (EOF on its input); returns what it wrote to stderr."""
        try:
            _, err = self.popen.communicate(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.popen.kill()
            _, err = self.popen.communicate()
        return err or ""


class Connections:
    """``n`` idle client sessions held open until :meth:`close` (a context manager)."""

    def __init__(self, pg_port: int, n: int = 0) -> None:
        self.pg_port = pg_port
        self.sessions: list[Session] = []
        if n:
            self.open(n)

    def open(self, n: int, timeout: float = 30.0) -> None:
        """Open ``n`` more sessions and wait until PostgreSQL counts them."""
        expected = client_connections(self.pg_port) - 1 + n  # less the counting session itself
        self.sessions += [Session(self.pg_port, application="quantis-connections") for _ in range(n)]
        _wait(lambda: client_connections(self.pg_port) - 1 >= expected, timeout,
              f"{expected} client connections on port {self.pg_port}")

    def close(self) -> None:
        for session in self.sessions:
            session.close()
        self.sessions.clear()

    def __enter__(self) -> Connections:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()


def _blocked(pg_port: int, application: str) -> bool:
    return query(pg_port, "SELECT count(*) FROM pg_stat_activity "
                          f"WHERE application_name = '{application}' AND wait_event_type = 'Lock'") == "1"


def _idle_in_transaction(pg_port: int, application: str) -> bool:
    return query(pg_port, "SELECT count(*) FROM pg_stat_activity "
                          f"WHERE application_name = '{application}' AND state = 'idle in transaction'") == "1"


def deadlock(pg_port: int, timeout: float = 30.0) -> str:
    """Provoke one real deadlock in database ``postgres``; returns PostgreSQL's error message
    (``deadlock detected ...``) from the transaction it aborted."""
    query(pg_port, f"DROP TABLE IF EXISTS {DEADLOCK_TABLE}; "
                   f"CREATE TABLE {DEADLOCK_TABLE} (id int PRIMARY KEY, v int); "
                   f"INSERT INTO {DEADLOCK_TABLE} VALUES (1, 0), (2, 0)")
    a, b = Session(pg_port, application="quantis-deadlock-a"), Session(pg_port, application="quantis-deadlock-b")
    try:
        a.send(f"BEGIN; UPDATE {DEADLOCK_TABLE} SET v = v + 1 WHERE id = 1;")
        b.send(f"BEGIN; UPDATE {DEADLOCK_TABLE} SET v = v + 1 WHERE id = 2;")
        for name in ("quantis-deadlock-a", "quantis-deadlock-b"):
            _wait(lambda name=name: _idle_in_transaction(pg_port, name), timeout, f"{name} to hold its row lock")
        a.send(f"UPDATE {DEADLOCK_TABLE} SET v = v + 1 WHERE id = 2;")  # waits for b
        _wait(lambda: _blocked(pg_port, "quantis-deadlock-a"), timeout, "the first transaction to wait for a lock")
        b.send(f"UPDATE {DEADLOCK_TABLE} SET v = v + 1 WHERE id = 1;")  # waits for a: a cycle
        a.send("COMMIT;")
        b.send("COMMIT;")
    finally:
        errors = a.close() + b.close()
    if "deadlock detected" not in errors:
        raise DatabaseFaultError(f"no deadlock was detected; psql said: {errors.strip() or 'nothing'}")
    return next(line for line in errors.splitlines() if "deadlock detected" in line)


def deadlocks(pg_port: int, database: str = "postgres") -> int:
    """pg_stat_database.deadlocks of ``database`` (what the exporter exports)."""
    return int(query(pg_port, f"SELECT deadlocks FROM pg_stat_database WHERE datname = '{database}'"))


def prepare_cache_probe(pg_port: int) -> None:
    """Create the probe database with a big table (scanned) and a small one (looked up)."""
    if query(pg_port, f"SELECT count(*) FROM pg_database WHERE datname = '{CACHE_DATABASE}'") == "0":
        query(pg_port, f"CREATE DATABASE {CACHE_DATABASE}")
    query(pg_port, "DROP TABLE IF EXISTS big, small; "
                   f"CREATE TABLE big AS SELECT g AS id, repeat('x', 1000) AS filler "
                   f"FROM generate_series(1, {CACHE_TABLE_ROWS}) g; "
                   "CREATE TABLE small AS SELECT g AS id, g AS v FROM generate_series(1, 1000) g; "
                   "ALTER TABLE small ADD PRIMARY KEY (id); ANALYZE big; ANALYZE small", database=CACHE_DATABASE)


def cache_misses(pg_port: int, scans: int = 5) -> None:
    """Sequential scans of ``big``: larger than a quarter of shared_buffers, so PostgreSQL reads
    it through a small ring of buffers and nearly every block is a read, not a hit."""
    query(pg_port, "SET max_parallel_workers_per_gather = 0; "
                   + " ".join("SELECT count(*) FROM big;" for _ in range(scans)), database=CACHE_DATABASE)


def cache_hits(pg_port: int, lookups: int = 300_000) -> None:
    """Index lookups in ``small``, all in shared buffers: each one is a few buffer hits."""
    query(pg_port, f"SELECT sum((SELECT v FROM small WHERE id = g % 1000 + 1)) "
                   f"FROM generate_series(1, {lookups}) g", database=CACHE_DATABASE)


def cache_counters(pg_port: int) -> tuple[int, int]:
    """(blks_hit, blks_read) of the probe database."""
    hit, read = query(pg_port, "SELECT blks_hit || ' ' || blks_read FROM pg_stat_database "
                               f"WHERE datname = '{CACHE_DATABASE}'").split()
    return int(hit), int(read)


def drop_cache_probe(pg_port: int) -> None:
    query(pg_port, f"DROP DATABASE IF EXISTS {CACHE_DATABASE}")


# -- demo scenarios (python -m stacks.quantis.demo --scenario ...) -------------------------------

#: Connections held by the db-connections scenario at each stage: over 70%, then over 90%,
#: of the local cluster's max_connections (20), the exporter's two sessions included.
DEMO_WARNING_CONNECTIONS, DEMO_CRITICAL_CONNECTIONS = 15, 19


def demo_connections(pg_port: int, stop: threading.Event, stage_seconds: float = 20.0) -> None:
    """Up to 15 open sessions (warning), ``stage_seconds`` later 19 (critical), until ``stop``."""
    with Connections(pg_port) as held:
        for total in (DEMO_WARNING_CONNECTIONS, DEMO_CRITICAL_CONNECTIONS):
            held.open(max(0, total - (client_connections(pg_port) - 1)))
            if stop.wait(stage_seconds):
                return
        stop.wait()


def demo_deadlock(pg_port: int, stop: threading.Event) -> None:
    """One real deadlock."""
    print(f"  database: {deadlock(pg_port)}", flush=True)


def demo_cache_misses(pg_port: int, stop: threading.Event) -> None:
    """The probe database, then sequential scans through the buffer ring every second."""
    prepare_cache_probe(pg_port)
    while not stop.wait(1.0):
        cache_misses(pg_port)


#: scenario -> (what it does, driver(pg_port, stop)); demo.py runs it in a thread.
DEMO: dict[str, tuple[str, Callable[[int, threading.Event], None]]] = {
    "db-connections": (f"{DEMO_WARNING_CONNECTIONS}, then {DEMO_CRITICAL_CONNECTIONS} open psql sessions of 20",
                       demo_connections),
    "deadlock": ("two transactions locking two rows in opposite order", demo_deadlock),
    "cache-misses": (f"sequential scans of a table larger than shared_buffers every second", demo_cache_misses),
}
