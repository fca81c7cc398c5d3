"""Access lines: the direct path writes what logging would, and yields to any user setup."""

from __future__ import annotations

import logging
import time

import pytest
from fastapi import FastAPI
from opentelemetry import trace
from opentelemetry.trace import NonRecordingSpan, SpanContext, TraceFlags

from instrumentation.logs import ACCESS_LOGGER, AccessInfo, StructuredFormatter

TRACE_ID, SPAN_ID = 0x0AF7651916CD43DD8448EB211C80319C, 0xB7AD6B7169203331
AWKWARD = AccessInfo(
    method="GET", route='/ünï/"{id}"\\x', path="/ünï/\"7\"\\x\n", status=201, duration_ms=12.346,
    client="::1", user_agent='agent "quoted" é', headers=[(b"authorization", b"Bearer x"), (b"x-a", b"1")],
)
PLAIN = AccessInfo("POST", "/items", "/items", 200, 0.5, None, None, [])


def via_logging(formatter: StructuredFormatter, info: AccessInfo, created: float, traced: bool) -> str:
    record = logging.LogRecord(ACCESS_LOGGER, logging.INFO, "", 0, "%s %s %s",
                               (info.method, info.route, info.status), None)
    record.created = created
    record.http_access = info
    if not traced:
        return formatter.format(record)
    span = NonRecordingSpan(SpanContext(TRACE_ID, SPAN_ID, is_remote=False, trace_flags=TraceFlags(1)))
    with trace.use_span(span):
        return formatter.format(record)


@pytest.mark.parametrize("mode", ["json", "ecs"])
@pytest.mark.parametrize("headers", [False, True], ids=["no-headers", "headers"])
@pytest.mark.parametrize("info", [AWKWARD, PLAIN], ids=["awkward", "plain"])
@pytest.mark.parametrize("traced", [True, False], ids=["traced", "untraced"])
def test_direct_line_is_the_line_logging_would_write(mode, headers, info, traced):
    formatter = StructuredFormatter(mode, service='svc "x"', version="1", environment="e", access_headers=headers)
    created = 1_700_000_000.0421
    ids = (format(TRACE_ID, "032x"), format(SPAN_ID, "016x")) if traced else (None, None)
    assert formatter.access_line(info, *ids, created) == via_logging(formatter, info, created, traced)


def hello_app() -> FastAPI:
    app = FastAPI()

    @app.get("/hello")
    def hello() -> dict[str, str]:
        return {"message": "hello"}

    return app


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


def test_a_handler_on_the_access_logger_receives_every_line(serve):
    served = serve(hello_app())
    collect = Collect()
    logging.getLogger(ACCESS_LOGGER).addHandler(collect)
    try:
        served.client.get("/hello")
    finally:
        logging.getLogger(ACCESS_LOGGER).removeHandler(collect)
    assert [record.getMessage() for record in collect.records] == ["GET /hello 200"]
    assert [line["message"] for line in served.access_logs()] == ["GET /hello 200"]


def test_a_filter_on_the_root_handler_still_filters_access_lines(serve):
    served = serve(hello_app())
    [handler] = logging.getLogger().handlers
    drop_access = logging.Filter("tests")  # passes only records of the "tests" logger tree
    handler.addFilter(drop_access)
    try:
        served.client.get("/hello")
    finally:
        handler.removeFilter(drop_access)
    assert served.access_logs() == []


def test_access_logger_level_silences_the_lines(serve):
    served = serve(hello_app())
    access = logging.getLogger(ACCESS_LOGGER)
    access.setLevel(logging.WARNING)
    try:
        served.client.get("/hello")
    finally:
        access.setLevel(logging.NOTSET)
    assert served.access_logs() == []


def test_direct_lines_carry_the_request_span_ids_and_a_current_timestamp(serve):
    served = serve(hello_app())
    before = time.time()
    served.client.get("/hello")
    [span] = served.server_spans()
    [line] = served.access_logs()
    assert line["trace_id"] == format(span.context.trace_id, "032x")
    assert line["span_id"] == format(span.context.span_id, "016x")
    assert line["timestamp"] >= time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(int(before)))
