"""The output layout: where each generated file of a stack goes, relative to
``generated/<stack>/``. Emitters write these paths, and checks, the tool runner, diff and
preview read them; no other module spells them out."""

from __future__ import annotations

PROMETHEUS_CONFIG = "prometheus/prometheus.yml"
RULES_DIR = "prometheus/rules/"
#: Alert tests (hand-written and synthesised) for ``promtool test rules``.
ALERT_TESTS_DIR = "prometheus/tests/"
ALERTMANAGER_CONFIG = "alertmanager/alertmanager.yml"
DASHBOARDS_DIR = "grafana/dashboards/"
DATASOURCES = "grafana/provisioning/datasources/datasources.yml"
DASHBOARD_PROVIDERS = "grafana/provisioning/dashboards/dashboards.yml"
ELK_DIR = "elk/"


def rule_file(name: str) -> str:
    """``prometheus/rules/<name>.yml``."""
    return f"{RULES_DIR}{name}.yml"


def dashboard(uid: str) -> str:
    """``grafana/dashboards/<uid>.json``."""
    return f"{DASHBOARDS_DIR}{uid}.json"


def alert_test(name: str) -> str:
    """``prometheus/tests/<name>.yml``."""
    return f"{ALERT_TESTS_DIR}{name}.yml"
