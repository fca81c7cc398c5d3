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
#: Kibana saved objects (data views, saved searches) for the saved-objects import.
KIBANA_SAVED_OBJECTS = "elk/kibana/saved_objects.ndjson"
#: One file per Kubernetes object: ``kubernetes/<kind>-<name>.yaml`` (kind in lower case).
KUBERNETES_DIR = "kubernetes/"
#: Thanos Ruler rule files (the Prometheus groups with ``partial_response_strategy``).
THANOS_RULES_DIR = "thanos/rules/"
#: Mimir / Cortex ruler files: one namespace per rule file, as ``mimirtool rules load`` reads.
MIMIR_RULES_DIR = "mimir/rules/"
#: OpenSLO v1 documents, one multi-document file per SLO.
OPENSLO_DIR = "openslo/"


def rule_file(name: str) -> str:
    """``prometheus/rules/<name>.yml``."""
    return f"{RULES_DIR}{name}.yml"


def dashboard(uid: str) -> str:
    """``grafana/dashboards/<uid>.json``."""
    return f"{DASHBOARDS_DIR}{uid}.json"


def alert_test(name: str) -> str:
    """``prometheus/tests/<name>.yml``."""
    return f"{ALERT_TESTS_DIR}{name}.yml"


def kubernetes_object(kind: str, name: str) -> str:
    """``kubernetes/<kind>-<name>.yaml``: ``kubernetes/prometheusrule-api.yaml``."""
    return f"{KUBERNETES_DIR}{kind.lower()}-{name}.yaml"


def thanos_rule_file(name: str) -> str:
    """``thanos/rules/<name>.yml``."""
    return f"{THANOS_RULES_DIR}{name}.yml"


def mimir_rule_file(name: str) -> str:
    """``mimir/rules/<name>.yml``: the rule file ``name`` as Mimir namespace ``name``."""
    return f"{MIMIR_RULES_DIR}{name}.yml"


def openslo_file(slo: str) -> str:
    """``openslo/<slo>.yaml``: the OpenSLO documents of one SLO."""
    return f"{OPENSLO_DIR}{slo}.yaml"
