"""The request's span is current in the app, and no longer while the server sends the last body."""

from __future__ import annotations

import asyncio
import logging

from fastapi import BackgroundTasks, FastAPI
from opentelemetry import trace

log = logging.getLogger("tests.context")


def app_with_background_task() -> FastAPI:
    app = FastAPI()

    def after() -> None:
        log.info("background done")

    @app.get("/work")
    def work(tasks: BackgroundTasks) -> dict[str, bool]:
        tasks.add_task(after)
        return {"ok": True}

    return app


def drive(app: FastAPI) -> list[tuple[str, bool, bool]]:
    """(message type, more_body, a valid span current while the server got it) per message."""
    seen: list[tuple[str, bool, bool]] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict) -> None:
        current = trace.get_current_span().get_span_context().is_valid
        seen.append((message["type"], bool(message.get("more_body", False)), current))

    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "GET",
        "scheme": "http", "path": "/work", "raw_path": b"/work", "query_string": b"",
        "root_path": "", "headers": [(b"host", b"testserver")], "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))
    return seen


def test_last_body_is_sent_outside_the_request_context(serve):
    served = serve(app_with_background_task())
    seen = drive(served.app)
    assert seen[0] == ("http.response.start", False, True)
    assert seen[-1] == ("http.response.body", False, False)


def test_span_is_current_again_for_background_tasks_after_the_response(serve):
    served = serve(app_with_background_task())
    drive(served.app)
    [span] = served.server_spans()
    [line] = [entry for entry in served.logs() if entry["message"] == "background done"]
    assert line["trace_id"] == format(span.context.trace_id, "032x")
    assert line["span_id"] == format(span.context.span_id, "016x")
