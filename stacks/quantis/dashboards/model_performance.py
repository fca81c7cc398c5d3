"""Model Performance: forecast error, prediction rate and latency, feature importance and
drift of the models the ModelMonitor watches. Thresholds are the model alerts' own."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ._build import HALF, QUARTER, dashboard, grid, stat, steps, target, timeseries, variable

UID = "model-performance"
SEL = 'job=~"$job", instance=~"$instance", model_id=~"$model_id"'


def build(config=CONFIG) -> g.Dashboard:
    d, t = config.dashboards, config.thresholds
    mape_steps = steps(("red", t.model_mape_percent_above))
    drift_steps = steps(("red", t.drift_score_above))
    latency_steps = steps(("red", t.prediction_p95_seconds_above))
    p95 = ("histogram_quantile(0.95, sum by (le, model_id, model_version) "
           f"(rate(model_prediction_latency_seconds_bucket{{{SEL}}}[{d.rate_window}])))")
    panels = [
        stat("Predictions per second", f"sum(rate(model_predictions_total{{{SEL}}}[{d.rate_window}]))", "ops",
             grid(0, 0, QUARTER, 4)),
        stat("Worst MAPE", f'max(model_prediction_error{{{SEL}, metric_type="mape"}})', "percent",
             grid(6, 0, QUARTER, 4), thresholds=mape_steps),
        stat("Worst drift score", f"max(model_drift_score{{{SEL}}})", "none", grid(12, 0, QUARTER, 4),
             thresholds=drift_steps),
        stat("Models with drift", f"sum(model_drift_detected{{{SEL}}})", "none", grid(18, 0, QUARTER, 4),
             thresholds=steps(("red", 1)), description="Models whose last drift check found drift."),
        timeseries("Model MAPE (%)",
                   [target(f'model_prediction_error{{{SEL}, metric_type="mape"}}', "{{model_id}} ({{model_version}})")],
                   "percent", grid(0, 4, HALF), thresholds=mape_steps, draw_thresholds=True, minimum=0),
        timeseries("Model RMSE",
                   [target(f'model_prediction_error{{{SEL}, metric_type="rmse"}}', "{{model_id}} ({{model_version}})")],
                   "short", grid(12, 4, HALF), minimum=0),
        timeseries("Prediction Rate",
                   [target(f"sum by (model_id, model_version) (rate(model_predictions_total{{{SEL}}}[{d.rate_window}]))",
                           "{{model_id}} ({{model_version}})")],
                   "ops", grid(0, 12, HALF)),
        timeseries("Prediction Latency (p95)", [target(p95, "{{model_id}} ({{model_version}})")], "s",
                   grid(12, 12, HALF), thresholds=latency_steps, draw_thresholds=True),
        g.BarGauge(title="Feature Importance",
                   targets=[target(f"max by (feature_name) (model_feature_importance{{{SEL}}})", "{{feature_name}}",
                                   instant=True)],
                   format="none", min=0, max=1, calc="lastNotNull", displayMode="gradient",
                   orientation="horizontal", thresholds=steps(), gridPos=grid(0, 20, HALF), maxDataPoints=None),
        timeseries("Feature Drift Score",
                   [target(f"model_drift_score{{{SEL}}}", "{{model_id}} {{feature_name}}")],
                   "none", grid(12, 20, HALF), thresholds=drift_steps, draw_thresholds=True, minimum=0, maximum=1,
                   description="Drift score per feature (KS D, JS distance or PSI, as the monitor is configured). "
                               "The red band is the seed's line, drawn for the eye: DataDriftDetected fires on "
                               "the monitor's per-feature decision (model_feature_drifted), not on this score."),
    ]
    variables = [
        variable("job", "Job", "label_values(model_predictions_total, job)"),
        variable("instance", "Instance", 'label_values(model_predictions_total{job=~"$job"}, instance)'),
        variable("model_id", "Model",
                 'label_values(model_predictions_total{job=~"$job", instance=~"$instance"}, model_id)'),
    ]
    return dashboard("Model Performance", UID, ["models"], variables, panels, time_from=d.model_time_from,
                     description="Forecast quality, throughput and drift of the monitored models.")
