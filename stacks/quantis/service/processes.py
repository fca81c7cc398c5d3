"""Starting and stopping the real programs of the local stack, each on 127.0.0.1.

Every process gets its own log file and is stopped by its PID (SIGTERM, then SIGKILL).
Used by ``python -m stacks.quantis.demo`` and by ``tests/integration``.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from ..config import CONFIG

ROOT = Path(__file__).resolve().parents[3]


class ToolMissing(RuntimeError):
    """A system program is not installed; the message names the Debian package."""


def require(program: str, package: str) -> str:
    path = shutil.which(program)
    if path is None:
        raise ToolMissing(f"{program} is not installed: run scripts/system-deps.sh (Debian package {package})")
    return path


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class Process:
    """A started program: its name, Popen handle and log file."""

    name: str
    popen: subprocess.Popen[bytes]
    log: Path
    url: str = ""

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self, timeout: float = 10.0) -> None:
        """SIGTERM by PID, SIGKILL after ``timeout`` seconds."""
        if self.popen.poll() is not None:
            return
        os.kill(self.pid, signal.SIGTERM)
        try:
            self.popen.wait(timeout)
        except subprocess.TimeoutExpired:
            os.kill(self.pid, signal.SIGKILL)
            self.popen.wait(timeout)

    def log_tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""


def spawn(name: str, argv: Sequence[str], log_dir: Path, env: Mapping[str, str] | None = None,
          cwd: Path | None = None, url: str = "") -> Process:
    log = log_dir / f"{name}.log"
    handle = log.open("ab")
    popen = subprocess.Popen(list(argv), stdout=handle, stderr=subprocess.STDOUT, cwd=cwd,
                             env={**os.environ, **(env or {})}, start_new_session=True)
    handle.close()
    return Process(name, popen, log, url)


def wait_until(check: Callable[[], bool], timeout: float, what: str, process: Process | None = None) -> None:
    """Poll ``check`` every 0.1 s; raise ``TimeoutError`` naming ``what`` (and the log tail) at the deadline."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise RuntimeError(f"{process.name} exited with {process.popen.returncode}:\n{process.log_tail()}")
        try:
            if check():
                return
        except (httpx.HTTPError, OSError):
            pass
        time.sleep(0.1)
    tail = f"\n{process.name} log:\n{process.log_tail()}" if process is not None else ""
    raise TimeoutError(f"{what} not ready after {timeout:.0f}s{tail}")


def http_ok(url: str) -> Callable[[], bool]:
    return lambda: httpx.get(url, timeout=1.0).status_code == 200


def _start_server(name: str, program: str, flags: Sequence[str], port: int, log_dir: Path,
                  ready_path: str) -> Process:
    """Start a Debian-packaged server on 127.0.0.1:``port`` and wait until ``ready_path`` answers."""
    binary = require(program, program)
    url = f"http://127.0.0.1:{port}"
    proc = spawn(name, [binary, f"--web.listen-address=127.0.0.1:{port}", *flags], log_dir, url=url)
    wait_until(http_ok(f"{url}{ready_path}"), 30, name, proc)
    return proc


def prometheus_flags(config: Path, data_dir: Path, retention: str = CONFIG.prometheus_retention) -> list[str]:
    """Prometheus' flags: the config, the data directory and how long samples are kept."""
    return [f"--config.file={config}", f"--storage.tsdb.path={data_dir}",
            f"--storage.tsdb.retention.time={retention}", "--web.enable-lifecycle"]


def start_prometheus(config: Path, data_dir: Path, port: int, log_dir: Path) -> Process:
    return _start_server("prometheus", "prometheus", prometheus_flags(config, data_dir), port, log_dir, "/-/ready")


def start_alertmanager(config: Path, data_dir: Path, port: int, log_dir: Path) -> Process:
    # Without an empty cluster address Alertmanager binds 0.0.0.0:9094 for gossip.
    return _start_server("alertmanager", "prometheus-alertmanager", [
        f"--config.file={config}", f"--storage.path={data_dir}", "--cluster.listen-address=",
    ], port, log_dir, "/-/ready")


def start_node_exporter(port: int, log_dir: Path) -> Process:
    return _start_server("node-exporter", "prometheus-node-exporter", [], port, log_dir, "/metrics")


def start_pushgateway(port: int, log_dir: Path) -> Process:
    """A Pushgateway for training runs, keeping pushed groups in memory only (Debian's default
    persistence file is a system path)."""
    return _start_server("pushgateway", "prometheus-pushgateway", ["--persistence.file="], port, log_dir, "/-/ready")


#: The blackbox exporter's module file of the live stack: the module the ``blackbox`` job names
#: (config.Probes.module), an HTTP GET that must answer 2xx; its own timeout above any local
#: scrape timeout, so the scrape's (less the exporter's offset) is the one that applies.
BLACKBOX_MODULES = f"""modules:
  {CONFIG.probes.module}:
    prober: http
    timeout: 10s
    http:
      preferred_ip_protocol: ip4
      follow_redirects: false
"""


