"""An ASGI app driven directly (no server, no sockets): ``_run`` is what bench_http's in-process
workers and callgrind runs time, in this tree and in the baseline commit's."""

from __future__ import annotations

import time
from typing import Any

_SCOPE: dict[str, Any] = {
    "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
    "scheme": "http", "path": "/hello", "raw_path": b"/hello", "query_string": b"",
    "root_path": "", "server": ("127.0.0.1", 8000), "client": ("127.0.0.1", 50000),
    "headers": [(b"host", b"127.0.0.1:8000"), (b"user-agent", b"bench"), (b"accept", b"*/*")],
}


async def _receive() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


async def _send(message: dict[str, Any]) -> None:
    return None


async def _run(app: Any, requests: int) -> float:
    start = time.perf_counter()
    for _ in range(requests):
        await app(dict(_SCOPE), _receive, _send)
    return (time.perf_counter() - start) / requests
