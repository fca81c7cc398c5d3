"""Model alerts beyond the seed's: prediction drift and prediction bias (model_health_alerts.yml).

Both read the model monitor's own series on the model_service job, so they carry its service
and owner; category ``model`` routes them to data-science-team, and the critical bias alert
pages too (and mutes the warning, by the inhibit rule's equal alertname and service).
"""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, with_runbooks
from .config import CONFIG, QuantisConfig

BIAS = 'model_prediction_error{metric_type="bias_percent"}'


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    m, job = config.model_health, config.model_service
    bias = [
        AlertRule(
            alert="HighPredictionBias",
            expr=f"abs({BIAS}) > {threshold:g}",
            for_=m.for_bias,
            labels=_labels(severity, "model", job.name, job.owner),
            annotations={
                "summary": "Biased forecasts from model {{ $labels.model_id }}",
                "description": "Predictions are {{ $value | printf \"%.1f\" }}% of actual volume off in one "
                               f"direction (more than {threshold:g}%) for {_human(m.for_bias)}",
            },
        )
        for severity, threshold in (("warning", m.bias_percent_warning), ("critical", m.bias_percent_critical))
    ]
    drift = AlertRule(
        alert="PredictionDriftDetected",
        expr="max by(model_id) (model_prediction_drifted) == 1",
        for_=m.for_prediction_drift,
        labels=_labels("warning", "model", job.name, job.owner),
        annotations={
            "summary": "Prediction drift for model {{ $labels.model_id }}",
            "description": "The recent predictions no longer follow the reference predictions' distribution "
                           f"for {_human(m.for_prediction_drift)}",
        },
    )
    return [with_runbooks(config, RuleFile(name="model_health_alerts", groups=[
        RuleGroup(name="model_health", rules=[*bias, drift]),
    ]))]
