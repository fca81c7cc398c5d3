"""A webhook sink standing in for PagerDuty, Slack and e-mail: Alertmanager posts each
notification to ``http://127.0.0.1:<port>/<receiver name>`` and the sink keeps (and
optionally prints) it, so you see which receiver each alert reached.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Delivery:
    """One alert of one notification, as a receiver got it."""

    receiver: str
    status: str  # firing | resolved
    labels: dict[str, str]
    received_at: float

    @property
    def alertname(self) -> str:
        return self.labels.get("alertname", "")


class WebhookSink:
    """Thread-safe record of deliveries; :meth:`wait_for` polls with a deadline."""

    def __init__(self, port: int = 0, on_delivery: Callable[[Delivery], None] | None = None) -> None:
        self._deliveries: list[Delivery] = []
        self._changed = threading.Condition()
        self._on_delivery = on_delivery
        sink = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                length = int(self.headers.get("content-length", 0))
                try:
                    body = json.loads(self.rfile.read(length) or b"{}")
                except json.JSONDecodeError:
                    self.send_response(400)
                    self.end_headers()
                    return
                sink._record(self.path.strip("/"), body)
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.port = int(self.server.server_address[1])
        self._thread = threading.Thread(target=self.server.serve_forever, name="webhook-sink", daemon=True)

    def start(self) -> WebhookSink:
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _record(self, receiver: str, body: dict[str, Any]) -> None:
        now = time.time()
        new = [Delivery(receiver, a.get("status", ""), dict(a.get("labels", {})), now) for a in body.get("alerts", [])]
        with self._changed:
            self._deliveries.extend(new)
            self._changed.notify_all()
        if self._on_delivery is not None:
            for delivery in new:
                self._on_delivery(delivery)

    def deliveries(self, alertname: str | None = None, status: str | None = None) -> list[Delivery]:
        with self._changed:
            found = list(self._deliveries)
        return [d for d in found if (alertname is None or d.alertname == alertname)
                and (status is None or d.status == status)]

    def receivers(self, alertname: str, status: str = "firing", since: float = 0.0) -> set[str]:
        return {d.receiver for d in self.deliveries(alertname, status) if d.received_at >= since}

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """True as soon as ``predicate()`` holds; False when ``timeout`` seconds pass first."""
        deadline = time.monotonic() + timeout
        with self._changed:
            while not predicate():
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._changed.wait(min(remaining, 0.5))
        return True


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=9099)
    args = parser.parse_args()
    sink = WebhookSink(args.port, on_delivery=lambda d: print(f"[{d.receiver}] {d.status}: {d.labels}", flush=True))
    print(f"webhook sink on http://127.0.0.1:{sink.port}/<receiver>", flush=True)
    sink.start()
    try:
        threading.Event().wait()
    except KeyboardInterrupt:
        sink.stop()


if __name__ == "__main__":
    main()
