"""JSON and ECS log lines: fields, redaction, bad extras, failing sinks, hooks."""

from __future__ import annotations

import io
import logging
import re
import sys
from pathlib import Path

import pytest
from fastapi import FastAPI

from instrumentation.log_fields import LOG_FIELDS
from instrumentation.logs import StructuredFormatter
from instrumentation.redaction import MASK

log = logging.getLogger("tests.logs")
RFC3339_MS_UTC = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def app_with(extra: dict) -> FastAPI:
    app = FastAPI()

    @app.get("/work")
    def work() -> dict[str, bool]:
        log.info("working", extra=extra)
        return {"ok": True}

    return app


def flatten(doc: dict, prefix: str = "") -> set[str]:
    keys = set()
    for key, value in doc.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict) and name not in ("context", "http.request.headers"):
            keys |= flatten(value, name + ".")
        else:
            keys.add(name)
    return keys


def test_json_line_has_the_seed_fields(serve):
    served = serve(app_with({"user_id": "u1", "execution_time_ms": 125}))
    served.client.get("/work")
    [line] = [entry for entry in served.logs() if entry["message"] == "working"]
    assert list(line)[:8] == ["timestamp", "level", "service", "logger", "trace_id", "span_id", "message", "context"]
    assert RFC3339_MS_UTC.match(line["timestamp"])
    assert line["level"] == "INFO"
    assert line["service"] == "api"
    assert re.fullmatch(r"[0-9a-f]{32}", line["trace_id"])
    assert re.fullmatch(r"[0-9a-f]{16}", line["span_id"])
    assert line["context"] == {"user_id": "u1", "execution_time_ms": 125}


def test_one_access_line_per_request_with_method_route_status_duration_client(serve):
    served = serve(app_with({}))
    served.client.get("/work")
    served.client.get("/work")
    lines = served.access_logs()
    assert len(lines) == 2
    context = lines[0]["context"]
    assert (context["method"], context["path"], context["status"], context["client"]) == ("GET", "/work", 200, "testclient")
    assert context["duration_ms"] > 0


def test_access_log_can_be_switched_off(serve):
    served = serve(app_with({}), access_log=False)
    served.client.get("/work")
    assert served.access_logs() == []
    assert [entry["message"] for entry in served.logs() if entry["logger"] == "tests.logs"] == ["working"]


def test_library_logs_come_out_structured(serve):
    served = serve(app_with({}))
    served.client.get("/work")
    assert any(entry["logger"] == "httpx" for entry in served.logs())


def test_ecs_line_uses_ecs_names_and_declared_fields_only(serve):
    served = serve(app_with({"user_id": "u1"}), log_format="ecs")
    served.client.get("/work", headers={"user-agent": "tests"})
    declared = {field.name for field in LOG_FIELDS["ecs"]}
    lines = served.logs()
    for line in lines:
        assert flatten(line) <= declared, flatten(line) - declared
    app_line = next(entry for entry in lines if entry["message"] == "working")
    assert RFC3339_MS_UTC.match(app_line["@timestamp"])
    assert app_line["log.level"] == "INFO"
    assert app_line["ecs.version"]
    assert app_line["service"] == {"name": "api", "version": "1.2.3", "environment": "test"}
    assert re.fullmatch(r"[0-9a-f]{32}", app_line["trace"]["id"])
    assert app_line["context"] == {"user_id": "u1"}
    access = next(entry for entry in lines if entry["log.logger"] == "instrumentation.access")
    assert access["http"]["request"]["method"] == "GET"
    assert access["http"]["response"]["status_code"] == 200
    assert access["url"]["path"] == "/work"
    assert access["user_agent"]["original"] == "tests"
    assert access["event"]["duration"] > 0


def test_json_lines_use_declared_fields_only(serve):
    served = serve(app_with({"k": 1}))
    served.client.get("/work")
    served.client.get("/missing")
    declared = {field.name for field in LOG_FIELDS["json"]}
    for line in served.logs():
        assert flatten(line) <= declared


