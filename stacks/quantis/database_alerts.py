"""PostgreSQL alert rules (database_alerts.yml), from prometheus-postgres-exporter's default
collectors: connection saturation, deadlocks, replication lag and a low cache-hit ratio.
Thresholds and durations are in config.py."""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, at_two_levels, with_runbooks
from .config import CONFIG, QuantisConfig


def _duration(seconds: float) -> str:
    """300 -> '5 minutes', 30 -> '30 seconds'."""
    whole = round(seconds)
    return _human(f"{whole // 60}m" if whole % 60 == 0 else f"{whole}s")


def database_alerts(config: QuantisConfig = CONFIG) -> RuleFile:
    t, f, db = config.thresholds, config.for_, config.database
    sel = f'job="{db.name}"'
    connections = (f"sum by (instance) (pg_stat_activity_count{{{sel}}})"
                   f" / max by (instance) (pg_settings_max_connections{{{sel}}})")
    dbs = f'{sel}, datname!~"{t.ignored_databases}"'
    hit = f"sum by (instance, datname) (rate(pg_stat_database_blks_hit{{{dbs}}}[{t.cache_hit_window}]))"
    read = f"sum by (instance, datname) (rate(pg_stat_database_blks_read{{{dbs}}}[{t.cache_hit_window}]))"

    def labels(severity: str) -> dict[str, str]:
        return _labels(severity, "system", db.name, db.owner)

    rules = [
        *at_two_levels(
            "PostgresConnectionsSaturated", t.connection_use_warning, t.connection_use_critical,
            expr=lambda ratio: f"{connections} > {ratio:g}",
            for_=f.connections,
            labels=labels,
            summary="PostgreSQL on {{ $labels.instance }} is running out of connections",
            description=lambda ratio: f"More than {round(ratio * 100)}% of max_connections are open for "
                                      f"{_human(f.connections)}",
        ),
        AlertRule(
            alert="PostgresDeadlocks",
            expr=f"sum by (instance, datname) (increase(pg_stat_database_deadlocks{{{sel}}}[{t.deadlock_window}]))"
                 f" > {t.deadlocks_above:g}",
            for_=f.deadlocks,
            labels=labels("warning"),
            annotations={
                "summary": "Deadlocks in database {{ $labels.datname }} on {{ $labels.instance }}",
                "description": f"PostgreSQL detected more than {t.deadlocks_above:g} deadlock(s) within "
                               f"{_human(t.deadlock_window)}",
            },
        ),
        *at_two_levels(
            "PostgresReplicationLag", t.replication_lag_seconds_warning, t.replication_lag_seconds_critical,
            expr=lambda seconds: f"max by (instance) (pg_replication_lag_seconds{{{sel}}}) > {seconds:g}",
            for_=f.replication_lag,
            labels=labels,
            summary="The PostgreSQL replica {{ $labels.instance }} lags behind its primary",
            description=lambda seconds: f"Replication lag is above {_duration(seconds)} for {_human(f.replication_lag)}",
        ),
        AlertRule(
            alert="PostgresLowCacheHitRatio",
            expr=f"{hit} / ({hit} + {read}) < {t.cache_hit_ratio_warning:g}",
            for_=f.cache_hit,
            labels=labels("warning"),
            annotations={
                "summary": "Low cache hit ratio of database {{ $labels.datname }} on {{ $labels.instance }}",
                "description": f"Fewer than {t.cache_hit_ratio_warning * 100:g}% of the blocks read were found in "
                               f"shared buffers for {_human(f.cache_hit)}",
            },
        ),
    ]
    return with_runbooks(config, RuleFile(name="database_alerts", groups=[RuleGroup(name="database", rules=rules)]))
