"""instrumentation.audit: bounded-label security metrics and ECS lines on the audit stream."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import string
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI, HTTPException, Request
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.audit import AUDIT_DATASET, AuditConfig, Auditor, RateLimitedResponses
from instrumentation.audit.failures import SLOT_SECONDS, WINDOW_SECONDS
from instrumentation.catalog import AUDIT_METRICS, OTHER_VALUE, UNMATCHED_PATH
from instrumentation.config import ConfigError
from instrumentation.metrics import MetricsPipeline

KEY = b"k" * 32


@dataclass
class Audited:
    """An auditor on its own pipeline, writing to its own file."""

    auditor: Auditor
    pipeline: MetricsPipeline
    log_path: Path
    clock: list[float]

    def lines(self) -> list[dict[str, Any]]:
        self.auditor.stream.handler.flush()
        text = self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""
        return [json.loads(line) for line in text.splitlines()]

    def raw(self) -> str:
        self.auditor.stream.handler.flush()
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""

    def exposition(self) -> str:
        return self.pipeline.exposition().decode("utf-8")

    def sample(self, name: str, **labels: str) -> float:
        for family in text_string_to_metric_families(self.exposition()):
            for sample in family.samples:
                if sample.name == name and sample.labels == labels:
                    return sample.value
        raise AssertionError(f"no sample {name}{labels}")


@pytest.fixture
def audited(tmp_path: Path) -> Iterator[Callable[..., Audited]]:
    made: list[Audited] = []

    def _make(**options: Any) -> Audited:
        options.setdefault("key", KEY)
        options.setdefault("resources", ("forecast", "dataset"))
        options.setdefault("limits", ("login",))
        path = tmp_path / f"audit{len(made)}.log"
        clock = [1000.0]
        pipeline = MetricsPipeline()
        auditor = Auditor(AuditConfig(service="api", log_file=str(path), **options),
                          metrics=pipeline, clock=lambda: clock[0])
        made.append(Audited(auditor, pipeline, path, clock))
        return made[-1]

    yield _make
    for item in made:
        item.auditor.close()


def pseudonym(value: str) -> str:
    return hmac.new(KEY, value.encode(), hashlib.sha256).hexdigest()


def test_an_authentication_is_counted_by_method_and_outcome(audited):
    audit = audited()
    audit.auditor.authentication(False, "password", user_id="uid:alice")
    audit.auditor.authentication("success", "password", user_id="uid:alice")
    audit.auditor.authentication(False, "password", user_id="uid:alice")
    assert audit.sample("audit_authentication_events_total", auth_method="password", outcome="failure") == 2
    assert audit.sample("audit_authentication_events_total", auth_method="password", outcome="success") == 1


def test_an_undeclared_label_value_is_counted_and_written_as_other(audited):
    audit = audited()
    audit.auditor.authentication(True, "carrier-pigeon")
    audit.auditor.authorization("deny", "uid:bob's-invoices", "read")
    audit.auditor.data_access("dataset", "exfiltrate")
    audit.auditor.rate_limited("per-user-9f3")
    assert audit.sample("audit_authentication_events_total", auth_method=OTHER_VALUE, outcome="success") == 1
    assert audit.sample("audit_authorization_decisions_total", decision="deny", resource=OTHER_VALUE,
                        action="read") == 1
    assert audit.sample("audit_data_access_events_total", resource="dataset", action=OTHER_VALUE,
                        outcome="success") == 1
    assert audit.sample("audit_rate_limit_hits_total", limit=OTHER_VALUE) == 1
    assert [line["labels"] for line in audit.lines()] == [
        {"auth_method": OTHER_VALUE},
        {"decision": "deny", "resource": OTHER_VALUE, "action": "read"},
        {"resource": "dataset", "action": OTHER_VALUE},
        {"limit": OTHER_VALUE},
    ]
    assert "bob" not in audit.exposition() + audit.raw()


def test_every_declared_series_starts_at_zero(audited):
    audit = audited(resources=("forecast",), actions=("read",), limits=("login",))
    assert audit.sample("audit_authorization_decisions_total", decision="deny", resource="forecast",
                        action="read") == 0
    assert audit.sample("audit_data_access_events_total", resource=OTHER_VALUE, action=OTHER_VALUE,
                        outcome="failure") == 0
    assert audit.sample("audit_rate_limit_hits_total", limit="login") == 0
    assert audit.sample("audit_authentication_events_total", auth_method="mfa", outcome="failure") == 0


def test_exposed_families_are_the_catalogs_with_declared_label_values(audited):
    audit = audited(resources=("forecast",), actions=("read",), limits=("login",))
    audit.auditor.rate_limited_response("GET", "/items/{item_id}")
    families = {family.name: family for family in text_string_to_metric_families(audit.exposition())}
    by_name = {spec.prometheus_name: spec for spec in AUDIT_METRICS}
    assert set(families) == set(by_name)
    for name, family in families.items():
        spec = by_name[name]
        for sample in family.samples:
            assert set(sample.labels) == set(spec.labels)
            for label, allowed in spec.label_values.items():
                assert sample.labels[label] in allowed


def test_an_authentication_line_is_ecs_on_the_audit_dataset(audited):
    audit = audited()
    audit.auditor.authentication(False, "password", user_id="uid:alice", client="10.1.2.3")
    [line] = audit.lines()
    assert line["event"] == {
        "kind": "event", "dataset": AUDIT_DATASET, "category": ["authentication"], "type": ["start"],
        "action": "authentication", "outcome": "failure",
    }
    assert line["log.logger"] == "instrumentation.audit"
    assert line["log.level"] == "WARNING"
    assert line["ecs.version"]
    assert line["service"]["name"] == "api"
    assert line["user"] == {"id": pseudonym("uid:alice")}
    assert line["source"] == {"address": pseudonym("10.1.2.3")}
    assert "context" not in line


def test_authorization_and_data_access_lines_name_resource_action_and_outcome(audited):
    audit = audited()
    audit.auditor.authorization(True, "forecast", "read", user_id=42)
    audit.auditor.data_access("dataset", "delete", records=7, outcome=False)
    allow, access = audit.lines()
    assert (allow["event"]["category"], allow["event"]["action"], allow["event"]["outcome"]) == (
        ["iam"], "authorization", "success")
    assert allow["labels"] == {"decision": "allow", "resource": "forecast", "action": "read"}
    assert allow["user"] == {"id": pseudonym("42")}
    assert access["event"]["category"] == ["database"]
    assert access["event"]["type"] == ["change"]
    assert (access["event"]["action"], access["event"]["outcome"]) == ("data-access", "failure")
    assert access["labels"] == {"resource": "dataset", "action": "delete", "records": "7"}


def test_a_decision_that_is_neither_allow_nor_deny_is_refused(audited):
    audit = audited()
    with pytest.raises(ValueError, match="authorization decision must be 'allow', 'deny', True or False, got 'maybe'"):
        audit.auditor.authorization("maybe", "forecast", "read")


def test_without_a_key_no_user_id_or_client_is_written_and_a_warning_says_so(audited, capsys):
    audit = audited(key=None)
    audit.auditor.authentication(False, "password", user_id="uid:alice", client="10.1.2.3")
    audit.auditor.data_access("dataset", "read", user_id="uid:alice")
    lines = audit.lines()
    assert all("user" not in line and "source" not in line for line in lines)
    assert "uid:alice" not in audit.raw() and "10.1.2.3" not in audit.raw()
    assert "OBSCODE_AUDIT_KEY is not set, so audit lines carry no user.id and no source.address" in (
        capsys.readouterr().err)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    user=st.text(string.ascii_letters + string.digits + "@.-_", min_size=1, max_size=30),
    keyed=st.booleans(),
)
def test_a_raw_user_id_never_appears_in_any_output(audited, user, keyed):
    raw = f"uid:{user}"
    audit = audited(key=KEY if keyed else None)
    audit.auditor.authentication(False, "password", user_id=raw, client=f"client:{user}")
    audit.auditor.authorization("deny", "forecast", "read", user_id=raw)
    audit.auditor.rate_limited("login", user_id=raw)
    audit.auditor.data_access("dataset", "read", user_id=raw)
    output = audit.raw() + audit.exposition()
    assert raw not in output
    assert f"client:{user}" not in output
    audit.auditor.close()


def test_a_short_key_is_refused_with_its_length(audited):
    with pytest.raises(ConfigError, match="OBSCODE_AUDIT_KEY is 6 bytes; a pseudonymisation key needs at least 32"):
        audited(key=b"secret")


def test_the_configuration_is_read_from_the_environment():
    config = AuditConfig.from_env(service="api", environ={
        "OBSCODE_AUDIT_KEY": "x" * 40, "OBSCODE_AUDIT_RESOURCES": "forecast, dataset",
        "OBSCODE_AUDIT_LIMITS": "login", "OBSCODE_AUDIT_LOG_FILE": "audit.log",
    })
    assert (config.key, config.resources, config.limits, config.log_file) == (
        b"x" * 40, ("forecast", "dataset"), ("login",), "audit.log")
    assert "x" * 40 not in repr(config)


def test_declaring_other_is_refused():
    with pytest.raises(ConfigError, match="audit resources: 'other' is the value undeclared names fold to"):
        AuditConfig(resources=("forecast", "other"))


def test_an_unknown_option_is_refused_with_the_known_ones():
    with pytest.raises(ConfigError, match="unknown audit option\\(s\\): resource; known options: actions, key"):
        AuditConfig.from_env(environ={}, resource=("forecast",))


def test_the_top_client_gauge_counts_one_clients_failures_over_five_minutes(audited):
    audit = audited()
    for _ in range(5):
        audit.auditor.authentication(False, "password", client="10.0.0.1")
    for _ in range(2):
        audit.auditor.authentication(False, "password", client="10.0.0.2")
    audit.auditor.authentication(True, "password", client="10.0.0.3")
    assert audit.sample("audit_authentication_failures_top_client") == 5
    audit.clock[0] += WINDOW_SECONDS - SLOT_SECONDS
    audit.auditor.authentication(False, "password", client="10.0.0.2")
    assert audit.sample("audit_authentication_failures_top_client") == 5
    audit.clock[0] += SLOT_SECONDS
    assert audit.sample("audit_authentication_failures_top_client") == 1
    audit.clock[0] += WINDOW_SECONDS
    assert audit.sample("audit_authentication_failures_top_client") == 0


def limited_app(audit: Auditor) -> FastAPI:
    app = FastAPI()
    app.add_middleware(RateLimitedResponses, auditor=audit)
    remaining = {"login": 1}

    @app.post("/login")
    def login(request: Request) -> dict[str, bool]:
        if remaining["login"] == 0:
            audit.rate_limited("login", request=request)
            raise HTTPException(status_code=429, detail="slow down")
        remaining["login"] -= 1
        audit.authentication(True, "password", user_id="uid:carol", request=request)
        return {"ok": True}

    @app.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        if item_id > 100:
            raise HTTPException(status_code=429)
        return {"item": item_id}

    return app


def test_429_responses_are_counted_by_route_template(audited):
    audit = audited()
    with TestClient(limited_app(audit.auditor)) as client:
        assert client.post("/login").status_code == 200
        assert client.post("/login").status_code == 429
        assert client.post("/login").status_code == 429
        assert client.get("/items/7").status_code == 200
        assert client.get("/items/101").status_code == 429
    assert audit.sample("audit_rate_limited_responses_total", method="POST", path="/login") == 2
    assert audit.sample("audit_rate_limited_responses_total", method="GET", path="/items/{item_id}") == 1
    assert audit.sample("audit_rate_limit_hits_total", limit="login") == 2
    assert UNMATCHED_PATH not in audit.exposition()
    assert "/items/101" not in audit.exposition()


def test_the_client_address_is_taken_from_the_request(audited):
    audit = audited()
    with TestClient(limited_app(audit.auditor)) as client:
        client.post("/login")
    [line] = audit.lines()
    assert line["source"] == {"address": pseudonym("testclient")}
    assert line["user"] == {"id": pseudonym("uid:carol")}


def test_audit_lines_stay_out_of_the_app_logs_and_app_logs_out_of_the_audit_stream(audited, serve):
    audit = audited()
    app = limited_app(audit.auditor)
    served = serve(app)
    served.client.post("/login")
    logging.getLogger("tests.audit").warning("an application line")
    app_lines = served.logs()
    assert not [line for line in app_lines if line.get("logger") == "instrumentation.audit"]
    assert [line["message"] for line in app_lines if line.get("logger") == "tests.audit"] == ["an application line"]
    assert [line["message"] for line in audit.lines()] == ["authentication success (password)"]
    [line] = audit.lines()
    assert len(line["trace"]["id"]) == 32  # the audit line points at the request's trace


def test_the_specs_declare_the_services_resources_actions_and_limits_for_the_checks():
    from obscode.model.catalog import from_instrumentation

    config = AuditConfig(resources=("forecast",), actions=("read",), limits=("login",))
    catalog = from_instrumentation("api-audit", config.specs())
    metrics = {metric.name: metric for metric in catalog.metrics}
    assert metrics["audit_authorization_decisions_total"].label_values == {
        "decision": ["allow", "deny"], "resource": ["forecast", "other"], "action": ["read", "other"]}
    assert metrics["audit_rate_limit_hits_total"].label_values == {"limit": ["login", "other"]}
    assert set(metrics) == {"audit_authentication_events_total", "audit_authorization_decisions_total",
                            "audit_rate_limit_hits_total", "audit_rate_limited_responses_total",
                            "audit_data_access_events_total", "audit_authentication_failures_top_client"}


def test_the_audit_configuration_imports_without_opentelemetry():
    import subprocess
    import sys

    code = ("import sys; from instrumentation.audit.config import AuditConfig; AuditConfig().specs(); "
            "print(sorted(m for m in sys.modules if m.startswith('opentelemetry')))")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "[]"


def test_two_auditors_write_only_to_their_own_streams(audited):
    first, second = audited(), audited()
    first.auditor.authentication(True, "password")
    second.auditor.rate_limited("login")
    assert [line["event"]["action"] for line in first.lines()] == ["authentication"]
    assert [line["event"]["action"] for line in second.lines()] == ["rate-limit"]


def flatten(doc: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in doc.items():
        if isinstance(value, dict):
            out.update(flatten(value, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = value
    return out


def test_every_audit_line_has_only_the_declared_fields_and_every_always_field(audited, serve):
    from instrumentation.audit.fields import AUDIT_LOG_FIELDS

    audit = audited()
    served = serve(limited_app(audit.auditor))
    served.client.post("/login")
    audit.auditor.authentication(False, "mfa", user_id="uid:x", client="10.0.0.1")
    audit.auditor.authorization(False, "forecast", "update", user_id="uid:x")
    audit.auditor.rate_limited("login", client="10.0.0.1")
    audit.auditor.data_access("dataset", "read", records=3)
    declared = {field.name: field for field in AUDIT_LOG_FIELDS}
    always = {field.name for field in AUDIT_LOG_FIELDS if field.always}
    lines = [flatten(line) for line in audit.lines()]
    assert len(lines) == 5
    for line in lines:
        assert set(line) <= set(declared), set(line) - set(declared)
        assert always <= set(line), always - set(line)
        for name, value in line.items():
            kind = declared[name].type
            assert isinstance(value, int) if kind == "long" else (
                isinstance(value, str) or (isinstance(value, list) and all(isinstance(v, str) for v in value)))


def test_a_closed_auditor_is_not_flushed_into_its_closed_file_at_exit(tmp_path):
    import subprocess
    import sys

    code = ("from instrumentation.audit import AuditConfig, Auditor\n"
            "from instrumentation.metrics import MetricsPipeline\n"
            f"audit = Auditor(AuditConfig(key=b'k' * 32, log_file={str(tmp_path / 'a.log')!r}), "
            "metrics=MetricsPipeline())\n"
            "audit.authentication(True, 'password')\n"
            "audit.close()\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stderr == ""
    assert (tmp_path / "a.log").read_text(encoding="utf-8").count("\n") == 1


def test_the_failure_window_forgets_the_stalest_client_past_its_bound():
    from instrumentation.audit.failures import FailureWindow

    now = [0.0]
    window = FailureWindow(lambda: now[0], max_clients=3)
    for _ in range(9):
        window.add("stale")
    for client in ("a", "b", "c"):
        now[0] += 1
        window.add(client)
    assert window.top() == 1
    assert len(window._clients) == 3
