"""Grafana dashboards: user objects (grafanalib, Grafana Foundation SDK, dashboard JSON)
turned into the normalised JSON obscode writes, and the strict schema that JSON meets."""

#: The dashboard JSON schema version obscode writes (Grafana 10.4 / 11).
SCHEMA_VERSION = 39
