"""Database: PostgreSQL query and transaction rates, connection use and cache efficiency,
from prometheus-postgres-exporter's metrics."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ._build import HALF, QUARTER, dashboard, grid, job_and_instance, rising_steps, stat, steps, target, timeseries

UID = "database"
SEL = 'job=~"$job", instance=~"$instance"'


def build(config=CONFIG) -> g.Dashboard:
    t = config.thresholds
    w = "$__rate_interval"
    hit = f"sum(rate(pg_stat_database_blks_hit{{{SEL}}}[{w}]))"
    read = f"sum(rate(pg_stat_database_blks_read{{{SEL}}}[{w}]))"
    pool = (f"sum by (instance) (pg_stat_activity_count{{{SEL}}})"
            f" / max by (instance) (pg_settings_max_connections{{{SEL}}})")
    pool_steps = steps(("orange", t.connection_use_warning), ("red", t.connection_use_critical))
    cache_steps = rising_steps(("orange", t.cache_hit_ratio_warning), ("green", t.cache_hit_ratio_good))
    panels = [
        stat("PostgreSQL up", f"min(pg_up{{{SEL}}})", "none", grid(0, 0, QUARTER, 4),
             thresholds=rising_steps(("green", 1)), description="1 when the exporter can reach PostgreSQL."),
        g.GaugePanel(title="Connection pool use", targets=[target(pool, "{{instance}}")], format="percentunit",
                     min=0, max=1, calc="lastNotNull", thresholds=pool_steps, gridPos=grid(6, 0, QUARTER, 4),
                     description="Open connections as a share of max_connections.", maxDataPoints=None),
        stat("Cache hit ratio", f"{hit} / ({hit} + {read})", "percentunit", grid(12, 0, QUARTER, 4),
             thresholds=cache_steps, description="Blocks found in shared buffers / all blocks requested."),
        stat("Transactions per second",
             f"sum(rate(pg_stat_database_xact_commit{{{SEL}}}[{w}])) + sum(rate(pg_stat_database_xact_rollback{{{SEL}}}[{w}]))",
             "ops", grid(18, 0, QUARTER, 4)),
        timeseries("Query rate (rows fetched)",
                   [target(f"sum by (datname) (rate(pg_stat_database_tup_fetched{{{SEL}}}[{w}]))", "{{datname}}")],
                   "rowsps", grid(0, 4, HALF),
                   description="Rows fetched by queries per second: PostgreSQL counts no queries, this tracks their work."),
        timeseries("Transaction rate",
                   [target(f"sum by (datname) (rate(pg_stat_database_xact_commit{{{SEL}}}[{w}]))", "{{datname}} commits"),
                    target(f"sum by (datname) (rate(pg_stat_database_xact_rollback{{{SEL}}}[{w}]))",
                           "{{datname}} rollbacks", ref="B")],
                   "ops", grid(12, 4, HALF)),
        timeseries("Connections by state",
                   [target(f"sum by (state) (pg_stat_activity_count{{{SEL}}})", "{{state}}"),
                    target(f"max(pg_settings_max_connections{{{SEL}}})", "max_connections", ref="B")],
                   "short", grid(0, 12, HALF)),
        timeseries("Cache hit ratio over time", [target(f"{hit} / ({hit} + {read})", "hit ratio")],
                   "percentunit", grid(12, 12, HALF), thresholds=cache_steps, draw_thresholds=True,
                   minimum=0, maximum=1),
    ]
    return dashboard("Database", UID, ["database"], job_and_instance("pg_up"), panels,
                     description="PostgreSQL as prometheus-postgres-exporter reports it.")
