"""One live stack under load (forecasts, injected 5xx errors, SQL on a real PostgreSQL):
every panel query of every generated dashboard returns data from the live Prometheus, and
every log line the service wrote fits the generated Elasticsearch index template and ECS.
"""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from obscode.grafana_vars import BUILTIN_DURATIONS
from stacks.quantis.service import activity, postgres, security, train
from stacks.quantis.service.app import MODEL_VERSION
from stacks.quantis.service.live import LiveStack
from tests.conftest import ROOT
from tests.elk.ecs import check_line, flatten, mapping_types
from tests.integration.conftest import Load, burst

pytestmark = pytest.mark.integration

DASHBOARDS = sorted((ROOT / "generated" / "quantis" / "grafana" / "dashboards").glob("*.json"))
TEMPLATE = ROOT / "generated" / "quantis" / "elk" / "elasticsearch" / "index_template" / "quantis-logs.json"
#: Dashboards whose panels need the database exporter.
DATABASE_DASHBOARDS = {"database"}
DEADLINE = 40.0


@pytest.fixture(scope="module")
def under_load(loaded_live: LiveStack) -> LiveStack:
    live = loaded_live
    burst(live, 80)
    if live.pg_port is not None:
        postgres.run_sql(live.pg_port, "CREATE TABLE IF NOT EXISTS sales(id int, v float); "
                                       "INSERT INTO sales SELECT g, g * 1.5 FROM generate_series(1, 1000) g; "
                                       "SELECT count(*) FROM sales;")
    with Load(live, workers=2) as load:
        live.set_fault("errors", True)  # some 500s (and their logged stack traces)
        assert live.sink.wait_for(lambda: load.statuses.get(500, 0) >= 3, 20), load.statuses
        live.set_fault("errors", False)
        assert live.sink.wait_for(lambda: load.sent > 300, 30), load.sent
    # The MLOps dashboard reads pushed runs: a training and a validation of the served version.
    for kind in ("training", "validation"):
        train.run(kind, MODEL_VERSION, "under-load", gateway=live.pushgateway_url)
    # The Security and User Activity dashboards read logins, denied reads and signed-in use.
    _drive_for(live, 3.0, security.brute_force, security.denied_reads, activity.funnel_drop)
    with httpx.Client(timeout=10.0) as client:
        for n in range(6):
            headers = activity.signed_in(n)
            client.post(f"{live.service_url}/api/export", headers=headers, json={"store_id": n % 8, "horizon": 7})
            client.post(f"{live.service_url}/api/sessions/end", headers=headers,
                        json={"seconds": 60.0 * (n + 1)}).raise_for_status()
    return live


def _drive_for(live: LiveStack, seconds: float, *drivers: Any) -> None:
    """Run each demo traffic driver (``driver(base_url, stop)``) in a thread for ``seconds``."""
    stop = threading.Event()
    threads = [threading.Thread(target=driver, args=(live.service_url, stop), daemon=True) for driver in drivers]
    for thread in threads:
        thread.start()
    stop.wait(seconds)
    stop.set()
    for thread in threads:
        thread.join(15)


def _panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = list(dashboard.get("panels", []))
    while stack:
        panel = stack.pop(0)
        found.append(panel)
        stack.extend(panel.get("panels", []))
    return found


def _substitute(expr: str, values: dict[str, str]) -> str:
    for name, duration in BUILTIN_DURATIONS.items():
        expr = expr.replace(f"${{{name}}}", duration).replace(f"${name}", duration)
    for name in sorted(values, key=len, reverse=True):
        expr = expr.replace(f"${{{name}}}", values[name]).replace(f"${name}", values[name])
    return expr


def _resolve_variables(live: LiveStack, dashboard: dict[str, Any]) -> tuple[dict[str, str], list[str]]:
    """Each query variable set to "All" of its real values, as Grafana would (a|b|c);
    and the variables that have no value yet."""
    values: dict[str, str] = {}
    missing: list[str] = []
    for variable in dashboard.get("templating", {}).get("list", []):
        query = variable.get("query")
        query = query.get("query") if isinstance(query, dict) else query
        if variable.get("type") != "query" or not str(query).startswith("label_values("):
            continue
        inner = _substitute(str(query)[len("label_values("):-1], values)
        selector, _, label = inner.rpartition(",")
        body = live.client.get(f"{live.prometheus_url}/api/v1/series", params={"match[]": selector.strip()}).json()
        found = sorted({s[label.strip()] for s in body.get("data", []) if label.strip() in s})
        if not found:
            missing.append(f"${variable['name']} ({query})")
        values[variable["name"]] = "|".join(found)
    return values, missing


@pytest.mark.parametrize("path", DASHBOARDS, ids=[p.stem for p in DASHBOARDS])
def test_every_panel_query_returns_series(under_load: LiveStack, path: Path) -> None:
    live = under_load
    # The error-budget dashboard queries the SLOs' windows, which the local profile shortens:
    # read the one generated for the live stack.
    local = live.workdir / "generated" / "grafana" / "dashboards" / path.name
    dashboard = json.loads((local if path.stem == "quantis-slos" else path).read_text())
    # ALERTS has a series only while an alert fires: "tiers firing" is empty on a healthy stack.
    queries = [(panel["title"], target["expr"]) for panel in _panels(dashboard)
               for target in panel.get("targets", []) if target.get("expr") and "ALERTS{" not in target["expr"]]
    assert queries, f"{path.name} has no panel queries"
    if path.stem in DATABASE_DASHBOARDS and "database" in live.missing:
        titles = sorted({title for title, _ in queries})
        pytest.skip(f"not covered (no PostgreSQL/exporter: {live.missing['database']}): {', '.join(titles)}")

    empty: list[str] = []
    deadline = time.monotonic() + DEADLINE
    while True:
        values, missing = _resolve_variables(live, dashboard)
        empty = [f"variable {name} has no values" for name in missing]
        empty += [f"{title}: {expr}" for title, expr in queries if not live.query(_substitute(expr, values))]
        if not empty or time.monotonic() > deadline:
            break
        burst(live, 20)
        time.sleep(0.5)
    assert not empty, f"{path.name}: panels with no series after load:\n  " + "\n  ".join(empty)


def test_service_log_lines_fit_the_index_template_and_ecs(under_load: LiveStack) -> None:
    template = json.loads(TEMPLATE.read_text())
    types = mapping_types(template["template"]["mappings"]["properties"])
    lines = under_load.service_log.read_text().splitlines()
    docs = [json.loads(line) for line in lines]
    assert len(docs) > 100, f"only {len(docs)} log lines"
    problems: list[str] = []
    for number, doc in enumerate(docs, start=1):
        problems += [f"line {number}: {p}" for p in check_line(doc, types)]
    assert not problems, "\n".join(problems[:30])
    seen = {path for doc in docs for path in flatten(doc, types)}
    # The load produced every kind of line: access lines, traced app lines and errors.
    for field in ("http.response.status_code", "event.duration", "trace.id", "error.stack_trace", "context"):
        assert field in seen, f"no log line carried {field}"
