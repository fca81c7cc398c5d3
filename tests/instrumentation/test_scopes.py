"""ASGI scopes as different servers build them: the middleware never fails a request over one."""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI

from instrumentation.middleware import ObscodeMiddleware


def hello() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def drive(app: FastAPI, **overrides: Any) -> int:
    """Send one request through the ASGI app with ``overrides`` applied to the scope; its status."""
    scope: dict[str, Any] = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/items/7", "raw_path": b"/items/7", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"api.test:8080")], "client": ("10.0.0.1", 5000),
        "server": ("api.test", 8080),
    }
    scope.update(overrides)
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(app(scope, receive, send))
    return sent[0]["status"]


def middleware_of(app: FastAPI) -> ObscodeMiddleware:
    stack = app.middleware_stack
    assert isinstance(stack, ObscodeMiddleware)
    return stack


def test_list_server_and_client_without_a_host_header(serve):
    """Some servers (Daphne, Starlette's test client) give lists; HTTP/1.0 may omit Host."""
    served = serve(hello())
    status = drive(served.app, http_version="1.0", headers=[], server=["10.1.2.3", 8000], client=["10.0.0.9", 1234])
    assert status == 200
    [span] = served.server_spans()
    assert span.attributes["server.address"] == "10.1.2.3" and span.attributes["server.port"] == 8000
    assert span.attributes["client.address"] == "10.0.0.9" and span.attributes["network.protocol.version"] == "1.0"
    assert served.access_logs()[0]["context"]["client"] == "10.0.0.9"


def test_cached_request_attributes_are_the_ones_computed_fresh(serve):
    served = serve(hello())
    for client in (("10.0.0.1", 1), ("10.0.0.2", 2), ("10.0.0.1", 1)):
        assert drive(served.app, client=client) == 200
    first, second, third = served.server_spans()
    assert dict(first.attributes) == dict(third.attributes)
    assert {k: v for k, v in first.attributes.items() if not k.startswith("client.")} == {
        k: v for k, v in second.attributes.items() if not k.startswith("client.")
    }
    assert (second.attributes["client.address"], second.attributes["client.port"]) == ("10.0.0.2", 2)
    assert len(middleware_of(served.app)._attribute_cache) == 1


def test_query_strings_and_long_paths_are_not_cached(serve):
    served = serve(hello())
    long_path = "/items/" + "9" * 300
    assert drive(served.app, query_string=b"q=1") == 200
    assert drive(served.app, path=long_path, raw_path=long_path.encode()) == 200
    spans = served.server_spans()
    assert spans[0].attributes["url.query"] == "q=1"
    assert spans[1].attributes["url.path"] == long_path
    assert middleware_of(served.app)._attribute_cache == {}
