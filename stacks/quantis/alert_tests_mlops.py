"""Alert tests (promtool's, typed) of the MLOps alerts the synthesiser cannot write
(mlops_alerts.py): a rollback naming the version served after it, a model not trained for
``stale_after``, and a candidate validating worse than the served version. Thresholds and
durations are ``config.mlops``."""

from __future__ import annotations

from obscode import AlertExpectation, AlertTest, InputSeries, RuleFile

from .alert_tests import _at, _expected, _quiet_then_firing, _samples, _seconds
from .alerts import _human, _labels
from .config import CONFIG, QuantisConfig
from .mlops_alerts import rule_files

#: The alerts these tests name.
ALERTS: tuple[str, ...] = ("ModelRolledBack", "StaleModel", "ValidationRegression")

#: The job label of the series the training script pushes (instrumentation.training.DEFAULT_JOB).
_PUSHED_JOB = "training"
#: The validation series' labels besides model_id, model_version and metric, as the training script pushes them.
_VALIDATION = f'kind="validation", dataset_version="d1", job="{_PUSHED_JOB}"'


def _training_labels(config: QuantisConfig) -> dict[str, str]:
    return _labels("warning", "model", config.pushgateway.name, config.pushgateway.owner)


def _only(config: QuantisConfig, alertname: str) -> RuleFile:
    """The MLOps rule file with just ``alertname``: what a test over hours or days of samples
    loads, so promtool does not evaluate every rule of the stack at each step."""
    rule_file = rule_files(config)[0]
    groups = [group.model_copy(update={"rules": [r for r in group.rules if getattr(r, "alert", None) == alertname]})
              for group in rule_file.groups]
    return rule_file.model_copy(update={"groups": [g for g in groups if g.rules]})


def model_rolled_back(config: QuantisConfig = CONFIG) -> AlertTest:
    """tft-sales deploys 1.1.0, then rolls back to 1.0.0: no alert after the deploy, the
    rollback alerts at once naming 1.0.0 (the version model_info marks as served), and the
    alert ends once the rollback is older than ``rollback_window``. A refused rollback
    (outcome failure) of prophet-demand never alerts."""
    m, step = config.mlops, _seconds(config.evaluation_interval)
    deploy_at, rollback_at = 5, 10  # steps
    window = _seconds(m.rollback_window)
    after = rollback_at * step + window + 4 * step  # the rollback has left the window
    end = _samples(config, after)
    model = config.model_service
    info = 'model_info{{model_id="{}", model_version="{}", job="%s"}}' % model.name
    deployments = 'model_deployments_total{{model_id="{}", kind="{}", outcome="{}", job="%s"}}' % model.name
    series = [
        InputSeries(series=deployments.format("tft-sales", "deploy", "success"), values=f"0x{deploy_at - 1} 1x{end}"),
        InputSeries(series=deployments.format("tft-sales", "rollback", "success"),
                    values=f"0x{rollback_at - 1} 1x{end}"),
        InputSeries(series=info.format("tft-sales", "1.0.0"),
                    values=f"1x{deploy_at - 1} 0x{rollback_at - deploy_at - 1} 1x{end}"),
        InputSeries(series=info.format("tft-sales", "1.1.0"),
                    values=f"_x{deploy_at} 1x{rollback_at - deploy_at - 1} 0x{end}"),
        InputSeries(series=deployments.format("prophet-demand", "rollback", "failure"),
                    values=f"0x{rollback_at - 1} 1x{end}"),
        InputSeries(series=info.format("prophet-demand", "2.1.0"), values=f"1x{end + rollback_at}"),
    ]
    alert = _expected(
        config, "ModelRolledBack",
        {**_labels("warning", "model", model.name, model.owner), "model_id": "tft-sales", "model_version": "1.0.0"},
        "Model tft-sales was rolled back to version 1.0.0",
        f"A rollback of the model happened within the last {_human(m.rollback_window)}")
    return AlertTest(
        name="model-rolled-back",
        rules=_only(config, "ModelRolledBack"),  # over an hour of samples: just this rule, evaluated
        input_series=series,
        alert_rule_test=[
            AlertExpectation(eval_time=_at((rollback_at - 2) * step), alertname="ModelRolledBack"),
            AlertExpectation(eval_time=_at((rollback_at + 2) * step), alertname="ModelRolledBack",
                             exp_alerts=[alert]),
            AlertExpectation(eval_time=_at(after), alertname="ModelRolledBack"),
        ],
    )