def test_secrets_are_masked_in_context_and_headers(serve):
    extra = {"password": "hunter2", "nested": {"api_key": "k", "access_token": "t", "keep": 1}}
    served = serve(app_with(extra), access_log_headers=True)
    served.client.get("/work", headers={"Authorization": "Bearer abc", "Cookie": "s=1", "X-Req": "visible"})
    line = next(entry for entry in served.logs() if entry["message"] == "working")
    assert line["context"] == {
        "password": MASK, "nested": {"api_key": MASK, "access_token": MASK, "keep": 1},
    }
    headers = served.access_logs()[0]["context"]["headers"]
    assert headers["authorization"] == MASK and headers["cookie"] == MASK
    assert headers["x-req"] == "visible"
    assert "hunter2" not in served.log_path.read_text() and "Bearer abc" not in served.log_path.read_text()


class Unprintable:
    def __repr__(self) -> str:
        raise RuntimeError("no repr for you")


def test_non_serialisable_extras_never_break_logging(serve):
    circular: dict = {}
    circular["self"] = circular
    served = serve(app_with({"obj": object(), "bad": Unprintable(), "loop": circular, "when": Path("/x")}))
    assert served.client.get("/work").status_code == 200
    line = next(entry for entry in served.logs() if entry["message"] == "working")
    assert line["context"]["obj"].startswith("<object object at")
    assert line["context"]["bad"] == "<unserialisable Unprintable>"
    assert line["context"]["loop"] == "<unserialisable dict>"


def test_bad_format_arguments_still_give_a_line():
    formatter = StructuredFormatter("json", service="api")
    record = logging.LogRecord("x", logging.INFO, "", 0, "%d items", ("many",), None)
    line = formatter.format(record)
    assert "formatting failed" in line and "%d items" in line


def test_unknown_log_format_is_refused_with_a_clear_message():
    with pytest.raises(ValueError, match="log format must be 'json' or 'ecs', got 'xml'"):
        StructuredFormatter("xml")


def errors_for(served, component: str) -> float:
    for line in served.metrics_text().splitlines():
        if line.startswith(f'obscode_instrumentation_errors_total{{component="{component}"}}'):
            return float(line.split()[-1])
    raise AssertionError(f"no error series for {component}")


def test_unwritable_log_file_is_counted_and_requests_succeed(serve, tmp_path, monkeypatch):
    monkeypatch.setattr(sys, "stderr", io.StringIO())
    served = serve(app_with({}), log_file=str(tmp_path / "missing-dir" / "app.log"))
    assert served.client.get("/work").status_code == 200
    assert errors_for(served, "log_sink") >= 1
    assert '"message":"working"' in sys.stderr.getvalue()


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
def test_log_sink_write_failures_are_counted_and_requests_succeed(serve):
    served = serve(app_with({}), log_file="/dev/full")
    for _ in range(3):
        assert served.client.get("/work").status_code == 200
    assert errors_for(served, "log_sink") >= 3


def test_a_raising_request_hook_is_counted_and_requests_succeed(serve):
    def hook(span, scope):
        raise ValueError("hook bug")

    served = serve(app_with({}), request_hook=hook)
    assert served.client.get("/work").status_code == 200
    assert errors_for(served, "hook") == 1.0
    assert len(served.server_spans()) == 1


def test_timestamps_are_utc_to_the_millisecond_whatever_order_they_come_in():
    """The formatter keeps the last second's and the last millisecond's text: lines in any
    order (threads, queued lines) still get their own time, truncated to the millisecond."""
    import datetime as dt

    from hypothesis import given, settings, strategies as st

    formatter = StructuredFormatter("json", service="api")
    # Whole milliseconds plus a fraction well inside them, so float rounding cannot cross one.
    instants = st.tuples(st.integers(0, 4_102_444_800_000), st.floats(0.05, 0.95))

    @settings(max_examples=300, deadline=None)
    @given(st.lists(instants, min_size=1, max_size=8))
    def check(times: list[tuple[int, float]]) -> None:
        for millisecond, fraction in times + times[::-1]:
            created = (millisecond + fraction) / 1000
            expected = dt.datetime.fromtimestamp(millisecond // 1000, dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
            assert formatter._timestamp(created) == f"{expected}.{millisecond % 1000:03d}Z"

    check()
