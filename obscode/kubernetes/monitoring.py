"""PrometheusRule (one per rule file), ServiceMonitor / PodMonitor (jobs in
``KubernetesSettings.monitors``) and ScrapeConfig (every other job).

A job keeps its name as its ``job`` label whichever object it becomes: a ScrapeConfig through
``jobName``, a monitor through a first relabeling that sets ``job`` (the operator would name the
job after the Service, or ``<namespace>/<PodMonitor>``), so the catalogs, alerts and dashboards
written against the job still hold. What the operator's objects cannot express is a
``ValueError`` naming the job and the field."""

from __future__ import annotations

from typing import Any

from obscode.emit.prometheus import rule_file_data
from obscode.kubernetes import monitoring_auth as auth
from obscode.kubernetes import monitoring_models as k8s
from obscode.kubernetes.meta import metadata, object_name
from obscode.kubernetes.relabel import relabelings, set_job
from obscode.model.duration import parse_duration
from obscode.model.kubernetes import KubernetesSettings, Monitor
from obscode.model.rules import RuleFile
from obscode.model.scrape import GlobalConfig, ScrapeConfig
from obscode.stack import Stack

#: Prometheus' ``kubernetes_sd_configs`` roles → the operator's spelling.
ROLES = {"node": "Node", "pod": "Pod", "service": "Service", "endpoints": "Endpoints",
         "endpointslice": "EndpointSlice", "ingress": "Ingress"}

#: The fields of the scrape models this module translates (a test holds them to the models, so
#: a field added to a model cannot be left out of the operator's objects unnoticed).
TRANSLATED = {
    "ScrapeConfig": {"job_name", "scrape_interval", "scrape_timeout", "metrics_path", "scheme", "honor_labels",
                     "params", "static_configs", "kubernetes_sd_configs", "relabel_configs",
                     "metric_relabel_configs", "basic_auth", "bearer_token"},
    "StaticConfig": {"targets", "labels"},
    "KubernetesSDConfig": {"role", "api_server", "namespaces", "kubeconfig_file"},
    "RelabelConfig": {"action", "source_labels", "separator", "regex", "modulus", "target_label", "replacement"},
    "BasicAuth": {"username", "password"},
}


def objects(stack: Stack) -> list[dict[str, Any]]:
    settings = stack.kubernetes
    if settings is None:
        return []
    out = [prometheus_rule(stack.name, settings, rule_file).data() for rule_file in stack.rule_files]
    jobs = stack.prometheus.scrape_configs if stack.prometheus is not None else []
    _check_monitors(settings, [job.job_name for job in jobs])
    global_config = stack.global_config
    for job in jobs:
        monitor = settings.monitors.get(job.job_name)
        if monitor is None:
            out.append(scrape_config(stack.name, settings, job, global_config).data())
        else:
            out.append(monitor_object(stack.name, settings, job, monitor, global_config).data())
    return out


def prometheus_rule(stack: str, settings: KubernetesSettings, rule_file: RuleFile) -> k8s.PrometheusRule:
    """The PrometheusRule of one rule file: its groups as Prometheus reads them, plus a group's
    ``partial_response_strategy`` where the group sets one (Thanos Ruler reads it)."""
    groups = rule_file_data(rule_file)["groups"]
    for data, group in zip(groups, rule_file.groups, strict=True):
        if group.partial_response_strategy is not None:
            data["partial_response_strategy"] = group.partial_response_strategy
    return k8s.PrometheusRule(
        metadata=metadata(settings, stack, object_name(stack, rule_file.name), settings.rule_labels),
        spec=k8s.PrometheusRuleSpec.model_validate({"groups": groups}))


def _check_monitors(settings: KubernetesSettings, jobs: list[str]) -> None:
    for name in settings.monitors:
        if name not in jobs:
            raise ValueError(f"kubernetes settings, field 'monitors': {name!r} is not a scrape job of the stack; "
                             f"jobs: {', '.join(jobs) or 'none'}")


def _interval(job: ScrapeConfig, global_config: GlobalConfig) -> tuple[str, str | None]:
    """The job's scrape interval and timeout as Prometheus works them out from the global
    settings: written out, since the target Prometheus' own defaults may differ from the stack's."""
    interval = job.scrape_interval or global_config.scrape_interval
    timeout = job.scrape_timeout
    if timeout is None and global_config.scrape_timeout is not None:
        timeout = (interval if parse_duration(global_config.scrape_timeout) > parse_duration(interval)
                   else global_config.scrape_timeout)
    return interval, timeout


