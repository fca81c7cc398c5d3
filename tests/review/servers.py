"""Real servers for the review tests: Prometheus scraping itself, headless Chromium driven
over the DevTools protocol. Each is started on a free 127.0.0.1 port with a temp dir and
stopped by PID."""

from __future__ import annotations

import json
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import websocket

from obscode.layout.png import chromium_args

DEADLINE_SECONDS = 30.0


def stop(process: subprocess.Popen[bytes]) -> None:
    """Terminate ``process`` (by PID), kill it if it does not exit within 10 s."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_until(predicate: Any, what: str, deadline: float = DEADLINE_SECONDS, process: subprocess.Popen[bytes] | None = None) -> Any:
    """Poll ``predicate`` until it returns something truthy, or fail naming ``what``."""
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if process is not None and process.poll() is not None:
            raise AssertionError(f"{what}: the process exited with {process.returncode}")
        try:
            value = predicate()
        except (httpx.HTTPError, OSError, ValueError):
            value = None
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError(f"timed out after {deadline}s waiting for {what}")


def start_prometheus(binary: str, port: int, workdir: Path) -> subprocess.Popen[bytes]:
    """Prometheus on 127.0.0.1:``port`` scraping itself every second."""
    config = workdir / "prometheus.yml"
    config.write_text(
        "global:\n  scrape_interval: 1s\n  evaluation_interval: 1s\n"
        f"scrape_configs:\n  - job_name: prometheus\n    static_configs:\n      - targets: ['127.0.0.1:{port}']\n",
        encoding="utf-8")
    log = open(workdir / "prometheus.log", "wb")
    return subprocess.Popen(
        [binary, f"--config.file={config}", f"--storage.tsdb.path={workdir / 'data'}",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=log, stderr=subprocess.STDOUT)


def has_samples(url: str, query: str) -> bool:
    body = httpx.get(f"{url}/api/v1/query", params={"query": query}, timeout=2).json()
    return body.get("status") == "success" and bool(body["data"]["result"])


@dataclass
class Browser:
    """Headless Chromium with one page, driven over the DevTools protocol."""

    process: subprocess.Popen[bytes]
    socket: websocket.WebSocket
    events: list[dict[str, Any]] = field(default_factory=list)
    _next_id: int = 0

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self._next_id += 1
        self.socket.send(json.dumps({"id": self._next_id, "method": method, "params": params}))
        end = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < end:
            message = json.loads(self.socket.recv())
            if message.get("id") == self._next_id:
                if "error" in message:
                    raise AssertionError(f"{method} failed: {message['error']}")
                return message.get("result", {})
            self.events.append(message)
        raise AssertionError(f"no answer to {method} within {DEADLINE_SECONDS}s")

    def evaluate(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    def open(self, url: str) -> None:
        """Navigate and wait for the load event."""
        self.call("Page.navigate", url=url)
        end = time.monotonic() + DEADLINE_SECONDS
        while time.monotonic() < end:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events):
                return
            self.events.append(json.loads(self.socket.recv()))
        raise AssertionError(f"{url} did not finish loading within {DEADLINE_SECONDS}s")

    def console_errors(self) -> list[str]:
        """Uncaught exceptions, console.error/warn calls and browser log errors seen so far
        (a round trip first, so events the page sent before it are in)."""
        self.call("Runtime.evaluate", expression="0")
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                details = params.get("exceptionDetails", {})
                found.append(str(details.get("exception", {}).get("description") or details.get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") in ("error", "warning", "assert"):
                found.append(" ".join(str(a.get("value", a.get("description"))) for a in params.get("args", [])))
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") in ("error", "warning"):
                found.append(params["entry"].get("text", ""))
        return found


def start_browser(binary: str, profile: Path) -> Browser:
    process = subprocess.Popen(chromium_args(binary, profile) + ["--remote-debugging-port=0", "about:blank"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        port_file = profile / "DevToolsActivePort"
        port = wait_until(lambda: port_file.is_file() and port_file.read_text().split("\n")[0].strip(),
                          "Chromium's DevToolsActivePort", process=process)
        pages = wait_until(lambda: [t for t in httpx.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                                    if t.get("type") == "page"], "a Chromium page target", process=process)
        sock = websocket.create_connection(pages[0]["webSocketDebuggerUrl"], timeout=DEADLINE_SECONDS,
                                           suppress_origin=True)
        browser = Browser(process=process, socket=sock)
        for domain in ("Page.enable", "Runtime.enable", "Log.enable"):
            browser.call(domain)
        return browser
    except BaseException:
        stop(process)
        raise
