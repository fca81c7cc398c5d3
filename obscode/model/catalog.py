"""Metric catalogs: what a service or exporter emits, as Prometheus sees it.

A :class:`Catalog` lists metric families (:class:`Metric`). Each family's ``name`` is the
name Prometheus' classic text format gives it in its ``# TYPE`` line, so a counter usually
ends in ``_total``; :meth:`Metric.series_names` gives the series a query can select
(``_bucket``/``_sum``/``_count`` for histograms, ``_sum``/``_count`` for summaries).

Catalogs come from three places:

* :func:`from_instrumentation` — ``instrumentation.catalog`` entries, translated the way
  the OpenTelemetry Prometheus exporter translates instrument names and units
  (:func:`exposition_name`);
* YAML files, e.g. the ones shipped in ``obscode/catalogs/`` (:func:`shipped`, :func:`load_yaml`):
  the exporters' catalogs there are built from their source by ``scripts/catalogs/build.py``
  (``built_from`` says from what), ``prometheus.yml`` is written by hand;
* ``obscode catalog scrape URL`` against a live ``/metrics`` endpoint.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import Field, field_validator, model_validator

from obscode.errors import DefinitionError
from obscode.model.base import Model

MetricType = Literal["counter", "gauge", "histogram", "summary", "info", "untyped"]
METRIC_TYPES: tuple[str, ...] = MetricType.__args__  # type: ignore[attr-defined]

SHIPPED_DIR = Path(__file__).resolve().parent.parent / "catalogs"

_METRIC_NAME = re.compile(r"^[a-zA-Z_:][a-zA-Z0-9_:]*$")
_LABEL_NAME = re.compile(r"^[a-zA-Z_][a-zA-Z0-9_]*$")
_SANITIZE = re.compile(r"[^a-zA-Z0-9:]+")
_UNIT_ANNOTATION = re.compile(r"\{.*\}")

#: OpenTelemetry (UCUM) units -> the suffix the OTel Prometheus exporter appends.
#: ``1`` (dimensionless) adds nothing.
OTEL_UNIT_SUFFIXES: dict[str, str] = {
    "d": "days", "h": "hours", "min": "minutes", "s": "seconds", "ms": "milliseconds",
    "us": "microseconds", "ns": "nanoseconds",
    "By": "bytes", "KiBy": "kibibytes", "MiBy": "mebibytes", "GiBy": "gibibytes", "TiBy": "tibibytes",
    "KBy": "kilobytes", "MBy": "megabytes", "GBy": "gigabytes", "TBy": "terabytes",
    "m": "meters", "V": "volts", "A": "amperes", "J": "joules", "W": "watts", "g": "grams",
    "Cel": "celsius", "Hz": "hertz", "1": "", "%": "percent",
}
_PER_UNIT = {"s": "second", "m": "minute", "h": "hour", "d": "day", "w": "week", "mo": "month", "y": "year"}


def unit_suffix(unit: str) -> str:
    """The name suffix the OTel Prometheus exporter derives from ``unit`` (``s`` -> ``seconds``,
    ``By`` -> ``bytes``, ``1`` -> nothing, ``By/s`` -> ``bytes_per_second``)."""
    unit = _UNIT_ANNOTATION.sub("", unit or "")
    if unit in OTEL_UNIT_SUFFIXES:
        return OTEL_UNIT_SUFFIXES[unit]
    top, sep, bottom = unit.partition("/")
    if sep and _SANITIZE.sub("_", bottom):
        top = _SANITIZE.sub("_", top)
        top = OTEL_UNIT_SUFFIXES.get(top, top)
        per = _PER_UNIT.get(bottom, _SANITIZE.sub("_", bottom))
        return f"{top}_per_{per}" if top else f"per_{per}"
    return _SANITIZE.sub("_", unit).strip("_")


def exposition_name(name: str, type: str, unit: str = "") -> str:
    """The family name Prometheus sees for an OTel instrument: sanitised, the unit suffix
    appended unless already there, and ``_total`` on counters
    (``http_request_duration`` + ``s`` -> ``http_request_duration_seconds``)."""
    if name and name[0].isdigit():
        name = "_" + name[1:]
    name = _SANITIZE.sub("_", name)
    suffix = unit_suffix(unit)
    if type == "counter" and name.endswith("_total"):
        name = name[: -len("_total")]
    if suffix and not name.endswith("_" + suffix):
        name = f"{name}_{suffix}"
    if type == "counter":
        name += "_total"
    return name


class Metric(Model):
    """One metric family: its name as exposed, type, unit, help and label names.

    ``label_values`` lists the values of labels whose set is closed (e.g. ``mode`` of
    ``node_cpu_seconds_total``); checks reject matchers asking for any other value."""

    kind = "metric"
    name_field = "name"

    #: The family's name as exposed (counters with ``_total``; histograms without ``_bucket``).
    name: str
    #: The Prometheus type; a histogram or summary also exposes its ``_bucket``/``_sum``/``_count``
    #: series.
    type: MetricType = "untyped"
    #: The unit, e.g. ``seconds`` or ``bytes`` (informational).
    unit: str = ""
    #: The ``# HELP`` text.
    help: str = ""
    #: Every label name the family's series carry (``le``/``quantile`` are added by the type).
    labels: list[str] = Field(default_factory=list)
    #: The only values some labels take; a matcher asking for another value is an error.
    label_values: dict[str, list[str]] = Field(default_factory=dict)
    #: The exporter's collector (or module, query file) that emits it; "" = always emitted.
    collector: str = ""
    #: The first exporter version that emits it ("" = no bound known).
    since: str = ""
    #: The last exporter version that emits it ("" = no bound known).
    until: str = ""
    #: Prefixes of label names the exporter makes from user data, so not listable: e.g.
    #: ``label_`` of kube-state-metrics' ``kube_pod_labels`` (``label_app`` from the pod's
    #: ``app`` label, as ``--metric-labels-allowlist`` allows).
    label_prefixes: list[str] = Field(default_factory=list)
    #: A histogram's bucket upper bounds (``le``), ascending, without ``+Inf``; empty when the
    #: catalog does not record them. A latency SLO's threshold must be one (``slo/latency-bucket``).
    buckets: list[float] = Field(default_factory=list)

    @field_validator("name")
    @classmethod
    def _name(cls, value: str) -> str:
        if not _METRIC_NAME.match(value):
            raise ValueError(f"{value!r} is not a valid Prometheus metric name ([a-zA-Z_:][a-zA-Z0-9_:]*)")
        return value

    @field_validator("labels")
    @classmethod
    def _labels(cls, value: list[str]) -> list[str]:
        for label in value:
            if not _LABEL_NAME.match(label):
                raise ValueError(f"{label!r} is not a valid label name ([a-zA-Z_][a-zA-Z0-9_]*)")
        return sorted(set(value))

    @model_validator(mode="after")
    def _values_of_known_labels(self) -> "Metric":
        unknown = sorted(set(self.label_values) - set(self.labels))
        if unknown:
            raise ValueError(f"label_values names label(s) {', '.join(unknown)} that are not in labels")
        return self

    def series_names(self) -> dict[str, list[str]]:
        """Every series name this family exposes, with the labels that series carries."""
        labels = list(self.labels)
        if self.type == "histogram":
            return {f"{self.name}_bucket": sorted(labels + ["le"]), f"{self.name}_sum": labels,
                    f"{self.name}_count": labels}
        if self.type == "summary":
            return {self.name: sorted(labels + ["quantile"]), f"{self.name}_sum": labels,
                    f"{self.name}_count": labels}
        return {self.name: labels}

    def as_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"name": self.name, "type": self.type}
        if self.unit:
            out["unit"] = self.unit
        if self.help:
            out["help"] = self.help
        if self.labels:
            out["labels"] = list(self.labels)
        if self.label_values:
            out["label_values"] = {k: list(v) for k, v in sorted(self.label_values.items())}
        for key in ("collector", "since", "until"):
            if getattr(self, key):
                out[key] = getattr(self, key)
        if self.label_prefixes:
            out["label_prefixes"] = sorted(self.label_prefixes)
        if self.buckets:
            out["buckets"] = list(self.buckets)
        return out


class Collector(Model):
    """One collector of an exporter: whether it runs by default, and what else it needs."""

    kind = "collector"

    #: Runs unless disabled (node-exporter's ``--no-collector.X``); False = needs ``--collector.X``.
    default: bool = True
    #: What must hold besides being enabled, e.g. "hardware: the host has hwmon sensors" ("" = nothing).
    condition: str = ""

    def as_yaml(self) -> dict[str, Any]:
        out: dict[str, Any] = {"default": self.default}
        if self.condition:
            out["condition"] = self.condition
        return out


class Catalog(Model):
    """A named set of metric families, e.g. ``node-exporter`` or ``instrumentation-http``."""

    kind = "catalog"
    name_field = "name"

    #: The catalog's name, e.g. ``node-exporter``; findings name it.
    name: str
    #: What the catalog describes, for people.
    description: str = ""
    #: Where the data comes from: repository, version/commit and files, as the build script records it.
    built_from: str = ""
    #: Metric name prefixes this exporter owns (e.g. ``node_``): an unknown metric with one of
    #: them cannot come from another job.
    namespaces: list[str] = Field(default_factory=list)
    #: The catalog lists only part of what the exporter emits (its build could not read every
    #: source): a metric it lacks may still exist, so its namespaces and jobs prove nothing absent.
    partial: bool = False
    #: The exporter's collectors by name; ``Metric.collector`` refers to them.
    collectors: dict[str, Collector] = Field(default_factory=dict)
    #: The metric families.
    metrics: list[Metric] = Field(default_factory=list)

    @model_validator(mode="after")
    def _unique(self) -> "Catalog":
        seen: set[str] = set()
        for metric in self.metrics:
            for series in metric.series_names():
                if series in seen:
                    raise ValueError(f"series {series} is listed twice; keep one family per name")
                seen.add(series)
        unknown = sorted({m.collector for m in self.metrics if m.collector and m.collector not in self.collectors})
        if unknown and self.collectors:
            raise ValueError(f"metrics name collector(s) {', '.join(unknown)} missing from collectors")
        return self

    def series(self) -> dict[str, Metric]:
        """Every selectable series name -> the family that exposes it."""
        return {series: m for m in self.metrics for series in m.series_names()}

    def as_yaml(self) -> str:
        data: dict[str, Any] = {"name": self.name}
        if self.description:
            data["description"] = self.description
        if self.built_from:
            data["built_from"] = self.built_from
        if self.namespaces:
            data["namespaces"] = list(self.namespaces)
        if self.partial:
            data["partial"] = True
        if self.collectors:
            data["collectors"] = {k: v.as_yaml() for k, v in sorted(self.collectors.items())}
        data["metrics"] = [m.as_yaml() for m in sorted(self.metrics, key=lambda m: m.name)]
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=120)


def from_instrumentation(name: str, specs: Iterable[Any], description: str = "") -> Catalog:
    """A catalog from ``instrumentation.catalog.MetricSpec`` entries (any object with
    ``name``, ``type``, ``unit``, ``help``, ``labels``, ``label_values`` and, optionally,
    ``buckets``), named as the OpenTelemetry Prometheus exporter exposes them."""
    metrics = [
        Metric(
            name=exposition_name(spec.name, spec.type, spec.unit),
            type=spec.type,
            unit=spec.unit,
            help=spec.help,
            labels=list(spec.labels),
            label_values={k: list(v) for k, v in dict(spec.label_values).items()},
            buckets=list(getattr(spec, "buckets", None) or []),
        )
        for spec in specs
    ]
    return Catalog(name=name, description=description, metrics=metrics)


def instrumentation_http() -> Catalog:
    """What a FastAPI service instrumented with ``instrumentation.instrument(app)`` emits."""
    from instrumentation.catalog import HTTP_METRICS

    return from_instrumentation("instrumentation-http", HTTP_METRICS,
                                "FastAPI services instrumented with instrumentation.instrument(app)")


def instrumentation_model() -> Catalog:
    """What a process running the instrumentation's model monitor emits."""
    from instrumentation.catalog import MODEL_METRICS

    return from_instrumentation("instrumentation-model", MODEL_METRICS,
                                "processes running instrumentation's ModelMonitor")


