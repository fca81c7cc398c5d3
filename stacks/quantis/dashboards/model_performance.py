"""Model Performance: forecast error, prediction rate and latency, feature importance and
drift of the models the ModelMonitor watches, then what the predictions themselves do (R²,
bias, interval width, their distribution and drift) and what the model costs (load time,
memory, batch throughput). Thresholds are the model alerts' own."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ._build import HALF, QUARTER, Heatmap, dashboard, grid, stat, steps, target, timeseries, variable

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
        *prediction_panels(config, y=28),
    ]
    variables = [
        variable("job", "Job", "label_values(model_predictions_total, job)"),
        variable("instance", "Instance", 'label_values(model_predictions_total{job=~"$job"}, instance)'),
        variable("model_id", "Model",
                 'label_values(model_predictions_total{job=~"$job", instance=~"$instance"}, model_id)'),
    ]
    return dashboard("Model Performance", UID, ["models"], variables, panels, time_from=d.model_time_from,
                     description="Forecast quality, throughput and drift of the monitored models.")


def prediction_panels(config=CONFIG, y: int = 0) -> list[g.Panel]:
    """R², bias, interval width, the prediction distribution and its drift, load time, memory
    and batch throughput (issue 18), from row ``y`` down."""
    d, m = config.dashboards, config.model_health
    w = d.rate_window
    legend = "{{model_id}} ({{model_version}})"
    bias = f'model_prediction_error{{{SEL}, metric_type="bias_percent"}}'
    bias_steps = steps(("orange", m.bias_percent_warning), ("red", m.bias_percent_critical))
    six = 4  # six stats in a row
    rows = f"sum by (model_id, model_version) (rate(model_batch_rows_total{{{SEL}}}[{w}]))"
    model_seconds = f"sum by (model_id, model_version) (rate(model_batch_duration_seconds_sum{{{SEL}}}[{w}]))"
    return [
        stat("Worst R²", f'min(model_prediction_error{{{SEL}, metric_type="r2"}})', "none", grid(0, y, six, 4),
             description="Lowest R² of the last evaluated batch over the selected models (1 is perfect)."),
        stat("Worst |bias|", f"max(abs({bias}))", "percent", grid(six, y, six, 4), thresholds=bias_steps,
             description="Largest |bias| of the last batch: 100 x sum(prediction - actual) / sum|actual|. "
                         "Orange and red at HighPredictionBias' warning and critical."),
        stat("Prediction drift", f"sum(model_prediction_drifted{{{SEL}}})", "none", grid(2 * six, y, six, 4),
             thresholds=steps(("red", 1)), description="Models whose recent predictions drifted from their "
                                                      "reference predictions (PredictionDriftDetected)."),
        stat("Load time", f"max(model_load_duration_seconds{{{SEL}}})", "s", grid(3 * six, y, six, 4),
             thresholds=steps(("orange", m.load_seconds_warning)), description="Seconds the last load took."),
        stat("Model memory", f"sum(model_memory_bytes{{{SEL}}})", "bytes", grid(4 * six, y, six, 4),
             thresholds=steps(("orange", m.memory_bytes_warning)),
             description="As each model's registered memory source reports it (an estimate, not the "
                         "process's resident memory)."),
        stat("Batch throughput", f"sum(rate(model_batch_rows_total{{{SEL}}}[{w}]))", "rowsps",
             grid(5 * six, y, six, 4), description="Rows of recorded prediction batches per second."),
        timeseries("Model R²", [target(f'model_prediction_error{{{SEL}, metric_type="r2"}}', legend)], "none",
                   grid(0, y + 4, HALF), maximum=1),
        timeseries("Prediction bias (%)", [target(bias, legend)], "percent", grid(12, y + 4, HALF),
                   thresholds=bias_steps, draw_thresholds=True,
                   description="Signed: above 0 the model over-forecasts. HighPredictionBias fires on |bias|; "
                               "the bands are its warning and critical levels (above 0 only)."),
        timeseries("Prediction interval width",
                   [target(f"model_prediction_interval_width{{{SEL}}}", legend),
                    target(f'model_prediction_error{{{SEL}, metric_type="bias"}}', "bias {{model_id}}", ref="B")],
                   "short", grid(0, y + 12, HALF),
                   description="Mean upper - lower of the last batch's intervals, and the mean signed error "
                               "(prediction - actual), both in the model's units."),
        Heatmap(title="Prediction distribution", description="Predictions per value bucket (model_prediction_value).",
                targets=[g.Target(expr=f"sum by (le) (increase(model_prediction_value_bucket{{{SEL}}}[{w}]))",
                                  legendFormat="{{le}}", refId="A", format="heatmap")],
                gridPos=grid(12, y + 12, HALF), maxDataPoints=None, unit="short"),
        timeseries("Prediction drift score", [target(f"model_prediction_drift_score{{{SEL}}}", legend)], "none",
                   grid(0, y + 20, HALF), minimum=0,
                   description="Drift of the recent predictions against the reference predictions (KS D, JS "
                               "distance or PSI, as the monitor is configured); PredictionDriftDetected fires on "
                               "the monitor's decision, model_prediction_drifted."),
        timeseries("Batch throughput",
                   [target(rows, "rows/s " + legend),
                    target(f"{rows} / {model_seconds}", "rows per model-second " + legend, ref="B")],
                   "rowsps", grid(12, y + 20, HALF), minimum=0,
                   description="Rows recorded per second, and rows per second of model time "
                               "(model_batch_duration_seconds, when the service passes duration=)."),
        timeseries("Model load time", [target(f"model_load_duration_seconds{{{SEL}}}", legend)], "s",
                   grid(0, y + 28, HALF), thresholds=steps(("orange", m.load_seconds_warning)), minimum=0),
        timeseries("Model memory", [target(f"model_memory_bytes{{{SEL}}}", legend)], "bytes",
                   grid(12, y + 28, HALF), thresholds=steps(("orange", m.memory_bytes_warning)), minimum=0),
    ]
