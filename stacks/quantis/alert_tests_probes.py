"""Alert tests (promtool's, typed) of the issue-18 alerts the synthesiser cannot write: see ALERTS.

The blackbox probe alerts (one rule per probed job) and the per-process resource alerts (one
rule per instrumented job, at two levels). Their descriptions print ``$value`` through
Prometheus's ``humanizeDuration``, ``humanizePercentage`` and ``humanize1024``, which obscode's
synthesiser does not render: the helpers below print the values fed as Prometheus does.
Thresholds and durations are ``Probes`` in config.py.
"""

from __future__ import annotations

from collections.abc import Callable

from obscode import AlertExpectation, AlertTest, ExpectedAlert, InputSeries

from .alert_tests import _at, _expected, _quiet_then_firing, _samples, _seconds
from .alerts import _human, _labels
from .config import CONFIG, Job, QuantisConfig
from .probe_alerts import _instrumented_jobs
from .scrape import probed_jobs

#: The alerts these tests name.
ALERTS: tuple[str, ...] = ("ProbeFailed", "SlowProbe", "HighProcessCpu", "HighProcessMemory")


def _go_g(value: float) -> str:
    """Go's ``%.4g`` (Prometheus's template functions print with it): Python's is the same."""
    return f"{value:.4g}"


def _humanize_duration(seconds: float) -> str:
    """``humanizeDuration`` of a duration under a minute: ``0.25`` -> ``250ms``, ``1.25`` -> ``1.25s``."""
    assert 0 < seconds < 60, seconds
    if seconds >= 1:
        return f"{_go_g(seconds)}s"
    prefix = ""
    for unit in ("m", "u", "n", "p"):
        if seconds >= 1:
            break
        prefix, seconds = unit, seconds * 1000
    return f"{_go_g(seconds)}{prefix}s"


def _humanize_percentage(ratio: float) -> str:
    """``humanizePercentage``: ``0.875`` -> ``87.5%``."""
    return f"{_go_g(ratio * 100)}%"


def _humanize_1024(size: float) -> str:
    """``humanize1024`` of a size above 1: ``3 * 2**30`` -> ``3Gi``."""
    assert size > 1, size
    prefix = ""
    for unit in ("ki", "Mi", "Gi", "Ti", "Pi", "Ei"):
        if size < 1024:
            break
        prefix, size = unit, size / 1024
    return f"{_go_g(size)}{prefix}"


def _number(value: float) -> str:
    """A sample value for promtool's series notation, without rounding it (``13.125``)."""
    return repr(float(value))


def _probed_url(config: QuantisConfig, target: str) -> str:
    """The ``instance`` of a probe: the URL the blackbox exporter probes (scrape.blackbox)."""
    return f"http://{target}{config.probes.path}"


def _probe_labels(config: QuantisConfig, job: Job, instance: str) -> str:
    return f'job="{config.blackbox.name}", service="{job.name}", instance="{instance}"'


def _probe_alert(config: QuantisConfig, alertname: str, job: Job, severity: str, instance: str,
                 summary: str, description: str) -> ExpectedAlert:
    return _expected(config, alertname, {**_labels(severity, "system", job.name, job.owner),
                                         "job": config.blackbox.name, "instance": instance}, summary, description)