def start_blackbox_exporter(port: int, work_dir: Path, log_dir: Path) -> Process:
    """prometheus-blackbox-exporter on 127.0.0.1:``port`` with :data:`BLACKBOX_MODULES`."""
    config = work_dir / "blackbox.yml"
    config.write_text(BLACKBOX_MODULES, encoding="utf-8")
    return _start_server("blackbox-exporter", "prometheus-blackbox-exporter",
                         [f"--config.file={config}"], port, log_dir, "/-/healthy")


@dataclass
class SmallDisk:
    """A filesystem of a few MB that only one node exporter sees: an ext4 image loop-mounted
    at ``mountpoint`` inside that exporter's own mount (and PID) namespace, so no other
    process on the machine, other node exporters included, sees it or its fill level.
    Reach it as :meth:`path` while the exporter runs; the kernel unmounts it when it exits."""

    image: Path
    mountpoint: Path
    process: Process | None = None

    def path(self) -> Path:
        """The mounted filesystem as seen from outside the namespace (the exporter's root)."""
        if self.process is None:
            raise RuntimeError("the disk is mounted only while its node exporter runs")
        return Path(f"/proc/{_namespace_child(self.process)}/root") / self.mountpoint.relative_to("/")

    def used_ratio(self) -> float:
        """1 - available / size, as DiskSpaceLow computes it from node_filesystem_*."""
        stat = os.statvfs(self.path())
        return 1 - stat.f_bavail / stat.f_blocks

    def fill_to(self, ratio: float) -> None:
        """Write one file so that the used share reaches at least ``ratio`` (below 1)."""
        stat = os.statvfs(self.path())
        wanted = int((ratio - self.used_ratio()) * stat.f_blocks * stat.f_frsize)
        with (self.path() / "fill").open("ab") as handle:
            handle.write(b"\0" * max(wanted + stat.f_frsize, 0))
            handle.flush()
            os.fsync(handle.fileno())

    def empty(self) -> None:
        (self.path() / "fill").unlink(missing_ok=True)


def _namespace_child(process: Process) -> int:
    """The node exporter's PID: the one child of ``unshare --fork``."""
    children = Path(f"/proc/{process.pid}/task/{process.pid}/children").read_text().split()
    if not children:
        raise RuntimeError(f"{process.name} has no child process:\n{process.log_tail()}")
    return int(children[0])


def start_node_exporter_with_disk(port: int, disk: SmallDisk, log_dir: Path, size_mb: int = 8) -> Process:
    """prometheus-node-exporter in a private mount and PID namespace (``unshare``, root only)
    where ``disk`` is mounted; it reads mounts from its PID 1's view, hence the PID namespace."""
    if os.geteuid() != 0:
        raise ToolMissing("a small disk of its own needs root (unshare --mount, mount -o loop)")
    node_exporter = require("prometheus-node-exporter", "prometheus-node-exporter")
    unshare = require("unshare", "util-linux")
    mkfs = require("mkfs.ext4", "e2fsprogs")
    with disk.image.open("wb") as handle:
        handle.truncate(size_mb * 1024 * 1024)
    subprocess.run([mkfs, "-q", "-F", str(disk.image)], check=True, capture_output=True, timeout=60)
    disk.mountpoint.mkdir(parents=True, exist_ok=True)
    url = f"http://127.0.0.1:{port}"
    script = 'mount -o loop "$1" "$2" && exec "$3" --web.listen-address="$4"'
    proc = spawn("node-exporter", [unshare, "--mount", "--propagation", "private", "--pid", "--fork",
                                   "--mount-proc", "--kill-child", "sh", "-c", script, "sh", str(disk.image),
                                   str(disk.mountpoint), node_exporter, f"127.0.0.1:{port}"], log_dir, url=url)
    wait_until(http_ok(f"{url}/metrics"), 30, "node-exporter with a small disk", proc)
    disk.process = proc
    return proc


@dataclass
class ServiceOptions:
    port: int
    model_metrics_port: int
    log_file: Path
    monitoring_interval: float = 1.0
    faults: tuple[str, ...] = ()
    extra_env: dict[str, str] = field(default_factory=dict)


def start_service(options: ServiceOptions, log_dir: Path) -> Process:
    """The Quantis demo service under uvicorn, ECS logs to ``options.log_file``."""
    url = f"http://127.0.0.1:{options.port}"
    env = {
        "QUANTIS_HOST": "127.0.0.1",
        "QUANTIS_PORT": str(options.port),
        "QUANTIS_MODEL_METRICS_PORT": str(options.model_metrics_port),
        "QUANTIS_MONITORING_INTERVAL": str(options.monitoring_interval),
        "QUANTIS_FAULTS": ",".join(options.faults),
        "OTEL_SERVICE_NAME": "quantis-api",
        "OBSCODE_LOG_FORMAT": "ecs",
        "OBSCODE_LOG_FILE": str(options.log_file),
        "PYTHONPATH": str(ROOT),
        **options.extra_env,
    }
    proc = spawn("service", [sys.executable, "-m", "stacks.quantis.service"], log_dir, env=env, cwd=ROOT, url=url)
    wait_until(http_ok(f"{url}/health"), 60, "quantis service", proc)
    wait_until(http_ok(f"http://127.0.0.1:{options.model_metrics_port}/metrics"), 30, "model metrics", proc)
    return proc
