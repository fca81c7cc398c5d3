"""Infrastructure alert rules beyond the seed's six (infrastructure_alerts.yml), from
node-exporter: disks filling up, network interfaces with errors or dropped packets.
Thresholds and durations are in config.py."""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, at_two_levels, with_runbooks
from .config import CONFIG, QuantisConfig


def _percent(ratio: float) -> str:
    return f"{round(ratio * 100)}%"


def disk_rules(config: QuantisConfig = CONFIG) -> list[AlertRule]:
    """DiskSpaceLow at two severities: the critical one mutes the warning of the same
    alertname and service (the seed's inhibit rule)."""
    t, f, node = config.thresholds, config.for_, config.node
    fs = f'fstype!~"{t.ignored_filesystems}"'
    return at_two_levels(
        "DiskSpaceLow", t.disk_used_ratio_warning, t.disk_used_ratio_critical,
        expr=lambda ratio: f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}} > {ratio:g}",
        for_=f.disk_space,
        labels=lambda severity: _labels(severity, "system", node.name, node.owner),
        summary="Disk {{ $labels.mountpoint }} on {{ $labels.instance }} is filling up",
        description=lambda ratio: f"More than {_percent(ratio)} of the filesystem is used for {_human(f.disk_space)} "
                                  "({{ $value | humanizePercentage }} now)",
    )


def network_rules(config: QuantisConfig = CONFIG) -> list[AlertRule]:
    """Errors and drops as a share of the packets of an interface, one alert per direction
    (as node-exporter counts them)."""
    t, f, node = config.thresholds, config.for_, config.node
    dev = f'device!~"{t.ignored_network_devices}"'
    rules = []
    for problem, counter, ratio, fate in (("Errors", "errs", t.interface_error_ratio_above, "had errors"),
                                          ("Drops", "drop", t.interface_drop_ratio_above, "were dropped")):
        for direction, verb in (("Receive", "received"), ("Transmit", "sent")):
            d = direction.lower()
            rules.append(AlertRule(
                alert=f"Network{direction}{problem}",
                expr=f"rate(node_network_{d}_{counter}_total{{{dev}}}[5m])"
                     f" / rate(node_network_{d}_packets_total{{{dev}}}[5m]) > {ratio:g}",
                for_=f.interface_errors,
                labels=_labels("warning", "system", node.name, node.owner),
                annotations={
                    "summary": f"{problem} on network interface {{{{ $labels.device }}}} of {{{{ $labels.instance }}}}",
                    "description": f"More than {ratio * 100:g}% of the packets {verb} {fate} "
                                   f"for {_human(f.interface_errors)}",
                },
            ))
    return rules


def infrastructure_alerts(config: QuantisConfig = CONFIG) -> RuleFile:
    return with_runbooks(config, RuleFile(name="infrastructure_alerts", groups=[
        RuleGroup(name="disk", rules=disk_rules(config)),
        RuleGroup(name="network", rules=network_rules(config)),
    ]))