def instrumentation_process() -> Catalog:
    """The process metrics alone: what a metrics port of the instrumentation serves when the
    process answers no HTTP requests through it (a model monitor's own port, a worker)."""
    from instrumentation.catalog import PROCESS_METRICS

    return from_instrumentation("instrumentation-process", PROCESS_METRICS,
                                "processes exporting the instrumentation's process metrics")


def instrumentation_audit() -> Catalog:
    """What a service recording security events with ``instrumentation.audit`` adds (the label
    values of its declared resources, actions and limits are its own: ``AuditConfig.specs()``)."""
    from instrumentation.catalog import AUDIT_METRICS

    return from_instrumentation("instrumentation-audit", AUDIT_METRICS,
                                "services recording security events with instrumentation.audit")


def instrumentation_training() -> Catalog:
    """What ``instrumentation.training`` pushes to a Pushgateway (scraped with ``honor_labels``)."""
    from instrumentation.catalog import TRAINING_METRICS

    return from_instrumentation("instrumentation-training", TRAINING_METRICS,
                                "training and validation runs pushed by instrumentation.training")


def instrumentation_activity() -> Catalog:
    """What a service counting user activity with ``instrumentation.activity.UserActivity`` emits
    (any plans and features: a stack that knows its service's declared ones can build a stricter
    catalog from ``UserActivity.specs()`` with :func:`from_instrumentation`)."""
    from instrumentation.catalog import ACTIVITY_METRICS

    return from_instrumentation("instrumentation-activity", ACTIVITY_METRICS,
                                "services counting user activity with instrumentation.activity")


