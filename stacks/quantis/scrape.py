"""Prometheus scrape jobs and server settings of the Quantis platform."""

from __future__ import annotations

from obscode import (
    AlertmanagerEndpoint, GlobalConfig, KubernetesSDConfig, PrometheusConfig, RelabelConfig,
    ScrapeConfig, StaticConfig,
)

from .config import CONFIG, Job


def _static(job: Job) -> ScrapeConfig:
    return ScrapeConfig(
        job_name=job.name,
        scrape_interval=job.interval,
        static_configs=[StaticConfig(targets=list(job.targets))],
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
            kubernetes,
        ],
    )