def probe_failed(config: QuantisConfig = CONFIG) -> AlertTest:
    """Every probed job's target fails its probe from the start and alerts after `for`; a
    replica of the first job that fails for less than `for` (a restart) and answers again
    does not, nor does a healthy one."""
    p, step = config.probes, _seconds(config.evaluation_interval)
    hold = _seconds(p.for_failed)
    end = _samples(config, hold + 120)
    jobs = probed_jobs(config)
    first = jobs[0]
    restart_steps = int(hold / 2 // step)  # failing samples of the restarting replica, well under `for`
    series = [InputSeries(series=f"probe_success{{{_probe_labels(config, job, _probed_url(config, job.targets[0]))}}}",
                          values=f"0x{end}") for job in jobs]
    series += [
        InputSeries(series=f"probe_success{{{_probe_labels(config, first, _probed_url(config, 'restarting:8000'))}}}",
                    values=f"0x{restart_steps} 1x{end - restart_steps}"),
        InputSeries(series=f"probe_success{{{_probe_labels(config, first, _probed_url(config, 'healthy:8000'))}}}",
                    values=f"1x{end}"),
    ]

    def alert(job: Job) -> ExpectedAlert:
        instance = _probed_url(config, job.targets[0])
        return _probe_alert(config, "ProbeFailed", job, "critical", instance,
                            f"{job.name} does not answer its probe ({instance})",
                            f"The blackbox exporter's {p.module} probe of {instance} has failed for "
                            f"{_human(p.for_failed)}: the service is unreachable or answers with an error")

    return AlertTest(
        name="probe-failed",
        input_series=series,
        alert_rule_test=[
            # the restarting replica is failing here, still short of `for`
            AlertExpectation(eval_time=_at((restart_steps - 1) * step), alertname="ProbeFailed"),
            *_quiet_then_firing("ProbeFailed", hold - step, hold + 120, [alert(job) for job in jobs]),
        ],
    )


def slow_probe(config: QuantisConfig = CONFIG, critical: bool = False) -> AlertTest:
    """Every probed job's probe succeeds in between the two durations (warning), or in longer
    than both (``critical``: warning and critical); neither before `for`. A fast probe of the
    first job does not alert, nor does a failed one that took longer than both (it timed out:
    ProbeFailed's)."""
    p = config.probes
    hold = _seconds(p.for_slow)
    end = _samples(config, hold + 120)
    warning, critical_bound = p.duration_seconds_warning, p.duration_seconds_critical
    seconds = critical_bound * 2 if critical else (warning + critical_bound) / 2
    jobs = probed_jobs(config)
    first = jobs[0]
    probes = {(job, _probed_url(config, job.targets[0])): (seconds, 1) for job in jobs}
    probes[(first, _probed_url(config, "fast:8000"))] = (warning / 2, 1)
    probes[(first, _probed_url(config, "timing-out:8000"))] = (critical_bound * 2, 0)
    series = []
    for (job, instance), (duration, success) in probes.items():
        labels = _probe_labels(config, job, instance)
        series += [InputSeries(series=f"probe_duration_seconds{{{labels}}}", values=f"{_number(duration)}x{end}"),
                   InputSeries(series=f"probe_success{{{labels}}}", values=f"{success}x{end}")]

    def alert(job: Job, severity: str, bound: float) -> ExpectedAlert:
        instance = _probed_url(config, job.targets[0])
        return _probe_alert(config, "SlowProbe", job, severity, instance,
                            f"Slow probe of {job.name} ({instance})",
                            f"Probing {instance} has taken more than {bound:g}s for {_human(p.for_slow)} "
                            f"({_humanize_duration(seconds)} now)")

    expected = _levels(jobs, alert, warning, critical_bound, critical)
    return AlertTest(
        name="slow-probe" + ("-critical" if critical else ""),
        input_series=series,
        alert_rule_test=_quiet_then_firing("SlowProbe", hold - 60, hold + 120, expected),
    )


def _levels(jobs: list[Job], alert: Callable[[Job, str, float], ExpectedAlert], warning: float,
            critical_bound: float, critical: bool) -> list[ExpectedAlert]:
    """Each job's warning alert (at the ``warning`` bound) and, when ``critical``, its critical
    one (at ``critical_bound``) right after it."""
    expected = []
    for job in jobs:
        expected.append(alert(job, "warning", warning))
        if critical:
            expected.append(alert(job, "critical", critical_bound))
    return expected


def _process_alert(config: QuantisConfig, alertname: str, job: Job, severity: str, summary: str,
                   description: str) -> ExpectedAlert:
    return _expected(config, alertname, {**_labels(severity, "system", job.name, job.owner), "job": job.name,
                                         "instance": job.targets[0]}, summary, description)


def high_process_cpu(config: QuantisConfig = CONFIG, critical: bool = False) -> AlertTest:
    """The processes of every instrumented job use between the two shares of a core (warning),
    or more than both (``critical``: warning and critical, as a multi-threaded process can use
    more than one core); neither before `for`. An idle replica of the first job does not alert."""
    p, step = config.probes, _seconds(config.evaluation_interval)
    hold, window = _seconds(p.for_cpu), _seconds(p.cpu_window)
    # rate() has a value from the second sample on, but reaches the share fed only when its
    # window is full of samples: the alert fires `for` after some time in between.
    end = _samples(config, window + hold + 120)
    warning, critical_bound = p.cpu_cores_warning, p.cpu_cores_critical
    cores = critical_bound * 2 if critical else (warning + critical_bound) / 2
    jobs = _instrumented_jobs(config)
    series = [InputSeries(series=f'process_cpu_seconds_total{{job="{job.name}", instance="{job.targets[0]}"}}',
                          values=f"0+{_number(cores * step)}x{end}") for job in jobs]
    series.append(InputSeries(series=f'process_cpu_seconds_total{{job="{jobs[0].name}", instance="idle:8000"}}',
                              values=f"0+{_number(warning / 2 * step)}x{end}"))

    def alert(job: Job, severity: str, bound: float) -> ExpectedAlert:
        return _process_alert(config, "HighProcessCpu", job, severity,
                              f"{job.name} is using a lot of CPU on {job.targets[0]}",
                              f"The processes of {job.name} have used more than {bound * 100:g}% of one core for "
                              f"{_human(p.for_cpu)} ({_humanize_percentage(cores)} of a core now)")

    expected = _levels(jobs, alert, warning, critical_bound, critical)
    return AlertTest(
        name="high-process-cpu" + ("-critical" if critical else ""),
        input_series=series,
        alert_rule_test=_quiet_then_firing("HighProcessCpu", step + hold - 60, window + hold + 120, expected),
    )


def high_process_memory(config: QuantisConfig = CONFIG, critical: bool = False) -> AlertTest:
    """The processes of every instrumented job hold between the two sizes (warning), or more
    than both (``critical``: warning and critical); neither before `for`. A replica of the
    first job holding half the warning size does not alert."""
    p = config.probes
    hold = _seconds(p.for_memory)
    end = _samples(config, hold + 120)
    warning, critical_bound = p.resident_bytes_warning, p.resident_bytes_critical
    size = critical_bound * 2 if critical else (warning + critical_bound) / 2
    jobs = _instrumented_jobs(config)
    series = [InputSeries(series=f'process_resident_memory_bytes{{job="{job.name}", instance="{job.targets[0]}"}}',
                          values=f"{size:.0f}x{end}") for job in jobs]
    series.append(InputSeries(series=f'process_resident_memory_bytes{{job="{jobs[0].name}", instance="small:8000"}}',
                              values=f"{warning / 2:.0f}x{end}"))

    def alert(job: Job, severity: str, bound: float) -> ExpectedAlert:
        return _process_alert(config, "HighProcessMemory", job, severity,
                              f"{job.name} is using a lot of memory on {job.targets[0]}",
                              f"The processes of {job.name} have held more than {bound / 1024**3:g} GiB of resident "
                              f"memory for {_human(p.for_memory)} ({_humanize_1024(round(size))}B now)")

    expected = _levels(jobs, alert, warning, critical_bound, critical)
    return AlertTest(
        name="high-process-memory" + ("-critical" if critical else ""),
        input_series=series,
        alert_rule_test=_quiet_then_firing("HighProcessMemory", hold - 60, hold + 120, expected),
    )


def alert_tests(config: QuantisConfig = CONFIG) -> list[AlertTest]:
    return [probe_failed(config),
            slow_probe(config), slow_probe(config, critical=True),
            high_process_cpu(config), high_process_cpu(config, critical=True),
            high_process_memory(config), high_process_memory(config, critical=True)]
