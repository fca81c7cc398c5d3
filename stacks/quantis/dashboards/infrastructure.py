"""Infrastructure: CPU, memory, disk space and I/O, network, from node-exporter; the services'
own CPU and memory (their process metrics) and their blackbox probes."""

from __future__ import annotations

from grafanalib import core as g

from ..config import CONFIG
from ..probe_alerts import PROCESS_CATALOGS
from ._build import HALF, dashboard, grid, job_and_instance, rising_steps, steps, target, timeseries

UID = "infrastructure"
SEL = 'job=~"$job", instance=~"$instance"'


def _services(config) -> str:
    """The instrumented services' jobs, as a label matcher (the process panels' rows)."""
    jobs = [name for name, catalogs in config.job_catalogs if set(PROCESS_CATALOGS) & set(catalogs)]
    return f'job=~"{"|".join(jobs)}"'


def service_panels(config, y: int) -> list[g.Panel]:
    """Process CPU and memory of each service, and its probes, coloured by probe_alerts' thresholds."""
    p, services = config.probes, _services(config)
    probes = f'job="{config.blackbox.name}"'
    return [
        timeseries("Service CPU (process)",
                   [target(f"rate(process_cpu_seconds_total{{{services}}}[$__rate_interval])", "{{job}} {{instance}}")],
                   "percentunit", grid(0, y, HALF),
                   thresholds=steps(("orange", p.cpu_cores_warning), ("red", p.cpu_cores_critical)),
                   draw_thresholds=True, minimum=0,
                   description="CPU seconds per second of each service's processes (100% = one core busy); "
                               "HighProcessCpu warns above the orange line and pages above the red one."),
        timeseries("Service memory (process, resident)",
                   [target(f"process_resident_memory_bytes{{{services}}}", "{{job}} {{instance}}")],
                   "bytes", grid(12, y, HALF),
                   thresholds=steps(("orange", p.resident_bytes_warning), ("red", p.resident_bytes_critical)),
                   draw_thresholds=True, minimum=0,
                   description="Resident memory of each service's processes (HighProcessMemory's levels)."),
        timeseries("Probe duration",
                   [target(f"probe_duration_seconds{{{probes}}}", "{{service}} {{instance}}")],
                   "s", grid(0, y + 8, HALF),
                   thresholds=steps(("orange", p.duration_seconds_warning), ("red", p.duration_seconds_critical)),
                   draw_thresholds=True, minimum=0,
                   description=f"How long the blackbox exporter's {p.module} probe of each service took (SlowProbe's levels)."),
        timeseries("Probe success",
                   [target(f"probe_success{{{probes}}}", "{{service}} {{instance}}")],
                   "percentunit", grid(12, y + 8, HALF), thresholds=rising_steps(("green", 1)),
                   minimum=0, maximum=1,
                   description="1 when the last probe answered 2xx; ProbeFailed fires when it stays 0."),
    ]


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
        *service_panels(config, 24),
    ]
    return dashboard("Infrastructure", UID, ["infrastructure"], job_and_instance("node_cpu_seconds_total"), panels,
                     description="Hosts as node-exporter sees them, then the services' own processes and probes.")
