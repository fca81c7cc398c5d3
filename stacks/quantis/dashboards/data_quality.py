"""Data Quality: what the model monitor measures about a model's inputs, per feature —
missing values, values outside the reference range, schema changes of the feature frames,
invalid (NaN or infinite) values, and the rank correlation of feature importances with the
reference. Thresholds are the data-quality alerts' own (``config.data_quality``)."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG, QuantisConfig
from ._build import FULL, HALF, QUARTER, dashboard, grid, rising_steps, stat, steps, target, timeseries, variable

UID = "quantis-data-quality"
SEL = 'job=~"$job", instance=~"$instance", model_id=~"$model_id", feature_name=~"$feature_name"'
MODEL_SEL = 'job=~"$job", instance=~"$instance", model_id=~"$model_id"'
LEGEND = "{{model_id}} {{feature_name}}"


def build(config: QuantisConfig = CONFIG) -> g.Dashboard:
    q, d = config.data_quality, config.dashboards
    missing_steps = steps(("red", q.missing_share_warning))
    outlier_steps = steps(("red", q.outlier_share_warning))
    correlation_steps = rising_steps(("green", q.importance_rank_correlation_below))
    invalid_steps = steps(("red", q.invalid_values_per_second_warning))
    changes = (f"sum by (model_id, feature_name, change) "
               f"(increase(model_feature_schema_changes_total{{{SEL}}}[{q.schema_change_window}]))")
    panels = [
        stat("Worst missing share", f"max(model_feature_missing_share{{{SEL}}})", "percentunit",
             grid(0, 0, QUARTER, 4), thresholds=missing_steps,
             description="The feature with the most missing values in the monitor's window."),
        stat("Worst out-of-range share", f"max(model_feature_out_of_range_share{{{SEL}}})", "percentunit",
             grid(6, 0, QUARTER, 4), thresholds=outlier_steps,
             description="The feature with the most values outside the reference's [min, max]."),
        stat("Schema changes", f"sum({changes}) or vector(0)", "none", grid(12, 0, QUARTER, 4),
             thresholds=steps(("red", 1)),
             description=f"Feature frames with a missing, extra or retyped column in the last "
                         f"{q.schema_change_window}; FeatureSchemaChanged fires on any."),
        stat("Lowest importance rank correlation",
             f"min(model_feature_importance_rank_correlation{{{MODEL_SEL}}})", "none", grid(18, 0, QUARTER, 4),
             thresholds=correlation_steps,
             description="Spearman correlation of current with reference feature importances (1: same ranking)."),
        timeseries("Missing value share by feature",
                   [target(f"model_feature_missing_share{{{SEL}}}", LEGEND)], "percentunit", grid(0, 4, HALF),
                   thresholds=missing_steps, draw_thresholds=True, minimum=0, maximum=1,
                   description="Share of the window's rows missing the feature (NaN, None or an absent column). "
                               "The red band is HighMissingValueShare's threshold."),
        timeseries("Out-of-range share by feature",
                   [target(f"model_feature_out_of_range_share{{{SEL}}}", LEGEND)], "percentunit", grid(12, 4, HALF),
                   thresholds=outlier_steps, draw_thresholds=True, minimum=0, maximum=1,
                   description="Share of the window's rows outside the reference's [min, max] (unseen categories "
                               "for categorical features). The red band is HighOutlierShare's threshold."),
        timeseries("Schema changes by column",
                   [target(changes, "{{model_id}} {{feature_name}} {{change}}")], "none", grid(0, 12, HALF),
                   thresholds=steps(("red", 1)), draw_thresholds=True, minimum=0,
                   description=f"Recorded frames per column and change (missing, extra, retyped) over "
                               f"{q.schema_change_window}."),
        timeseries("Invalid values by feature",
                   [target(f"sum by (model_id, feature_name, reason) "
                           f"(rate(model_invalid_feature_values_total{{{SEL}}}[{d.rate_window}]))"
                           # a feature that never had an invalid value (no counter yet) draws 0
                           f" or on (model_id, feature_name) "
                           f"sum by (model_id, feature_name) (0 * model_feature_missing_share{{{SEL}}})",
                           "{{model_id}} {{feature_name}} {{reason}}")],
                   "short", grid(12, 12, HALF), thresholds=invalid_steps, draw_thresholds=True, minimum=0,
                   description="NaN or infinite feature values per second, left out of the drift tests "
                               "(0 for a feature that never had one)."),
        timeseries("Feature importance rank correlation",
                   [target(f"model_feature_importance_rank_correlation{{{MODEL_SEL}}}",
                           "{{model_id}} ({{model_version}})")],
                   "none", grid(0, 20, FULL), thresholds=correlation_steps, draw_thresholds=True,
                   minimum=-1, maximum=1,
                   description="Spearman rank correlation of the current feature importances with the reference "
                               "importances. Red below FeatureImportanceShift's threshold."),
    ]
    variables = [
        variable("job", "Job", "label_values(model_feature_missing_share, job)"),
        variable("instance", "Instance", 'label_values(model_feature_missing_share{job=~"$job"}, instance)'),
        variable("model_id", "Model",
                 'label_values(model_feature_missing_share{job=~"$job", instance=~"$instance"}, model_id)'),
        variable("feature_name", "Feature",
                 'label_values(model_feature_missing_share{job=~"$job", instance=~"$instance", '
                 'model_id=~"$model_id"}, feature_name)'),
    ]
    return dashboard("Data Quality", UID, ["models", "data-quality"], variables, panels,
                     time_from=d.model_time_from,
                     description="Missing, out-of-range and invalid feature values, schema changes and "
                                 "feature-importance shift of the monitored models.")
