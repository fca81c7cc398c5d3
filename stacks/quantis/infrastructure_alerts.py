"""Infrastructure alert rules beyond the seed's six (infrastructure_alerts.yml): disks filling
up, from node-exporter. Thresholds and durations are in config.py."""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, with_runbooks
from .config import CONFIG, QuantisConfig


def _percent(ratio: float) -> str:
    return f"{round(ratio * 100)}%"


def disk_rules(config: QuantisConfig = CONFIG) -> list[AlertRule]:
    """DiskSpaceLow at two severities: the critical one mutes the warning of the same
    alertname and service (the seed's inhibit rule)."""
    t, f, node = config.thresholds, config.for_, config.node
    fs = f'fstype!~"{t.ignored_filesystems}"'
    return [AlertRule(
        alert="DiskSpaceLow",
        expr=f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} > {ratio:g}",
        for_=f.disk_space,
        labels=_labels(severity, "system", node.name, node.owner),
        annotations={
            "summary": "Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is filling up",
            "description": f"More than {_percent(ratio)} of the filesystem is used for {_human(f.disk_space)} "
                           "({{ $value | humanizePercentage }} now)",
        },
    ) for severity, ratio in (("warning", t.disk_used_ratio_warning), ("critical", t.disk_used_ratio_critical))]


def infrastructure_alerts(config: QuantisConfig = CONFIG) -> RuleFile:
    return with_runbooks(config, RuleFile(name="infrastructure_alerts", groups=[
        RuleGroup(name="disk", rules=disk_rules(config)),
    ]))
