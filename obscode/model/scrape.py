"""Prometheus server configuration: global, alerting, scrape jobs and relabelling."""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from obscode.model.base import Model
from obscode.model.duration import Duration, parse_duration
from obscode.model.secrets import SecretRef, secret_field

_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_JOB_NAME = re.compile(r"^\S+$")

RelabelAction = Literal[
    "replace", "keep", "drop", "keepequal", "dropequal", "hashmod",
    "labelmap", "labeldrop", "labelkeep", "lowercase", "uppercase",
]
RELABEL_ACTIONS: tuple[str, ...] = RelabelAction.__args__  # type: ignore[attr-defined]


def _check_regex(pattern: str) -> str:
    try:
        re.compile(pattern)
    except re.error as exc:
        raise ValueError(f"regex {pattern!r} does not compile: {exc}") from None
    return pattern


def _labels(value: dict[str, str], what: str) -> dict[str, str]:
    for name in value:
        if not _LABEL_NAME.match(name):
            raise ValueError(f"{what} name {name!r} is not a valid Prometheus label name ([a-zA-Z_][a-zA-Z0-9_]*)")
    return value


class GlobalConfig(Model):
    """``global:`` of prometheus.yml: default intervals and the external labels."""

    kind = "global"

    #: How often every job's targets are scraped unless the job says otherwise.
    scrape_interval: Duration = "1m"
    #: How long a scrape may take, at most ``scrape_interval``; default Prometheus' 10s.
    scrape_timeout: Duration | None = None
    #: How often rule groups are evaluated unless a group says otherwise.
    evaluation_interval: Duration = "1m"
    #: Labels added to every series and alert leaving this Prometheus (e.g. ``cluster``).
    external_labels: dict[str, str] = Field(default_factory=dict)

    check_label_names = field_validator("external_labels")(lambda cls, v: _labels(v, "external label"))

    @model_validator(mode="after")
    def _timeout_within_interval(self) -> "GlobalConfig":
        if self.scrape_timeout and parse_duration(self.scrape_timeout) > parse_duration(self.scrape_interval):
            raise ValueError(
                f"scrape_timeout {self.scrape_timeout} is longer than scrape_interval "
                f"{self.scrape_interval}; make the timeout at most the interval"
            )
        return self


class StaticConfig(Model):
    """Targets listed by hand, with labels added to their series."""

    kind = "static_config"

    #: ``host:port`` of each target; the scheme and path belong to the job.
    targets: list[str]
    #: Labels added to every series scraped from these targets.
    labels: dict[str, str] = Field(default_factory=dict)

    @field_validator("targets")
    @classmethod
    def _targets(cls, value: list[str]) -> list[str]:
        if not value:
            raise ValueError("list at least one target, e.g. ['api:8000']")
        for target in value:
            if "://" in target or "/" in target:
                raise ValueError(
                    f"target {target!r} must be host:port; put the scheme in `scheme` and the path in `metrics_path`"
                )
        return value

    check_label_names = field_validator("labels")(lambda cls, v: _labels(v, "target label"))


class KubernetesSDConfig(Model):
    """A subset of ``kubernetes_sd_configs`` fields, as upstream documents them."""

    kind = "kubernetes_sd_config"

    #: Which Kubernetes objects become targets.
    role: Literal["node", "pod", "service", "endpoints", "endpointslice", "ingress"]
    #: The API server's URL; default: in-cluster discovery.
    api_server: str | None = None
    #: A kubeconfig file to reach the cluster with, instead of in-cluster credentials.
    kubeconfig_file: str | None = None
    #: Namespaces to discover in (YAML ``namespaces.names``); default: all.
    namespaces: list[str] | None = Field(default=None, json_schema_extra={"path": "namespaces.names"})


class RelabelConfig(Model):
    """One relabelling step. Every action Prometheus knows is accepted; each checks the
    fields it needs."""

    kind = "relabel_config"

    #: Labels whose values, joined by ``separator``, the regex is matched against.
    source_labels: list[str] | None = None
    #: What joins the source label values; Prometheus' default ``;``.
    separator: str | None = None
    #: The (anchored, RE2) regular expression; Prometheus' default ``(.*)``.
    regex: str | None = None
    #: The modulus ``hashmod`` takes of the hash of the source label values.
    modulus: int | None = None
    #: The value written, with ``$1``-style references to regex groups; default ``$1``.
    replacement: str | None = None
    #: The label written by ``replace``, ``hashmod``, ``lowercase``, ``uppercase``.
    target_label: str | None = None
    #: What the step does; each action checks the fields it needs (``replace`` needs
    #: ``target_label``).
    action: RelabelAction = "replace"

    @field_validator("action", mode="before")
    @classmethod
    def _known_action(cls, value: Any) -> Any:
        if isinstance(value, str) and value not in RELABEL_ACTIONS:
            raise ValueError(f"unknown relabel action {value!r}; Prometheus knows: {', '.join(RELABEL_ACTIONS)}")
        return value

    @field_validator("regex")
    @classmethod
    def _regex(cls, value: str | None) -> str | None:
        return None if value is None else _check_regex(value)

    @model_validator(mode="after")
    def _fields_for_action(self) -> "RelabelConfig":
        needs_target = {"replace", "hashmod", "lowercase", "uppercase", "keepequal", "dropequal"}
        if self.action in needs_target and not self.target_label:
            raise ValueError(f"action {self.action!r} needs target_label")
        if self.action == "hashmod" and not self.modulus:
            raise ValueError("action 'hashmod' needs a positive modulus")
        if self.action in {"labeldrop", "labelkeep"} and (self.source_labels or self.target_label):
            raise ValueError(f"action {self.action!r} works on label names: give only regex, not source_labels/target_label")
        if self.action in {"keep", "drop", "keepequal", "dropequal", "hashmod", "lowercase", "uppercase"} and not self.source_labels:
            raise ValueError(f"action {self.action!r} needs source_labels")
        if self.action == "labelmap" and not self.regex:
            raise ValueError("action 'labelmap' needs a regex matching the label names to copy")
        return self