def load_yaml(path: str | Path) -> Catalog:
    """A catalog from a YAML file (``name``, ``description``, ``metrics: [...]``)."""
    return _load_yaml(Path(path).resolve())


# libyaml's loader when PyYAML was built with it: the shipped catalogs are large.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


@functools.lru_cache(maxsize=64)
def _load_yaml(path: Path) -> Catalog:
    try:
        data = yaml.load(path.read_text(encoding="utf-8"), Loader=_YAML_LOADER)
    except OSError as exc:
        raise DefinitionError(obj=f"catalog file {path}", field=None, message=f"cannot read it: {exc.strerror}") from None
    except yaml.YAMLError as exc:
        raise DefinitionError(obj=f"catalog file {path}", field=None, message=f"is not valid YAML: {exc}") from None
    if not isinstance(data, dict):
        raise DefinitionError(obj=f"catalog file {path}", field=None,
                              message="must be a mapping with name and metrics")
    return Catalog.model_validate(data)


def shipped_names() -> list[str]:
    """Names of the catalogs shipped in ``obscode/catalogs/``."""
    return sorted(p.stem for p in SHIPPED_DIR.glob("*.yml"))


def shipped(name: str) -> Catalog:
    """A catalog shipped with obscode: ``prometheus`` (Prometheus' synthetic series) or an
    exporter's (``node-exporter``, ``kube-state-metrics``, ``prometheus-server``, ... see
    :func:`shipped_names`)."""
    path = SHIPPED_DIR / f"{name}.yml"
    if not path.is_file():
        raise DefinitionError(obj=f"catalog {name}", field=None,
                              message=f"no such catalog; shipped: {', '.join(shipped_names())}; "
                                      f"built in: {', '.join(INSTRUMENTATION)}; or give a .yml path")
    return load_yaml(path)


