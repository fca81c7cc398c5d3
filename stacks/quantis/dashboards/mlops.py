"""MLOps: training and validation runs (pushed by ``instrumentation.training``), their
outcomes, durations, losses and validation metrics by model version, and the deployments and
rollbacks the model monitor records. Thresholds are the MLOps alerts' own (``config.mlops``);
every model dashboard draws the deployments as annotations (see ``__init__.py``)."""

from __future__ import annotations

import attr
from grafanalib import core as g

from ..config import CONFIG, QuantisConfig
from ..mlops_alerts import SERVED, deployed_validation, seconds
from ._build import HALF, QUARTER, dashboard, grid, rising_steps, stat, steps, target, timeseries, variable

UID = "quantis-mlops"
RUN_SEL = 'model_id=~"$model_id", kind=~"$kind"'
MODEL_SEL = 'model_id=~"$model_id"'
RUN_LEGEND = "{{model_id}} {{kind}} {{model_version}}"


def build(config: QuantisConfig = CONFIG) -> g.Dashboard:
    m, d = config.mlops, config.dashboards
    stale_seconds = seconds(m.stale_after)
    since = f'time() - max(training_last_success_timestamp_seconds{{{MODEL_SEL}, kind="training"}})'
    deployments = (f"sum by (model_id, kind, outcome) "
                   f"(increase(model_deployments_total{{{MODEL_SEL}}}[{d.rate_window}]))")
    validation = f'training_validation_metric{{{MODEL_SEL}, kind="validation", metric=~"$metric"}}'
    panels = [
        stat("Latest runs failed", f"count(training_run_success{{{RUN_SEL}}} == 0) or vector(0)", "none",
             grid(0, 0, QUARTER, 4), thresholds=steps(("red", 1)),
             description="Models whose latest run of a kind failed; TrainingRunFailed fires on each."),
        stat("Since the last successful training", since, "s", grid(6, 0, QUARTER, 4),
             thresholds=steps(("red", stale_seconds)),
             description=f"StaleModel fires after {m.stale_after} without a successful training run."),
        attr.evolve(stat("Served version", SERVED.replace("model_info", f"model_info{{{MODEL_SEL}}}"), "none",
                         grid(12, 0, QUARTER, 4), legend="{{model_id}} {{model_version}}",
                         description="The version each model monitor serves now (model_info)."),
                    textMode="name", graphMode="none"),
        stat("Rollbacks", f'sum(increase(model_deployments_total{{{MODEL_SEL}, kind="rollback"}}'
                          f"[{m.rollback_window}])) or vector(0)", "none", grid(18, 0, QUARTER, 4),
             thresholds=steps(("red", 1)),
             description=f"Rollbacks in the last {m.rollback_window}; ModelRolledBack fires on any."),
        timeseries("Run outcome (1 success, 0 failure)", [target(f"training_run_success{{{RUN_SEL}}}", RUN_LEGEND)],
                   "none", grid(0, 4, HALF), thresholds=rising_steps(("green", 1)), minimum=0, maximum=1,
                   description="The latest run per model and kind; a new run replaces the one before."),
        timeseries("Run duration", [target(f"training_run_duration_seconds{{{RUN_SEL}}}", RUN_LEGEND)], "s",
                   grid(12, 4, HALF), minimum=0),
        timeseries("Validation metric by version",
                   [target(validation, "{{model_id}} {{model_version}} {{metric}}"),
                    target(deployed_validation(config, f", {MODEL_SEL}, metric=~\"$metric\""), "deployed {{model_id}} {{metric}}",
                           ref="B")],
                   "none", grid(0, 12, HALF),
                   description=f"Each validated version's metrics, with the deployed version's last validation. "
                               f"ValidationRegression fires when the newest {m.regression_metric} is more than "
                               f"{round(m.regression_margin * 100)}% above the deployed version's."),
        timeseries("Training loss", [target(f"training_loss{{{RUN_SEL}}}", RUN_LEGEND)], "none",
                   grid(12, 12, HALF)),
        timeseries("Deployments and rollbacks", [target(deployments, "{{model_id}} {{kind}} {{outcome}}")], "none",
                   grid(0, 20, HALF), minimum=0,
                   description=f"Deployments and rollbacks per {d.rate_window}, by outcome."),
        timeseries("Served version (model_info)", [target(f"model_info{{{MODEL_SEL}}}", "{{model_id}} {{model_version}}")],
                   "none", grid(12, 20, HALF), minimum=0, maximum=1,
                   description="1 for the version served now, 0 for versions served before."),
    ]
    variables = [
        variable("model_id", "Model", "label_values(model_info, model_id)"),
        variable("kind", "Run kind", "label_values(training_run_success, kind)"),
        variable("metric", "Validation metric", "label_values(training_validation_metric, metric)"),
    ]
    return dashboard("MLOps", UID, ["models", "mlops"], variables, panels, time_from=d.model_time_from,
                     description="Training and validation runs, validation metrics by version, "
                                 "deployments and rollbacks of the monitored models.")

