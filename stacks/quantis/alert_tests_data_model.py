"""Alert tests (promtool's, typed) of the issue-18 data and model alerts the synthesiser cannot
write: the model monitor's missing-value and out-of-range shares (data_quality_alerts.py) and the
prediction bias at both levels (model_health_alerts.py). Thresholds and ``for:`` durations come
from ``config.data_quality`` and ``config.model_health``; each test expects nothing before ``for``,
exactly the expected alerts after it, and leaves series on the safe side quiet.
"""

from __future__ import annotations

from obscode import AlertTest, ExpectedAlert, InputSeries

from .alert_tests import _expected, _quiet_then_firing, _samples, _seconds
from .alerts import _human, _labels
from .config import CONFIG, QuantisConfig

#: The alerts these tests name.
ALERTS: tuple[str, ...] = ("HighMissingValueShare", "HighOutlierShare", "HighPredictionBias")

MODEL = 'model_id="tft-sales", model_version="1.0.0"'


def _percentage(share: float) -> str:
    """What Prometheus' ``humanizePercentage`` renders for ``share``: 0.1 -> '10%'."""
    return f"{share * 100:.4g}%"


def _share_series(config: QuantisConfig, metric: str, feature: str, values: str, job: str | None = None) -> InputSeries:
    """One feature's share gauge as the model service exports it (or as ``job`` does)."""
    target = config.model_service.targets[0] if job is None else f"{job}:8000"
    return InputSeries(series=f'{metric}{{job="{job or config.model_service.name}", instance="{target}", '
                              f'{MODEL}, feature_name="{feature}"}}', values=values)


def _feature_alert(config: QuantisConfig, alertname: str, feature: str, summary: str, description: str) -> ExpectedAlert:
    job = config.model_service
    return _expected(config, alertname,
                     {**_labels("warning", "model", job.name, job.owner), "model_id": "tft-sales",
                      "model_version": "1.0.0", "feature_name": feature}, summary, description)


def high_missing_value_share(config: QuantisConfig = CONFIG) -> AlertTest:
    """A feature missing in twice the allowed share of rows alerts after `for`; one missing in
    exactly the allowed share (the bound is strict), one in half of it, and the same gauge of
    another job above it (the rule reads the model service only) do not."""
    q = config.data_quality
    above, hold = q.missing_share_warning, _seconds(q.for_missing_values)
    end = _samples(config, hold + 120)
    metric = "model_feature_missing_share"
    high = above * 2
    return AlertTest(
        name="high-missing-value-share",
        input_series=[
            _share_series(config, metric, "price", f"{high:g}x{end}"),
            _share_series(config, metric, "promo", f"{above:g}x{end}"),
            _share_series(config, metric, "store_id", f"{above / 2:g}x{end}"),
            _share_series(config, metric, "weekday", f"{high:g}x{end}", job=config.api.name),
        ],
        alert_rule_test=_quiet_then_firing("HighMissingValueShare", hold - 60, hold + 120, [_feature_alert(
            config, "HighMissingValueShare", "price", "Missing values in feature price of model tft-sales",
            f"More than {above * 100:g}% of the monitored rows lack feature price (now {_percentage(high)}) "
            f"for {_human(q.for_missing_values)}")]),
    )


def high_outlier_share(config: QuantisConfig = CONFIG) -> AlertTest:
    """A feature out of its reference range in five times the allowed share of rows alerts after
    `for`; one in half the share does not, nor one whose share rises above it for less than `for`
    and falls back (a passing burst of odd rows)."""
    q, step = config.data_quality, _seconds(config.evaluation_interval)
    above, hold = q.outlier_share_warning, _seconds(q.for_outliers)
    end = _samples(config, hold + 120)
    metric = "model_feature_out_of_range_share"
    high = above * 5
    burst = int(hold / 2 // step)  # steps above the threshold: half the `for`
    return AlertTest(
        name="high-outlier-share",
        input_series=[
            _share_series(config, metric, "temperature", f"{high:g}x{end}"),
            _share_series(config, metric, "region", f"{above / 2:g}x{end}"),
            _share_series(config, metric, "price", f"{high:g}x{burst} {above / 2:g}x{end}"),
        ],
        alert_rule_test=_quiet_then_firing("HighOutlierShare", hold - 60, hold + 120, [_feature_alert(
            config, "HighOutlierShare", "temperature", "Out-of-range values in feature temperature of model tft-sales",
            f"More than {above * 100:g}% of the monitored rows hold a value outside the reference range of "
            f"temperature (now {_percentage(high)}) for {_human(q.for_outliers)}")]),
    )


def high_prediction_bias(config: QuantisConfig = CONFIG) -> AlertTest:
    """A model over-forecasting between the two bounds gets the warning; one under-forecasting
    beyond both (a negative bias: the rule takes its absolute value) gets the warning and the
    critical alert; neither before `for`. A bias below the warning bound in either direction,
    a high error of another kind (MAPE) and the unnormalised bias (in units, not percent) do not."""
    m, job = config.model_health, config.model_service
    warning, critical, hold = m.bias_percent_warning, m.bias_percent_critical, _seconds(m.for_bias)
    end = _samples(config, hold + 120)
    bias = {("tft-sales", "1.0.0", "bias_percent"): (warning + critical) / 2,
            ("prophet-demand", "2.1.0", "bias_percent"): -critical * 1.5,
            ("lgbm-stock", "0.3.0", "bias_percent"): warning / 2,
            ("arima-baseline", "1.2.0", "bias_percent"): -warning / 2,
            ("lgbm-stock", "0.3.0", "mape"): critical * 1.5,
            ("lgbm-stock", "0.3.0", "bias"): critical * 10}
    series = [InputSeries(series=f'model_prediction_error{{job="{job.name}", instance="{job.targets[0]}", '
                                 f'model_id="{model}", model_version="{version}", metric_type="{kind}"}}',
                          values=f"{value:g}x{end}")
              for (model, version, kind), value in bias.items()]

    def alert(model: str, version: str, severity: str, threshold: float) -> ExpectedAlert:
        now = abs(bias[(model, version, "bias_percent")])
        return _expected(
            config, "HighPredictionBias",
            {**_labels(severity, "model", job.name, job.owner), "job": job.name, "instance": job.targets[0],
             "model_id": model, "model_version": version, "metric_type": "bias_percent"},
            f"Biased forecasts from model {model}",
            f"Predictions are {now:.1f}% of actual volume off in one direction (more than {threshold:g}%) "
            f"for {_human(m.for_bias)}")

    return AlertTest(
        name="high-prediction-bias",
        input_series=series,
        alert_rule_test=_quiet_then_firing("HighPredictionBias", hold - 60, hold + 120, [
            alert("tft-sales", "1.0.0", "warning", warning),
            alert("prophet-demand", "2.1.0", "warning", warning),
            alert("prophet-demand", "2.1.0", "critical", critical),
        ]),
    )


def alert_tests(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    return [high_missing_value_share(config), high_outlier_share(config), high_prediction_bias(config)]