#: Catalogs built from ``instrumentation.catalog`` rather than a file.
INSTRUMENTATION = {"instrumentation-http": instrumentation_http, "instrumentation-model": instrumentation_model,
                   "instrumentation-training": instrumentation_training,
                   "instrumentation-audit": instrumentation_audit}
INSTRUMENTATION["instrumentation-activity"] = instrumentation_activity
INSTRUMENTATION["instrumentation-process"] = instrumentation_process


def resolve(ref: "Catalog | str | Path", base: Path | None = None) -> Catalog:
    """A catalog object; ``instrumentation-http`` or ``instrumentation-model``; a shipped
    catalog's name (``node-exporter``, ``kube-state-metrics``, ``prometheus``, ...); or a path to
    a YAML catalog file. A relative path is read from ``base`` (the stack's folder), so a stack
    generates the same wherever ``obscode`` runs."""
    if isinstance(ref, Catalog):
        return ref
    text = str(ref)
    if isinstance(ref, Path) or text.endswith((".yml", ".yaml")):
        path = Path(text)
        if not path.is_absolute() and base is not None:
            path = base / path
            if not path.is_file():
                raise DefinitionError(obj=f"catalog file {text}", field=None,
                                      message=f"not found in the stack's folder ({path}); catalog paths are "
                                              "relative to the folder of the file that builds the Stack")
        return load_yaml(path)
    if text in INSTRUMENTATION:
        return INSTRUMENTATION[text]()
    return shipped(text)


