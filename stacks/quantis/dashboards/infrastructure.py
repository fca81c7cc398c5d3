"""Infrastructure: CPU, memory, disk space and I/O, network, from node-exporter."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ._build import HALF, dashboard, grid, job_and_instance, steps, target, timeseries

UID = "infrastructure"
SEL = 'job=~"$job", instance=~"$instance"'


def build(config=CONFIG) -> g.Dashboard:
    t = config.thresholds
    cpu_busy_warning = 1 - t.cpu_idle_ratio_below
    fs = f'{SEL}, fstype!~"{t.ignored_filesystems}"'
    panels = [
        timeseries("CPU usage",
                   [target(f'1 - avg by (instance) (rate(node_cpu_seconds_total{{{SEL}, mode="idle"}}[$__rate_interval]))',
                           "{{instance}}")],
                   "percentunit", grid(0, 0, HALF), thresholds=steps(("red", cpu_busy_warning)),
                   draw_thresholds=True, minimum=0, maximum=1,
                   description="Share of CPU time not idle, averaged over all cores (HighCpuUsage fires above the line)."),
        timeseries("Memory usage",
                   [target(f"(node_memory_MemTotal_bytes{{{SEL}}} - node_memory_MemAvailable_bytes{{{SEL}}})"
                           f" / node_memory_MemTotal_bytes{{{SEL}}}", "{{instance}}")],
                   "percentunit", grid(12, 0, HALF), thresholds=steps(("red", t.memory_used_ratio_above)),
                   draw_thresholds=True, minimum=0, maximum=1),
        timeseries("Memory available",
                   [target(f"node_memory_MemAvailable_bytes{{{SEL}}}", "{{instance}} available"),
                    target(f"node_memory_MemTotal_bytes{{{SEL}}}", "{{instance}} total", ref="B")],
                   "bytes", grid(0, 8, HALF)),
        timeseries("Disk space used",
                   [target(f"1 - node_filesystem_avail_bytes{{{fs}}} / node_filesystem_size_bytes{{{fs}}}",
                           "{{instance}} {{mountpoint}}")],
                   "percentunit", grid(12, 8, HALF),
                   thresholds=steps(("orange", t.disk_used_ratio_warning), ("red", t.disk_used_ratio_critical)),
                   draw_thresholds=True, minimum=0, maximum=1),
        timeseries("Disk I/O",
                   [target(f"rate(node_disk_read_bytes_total{{{SEL}}}[$__rate_interval])", "{{instance}} {{device}} read"),
                    target(f"rate(node_disk_written_bytes_total{{{SEL}}}[$__rate_interval])",
                           "{{instance}} {{device}} written", ref="B")],
                   "Bps", grid(0, 16, HALF)),
        timeseries("Network traffic",
                   [target(f'rate(node_network_receive_bytes_total{{{SEL}, device!="lo"}}[$__rate_interval])',
                           "{{instance}} {{device}} received"),
                    target(f'rate(node_network_transmit_bytes_total{{{SEL}, device!="lo"}}[$__rate_interval])',
                           "{{instance}} {{device}} sent", ref="B")],
                   "Bps", grid(12, 16, HALF)),
    ]
    return dashboard("Infrastructure", UID, ["infrastructure"], job_and_instance("node_cpu_seconds_total"), panels,
                     description="Hosts as node-exporter sees them.")
