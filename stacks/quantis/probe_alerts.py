"""Blackbox probe and per-process resource alerts (probe_alerts.yml).

ProbeFailed and SlowProbe read the ``blackbox`` job (blackbox-exporter), one rule per probed
service so ``service`` and ``owner`` are the probed job's; HighProcessCpu and HighProcessMemory
read the process metrics of each service instrumented with obscode (instrumentation-http or,
for a metrics port that serves no HTTP requests, instrumentation-process).
Thresholds and durations are ``Probes`` in config.py.
"""

from __future__ import annotations

from obscode import AlertRule, RuleFile, RuleGroup

from .alerts import _human, _labels, at_two_levels, with_runbooks
from .config import CONFIG, Job, QuantisConfig
from .scrape import probed_jobs


#: Catalogs whose targets export the instrumentation's process metrics.
PROCESS_CATALOGS = ("instrumentation-http", "instrumentation-process")


def _instrumented_jobs(config: QuantisConfig) -> list[Job]:
    """The scrape jobs whose targets emit the instrumentation's process metrics."""
    jobs = {job.name: job for job in (config.api, config.model_service, config.database, config.node)}
    return [jobs[name] for name, catalogs in config.job_catalogs
            if set(PROCESS_CATALOGS) & set(catalogs) and name in jobs]


def _probe_selector(config: QuantisConfig, job: Job) -> str:
    return f'job="{config.blackbox.name}", service="{job.name}"'


def probe_failed(config: QuantisConfig, job: Job) -> AlertRule:
    p = config.probes
    return AlertRule(
        alert="ProbeFailed",
        expr=f"probe_success{{{_probe_selector(config, job)}}} == 0",
        for_=p.for_failed,
        labels=_labels("critical", "system", job.name, job.owner),
        annotations={
            "summary": f"{job.name} does not answer its probe ({{{{ $labels.instance }}}})",
            "description": f"The blackbox exporter's {p.module} probe of {{{{ $labels.instance }}}} has failed "
                           f"for {_human(p.for_failed)}: the service is unreachable or answers with an error",
        },
    )


def slow_probe(config: QuantisConfig, job: Job) -> list[AlertRule]:
    p = config.probes
    sel = _probe_selector(config, job)
    return at_two_levels(
        "SlowProbe", p.duration_seconds_warning, p.duration_seconds_critical,
        # Only successful probes: a failed one takes its timeout and is ProbeFailed's.
        expr=lambda seconds: f"probe_duration_seconds{{{sel}}} > {seconds:g} and probe_success{{{sel}}} == 1",
        for_=p.for_slow,
        labels=lambda severity: _labels(severity, "system", job.name, job.owner),
        summary=f"Slow probe of {job.name} ({{{{ $labels.instance }}}})",
        description=lambda seconds: f"Probing {{{{ $labels.instance }}}} has taken more than {seconds:g}s "
                                    f"for {_human(p.for_slow)} ({{{{ $value | humanizeDuration }}}} now)",
    )


def process_cpu(config: QuantisConfig, job: Job) -> list[AlertRule]:
    p = config.probes
    return at_two_levels(
        "HighProcessCpu", p.cpu_cores_warning, p.cpu_cores_critical,
        expr=lambda cores: f'rate(process_cpu_seconds_total{{job="{job.name}"}}[{p.cpu_window}]) > {cores:g}',
        for_=p.for_cpu,
        labels=lambda severity: _labels(severity, "system", job.name, job.owner),
        summary=f"{job.name} is using a lot of CPU on {{{{ $labels.instance }}}}",
        description=lambda cores: f"The processes of {job.name} have used more than {cores * 100:g}% of one core "
                                  f"for {_human(p.for_cpu)} ({{{{ $value | humanizePercentage }}}} of a core now)",
    )


def process_memory(config: QuantisConfig, job: Job) -> list[AlertRule]:
    p = config.probes
    return at_two_levels(
        "HighProcessMemory", p.resident_bytes_warning, p.resident_bytes_critical,
        expr=lambda size: f'process_resident_memory_bytes{{job="{job.name}"}} > {size:.0f}',
        for_=p.for_memory,
        labels=lambda severity: _labels(severity, "system", job.name, job.owner),
        summary=f"{job.name} is using a lot of memory on {{{{ $labels.instance }}}}",
        description=lambda size: f"The processes of {job.name} have held more than {_gib(size)} of resident memory "
                                 f"for {_human(p.for_memory)} ({{{{ $value | humanize1024 }}}}B now)",
    )


def _gib(size: float) -> str:
    return f"{size / 1024**3:g} GiB"


def rule_files(config: QuantisConfig = CONFIG) -> list[RuleFile]:
    probed = probed_jobs(config)
    instrumented = _instrumented_jobs(config)
    return [with_runbooks(config, RuleFile(name="probe_alerts", groups=[
        RuleGroup(name="probes", rules=[
            *(probe_failed(config, job) for job in probed),
            *(rule for job in probed for rule in slow_probe(config, job)),
        ]),
        RuleGroup(name="processes", rules=[
            *(rule for job in instrumented for rule in process_cpu(config, job)),
            *(rule for job in instrumented for rule in process_memory(config, job)),
        ]),
    ]))]
