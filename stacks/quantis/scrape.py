"""Prometheus scrape jobs and server settings of the Quantis platform."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from obscode import (
    AlertmanagerEndpoint, GlobalConfig, KubernetesSDConfig, PrometheusConfig, RelabelConfig,
    ScrapeConfig, StaticConfig,
)

from .config import CONFIG, Job, QuantisConfig


def _static(job: Job) -> ScrapeConfig:
    return ScrapeConfig(
        job_name=job.name,
        scrape_interval=job.interval,
        static_configs=[StaticConfig(targets=list(job.targets))],
    )


def probed_jobs(config: QuantisConfig) -> list[Job]:
    """The scrape jobs whose targets the blackbox job probes (``Probes.jobs``)."""
    jobs = {job.name: job for job in (config.api, config.model_service, config.database, config.node)}
    return [jobs[name] for name in config.probes.jobs]


def blackbox(config: QuantisConfig = CONFIG, *, exporter: str | None = None,
             targets: Mapping[str, Sequence[str]] | None = None, interval: str | None = None) -> ScrapeConfig:
    """The ``blackbox`` job: each probed job's targets through the blackbox exporter
    (``/probe?module=<module>&target=http://<target><path>``), the probed URL as ``instance``
    and the probed job as ``service``. ``exporter`` and ``targets`` (job -> host:port) default
    to the config's; the local profile gives its own."""
    probes = config.probes
    exporter = exporter or config.blackbox.targets[0]
    targets = targets or {job.name: job.targets for job in probed_jobs(config)}
    return ScrapeConfig(
        job_name=config.blackbox.name,
        scrape_interval=interval or config.blackbox.interval,
        metrics_path="/probe",
        params={"module": [probes.module]},
        static_configs=[StaticConfig(targets=list(addresses), labels={"service": job})
                        for job, addresses in targets.items()],
        relabel_configs=[
            RelabelConfig(source_labels=["__address__"], regex="(.+)", target_label="__param_target",
                          replacement=f"http://${{1}}{probes.path}", action="replace"),
            RelabelConfig(source_labels=["__param_target"], target_label="instance", action="replace"),
            RelabelConfig(target_label="__address__", replacement=exporter, action="replace"),
        ],
    )


def prometheus(config=CONFIG) -> PrometheusConfig:
    kubernetes = ScrapeConfig(
        job_name="kubernetes",
        kubernetes_sd_configs=[KubernetesSDConfig(role="node")],
        relabel_configs=[
            # Scrape node-exporter on each node instead of the kubelet.
            RelabelConfig(
                source_labels=["__address__"],
                regex=f"(.*):{config.kubelet_port}",
                replacement=f"${{1}}:{config.node_exporter_port}",
                target_label="__address__",
                action="replace",
            ),
            RelabelConfig(action="labelmap", regex="__meta_kubernetes_node_label_(.+)"),
        ],
    )
    return PrometheusConfig(
        global_=GlobalConfig(
            scrape_interval=config.scrape_interval,
            evaluation_interval=config.evaluation_interval,
        ),
        alertmanagers=[AlertmanagerEndpoint(static_configs=[StaticConfig(targets=list(config.alertmanager_targets))])],
        scrape_configs=[
            _static(config.api),
            _static(config.model_service),
            _static(config.database),
            _static(config.node),
            blackbox(config),
            # Pushed series keep their own job and instance labels (the training job's), not the gateway's.
            _static(config.pushgateway).model_copy(update={"honor_labels": True}),
            kubernetes,
        ],
    )
