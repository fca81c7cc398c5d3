"""The root object a stack module builds and exposes as ``stack``."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from obscode.errors import caller_location
from obscode.model.alert_tests import AlertTest
from obscode.model.alertmanager import AlertmanagerConfig
from obscode.model.base import CheckIds, FieldError, Model
from obscode.model.catalog import Catalog, resolve as resolve_catalog
from obscode.model.duration import Duration
from obscode.model.dashboards import Datasource, GrafanaSettings
from obscode.model.kubernetes import KubernetesSettings
from obscode.model.logs import LogsConfig
from obscode.model.rules import AlertRule, RecordingRule, RuleFile
from obscode.model.slo import SLO
from obscode.model.scrape import GlobalConfig, PrometheusConfig
from obscode.versions import (
    DEFAULT_ALERTMANAGER_VERSION, DEFAULT_GRAFANA_VERSION, DEFAULT_PROMETHEUS_VERSION, check_stack_versions,
)

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_STACK_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


class Stack(Model):
    """Everything one monitored platform needs: scrape jobs, rules, routing, dashboards,
    the catalogs of what its services emit, and log shipping.

    ``obscode generate`` writes it to ``generated/<name>/``.
    """

    kind = "stack"
    name_field = "name"

    #: The stack's name: its output folder ``generated/<name>/`` and a URL part.
    name: str
    #: The Prometheus server configuration. ``None`` for a stack that only owns rules and
    #: dashboards (its scrape configuration lives elsewhere): no prometheus.yml is written,
    #: and ``job_catalogs`` names the jobs of that other configuration.
    prometheus: PrometheusConfig | None = None
    #: Tool versions the output targets; features a target lacks are definition errors
    #: (see obscode/versions.py). Defaults: the Debian 12 packages the tests run.
    prometheus_version: str = DEFAULT_PROMETHEUS_VERSION
    #: The Alertmanager version the output targets.
    alertmanager_version: str = DEFAULT_ALERTMANAGER_VERSION
    #: The Grafana version the output targets.
    grafana_version: str = DEFAULT_GRAFANA_VERSION
    #: Prometheus rule files, each written to ``prometheus/rules/<name>.yml``.
    rule_files: list[RuleFile] = Field(default_factory=list)
    #: Unit tests of the alerts (promtool's test format, typed), written to
    #: prometheus/tests/<name>.yml and run by ``obscode check`` with ``promtool test rules``.
    alert_tests: list[AlertTest] = Field(default_factory=list)
    #: Also synthesise a test from the catalog for every alert of a simple shape that no
    #: AlertTest covers (series that cross the threshold fire after ``for``; just below, none).
    synthesise_alert_tests: bool = True
    #: An alert whose ``for`` is longer than this is a warning (checked by alerts/for) ...
    alert_for_warning: Duration = "1d"
    #: ... and longer than this an error: the condition would have to hold unbroken that long.
    alert_for_max: Duration = "7d"
    #: How a recording rule name outside the ``level:metric:operations`` form is reported
    #: (checked by rules/naming): "warning", "error" or "off".
    recording_rule_naming: Literal["warning", "error", "off"] = "warning"
    #: The Alertmanager configuration: routes, receivers, inhibitions; ``None``: none written.
    alertmanager: AlertmanagerConfig | None = None
    #: grafanalib or Grafana Foundation SDK dashboards, or dashboard JSON (obscode.model.dashboards).
    dashboards: list[Any] = Field(default_factory=list)
    #: Grafana datasources and dashboard provisioning.
    grafana: GrafanaSettings = Field(default_factory=GrafanaSettings)
    #: Catalogs of what each scrape job's targets emit: a Catalog, a shipped catalog's
    #: name ("node-exporter", "postgres-exporter") or a YAML file. Prometheus' own series
    #: (up, scrape_*, ALERTS) and recording rule outputs are added automatically.
    job_catalogs: dict[str, list[Catalog]] = Field(default_factory=dict)
    #: For a stack without ``prometheus``: the Prometheus it runs on has jobs that
    #: ``job_catalogs`` does not list, so a metric no catalog lists may come from one of them
    #: (a warning, not an error). ``obscode import`` sets it: it sees only the jobs the queries name.
    unlisted_jobs: bool = False
    #: Collectors each job runs, where they differ from the exporter's defaults
    #: ({"node": {"systemd": True, "hwmon": False}}); names come from the job's catalogs.
    #: True also says a collector's condition (e.g. the hardware it reads) holds on every target.
    job_collectors: dict[str, dict[str, bool]] = Field(default_factory=dict)
    #: The exporter version each job runs ({"node": "1.5.0"}): metrics its catalog records as
    #: newer (Metric.since) or removed (Metric.until) are warnings. Unset: any version.
    job_versions: dict[str, str] = Field(default_factory=dict)
    #: Labels every job's targets get from a service discovery or relabelling obscode does
    #: not see (e.g. ["cluster", "namespace", "pod"] for a Prometheus configured elsewhere).
    target_labels: list[str] = Field(default_factory=list)
    #: The same for one job at a time: {"node": ["cluster", "nodename"]}.
    job_labels: dict[str, list[str]] = Field(default_factory=dict)
    #: Checks whose findings on a dashboard are suppressed, by dashboard uid:
    #: {"node-overview": ["catalog/label"]} (dashboards are not obscode models; docs/suppression.md).
    dashboard_ignore: dict[str, CheckIds] = Field(default_factory=dict)
    #: Values the ``severity`` label of an alert may take (checked by alerts/severity).
    allowed_severities: list[str] = Field(default_factory=lambda: ["critical", "warning", "info"])
    #: Whether every alert needs a ``runbook_url`` annotation (checked by alerts/annotations).
    require_runbook_url: bool = False
    #: Log shipping to ELK (Filebeat paths, Logstash/Elasticsearch hosts, retention): ``LogsConfig()``
    #: for the defaults. None (the default): no elk/ output and no Elasticsearch datasource.
    logs: LogsConfig | None = None
    #: Elasticsearch index (or data stream) holding the stack's logs; default "<name>-logs".
    logs_index: str = ""
    #: The output formats ``obscode generate`` writes (see docs/outputs.md): ``prometheus``
    #: (prometheus.yml, rule files, alert tests), ``alertmanager``, ``grafana`` (dashboards and
    #: provisioning), ``elk`` (when ``logs`` is set), ``kubernetes`` (prometheus-operator and
    #: Grafana objects; needs ``kubernetes``), ``thanos`` (Thanos Ruler rule files) and
    #: ``mimir`` (Mimir/Cortex ruler namespaces).
    outputs: list[str] = Field(default_factory=lambda: ["prometheus", "alertmanager", "grafana", "elk"])
    #: Service level objectives (docs/slo.md): each adds a rule file ``slo-<name>``, an inhibit
    #: rule, promtool tests proving each burn-rate tier's detection time, and a panel row of the
    #: error-budget dashboard.
    slos: list[SLO] = Field(default_factory=list)
    #: Namespace, labels, monitors and the target Prometheus / Alertmanager selectors of the
    #: ``kubernetes`` output.
    kubernetes: KubernetesSettings | None = None

    @field_validator("name")
    @classmethod
    def _safe_name(cls, value: str) -> str:
        if not _STACK_NAME.match(value) or value in (".", ".."):
            safe = re.sub(r"[^A-Za-z0-9_.-]+", "-", value.strip()).strip("-.").lower()
            hint = f"; e.g. {safe!r}" if safe else ""
            raise ValueError(f"stack name {value!r} becomes a folder (generated/<name>/) and a URL part: use letters, "
                             f"digits, '-', '_' and '.', starting with a letter or digit{hint}")
        return value

    @field_validator("outputs")
    @classmethod
    def _known_outputs(cls, value: list[str]) -> list[str]:
        from obscode.emit import FORMATS  # the serialisers import the models: resolved late

        for name in value:
            if name not in FORMATS:
                from obscode.model.text import suggest

                raise ValueError(f"unknown output {name!r}{suggest(name, FORMATS)}; outputs: {', '.join(FORMATS)}")
        if len(set(value)) != len(value):
            raise ValueError("an output is named twice")
        return value

    @field_validator("job_catalogs", mode="before")
    @classmethod
    def _resolve_catalogs(cls, value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        where = caller_location()
        base = Path(where.file).resolve().parent if where is not None else None
        return {job: [resolve_catalog(ref, base) for ref in refs] if isinstance(refs, (list, tuple)) else refs
                for job, refs in value.items()}

    @model_validator(mode="after")
    def _consistent(self) -> "Stack":
        jobs = [job.job_name for job in self.prometheus.scrape_configs] if self.prometheus else list(self.job_catalogs)
        if self.unlisted_jobs and self.prometheus is not None:
            raise FieldError("unlisted_jobs", "unlisted_jobs is for a stack without prometheus: a stack with its "
                                              "own Prometheus configuration lists every job")
        for job in self.job_catalogs:
            if job not in jobs:
                raise FieldError("job_catalogs",
                                 f"job_catalogs names job {job!r}, which is not a scrape job; jobs: {', '.join(jobs)}")
        self._check_job_collectors()
        self._check_job_versions()
        self._check_target_labels(jobs)
        self._expand_slos()
        files: dict[str, RuleFile] = {}
        groups: dict[str, tuple[str, Any]] = {}
        for rule_file in self.rule_files:
            if rule_file.name in files:
                first = files[rule_file.name].source
                raise FieldError("rule_files", f"rule file {rule_file.name!r} is defined twice"
                                 + (f" (first at {first})" if first else ""), source=rule_file.source)
            files[rule_file.name] = rule_file
            for group in rule_file.groups:
                if group.name in groups:
                    path, other = groups[group.name]
                    first = f" ({other.source})" if other.source else ""
                    raise FieldError(
                        "rule_files", f"rule group {group.name!r} is defined in {path}{first} and in "
                        f"{rule_file.path}; group names must be unique", source=group.source
                    )
                groups[group.name] = (rule_file.path, group)
        if "kubernetes" in self.outputs and self.kubernetes is None:
            raise FieldError("kubernetes", "outputs name 'kubernetes' but the stack has no kubernetes settings: "
                                           "add kubernetes=KubernetesSettings(namespace=..., ...)")
        if not self.logs_index:
            self.logs_index = f"{self.name}-logs"
        check_stack_versions(self)
        return self

    def _expand_slos(self) -> None:
        names = [slo.name for slo in self.slos]
        for name in names:
            if names.count(name) > 1:
                raise FieldError("slos", f"two SLOs are named {name!r}")
        from obscode.slo import expand  # also removes what an earlier expansion added

        expand(self)

    def _check_job_collectors(self) -> None:
        from obscode.catalog_index import misspelling

        for job, collectors in self.job_collectors.items():
            catalogs = self.job_catalogs.get(job)
            if not catalogs:
                with_catalogs = ", ".join(j for j, c in self.job_catalogs.items() if c) or "none"
                raise FieldError("job_collectors", f"job_collectors names job {job!r}, which has no catalog in "
                                                   f"job_catalogs; jobs with catalogs: {with_catalogs}")
            known = sorted({name for catalog in catalogs for name in catalog.collectors})
            names = ", ".join(catalog.name for catalog in catalogs)
            for collector in collectors:
                if collector in known:
                    continue
                if not known:
                    raise FieldError("job_collectors", f"job_collectors names collector {collector!r} for job {job!r}, "
                                                       f"but its catalogs ({names}) list no collectors")
                close = [k for k in known if misspelling(collector, k) is not None]
                hint = f"did you mean {close[0]}? " if len(close) == 1 else ""
                raise FieldError("job_collectors", f"job_collectors names collector {collector!r} for job {job!r}, "
                                                   f"which none of its catalogs ({names}) has; {hint}"
                                                   f"known collectors: {', '.join(known)}")

    def _check_job_versions(self) -> None:
        from obscode.catalog_index import version_key

        for job, version in self.job_versions.items():
            if not self.job_catalogs.get(job):
                with_catalogs = ", ".join(j for j, c in self.job_catalogs.items() if c) or "none"
                raise FieldError("job_versions", f"job_versions names job {job!r}, which has no catalog in "
                                                 f"job_catalogs; jobs with catalogs: {with_catalogs}")
            if version_key(version) is None:
                raise FieldError("job_versions", f"job_versions gives job {job!r} version {version!r}; "
                                                 "write dotted numbers, e.g. '1.5.0' or 'v1.5.0'")

    def _check_target_labels(self, jobs: list[str]) -> None:
        for job in self.job_labels:
            if job not in jobs:
                raise FieldError("job_labels", f"job_labels names job {job!r}, which is not a scrape job; "
                                               f"jobs: {', '.join(jobs) or 'none'}")
        named = [("target_labels", label) for label in self.target_labels]
        named += [("job_labels", label) for labels in self.job_labels.values() for label in labels]
        for where, label in named:
            if not _LABEL_NAME.match(label):
                raise FieldError(where, f"{label!r} is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")

    @property
    def global_config(self) -> GlobalConfig:
        """The Prometheus global settings (Prometheus' defaults when the stack has no config)."""
        return self.prometheus.global_ if self.prometheus else GlobalConfig()

    def scrape_jobs(self) -> list[str]:
        """Names of the jobs whose series the stack's queries read."""
        if self.prometheus:
            return [job.job_name for job in self.prometheus.scrape_configs]
        return sorted(self.job_catalogs)

    def alerts(self) -> list[tuple[RuleFile, AlertRule]]:
        return [(f, r) for f in self.rule_files for g in f.groups for r in g.rules if isinstance(r, AlertRule)]

    def recording_rules(self) -> list[tuple[RuleFile, RecordingRule]]:
        return [(f, r) for f in self.rule_files for g in f.groups for r in g.rules if isinstance(r, RecordingRule)]

    def datasources(self) -> list[Datasource]:
        """The Grafana datasources obscode provisions for this stack."""
        return self.grafana.datasources(logs_index=self.logs_index if self.logs is not None else None,
                                        scrape_interval=self.global_config.scrape_interval)