def stale_model(config: QuantisConfig = CONFIG) -> AlertTest:
    """tft-sales last trained at the start (Unix time 0, promtool's start) alerts once
    ``stale_after`` and then its ``for`` have passed, though it was validated again half-way
    (only training runs count); prophet-demand, trained again half-way, does not.

    The test spans ``stale_after`` (days), so it steps more coarsely than the stack (a
    twelfth of the ``for``, at most 5 minutes so each sample is seen until the next) and
    loads just this rule."""
    m = config.mlops
    stale, hold = _seconds(m.stale_after), _seconds(m.for_stale_model)
    step = min(hold / 12, 300.0)
    firing = stale + hold + 2 * step
    end = int(firing // step) + 2
    half = int(stale / 2 // step)
    success = 'training_last_success_timestamp_seconds{{model_id="{}", kind="{}", job="%s"}}' % _PUSHED_JOB
    again = f"0x{half - 1} {round(half * step)}x{end - half}"  # succeeded at the start and half-way
    series = [
        InputSeries(series=success.format("tft-sales", "training"), values=f"0x{end}"),
        InputSeries(series=success.format("tft-sales", "validation"), values=again),
        InputSeries(series=success.format("prophet-demand", "training"), values=again),
    ]
    return AlertTest(
        name="stale-model",
        interval=f"{round(step)}s",
        evaluation_interval=f"{round(step)}s",
        rules=_only(config, "StaleModel"),
        input_series=series,
        alert_rule_test=[
            AlertExpectation(eval_time=_at(stale - step), alertname="StaleModel"),
            *_quiet_then_firing("StaleModel", stale + hold - step, firing, [_expected(
                config, "StaleModel", {**_training_labels(config), "model_id": "tft-sales"},
                "Model tft-sales has not been trained for a long time",
                f"No training run of the model has succeeded for more than {_human(m.stale_after)}")]),
        ],
    )


def validation_regression(config: QuantisConfig = CONFIG) -> AlertTest:
    """Every model serves 1.0.0, validated at the same metric value. Then a candidate 1.1.0
    replaces it in the Pushgateway: tft-sales's validates worse than the margin allows and
    alerts after ``for``; prophet-demand's is worse, but within the margin; lgbm-stock's
    served version is validated again at the same value. Only the regression metric counts:
    a much worse value of another metric does not alert."""
    m, step = config.mlops, _seconds(config.evaluation_interval)
    hold = _seconds(m.for_validation_regression)
    replaced = 5  # steps
    end = _samples(config, replaced * step + hold + 120)
    base = 10.0
    worse, close = f"{base * (1 + 2 * m.regression_margin):g}", f"{base * (1 + m.regression_margin / 2):g}"
    other = "mae" if m.regression_metric != "mae" else "rmse"
    validation = 'training_validation_metric{{model_id="{}", model_version="{}", metric="{}", %s}}' % _VALIDATION
    job = config.model_service.name
    served = [InputSeries(series=f'model_info{{model_id="{model}", model_version="1.0.0", job="{job}"}}',
                          values=f"1x{end}") for model in ("tft-sales", "prophet-demand", "lgbm-stock")]
    old = [InputSeries(series=validation.format(model, "1.0.0", metric), values=f"{base:g}x{replaced - 1} stale")
           for model in ("tft-sales", "prophet-demand") for metric in (m.regression_metric, other)]
    new = [
        InputSeries(series=validation.format("tft-sales", "1.1.0", m.regression_metric),
                    values=f"_x{replaced} {worse}x{end}"),
        InputSeries(series=validation.format("prophet-demand", "1.1.0", m.regression_metric),
                    values=f"_x{replaced} {close}x{end}"),
        InputSeries(series=validation.format("prophet-demand", "1.1.0", other),
                    values=f"_x{replaced} {base * 10:g}x{end}"),
        InputSeries(series=validation.format("lgbm-stock", "1.0.0", m.regression_metric),
                    values=f"{base:g}x{end + replaced}"),
    ]
    alert = _expected(
        config, "ValidationRegression",
        {**_training_labels(config), "model_id": "tft-sales", "model_version": "1.1.0",
         "metric": m.regression_metric},
        "Version 1.1.0 of model tft-sales validates worse than the deployed version",
        f"Its validation {m.regression_metric} ({worse}) is more than {round(m.regression_margin * 100)}% "
        "above the deployed version's")
    start = replaced * step
    return AlertTest(
        name="validation-regression",
        rules=_only(config, "ValidationRegression"),
        input_series=[*served, *old, *new],
        alert_rule_test=_quiet_then_firing("ValidationRegression", start + hold - 60, start + hold + 120, [alert]),
    )


def alert_tests(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    return [model_rolled_back(config), stale_model(config), validation_regression(config)]
