"""The whole local Quantis stack as one object: generate the ``local`` profile, start the
service, node exporter, PostgreSQL + exporter (when installed), a Pushgateway (training runs),
Alertmanager and Prometheus on free 127.0.0.1 ports, and stop everything by PID.

::

    with LiveStack.start(workdir) as live:
        live.forecast(store_id=1)
        live.query('up{job="api"}')
"""

from __future__ import annotations

import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from obscode import emit, loader
from stacks.quantis.service import postgres
from stacks.quantis.service.processes import (
    ROOT, Process, ServiceOptions, ToolMissing, free_port, start_alertmanager, start_node_exporter,
    start_prometheus, start_pushgateway, start_service, wait_until,
)
from stacks.quantis.service.processes import SmallDisk, start_blackbox_exporter, start_node_exporter_with_disk
from stacks.quantis.service.webhook_sink import Delivery, WebhookSink

Progress = Callable[[str, str], None]


def _quiet(_: str, __: str) -> None:
    pass


def generate_local(out: Path, ports: Any) -> dict[str, Path]:
    """Write the ``local`` profile of stacks/quantis for ``ports`` under ``out``; return key paths."""
    loaded = loader.load(ROOT / "stacks" / "quantis")
    stack = loaded.module.profiles["local"](loaded.stack, ports=ports)
    for relative, content in emit.render(stack).items():
        path = out / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(content)
    return {"prometheus": out / "prometheus" / "prometheus.yml",
            "alertmanager": out / "alertmanager" / "alertmanager.yml", "root": out, "stack": stack}  # type: ignore[dict-item]


