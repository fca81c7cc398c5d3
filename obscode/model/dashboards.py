"""Grafana settings of a stack: the datasources obscode provisions and where dashboards live.

Dashboards themselves are authored with grafanalib (or the Grafana Foundation SDK, or as
dashboard JSON) and listed in ``Stack.dashboards``; :mod:`obscode.grafana` turns them into
normalised JSON whose datasource references point at the fixed uids defined here.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from obscode.model.base import Model

#: What Grafana accepts in a dashboard or datasource uid.
UID_PATTERN = re.compile(r"^[a-zA-Z0-9_-]+$")
#: Grafana rejects longer uids.
UID_MAX_LENGTH = 40

#: Datasource uids Grafana itself provides: annotations and mixed/dashboard queries.
BUILTIN_DATASOURCE_UIDS = ("-- Grafana --", "-- Mixed --", "-- Dashboard --", "grafana")


def _uid(value: str) -> str:
    if not UID_PATTERN.match(value) or len(value) > UID_MAX_LENGTH:
        raise ValueError(
            f"uid {value!r} must be 1-{UID_MAX_LENGTH} characters of letters, digits, '-' and '_'"
        )
    return value


class Datasource(Model):
    """One entry of ``grafana/provisioning/datasources/datasources.yml``."""

    kind = "datasource"
    name_field = "name"

    #: The datasource's display name.
    name: str
    #: The Grafana datasource plugin.
    type: Literal["prometheus", "elasticsearch"]
    #: The uid dashboards refer to the datasource by.
    uid: str
    #: How Grafana reaches the datasource: through its own server.
    access: Literal["proxy"] = "proxy"
    #: The address Grafana queries.
    url: str
    #: Whether panels without a datasource use this one (YAML ``isDefault``).
    is_default: bool = Field(default=False, alias="isDefault", json_schema_extra={"written": "always"})
    #: Whether the datasource may be changed in Grafana's UI: no, it is provisioned.
    editable: Literal[False] = Field(default=False, json_schema_extra={"written": "always"})
    #: The plugin's settings (YAML ``jsonData``).
    json_data: dict[str, Any] = Field(default_factory=dict, alias="jsonData")

    check_uid = field_validator("uid")(lambda cls, v: _uid(v))

    def ref(self) -> dict[str, str]:
        """The ``{type, uid}`` reference panels and targets use."""
        return {"type": self.type, "uid": self.uid}


class GrafanaSettings(Model):
    """Where Grafana finds Prometheus, Elasticsearch and the dashboard files.

    The datasource uids are fixed so dashboards can reference them; change them only
    together with every dashboard that was exported with the old uid.
    """

    kind = "grafana settings"

    #: The URL Grafana queries Prometheus at.
    prometheus_url: str = "http://prometheus:9090"
    #: The Prometheus datasource's uid, which dashboard panels refer to.
    prometheus_uid: str = "prometheus"
    #: The Prometheus datasource's display name.
    prometheus_name: str = "Prometheus"
    #: The URL Grafana queries Elasticsearch at (the logs datasource).
    elasticsearch_url: str = "http://elasticsearch:9200"
    #: The Elasticsearch datasource's uid.
    elasticsearch_uid: str = "elasticsearch"
    #: The Elasticsearch datasource's display name.
    elasticsearch_name: str = "Elasticsearch"
    #: Path inside the Grafana container where ``grafana/dashboards/`` is mounted.
    dashboards_path: str = "/var/lib/grafana/dashboards"
    #: How often Grafana rescans the dashboard folder.
    update_interval_seconds: int = Field(default=30, ge=10)

    check_uids = field_validator("prometheus_uid", "elasticsearch_uid")(lambda cls, v: _uid(v))

    @model_validator(mode="after")
    def _distinct(self) -> "GrafanaSettings":
        if self.prometheus_uid == self.elasticsearch_uid:
            raise ValueError("prometheus_uid and elasticsearch_uid must differ")
        if self.prometheus_name == self.elasticsearch_name:
            raise ValueError("prometheus_name and elasticsearch_name must differ")
        return self

    def datasources(self, *, logs_index: str | None, scrape_interval: str) -> list[Datasource]:
        """Prometheus (the default) and, when the stack ships logs (``logs_index``), Elasticsearch
        reading its log index (ECS fields)."""
        found = [
            Datasource(
                name=self.prometheus_name, type="prometheus", uid=self.prometheus_uid,
                url=self.prometheus_url, is_default=True,
                # timeInterval = scrape interval makes $__rate_interval cover at least 4 scrapes.
                json_data={"httpMethod": "POST", "timeInterval": scrape_interval},
            ),
            Datasource(
                name=self.elasticsearch_name, type="elasticsearch", uid=self.elasticsearch_uid,
                url=self.elasticsearch_url,
                json_data={
                    "index": logs_index, "timeField": "@timestamp",
                    "logMessageField": "message", "logLevelField": "log.level",
                },
            ),
        ]
        return found if logs_index is not None else found[:1]