def _unsupported(job: ScrapeConfig, field: str, kind: str, why: str) -> ValueError:
    return ValueError(f"scrape job {job.job_name}, field {field!r}: a {kind} cannot express it; {why}")


def scrape_config(stack: str, settings: KubernetesSettings, job: ScrapeConfig,
                  global_config: GlobalConfig) -> k8s.ScrapeConfig:
    interval, timeout = _interval(job, global_config)
    return k8s.ScrapeConfig(
        metadata=metadata(settings, stack, object_name(stack, job.job_name), settings.monitor_labels),
        spec=k8s.ScrapeConfigSpec(
            job_name=job.job_name, scrape_interval=interval, scrape_timeout=timeout,
            metrics_path=job.metrics_path, scheme=job.scheme, honor_labels=job.honor_labels,
            params=None if job.params is None else {k: list(v) for k, v in job.params.items()},
            basic_auth=auth.basic_auth(job, settings, stack), authorization=auth.authorization(job, settings, stack),
            static_configs=[k8s.StaticConfig(targets=list(c.targets), labels=dict(c.labels))
                            for c in job.static_configs],
            kubernetes_sd_configs=[_kubernetes_sd(job, i) for i in range(len(job.kubernetes_sd_configs))],
            relabelings=relabelings(job.relabel_configs),
            metric_relabelings=relabelings(job.metric_relabel_configs)))


def _kubernetes_sd(job: ScrapeConfig, index: int) -> k8s.KubernetesSDConfig:
    config = job.kubernetes_sd_configs[index]
    if config.kubeconfig_file is not None:
        raise _unsupported(job, f"kubernetes_sd_configs[{index}].kubeconfig_file", "ScrapeConfig",
                           "the operator's Prometheus discovers with its own service account, or with "
                           "api_server and credentials; remove kubeconfig_file")
    return k8s.KubernetesSDConfig(role=ROLES[config.role], api_server=config.api_server,
                                  namespaces=k8s.SDNamespaces(names=list(config.namespaces))
                                  if config.namespaces else None)


def monitor_object(stack: str, settings: KubernetesSettings, job: ScrapeConfig, monitor: Monitor,
                   global_config: GlobalConfig) -> k8s.ServiceMonitor | k8s.PodMonitor:
    """The ServiceMonitor or PodMonitor of ``job``: the monitor's selector and port replace the
    job's own targets (static or discovered)."""
    _check_monitored(job, monitor.type)
    interval, timeout = _interval(job, global_config)
    endpoint = k8s.MonitorEndpoint(
        port=monitor.port, path=job.metrics_path, scheme=job.scheme,
        params=None if job.params is None else {k: list(v) for k, v in job.params.items()},
        interval=interval, scrape_timeout=timeout, honor_labels=job.honor_labels,
        basic_auth=auth.basic_auth(job, settings, stack), authorization=auth.authorization(job, settings, stack),
        relabelings=[set_job(job.job_name), *relabelings(job.relabel_configs)],
        metric_relabelings=relabelings(job.metric_relabel_configs))
    namespaces = (k8s.NamespaceSelector(any=True) if monitor.any_namespace
                  else k8s.NamespaceSelector(match_names=list(monitor.namespaces)) if monitor.namespaces else None)
    meta = metadata(settings, stack, object_name(stack, job.job_name), settings.monitor_labels)
    selector = k8s.Selector.of(monitor.selector)
    if monitor.type == "PodMonitor":
        return k8s.PodMonitor(metadata=meta, spec=k8s.PodMonitorSpec(
            selector=selector, namespace_selector=namespaces, pod_metrics_endpoints=[endpoint]))
    return k8s.ServiceMonitor(metadata=meta, spec=k8s.ServiceMonitorSpec(
        selector=selector, namespace_selector=namespaces, endpoints=[endpoint]))


def _check_monitored(job: ScrapeConfig, kind: str) -> None:
    """What of the job's own targets would be lost when a monitor finds them instead."""
    for index, config in enumerate(job.static_configs):
        if config.labels:
            raise _unsupported(job, f"static_configs[{index}].labels", kind,
                               "its targets come from the monitor's selector; set the labels with a "
                               "relabel_configs step (target_label, replacement) instead")
    for index, sd in enumerate(job.kubernetes_sd_configs):
        for field in ("api_server", "kubeconfig_file"):
            if getattr(sd, field) is not None:
                raise _unsupported(job, f"kubernetes_sd_configs[{index}].{field}", kind,
                                   "a monitor discovers in the operator's own cluster; scrape another "
                                   "cluster with a ScrapeConfig (leave the job out of monitors)")
