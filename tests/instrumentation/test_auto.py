"""``import instrumentation.auto``: every FastAPI app created afterwards is instrumented."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import json, logging
    import instrumentation.auto
    from fastapi import FastAPI
    from fastapi.testclient import TestClient

    app = FastAPI()

    @app.get("/orders/{order_id}")
    def order(order_id: int):
        logging.getLogger("orders").info("order read")
        return {"id": order_id}

    client = TestClient(app)
    response = client.get("/orders/5", headers={"traceparent": "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"})
    metrics = client.get("/metrics").text
    print("RESULT " + json.dumps({"status": response.status_code, "trace_header": response.headers.get("x-trace-id"),
                                  "metrics": metrics}))
""")


def run(env_extra: dict[str, str]) -> tuple[dict, list[dict]]:
    env = {**os.environ, **env_extra}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    [payload] = [json.loads(line[len("RESULT "):]) for line in lines if line.startswith("RESULT ")]
    logs = [json.loads(line) for line in lines if line.startswith("{")]
    return payload, logs


def test_auto_import_instruments_apps_from_the_environment():
    payload, logs = run({"OTEL_SERVICE_NAME": "orders-api", "OBSCODE_LOG_FORMAT": "json"})
    assert payload["status"] == 200
    assert payload["trace_header"] == "0af7651916cd43dd8448eb211c80319c"
    assert 'http_requests_total{method="GET",path="/orders/{order_id}",status="200"} 1.0' in payload["metrics"]
    [line] = [entry for entry in logs if entry["message"] == "order read"]
    assert line["service"] == "orders-api"
    assert line["trace_id"] == "0af7651916cd43dd8448eb211c80319c"


def test_auto_import_with_a_bad_environment_fails_at_import_with_the_variable_name():
    env = {**os.environ, "OTEL_TRACES_SAMPLER": "sometimes"}
    result = subprocess.run([sys.executable, "-c", "import instrumentation.auto"],
                            capture_output=True, text=True, env=env, timeout=60)
    assert result.returncode != 0
    assert "ConfigError: OTEL_TRACES_SAMPLER='sometimes' is not supported" in result.stderr
