"""The seed's alert rules: system_alerts.yml (group system) and model_alerts.yml (group models),
and the labels and runbook link every Quantis alert carries."""

from __future__ import annotations

import re
from collections.abc import Callable

from obscode import SLO, AlertRule, RuleFile, RuleGroup
from obscode.slo.names import alert_name

from .config import CONFIG, QuantisConfig


_UNIT_WORDS = {"s": "second", "m": "minute", "h": "hour", "d": "day"}


def _human(duration: str) -> str:
    """'5m' -> '5 minutes', for annotation text."""
    number, unit = int(duration[:-1]), _UNIT_WORDS[duration[-1]]
    return f"{number} {unit}{'' if number == 1 else 's'}"


def _labels(severity: str, category: str, service: str, owner: str) -> dict[str, str]:
    """Routing labels: the route tree matches severity and category, and groups (and
    inhibits) by alertname and service, so every alert says which service it is about;
    ``owner`` names the team that answers it."""
    return {"severity": severity, "category": category, "service": service, "owner": owner}


def at_two_levels(alert: str, warning: float, critical: float, *, expr: Callable[[float], str], for_: str,
                  labels: Callable[[str], dict[str, str]], summary: str,
                  description: Callable[[float], str]) -> list[AlertRule]:
    """``alert`` at severity warning above ``warning`` and critical above ``critical``: two
    rules of one name, so the critical one mutes the warning (the inhibit rule's equal
    alertname and service). ``expr`` and ``description`` are written for each level's value,
    ``labels`` for each severity."""
    return [AlertRule(alert=alert, expr=expr(value), for_=for_, labels=labels(severity),
                      annotations={"summary": summary, "description": description(value)})
            for severity, value in (("warning", warning), ("critical", critical))]


def runbook_url(config: QuantisConfig, alert: str) -> str:
    """``HighCpuUsage`` -> ``<runbook_base_url>/high-cpu-usage``."""
    return f"{config.runbook_base_url}/{re.sub(r'(?<!^)(?=[A-Z])', '-', alert).lower()}"


def with_runbooks(config: QuantisConfig, rule_file: RuleFile) -> RuleFile:
    """``rule_file`` with each alert's runbook link as its last annotation (copies keep the
    line each rule was defined on, which problems and failed alert tests name)."""
    def linked(rule):
        if not isinstance(rule, AlertRule):
            return rule
        return rule.model_copy(update={"annotations": {**rule.annotations,
                                                       "runbook_url": runbook_url(config, rule.alert)}})
    groups = [group.model_copy(update={"rules": [linked(rule) for rule in group.rules]})
              for group in rule_file.groups]
    return rule_file.model_copy(update={"groups": groups})


def with_slo_owners(config: QuantisConfig, slos: list[SLO]) -> list[SLO]:
    """``slos`` with the runbook link and the owner label every Quantis alert carries: the
    owner of the scrape job the SLO's service is (``model-service`` is the job ``model_service``)."""
    owners = {job.name.replace("_", "-"): job.owner for job in (config.api, config.model_service)}
    return [slo.model_copy(update={"runbook_url": slo.runbook_url or runbook_url(config, alert_name(slo)),
                                   "labels": {**slo.labels, "owner": owners[slo.service]}})
            for slo in slos]


def system_alerts(config=CONFIG) -> RuleFile:
    t, f = config.thresholds, config.for_
    return with_runbooks(config, RuleFile(name="system_alerts", groups=[RuleGroup(name="system", rules=[
        AlertRule(
            alert="HighCpuUsage",
            expr=f'avg by(instance) (rate(node_cpu_seconds_total{{mode="idle"}}[5m])) < {t.cpu_idle_ratio_below}',
            for_=f.high_cpu,
            labels=_labels("warning", "system", config.node.name, config.node.owner),
            annotations={
                "summary": "High CPU usage on {{ $labels.instance }}",
                "description": f"CPU usage is above {round((1 - t.cpu_idle_ratio_below) * 100)}% for {_human(f.high_cpu)}",
            },
        ),
        *at_two_levels(
            "HighMemoryUsage", t.memory_used_ratio_above, t.memory_used_ratio_critical,
            expr=lambda ratio: "(node_memory_MemTotal_bytes - node_memory_MemAvailable_bytes)"
                               f" / node_memory_MemTotal_bytes > {ratio}",
            for_=f.high_memory,
            labels=lambda severity: _labels(severity, "system", config.node.name, config.node.owner),
            summary="High memory usage on {{ $labels.instance }}",
            description=lambda ratio: f"Memory usage is above {round(ratio * 100)}% for {_human(f.high_memory)}",
        ),
        AlertRule(
            alert="ServiceDown",
            expr="up == 0",
            for_=f.service_down,
            # Label values are templates: the service is the job whose target is down.
            labels=_labels("critical", "system", "{{ $labels.job }}", config.availability_owner),
            annotations={
                "summary": "Service {{ $labels.job }} is down",
                "description": f"Service has been down for more than {_human(f.service_down)}",
            },
        ),
    ])]))


def model_alerts(config=CONFIG) -> RuleFile:
    t, f = config.thresholds, config.for_
    return with_runbooks(config, RuleFile(name="model_alerts", groups=[RuleGroup(name="models", rules=[
        AlertRule(
            alert="HighModelError",
            expr=f'model_prediction_error{{metric_type="mape"}} > {t.model_mape_percent_above:g}',
            for_=f.high_model_error,
            labels=_labels("warning", "model", config.model_service.name, config.model_service.owner),
            annotations={
                "summary": "High error rate for model {{ $labels.model_id }}",
                "description": f"MAPE is above {t.model_mape_percent_above:g}% for {_human(f.high_model_error)}",
            },
        ),
        AlertRule(
            alert="DataDriftDetected",
            # The seed compared a score with 0.05; the monitor now decides drift with a
            # corrected statistical test and exports the decision per feature.
            expr="max by(model_id, feature_name) (model_feature_drifted) == 1",
            for_=f.data_drift,
            labels=_labels("warning", "model", config.model_service.name, config.model_service.owner),
            annotations={
                "summary": "Data drift detected for model {{ $labels.model_id }}",
                "description": "Feature {{ $labels.feature_name }} shows significant drift",
            },
        ),
        AlertRule(
            alert="SlowPredictions",
            expr="histogram_quantile(0.95, sum(rate(model_prediction_latency_seconds_bucket[5m])) by (le, model_id))"
                 f" > {t.prediction_p95_seconds_above}",
            for_=f.slow_predictions,
            labels=_labels("warning", "model", config.model_service.name, config.model_service.owner),
            annotations={
                "summary": "Slow predictions for model {{ $labels.model_id }}",
                "description": f"95th percentile prediction latency is above "
                               f"{round(t.prediction_p95_seconds_above * 1000)}ms for {_human(f.slow_predictions)}",
            },
        ),
    ])]))
