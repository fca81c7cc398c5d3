"""``obscode import prometheus``: prometheus.yml -> ``scrape.py`` (global settings, alerting
endpoints and scrape jobs as typed models). ``rule_files`` is not imported here: the stack
lists its own rule files (``obscode import rules``)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from obscode.importers import pycode
from obscode.importers.fields import Context, Field, read_object
from obscode.importers.problems import Collector
from obscode.importers.spec import Obj, Var, build, failed, to_code
from obscode.importers.yaml_lines import Mapping, load_mapping
from obscode.model.scrape import (
    AlertmanagerEndpoint, BasicAuth, GlobalConfig, KubernetesSDConfig, PrometheusConfig, RelabelConfig,
    ScrapeConfig, StaticConfig,
)

SECRETS_DIR = "/etc/prometheus/secrets"


def _static(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    table = {"targets": Field("targets", "texts"), "labels": Field("labels", "mapping")}
    return read_object(data, StaticConfig, table, ctx, line, "static_config")


def _kubernetes(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    if isinstance(data, Mapping) and isinstance(data.get("namespaces"), Mapping):
        block = data["namespaces"]
        unknown = [k for k in block if k != "names"]
        for key in unknown:
            ctx.report.error(ctx.file, block.line_of(key), f"kubernetes_sd_config, namespaces field {key!r} cannot be "
                             "expressed by obscode's KubernetesSDConfig (it takes names)")
        data = _replaced(data, "namespaces", list(block.get("names") or []))
    table = {"role": Field("role"), "api_server": Field("api_server"), "namespaces": Field("namespaces", "texts"),
             "kubeconfig_file": Field("kubeconfig_file")}
    return read_object(data, KubernetesSDConfig, table, ctx, line, "kubernetes_sd_config")


def _replaced(data: Mapping, key: str, value: Any) -> Mapping:
    copy = Mapping()
    copy.line = data.line
    for k in data:
        copy[k] = value if k == key else data[k]
        copy.key_lines[k] = data.line_of(k)
        if k in data.raw:
            copy.raw[k] = data.raw[k]
    return copy


def _relabel(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    table = {"action": Field("action"), "source_labels": Field("source_labels", "texts"),
             "separator": Field("separator"), "regex": Field("regex"), "modulus": Field("modulus", "int"),
             "target_label": Field("target_label"), "replacement": Field("replacement")}
    return read_object(data, RelabelConfig, table, ctx, line, "relabel_config")


def _basic_auth(data: Any, ctx: Context, line: int) -> Obj | None:
    table = {"username": Field("username"), "password": Field("password", "secret", what="the password"),
             "password_file": Field("password", "secret_file")}
    return read_object(data, BasicAuth, table, ctx.within("basic-auth"), line, "basic_auth")


def _job(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    name = data.get("job_name") if isinstance(data, Mapping) else None
    inner = ctx.within(str(name or f"job-{index + 1}"))
    if isinstance(data, Mapping) and isinstance(data.get("authorization"), Mapping):
        auth = data["authorization"]
        kind = auth.get("type", "Bearer")
        if kind != "Bearer" or any(k not in ("type", "credentials", "credentials_file") for k in auth):
            ctx.report.error(ctx.file, data.line_of("authorization"), f"scrape job {name}: only authorization of "
                             "type Bearer with credentials or credentials_file can be expressed (as bearer_token)")
            return None
        key = "bearer_token_file" if "credentials_file" in auth else "bearer_token"
        data = _replaced(data, "authorization", auth.get("credentials_file", auth.get("credentials")))
        data = _renamed(data, "authorization", key)
    table = {
        "job_name": Field("job_name"), "scrape_interval": Field("scrape_interval", "duration"),
        "scrape_timeout": Field("scrape_timeout", "duration"), "metrics_path": Field("metrics_path"),
        "scheme": Field("scheme"), "honor_labels": Field("honor_labels", "bool"),
        "params": Field("params", "raw"),
        "static_configs": Field("static_configs", "objects", read=_static),
        "kubernetes_sd_configs": Field("kubernetes_sd_configs", "objects", read=_kubernetes),
        "relabel_configs": Field("relabel_configs", "objects", read=_relabel),
        "metric_relabel_configs": Field("metric_relabel_configs", "objects", read=_relabel),
        "basic_auth": Field("basic_auth", "object", read=_basic_auth),
        "bearer_token": Field("bearer_token", "secret", what="the bearer token"),
        "bearer_token_file": Field("bearer_token", "secret_file"),
    }
    return read_object(data, ScrapeConfig, table, inner, line, f"scrape job {name}" if name else "scrape job")


def _renamed(data: Mapping, old: str, new: str) -> Mapping:
    copy = Mapping()
    copy.line = data.line
    for k in data:
        target = new if k == old else k
        copy[target] = data[k]
        copy.key_lines[target] = data.line_of(k)
    return copy


def _endpoint(data: Any, ctx: Context, line: int, index: int) -> Obj | None:
    table = {"static_configs": Field("static_configs", "objects", read=_static), "scheme": Field("scheme"),
             "path_prefix": Field("path_prefix"), "timeout": Field("timeout", "duration")}
    return read_object(data, AlertmanagerEndpoint, table, ctx, line, "alertmanager endpoint")


def _global(data: Any, ctx: Context, line: int) -> Obj | None:
    table = {"scrape_interval": Field("scrape_interval", "duration"),
             "scrape_timeout": Field("scrape_timeout", "duration"),
             "evaluation_interval": Field("evaluation_interval", "duration"),
             "external_labels": Field("external_labels", "mapping")}
    return read_object(data, GlobalConfig, table, ctx, line, "global")


def read_file(path: Path, report: Collector) -> Obj | None:
    """The PrometheusConfig of ``path``, validated object by object; None after reporting."""
    file = str(path)
    data = load_mapping(path, report, "a Prometheus configuration is one YAML mapping with scrape_configs")
    if data is None:
        return None
    ctx = Context(file, report, SECRETS_DIR, taken=set())
    if "rule_files" in data:
        files = ", ".join(str(f) for f in data.get("rule_files") or [])
        report.note(f"{file}: rule_files ({files}) is not imported here: the stack lists its own rule files; "
                    "import them with `obscode import rules FILE...`")
        data = _without(data, "rule_files")
    if isinstance(data.get("alerting"), Mapping):
        alerting = data["alerting"]
        for key in alerting:
            if key != "alertmanagers":
                report.error(file, alerting.line_of(key), f"alerting field {key!r} cannot be expressed by obscode's "
                             "PrometheusConfig (it takes alerting.alertmanagers)")
        data = _replaced(data, "alerting", alerting.get("alertmanagers") or [])
        data = _renamed(data, "alerting", "alertmanagers")
    table = {
        "global": Field("global_", "object", read=_global),
        "alertmanagers": Field("alertmanagers", "objects", read=_endpoint),
        "scrape_configs": Field("scrape_configs", "objects", read=_job),
    }
    config = read_object(data, PrometheusConfig, table, ctx, data.line, "prometheus config")
    if config is None or report.errors:
        return None
    built = build(config, report)
    if failed(built):
        return None
    config.built = built
    return config


def _without(data: Mapping, key: str) -> Mapping:
    copy = Mapping()
    copy.line = data.line
    for k in data:
        if k != key:
            copy[k] = data[k]
            copy.key_lines[k] = data.line_of(k)
    return copy


def module_source(config: Obj, source: Path) -> str:
    """``scrape.py``: the scrape jobs as a list, then the PrometheusConfig using it."""
    kwargs = []
    body = []
    for key, value in config.kwargs:
        if key == "scrape_configs":
            body.append(pycode.assignment("scrape_configs", to_code(value)))
            kwargs.append((key, Var("scrape_configs", value)))
        else:
            kwargs.append((key, value))
    config.kwargs = kwargs
    names = _classes(config)
    doc = pycode.docstring(f"Prometheus scrape configuration, imported by `obscode import prometheus` from {source.name}.")
    return (doc + "\n" + pycode.import_line("obscode", names) + "\n\n" + "".join(b + "\n\n" for b in body)
            + pycode.assignment("prometheus", config.code()))


def _classes(value: Any) -> set[str]:
    if isinstance(value, Var):
        return _classes(value.value)
    if isinstance(value, Obj):
        return {value.cls.__name__} | {n for _, v in value.kwargs for n in _classes(v)}
    if isinstance(value, list):
        return {n for v in value for n in _classes(v)}
    return set()


def jobs(config: Obj) -> list[str]:
    out = []
    for key, value in config.kwargs:
        if key == "scrape_configs":
            jobs_value = value.value if isinstance(value, Var) else value
            out = [dict(job.kwargs).get("job_name") for job in jobs_value]
    return [str(j) for j in out]