_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+\S+")
_LABEL_PAIR = re.compile(r'\s*([a-zA-Z_][a-zA-Z0-9_]*)\s*=\s*"((?:[^"\\]|\\.)*)"\s*,?')
_TYPE_SUFFIXES = {"histogram": ("_bucket", "_sum", "_count"), "summary": ("_sum", "_count"),
                  "counter": ("_total",), "info": ("_info",)}
_TYPE_ALIASES = {"unknown": "untyped", "stateset": "gauge", "gaugehistogram": "histogram"}


def _sample_labels(body: str | None) -> list[str]:
    if not body:
        return []
    return [m.group(1) for m in _LABEL_PAIR.finditer(body)]


def from_exposition(name: str, text: str, description: str = "") -> Catalog:
    """A catalog from a ``/metrics`` body in the Prometheus text format: families from the
    ``# TYPE`` and ``# HELP`` lines, label names from the samples seen."""
    types: dict[str, str] = {}
    helps: dict[str, str] = {}
    labels: dict[str, set[str]] = {}
    samples: dict[str, set[str]] = {}
    order: list[str] = []

    def family_of(sample: str) -> str:
        if sample in types:
            return sample
        for suffix in ("_bucket", "_sum", "_count", "_total", "_created", "_info"):
            base = sample[: -len(suffix)] if sample.endswith(suffix) else None
            if base and base in types and suffix in _TYPE_SUFFIXES.get(types[base], ()) + ("_created",):
                return base
        return sample

    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            continue
        if line.startswith("#"):
            parts = line.split(None, 3)
            if len(parts) >= 3 and parts[1] in ("TYPE", "HELP"):
                family = parts[2]
                if family not in labels:
                    labels[family] = set()
                    order.append(family)
                rest = parts[3] if len(parts) > 3 else ""
                if parts[1] == "TYPE":
                    types[family] = _TYPE_ALIASES.get(rest.strip(), rest.strip() or "untyped")
                else:
                    helps[family] = rest.replace("\\n", "\n").replace("\\\\", "\\")
            continue
        match = _SAMPLE.match(line)
        if not match:
            continue
        sample, body = match.groups()
        if sample.endswith("_created"):
            continue
        family = family_of(sample)
        if family not in labels:
            labels[family] = set()
            order.append(family)
        labels[family].update(_sample_labels(body))
        samples.setdefault(family, set()).add(sample)

    metrics = []
    for family in order:
        mtype = types.get(family, "untyped")
        if mtype not in METRIC_TYPES:
            mtype = "untyped"
        names = labels[family] - ({"le"} if mtype == "histogram" else {"quantile"} if mtype == "summary" else set())
        exposed = family
        if mtype == "counter" and f"{family}_total" in samples.get(family, ()):
            exposed = f"{family}_total"  # OpenMetrics: TYPE names the family, samples add _total
        metrics.append(Metric(name=exposed, type=mtype, help=helps.get(family, ""), labels=sorted(names)))
    return Catalog(name=name, description=description, metrics=metrics)
