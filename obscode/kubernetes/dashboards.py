"""Dashboards as ConfigMaps carrying the Grafana sidecar's label, or as grafana-operator
GrafanaDashboards.

Kubernetes refuses an object larger than 1 MiB. A ConfigMap holds the dashboard JSON as the
grafana output writes it, so a larger dashboard is an error; a GrafanaDashboard whose JSON
would not fit carries it gzipped (``spec.gzipJson``), and only a dashboard that does not fit
even then is an error."""

from __future__ import annotations

import base64
import gzip
import json
import re
from typing import Any, Literal

from pydantic import Field

from obscode.kubernetes.meta import KubeModel, ObjectMeta, Selector, metadata, object_name
from obscode.model.kubernetes import KubernetesSettings
from obscode.stack import Stack

#: The most an object may weigh, as the API server stores it (compact JSON).
MAX_OBJECT_BYTES = 1024 * 1024
#: A ConfigMap data key.
_CONFIGMAP_KEY = re.compile(r"^[-._a-zA-Z0-9]+$")
#: A Go duration, as ``spec.resyncPeriod`` takes it (the CRD's pattern).
_GO_DURATION = re.compile(r"^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$")


class ConfigMap(KubeModel):
    """A ``v1`` ConfigMap: the dashboard JSON under ``<uid>.json``, for Grafana's sidecar."""

    api_version: Literal["v1"] = Field(alias="apiVersion")
    kind: Literal["ConfigMap"]
    metadata: ObjectMeta
    content: dict[str, str] = Field(alias="data")


class GrafanaDashboardSpec(KubeModel):
    instance_selector: Selector = Field(alias="instanceSelector")
    json_: str | None = Field(default=None, alias="json")
    gzip_json: str | None = Field(default=None, alias="gzipJson")
    folder: str | None = None
    resync_period: str | None = Field(default=None, alias="resyncPeriod")


class GrafanaDashboard(KubeModel):
    """A grafana-operator ``GrafanaDashboard`` (grafana.integreatly.org/v1beta1)."""

    api_version: Literal["grafana.integreatly.org/v1beta1"] = Field(alias="apiVersion")
    kind: Literal["GrafanaDashboard"]
    metadata: ObjectMeta
    spec: GrafanaDashboardSpec


def object_bytes(obj: dict[str, Any]) -> int:
    """The size of ``obj`` as the API server stores it: compact JSON, UTF-8."""
    return len(json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode("utf-8"))


def gzip_base64(content: bytes) -> str:
    """``content`` gzipped (no timestamp, so the same every run) and base64-encoded."""
    return base64.b64encode(gzip.compress(content, compresslevel=9, mtime=0)).decode("ascii")


def _too_large(kind: str, file_name: str, size: int, why: str = "") -> ValueError:
    return ValueError(f"dashboard {file_name}: its {kind} would be {size:,} bytes, more than the 1 MiB "
                      f"({MAX_OBJECT_BYTES:,} bytes) Kubernetes allows an object{why}; split the dashboard "
                      "(fewer panels, or rows in dashboards of their own)")


def _meta(stack: Stack, settings: KubernetesSettings, uid: str, extra: dict[str, str] | None = None) -> ObjectMeta:
    return metadata(settings, stack.name, object_name(stack.name, uid), extra)


def _configmap(stack: Stack, settings: KubernetesSettings, file_name: str, text: str) -> dict[str, Any]:
    if not _CONFIGMAP_KEY.match(file_name):
        raise ValueError(f"dashboard {file_name}: {file_name!r} cannot be a ConfigMap key (letters, digits, "
                         "'-', '_' and '.'): give the dashboard a uid of its own")
    uid = file_name.removesuffix(".json")
    obj = ConfigMap(apiVersion="v1", kind="ConfigMap",
                    metadata=_meta(stack, settings, uid, settings.dashboard_label), data={file_name: text}).data()
    size = object_bytes(obj)
    if size > MAX_OBJECT_BYTES:
        raise _too_large("ConfigMap", file_name, size,
                         " (dashboards=\"grafana-operator\" would carry it gzipped)")
    return obj


def _resync_period(settings: KubernetesSettings) -> str | None:
    period = settings.dashboard_resync_period
    if period and not _GO_DURATION.match(period):
        raise ValueError(f"dashboard_resync_period {period!r} is not a duration the grafana-operator reads: "
                         "a number and a unit (h, m, s, ms), e.g. \"5m\" or \"1h30m\"")
    return period or None


def _grafana_dashboard(stack: Stack, settings: KubernetesSettings, file_name: str, content: bytes
                       ) -> dict[str, Any]:
    assert settings.instance_selector is not None  # KubernetesSettings requires it for grafana-operator
    uid = file_name.removesuffix(".json")

    def build(**body: str) -> dict[str, Any]:
        spec = GrafanaDashboardSpec(instanceSelector=Selector.of(settings.instance_selector),
                                    folder=settings.dashboard_folder or None,
                                    resyncPeriod=_resync_period(settings), **body)
        return GrafanaDashboard(apiVersion="grafana.integreatly.org/v1beta1", kind="GrafanaDashboard",
                                metadata=_meta(stack, settings, uid), spec=spec).data()

    obj = build(json=content.decode("utf-8"))
    if object_bytes(obj) <= MAX_OBJECT_BYTES:
        return obj
    obj = build(gzipJson=gzip_base64(content))
    size = object_bytes(obj)
    if size > MAX_OBJECT_BYTES:
        raise _too_large("GrafanaDashboard", file_name, size, " even with its JSON gzipped (spec.gzipJson)")
    return obj


def objects(stack: Stack, dashboards: dict[str, bytes]) -> list[dict[str, Any]]:
    """``dashboards``: ``{file name (<uid>.json): dashboard JSON bytes}`` as the grafana output writes them."""
    settings = stack.kubernetes
    if settings is None:
        return []
    if settings.dashboards == "grafana-operator":
        return [_grafana_dashboard(stack, settings, name, content) for name, content in sorted(dashboards.items())]
    return [_configmap(stack, settings, name, content.decode("utf-8")) for name, content in sorted(dashboards.items())]
