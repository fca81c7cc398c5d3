"""Metrics of several worker processes (``uvicorn --workers N``, gunicorn) as one exposition.

The OpenTelemetry Prometheus exporter keeps its series in process memory, so a scrape
reaching one worker would see that worker's share only. With a shared directory
(``OBSCODE_MULTIPROC_DIR``) every worker writes a snapshot of its registry to
``<dir>/<pid>.json`` every ``interval`` seconds and when it exits; whichever worker
serves ``/metrics`` writes its own snapshot fresh, reads all of them and merges them:

- counters and histograms are summed over every file, including those of workers that
  have exited, so totals never go backwards when a worker is replaced;
- gauges are summed over live workers only (a dead worker has nothing in progress).

Other workers' figures lag by at most ``interval``. Start each deployment with an empty
directory: files left by an earlier run would be added in.
"""

from __future__ import annotations

import atexit
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from prometheus_client import generate_latest
from prometheus_client.metrics_core import Metric

from instrumentation import errors
from instrumentation.metrics import MetricsPipeline

Family = dict[str, Any]


class MultiprocessMetrics:
    """Writes this process's snapshots and merges everyone's on scrape."""

    def __init__(self, directory: str | os.PathLike[str], pipeline: MetricsPipeline, interval: float = 1.0) -> None:
        self.directory = Path(directory)
        if not self.directory.is_dir():
            raise ValueError(
                f"OBSCODE_MULTIPROC_DIR={str(self.directory)!r} is not a directory; "
                "create it (empty) before starting the workers"
            )
        if interval <= 0:
            raise ValueError(f"OBSCODE_MULTIPROC_INTERVAL must be positive, got {interval}")
        self.pipeline = pipeline
        self.interval = interval
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._write_lock = threading.Lock()

    # -- this process ------------------------------------------------------------------

    def start(self) -> None:
        """Write a first snapshot and keep writing every ``interval`` seconds (also after fork)."""
        self.write()
        self._start_thread()
        os.register_at_fork(after_in_child=self._after_fork)
        atexit.register(self.stop)

    def stop(self) -> None:
        """Stop the writer thread and leave a final snapshot behind."""
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=5)
        self._thread = None
        self.write()

    def write(self) -> None:
        """Atomically replace this process's snapshot file."""
        try:
            data = json.dumps({"pid": os.getpid(), "families": self._snapshot()})
            with self._write_lock:
                fd, tmp = tempfile.mkstemp(dir=self.directory, prefix=".tmp-", suffix=".json")
                with os.fdopen(fd, "w", encoding="utf-8") as handle:
                    handle.write(data)
                os.replace(tmp, self.directory / f"{os.getpid()}.json")
        except Exception as error:  # noqa: BLE001 - a full disk must not stop the worker
            errors.report("metrics", error)

    def _snapshot(self) -> list[Family]:
        families = []
        for metric in self.pipeline.registry.collect():
            families.append({
                "name": metric.name, "type": metric.type, "help": metric.documentation,
                "unit": metric.unit,
                "samples": [[s.name, s.labels, s.value] for s in metric.samples],
            })
        return families

    def _start_thread(self) -> None:
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="obscode-multiproc", daemon=True)
        self._thread.start()

    def _after_fork(self) -> None:
        # Threads do not survive fork (gunicorn --preload): the child needs its own writer.
        if not self._stop.is_set():
            self._start_thread()

    def _loop(self) -> None:
        stop = self._stop
        while not stop.wait(self.interval):
            self.write()

    # -- every process -----------------------------------------------------------------

    def exposition(self) -> bytes:
        """The merged text exposition of every worker."""
        self.write()
        return generate_latest(_Merged(merge(read_snapshots(self.directory))))


def read_snapshots(directory: Path) -> Iterator[tuple[bool, list[Family]]]:
    """``(alive, families)`` per snapshot file; unreadable files are counted and skipped."""
    for path in sorted(directory.glob("*.json")):
        if path.name.startswith(".tmp-"):
            continue
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            yield _alive(int(data["pid"])), data["families"]
        except (OSError, ValueError, KeyError, TypeError) as error:
            errors.report("metrics", error)


def merge(snapshots: Iterator[tuple[bool, list[Family]]]) -> list[Family]:
    """Sum samples with the same name and labels across snapshots (gauges: live ones only)."""
    merged: dict[str, Family] = {}
    values: dict[str, dict[tuple[str, tuple[tuple[str, str], ...]], float]] = {}
    for alive, families in snapshots:
        for family in families:
            name = family["name"]
            if name not in merged:
                merged[name] = {k: family[k] for k in ("name", "type", "help", "unit")}
                values[name] = {}
            if family["type"] == "gauge" and not alive:
                continue
            bucket = values[name]
            for sample_name, labels, value in family["samples"]:
                key = (sample_name, tuple(sorted(labels.items())))
                bucket[key] = bucket.get(key, 0.0) + float(value)
    out = []
    for name, family in merged.items():
        family["samples"] = [[s, dict(labels), v] for (s, labels), v in values[name].items()]
        out.append(family)
    return out


class _Merged:
    """A collector over merged families, in the shape ``generate_latest`` reads."""

    def __init__(self, families: list[Family]) -> None:
        self.families = families

    def collect(self) -> Iterator[Metric]:
        for family in self.families:
            metric = Metric(family["name"], family["help"], family["type"], family["unit"])
            for sample_name, labels, value in family["samples"]:
                metric.add_sample(sample_name, labels, value)
            yield metric


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