class BasicAuth(Model):
    """HTTP basic authentication; the password is a file Prometheus reads."""

    kind = "basic_auth"

    #: The user name sent with every scrape.
    username: str
    #: The password, a file Prometheus reads (YAML ``password_file``); never a literal.
    password: SecretRef

    check_secret = field_validator("password", mode="before")(lambda cls, v: secret_field(v, "password", "Prometheus"))


class ScrapeConfig(Model):
    """One scrape job: its targets (static or discovered), how they are scraped and relabelled."""

    kind = "scrape job"
    name_field = "job_name"

    #: The job's name, the ``job`` label of its series, unique in the configuration.
    job_name: str
    #: How often this job is scraped; default: the global ``scrape_interval``.
    scrape_interval: Duration | None = None
    #: How long one scrape may take, at most the interval; default: the global one.
    scrape_timeout: Duration | None = None
    #: The HTTP path scraped; Prometheus' default ``/metrics``.
    metrics_path: str | None = None
    #: ``http`` (Prometheus' default) or ``https``.
    scheme: Literal["http", "https"] | None = None
    #: Keep the labels a target exposes when they clash with the ones Prometheus adds.
    honor_labels: bool | None = None
    #: URL query parameters of each scrape, e.g. ``{"module": ["http_2xx"]}`` for blackbox.
    params: dict[str, list[str]] | None = None
    #: HTTP basic authentication of the scrapes (not with ``bearer_token``).
    basic_auth: BasicAuth | None = None
    #: A bearer token file (YAML ``authorization.credentials_file``); never a literal.
    bearer_token: SecretRef | None = Field(default=None, json_schema_extra={"path": "authorization.credentials"})
    #: Targets listed by hand; a job needs these or ``kubernetes_sd_configs``.
    static_configs: list[StaticConfig] = Field(default_factory=list)
    #: Targets discovered in Kubernetes.
    kubernetes_sd_configs: list[KubernetesSDConfig] = Field(default_factory=list)
    #: Steps applied to each target's labels before the scrape.
    relabel_configs: list[RelabelConfig] = Field(default_factory=list)
    #: Steps applied to each scraped series before it is stored.
    metric_relabel_configs: list[RelabelConfig] = Field(default_factory=list)

    check_secret = field_validator("bearer_token", mode="before")(lambda cls, v: secret_field(v, "bearer_token", "Prometheus") if v is not None else v)

    @field_validator("job_name")
    @classmethod
    def _job_name(cls, value: str) -> str:
        if not value or not _JOB_NAME.match(value):
            raise ValueError(f"job_name {value!r} must be non-empty without spaces")
        return value

    @field_validator("metrics_path")
    @classmethod
    def _path(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith("/"):
            raise ValueError(f"metrics_path {value!r} must start with '/'")
        return value

    @model_validator(mode="after")
    def _consistent(self) -> "ScrapeConfig":
        if self.scrape_interval and self.scrape_timeout and parse_duration(self.scrape_timeout) > parse_duration(self.scrape_interval):
            raise ValueError(
                f"scrape_timeout {self.scrape_timeout} is longer than scrape_interval "
                f"{self.scrape_interval}; make the timeout at most the interval"
            )
        if not self.static_configs and not self.kubernetes_sd_configs:
            raise ValueError("give static_configs or kubernetes_sd_configs: a job needs targets")
        if self.basic_auth and self.bearer_token:
            raise ValueError("use basic_auth or bearer_token, not both")
        return self

    def interval_ms(self, global_config: GlobalConfig) -> int:
        return parse_duration(self.scrape_interval or global_config.scrape_interval)


class AlertmanagerEndpoint(Model):
    """Alertmanagers this Prometheus sends its alerts to."""

    kind = "alertmanager endpoint"

    #: ``http`` (Prometheus' default) or ``https``.
    scheme: Literal["http", "https"] | None = None
    #: A prefix of the Alertmanager API path, for one behind a proxy.
    path_prefix: str | None = None
    #: How long sending alerts may take; Prometheus' default 10s.
    timeout: Duration | None = None
    #: The Alertmanagers' ``host:port``.
    static_configs: list[StaticConfig]


class PrometheusConfig(Model):
    """``prometheus.yml`` minus ``rule_files``, which the stack derives from its rule files."""

    kind = "prometheus config"

    #: Intervals and external labels for every job and group; YAML ``global``.
    global_: GlobalConfig = Field(default_factory=GlobalConfig, alias="global")
    #: Where alerts are sent (YAML ``alerting.alertmanagers``).
    alertmanagers: list[AlertmanagerEndpoint] = Field(default_factory=list,
                                                      json_schema_extra={"path": "alerting.alertmanagers"})
    #: The scrape jobs, with unique ``job_name``.
    scrape_configs: list[ScrapeConfig] = Field(default_factory=list, json_schema_extra={"written": "always"})

    @model_validator(mode="after")
    def _unique_jobs(self) -> "PrometheusConfig":
        seen: set[str] = set()
        for job in self.scrape_configs:
            if job.job_name in seen:
                raise ValueError(f"job_name {job.job_name!r} is used twice; job names must be unique")
            seen.add(job.job_name)
        return self

    def job(self, name: str) -> ScrapeConfig:
        for job in self.scrape_configs:
            if job.job_name == name:
                return job
        raise KeyError(name)