@dataclass
class LiveStack:
    workdir: Path
    ports: Any  # stacks.quantis.profiles.LocalPorts
    sink: WebhookSink
    files: dict[str, Any]
    processes: dict[str, Process] = field(default_factory=dict)
    #: Components that could not start (name -> why), e.g. PostgreSQL when not installed.
    missing: dict[str, str] = field(default_factory=dict)
    progress: Progress = _quiet
    pg_port: int | None = None
    pg_dir: Path | None = None
    client: httpx.Client = field(default_factory=lambda: httpx.Client(timeout=10.0))
    #: The node exporter's own small filesystem (``start(small_disk=True)``), for DiskSpaceLow.
    disk: SmallDisk | None = None

    # -- lifecycle -----------------------------------------------------------------------

    @classmethod
    def start(cls, workdir: Path, *, progress: Progress = _quiet, with_database: bool = True,
              on_delivery: Callable[[Delivery], None] | None = None, ports: Any = None,
              faults: tuple[str, ...] = (), small_disk: bool = False) -> LiveStack:
        from stacks.quantis.profiles import LocalPorts

        ports = ports or LocalPorts(api=free_port(), model_service=free_port(), database=free_port(),
                                    node=free_port(), alertmanager=free_port(), webhook=free_port(),
                                    pushgateway=free_port(), blackbox=free_port())
        sink = WebhookSink(ports.webhook, on_delivery=on_delivery).start()
        files = generate_local(workdir / "generated", ports)
        live = cls(workdir, ports, sink, files, progress=progress)
        if small_disk:  # root only: see SmallDisk
            live.disk = SmallDisk(workdir / "disk.img", workdir / "disk")
        try:
            live._start_all(with_database, faults)
        except BaseException:
            live.stop()
            raise
        return live

    def _step(self, name: str, starter: Callable[[], Process]) -> None:
        self.progress(name, "starting")
        proc = starter()
        self.processes[name] = proc
        self.progress(name, f"up (pid {proc.pid}{', ' + proc.url if proc.url else ''})")

    def _start_all(self, with_database: bool, faults: tuple[str, ...]) -> None:
        logs = self.workdir / "logs"
        logs.mkdir(parents=True, exist_ok=True)
        self.progress("webhook sink", f"up (http://127.0.0.1:{self.ports.webhook}/<receiver>)")
        self._step("node-exporter", lambda: start_node_exporter(self.ports.node, logs) if self.disk is None
                   else start_node_exporter_with_disk(self.ports.node, self.disk, logs))
        if with_database:
            self._start_database(logs)
        self.start_service(faults)
        self._step("pushgateway", lambda: start_pushgateway(self.ports.pushgateway, logs))
        self._step("blackbox-exporter", lambda: start_blackbox_exporter(self.ports.blackbox, self.workdir, logs))
        self._step("alertmanager", lambda: start_alertmanager(
            self.files["alertmanager"], self.workdir / "alertmanager-data", self.ports.alertmanager, logs))
        self._step("prometheus", lambda: start_prometheus(
            self.files["prometheus"], self.workdir / "prometheus-data", free_port_for(self, "prometheus"), logs))
        jobs = {job.job_name for job in self.files["stack"].prometheus.scrape_configs}
        # Prometheus hands discovered targets to the scrape manager every 5 s.
        self.progress("prometheus", f"waiting for the first scrape of {len(jobs)} jobs")
        wait_until(lambda: set(self.targets_health()) == jobs and "unknown" not in self.targets_health().values(),
                   30, "prometheus scrape targets", self.processes["prometheus"])
        self.progress("prometheus", "scraping: " + ", ".join(
            f"{job} {health}" for job, health in sorted(self.targets_health().items())))

    def _start_database(self, logs: Path) -> None:
        pg_port = free_port()

        def start_pg() -> Process:
            proc, self.pg_dir = postgres.start_postgres(pg_port, logs)
            return proc

        try:
            self._step("postgresql", start_pg)
            self._step("postgres-exporter", lambda: postgres.start_postgres_exporter(pg_port, self.ports.database, logs))
            self.pg_port = pg_port
        except (ToolMissing, OSError, RuntimeError, TimeoutError) as exc:
            self.missing["database"] = str(exc).splitlines()[0]
            self.progress("database", f"not started: {self.missing['database']}")

    def start_service(self, faults: tuple[str, ...] = ()) -> None:
        options = ServiceOptions(port=self.ports.api, model_metrics_port=self.ports.model_service,
                                 log_file=self.service_log, faults=faults)
        self._step("service", lambda: start_service(options, self.workdir / "logs"))

    def stop_service(self) -> None:
        proc = self.processes.pop("service", None)
        if proc is not None:
            proc.stop()
            self.progress("service", "stopped")

    def stop(self) -> None:
        """Stop every process by PID (newest first) and the sink; safe to call twice."""
        for name in reversed(list(self.processes)):
            self.processes.pop(name).stop()
        if self.pg_dir is not None:
            shutil.rmtree(self.pg_dir, ignore_errors=True)
            self.pg_dir = None
        self.sink.stop()
        self.client.close()

    def __enter__(self) -> LiveStack:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.stop()

    # -- addresses -------------------------------------------------------------------------

    @property
    def service_log(self) -> Path:
        return self.workdir / "logs" / "quantis-api.ndjson"

    @property
    def service_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.api}"

    @property
    def prometheus_url(self) -> str:
        return self.processes["prometheus"].url

    @property
    def alertmanager_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.alertmanager}"

    @property
    def pushgateway_url(self) -> str:
        return f"http://127.0.0.1:{self.ports.pushgateway}"

    # -- driving the service ------------------------------------------------------------------

    def forecast(self, store_id: int = 0, horizon: int = 14) -> httpx.Response:
        return self.client.post(f"{self.service_url}/api/forecast", json={"store_id": store_id, "horizon": horizon})

    def set_fault(self, name: str, on: bool) -> None:
        method = self.client.post if on else self.client.delete
        method(f"{self.service_url}/api/faults/{name}").raise_for_status()

    # -- reading Prometheus and Alertmanager ---------------------------------------------------

    def query(self, expr: str) -> list[dict[str, Any]]:
        """Instant query through the HTTP API; raises on a query error."""
        body = self.client.get(f"{self.prometheus_url}/api/v1/query", params={"query": expr}).json()
        if body.get("status") != "success":
            raise ValueError(f"query {expr!r} failed: {body.get('errorType')}: {body.get('error')}")
        result = body["data"]["result"]
        return result if isinstance(result, list) else [result]

    def alert_state(self, alertname: str) -> set[str]:
        """States (pending/firing) of ``alertname`` in Prometheus right now."""
        body = self.client.get(f"{self.prometheus_url}/api/v1/alerts").json()
        return {a["state"] for a in body["data"]["alerts"] if a["labels"].get("alertname") == alertname}

    def targets_health(self) -> dict[str, str]:
        """Scrape health per job: up, down or unknown (not scraped yet)."""
        body = self.client.get(f"{self.prometheus_url}/api/v1/targets").json()
        return {t["labels"]["job"]: t["health"] for t in body["data"]["activeTargets"]}


def free_port_for(live: LiveStack, name: str) -> int:
    """Prometheus' own port is not in LocalPorts (nothing scrapes or routes to it)."""
    port = getattr(live, f"_{name}_port", None) or free_port()
    setattr(live, f"_{name}_port", port)
    return port


def wait(check: Callable[[], bool], timeout: float, interval: float = 0.2) -> bool:
    """Poll ``check`` until true or ``timeout`` seconds pass; returns whether it held."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(interval)
    return check()
