"""Data alerts from the model monitor: missing values, outliers, schema changes, feature-importance shift (data_quality_alerts.yml).

All four read what the model service's ``ModelMonitor`` exports (docs/data-quality.md) and are
``category: model`` alerts of the model service, so the route tree sends them to the data
science team. Thresholds and ``for:`` durations are ``config.data_quality``.
"""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, with_runbooks
from .config import CONFIG, QuantisConfig

BY_FEATURE = "model_id, model_version, feature_name"


def _waited(duration: str) -> str:
    return "" if duration in ("0s", "0m") else f" for {_human(duration)}"


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    q, job = config.data_quality, config.model_service
    sel = f'job="{job.name}"'
    labels = _labels("warning", "model", job.name, job.owner)
    rules = [
        AlertRule(
            alert="HighMissingValueShare",
            expr=f"max by ({BY_FEATURE}) (model_feature_missing_share{{{sel}}}) > {q.missing_share_warning:g}",
            for_=q.for_missing_values,
            labels=labels,
            annotations={
                "summary": "Missing values in feature {{ $labels.feature_name }} of model {{ $labels.model_id }}",
                "description": f"More than {q.missing_share_warning * 100:g}% of the monitored rows lack feature "
                               "{{ $labels.feature_name }} (now {{ $value | humanizePercentage }})"
                               f"{_waited(q.for_missing_values)}",
            },
        ),
        AlertRule(
            alert="HighOutlierShare",
            expr=f"max by ({BY_FEATURE}) (model_feature_out_of_range_share{{{sel}}}) > {q.outlier_share_warning:g}",
            for_=q.for_outliers,
            labels=labels,
            annotations={
                "summary": "Out-of-range values in feature {{ $labels.feature_name }} of model {{ $labels.model_id }}",
                "description": f"More than {q.outlier_share_warning * 100:g}% of the monitored rows hold a value "
                               "outside the reference range of {{ $labels.feature_name }} "
                               "(now {{ $value | humanizePercentage }})" f"{_waited(q.for_outliers)}",
            },
        ),
        AlertRule(
            alert="FeatureSchemaChanged",
            expr=f"sum by ({BY_FEATURE}, change) "
                 f"(increase(model_feature_schema_changes_total{{{sel}}}[{q.schema_change_window}])) > 0",
            for_=q.for_schema_change,
            labels=labels,
            annotations={
                "summary": "Feature frames of model {{ $labels.model_id }} do not match its reference schema",
                "description": "Recorded feature frames show a schema change ({{ $labels.change }}) of column "
                               f"{{{{ $labels.feature_name }}}} within the last {_human(q.schema_change_window)}",
            },
        ),
        AlertRule(
            alert="FeatureImportanceShift",
            expr=f"min by (model_id, model_version) (model_feature_importance_rank_correlation{{{sel}}})"
                 f" < {q.importance_rank_correlation_below:g}",
            for_=q.for_importance_shift,
            labels=labels,
            annotations={
                "summary": "Feature importances of model {{ $labels.model_id }} shifted from the reference",
                "description": "The rank correlation of current with reference feature importances is "
                               f"{{{{ $value }}}}, below {q.importance_rank_correlation_below:g}"
                               f"{_waited(q.for_importance_shift)}",
            },
        ),
    ]
    return [with_runbooks(config, RuleFile(name="data_quality_alerts",
                                           groups=[RuleGroup(name="data_quality", rules=rules)]))]
