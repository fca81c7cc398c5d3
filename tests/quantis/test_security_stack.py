"""Security in the Quantis stack, without a live stack: the alerts and panels against the demo
service's own audit vocabulary, the local profile's durations, the login limiter and the audit
settings (tests/integration/test_security_live.py runs them for real)."""

from __future__ import annotations

from pathlib import Path

import pytest

from instrumentation.config import ConfigError
from obscode import AlertRule, RuleFile, RuleGroup
from obscode.checks import CheckContext, run_checks
from obscode.emit import render
from obscode.model.catalog import from_instrumentation
from stacks.quantis import stack as quantis
from stacks.quantis.config import CONFIG
from stacks.quantis.dashboards import security as security_dashboard
from stacks.quantis.profiles import local_config
from stacks.quantis.security_alerts import rule_files
from stacks.quantis.service.security import LoginLimiter, audit_config, audit_log_path, check_password

CATALOG_CHECKS = ("catalog/metric", "catalog/label")
KEY = "k" * 32


def _with_service_catalog(extra: list[AlertRule] = ()):
    """Quantis with the api job's audit catalog built from the demo service's AuditConfig: its
    declared resources, actions and limits are the only label values a query may ask for."""
    strict = from_instrumentation("instrumentation-audit", audit_config(environ={"OBSCODE_AUDIT_KEY": KEY}).specs())
    catalogs = {job: [strict if getattr(c, "name", c) == strict.name else c for c in refs]
                for job, refs in quantis.job_catalogs.items()}
    assert any(strict in refs for refs in catalogs.values()), "no job reads instrumentation-audit"
    rule_files_ = list(quantis.rule_files)
    if extra:
        rule_files_.append(RuleFile(name="extra", groups=[RuleGroup(name="extra", rules=list(extra))]))
    return quantis.model_copy(update={"job_catalogs": catalogs, "rule_files": rule_files_})


def _catalog_problems(stack) -> list[str]:
    return [str(p) for p in run_checks(CheckContext(stack=stack, files=render(stack)), only=CATALOG_CHECKS)]


def test_security_alerts_and_panels_ask_only_for_what_the_service_emits() -> None:
    assert _catalog_problems(_with_service_catalog()) == []


def test_a_resource_the_service_does_not_declare_is_refused() -> None:
    dataset = AlertRule(alert="DatasetDenied",
                        expr='sum(rate(audit_authorization_decisions_total{job="api", resource="dataset"}[5m])) > 0',
                        labels={"severity": "warning"}, annotations={"summary": "s", "description": "d"})
    found = _catalog_problems(_with_service_catalog([dataset]))
    assert any("dataset" in message and "resource" in message for message in found), found


def test_rules_carry_the_routing_labels_and_the_config_thresholds() -> None:
    s = CONFIG.security
    rules = {r.alert: r for r in rule_files(CONFIG)[0].groups[0].rules}
    assert set(rules) == {"BruteForceSuspected", "AuthorizationDenySpike", "RateLimitSaturation"}
    for rule in rules.values():
        assert {k: rule.labels[k] for k in ("severity", "category", "service", "owner")} == {
            "severity": "warning", "category": "security", "service": CONFIG.api.name, "owner": s.owner}
        assert rule.annotations["runbook_url"].startswith(CONFIG.runbook_base_url)
    assert rules["BruteForceSuspected"].expr.endswith(f"> {s.brute_force_failures_above:g}")
    assert f"> {s.deny_ratio_above:g})" in rules["AuthorizationDenySpike"].expr
    assert f"> {s.deny_rate_above:g})" in rules["AuthorizationDenySpike"].expr
    assert rules["RateLimitSaturation"].expr.endswith(f"> {s.rate_limited_ratio_above:g}")
    assert [r.for_ for r in rules.values()] == [s.for_brute_force, s.for_deny_spike, s.for_rate_limit]


def test_the_local_profile_shortens_the_security_for_durations() -> None:
    local = local_config(CONFIG).security
    assert (local.for_brute_force, local.for_deny_spike, local.for_rate_limit) == ("2s", "2s", "2s")  # 2s floor
    assert local.brute_force_failures_above == CONFIG.security.brute_force_failures_above
    rules = rule_files(local_config(CONFIG))[0].groups[0].rules
    assert {r.for_ for r in rules} == {"2s"}
    assert all("for 2 seconds" in r.annotations["description"] for r in rules)


def test_the_dashboard_colours_by_the_alert_thresholds() -> None:
    board = security_dashboard.build(CONFIG).to_json_data()
    assert board["uid"] == "quantis-security"
    reds = {panel.title: [t.value for t in panel.thresholds if t.color == "red"] for panel in board["panels"]
            if getattr(panel, "thresholds", None)}
    assert reds["Failed logins, busiest client (5m)"] == [CONFIG.security.brute_force_failures_above]
    assert reds["Deny ratio"] == [CONFIG.security.deny_ratio_above]
    assert reds["Rate-limited share by route"] == [CONFIG.security.rate_limited_ratio_above]


def test_login_limiter_counts_each_client_in_fixed_windows() -> None:
    now = [0.0]
    limiter = LoginLimiter(attempts=2, window=10.0, clock=lambda: now[0])
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]
    assert limiter.allow("b")  # another client has its own count
    now[0] = 9.9
    assert not limiter.allow("a")
    now[0] = 10.0  # a new window
    assert [limiter.allow("a"), limiter.allow("a"), limiter.allow("a")] == [True, True, False]


def test_check_password_knows_only_the_demo_users() -> None:
    assert check_password("ana@quantis.example.com", "demo-analyst")
    assert not check_password("ana@quantis.example.com", "demo-admin")
    assert not check_password("nobody@quantis.example.com", "demo-analyst")


def test_audit_settings_of_the_demo_service(tmp_path: Path) -> None:
    service_log = tmp_path / "logs" / "quantis-api.ndjson"
    config = audit_config(environ={"OBSCODE_LOG_FILE": str(service_log)})
    assert config.log_file == str(tmp_path / "logs" / "audit" / "quantis-api.ndjson") == str(audit_log_path(service_log))
    assert Path(config.log_file).parent.is_dir()
    assert config.resources == CONFIG.security.resources and config.limits == CONFIG.security.limits
    # No key given: a random one per process, so the lines still carry pseudonyms.
    assert len(config.key) == 32 and config.key != audit_config(environ={}).key
    assert audit_config(environ={"OBSCODE_AUDIT_KEY": KEY}).key == KEY.encode()
    assert audit_config(environ={"OBSCODE_AUDIT_LOG_FILE": str(tmp_path / "a.ndjson"),
                                 "OBSCODE_LOG_FILE": str(service_log)}).log_file == str(tmp_path / "a.ndjson")


def test_a_short_audit_key_is_refused_with_its_length() -> None:
    from instrumentation.audit import Auditor
    from instrumentation.metrics import MetricsPipeline

    with pytest.raises(ConfigError, match="OBSCODE_AUDIT_KEY is 6 bytes; a pseudonymisation key needs at least 32"):
        Auditor(audit_config(environ={"OBSCODE_AUDIT_KEY": "short!", "OBSCODE_AUDIT_LOG_FILE": "/dev/null"}),
                metrics=MetricsPipeline())
