"""Relabelling steps in prometheus-operator's form (``relabelings``, ``metricRelabelings`` of
ServiceMonitor, PodMonitor and ScrapeConfig): Prometheus' fields in camelCase, the same actions."""

from __future__ import annotations

from pydantic import Field

from obscode.kubernetes.meta import KubeModel
from obscode.model.scrape import RelabelAction, RelabelConfig


class Relabeling(KubeModel):
    """One ``RelabelConfig`` of the operator. Its action enum takes Prometheus' lower-case
    names (and CamelCase spellings of them); the lower-case ones are written."""

    source_labels: list[str] | None = Field(default=None, alias="sourceLabels")
    separator: str | None = None
    regex: str | None = None
    modulus: int | None = None
    replacement: str | None = None
    target_label: str | None = Field(default=None, alias="targetLabel")
    action: RelabelAction


def relabeling(config: RelabelConfig) -> Relabeling:
    """``config`` as the operator writes it."""
    return Relabeling(source_labels=None if config.source_labels is None else list(config.source_labels),
                      separator=config.separator, target_label=config.target_label, regex=config.regex,
                      modulus=config.modulus, replacement=config.replacement, action=config.action)


def relabelings(configs: list[RelabelConfig]) -> list[Relabeling]:
    return [relabeling(config) for config in configs]


def set_job(job_name: str) -> Relabeling:
    """The step that gives every target ``job="<job_name>"``: the operator names a monitor's
    job after the Service (or ``<namespace>/<PodMonitor>``), and the catalogs, alerts and
    dashboards of the stack know the job by its name."""
    return Relabeling(target_label="job", replacement=job_name, action="replace")
