"""MLOps alerts (mlops_alerts.yml): a failed training or validation run, a model not trained
for too long, a validation worse than the deployed version's, and a rollback. Thresholds and
durations are ``config.mlops``.

Training runs come from the Pushgateway (``instrumentation.training``, job ``pushgateway``);
deployments and the deployed version (``model_info``) from the model monitor (job
``model_service``)."""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, with_runbooks
from .config import CONFIG, QuantisConfig


#: The version of each model the model monitor serves now.
SERVED = "max by (model_id, model_version) (model_info == 1)"


def deployed_validation(config: QuantisConfig, selector: str = "") -> str:
    """The deployed version's last validation result per model and metric: the newest sample
    within the lookback of the validation series whose model_version ``model_info`` marks as
    served. ``selector`` adds matchers (", metric=~..." ) for panels."""
    m = config.mlops
    return ("max by (model_id, metric) ("
            f'last_over_time(training_validation_metric{{kind="validation"{selector}}}[{m.validation_lookback}])'
            f" * on (model_id, model_version) group_left () {SERVED})")


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    m = config.mlops
    training = _labels("warning", "model", config.pushgateway.name, config.pushgateway.owner)
    serving = _labels("warning", "model", config.model_service.name, config.model_service.owner)
    newest = f'training_validation_metric{{kind="validation", metric="{m.regression_metric}"}}'
    rules = [
        AlertRule(
            alert="TrainingRunFailed",
            expr="max by (model_id, kind, model_version) (training_run_success) == 0",
            for_=m.for_training_failed,
            labels=training,
            annotations={
                "summary": "The latest {{ $labels.kind }} run of model {{ $labels.model_id }} failed",
                "description": "The {{ $labels.kind }} run of version {{ $labels.model_version }} ended with an "
                               f"error; no later run has succeeded for {_human(m.for_training_failed)}",
            },
        ),
        AlertRule(
            alert="StaleModel",
            expr=f'time() - max by (model_id) (training_last_success_timestamp_seconds{{kind="training"}})'
                 f" > {seconds(m.stale_after)}",
            for_=m.for_stale_model,
            labels=training,
            annotations={
                "summary": "Model {{ $labels.model_id }} has not been trained for a long time",
                "description": f"No training run of the model has succeeded for more than {_human(m.stale_after)}",
            },
        ),
        AlertRule(
            alert="ValidationRegression",
            expr=f"max by (model_id, metric, model_version) ({newest})"
                 f" > on (model_id, metric) group_left () ({deployed_validation(config)}"
                 f" * {1 + m.regression_margin:g})",
            for_=m.for_validation_regression,
            labels=training,
            annotations={
                "summary": "Version {{ $labels.model_version }} of model {{ $labels.model_id }} validates worse "
                           "than the deployed version",
                "description": f"Its validation {m.regression_metric} ({{{{ $value }}}}) is more than "
                               f"{round(m.regression_margin * 100)}% above the deployed version's",
            },
        ),
        AlertRule(
            alert="ModelRolledBack",
            # The version rolled back to is the one model_info marks as served now.
            expr=f'(sum by (model_id) (increase(model_deployments_total{{kind="rollback", outcome="success"}}'
                 f"[{m.rollback_window}])) > 0) * on (model_id) group_left (model_version) {SERVED}",
            for_=m.for_rolled_back,
            labels=serving,
            annotations={
                "summary": "Model {{ $labels.model_id }} was rolled back to version {{ $labels.model_version }}",
                "description": f"A rollback of the model happened within the last {_human(m.rollback_window)}",
            },
        ),
    ]
    return [with_runbooks(config, RuleFile(name="mlops_alerts", groups=[RuleGroup(name="mlops", rules=rules)]))]


def seconds(duration: str) -> int:
    """'7d' -> 604800 (a Prometheus duration of one unit, as config.py writes them)."""
    units = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}
    return int(duration[:-1]) * units[duration[-1]]
