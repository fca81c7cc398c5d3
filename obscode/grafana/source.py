"""Turning what a stack lists in ``dashboards`` into plain dashboard JSON (not yet normalised)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


def _plain(data: Any, encoder: type[json.JSONEncoder] | None = None) -> dict[str, Any]:
    """A deep copy made of dicts, lists and scalars only."""
    result = json.loads(json.dumps(data, cls=encoder, sort_keys=True))
    if not isinstance(result, dict):
        raise TypeError("dashboard JSON must be an object")
    return result


class GrafanalibEncoder(json.JSONEncoder):
    """JSON of grafanalib's attrs objects through their public ``to_json_data()`` (what its
    private ``grafanalib._gen.DashboardEncoder`` does, without depending on it)."""

    def default(self, o: Any) -> Any:
        to_json_data = getattr(o, "to_json_data", None)
        if callable(to_json_data):
            return to_json_data()
        return super().default(o)


def dashboard_json(obj: Any) -> dict[str, Any]:
    """The dashboard JSON of ``obj``.

    Accepts a grafanalib ``Dashboard``, a Grafana Foundation SDK dashboard (its builder,
    or the model ``build()`` returns), or a dict of dashboard JSON such as an export from
    Grafana. Raises ``TypeError`` for anything else.
    """
    if isinstance(obj, Mapping):
        return _plain(dict(obj))
    if hasattr(obj, "to_json_data"):  # grafanalib
        return _plain(obj.to_json_data(), GrafanalibEncoder)
    if hasattr(obj, "build") and callable(obj.build):  # Foundation SDK builder
        obj = obj.build()
    if hasattr(obj, "to_json") and callable(obj.to_json):  # Foundation SDK model
        from grafana_foundation_sdk.cog.encoder import JSONEncoder

        return _plain(obj, JSONEncoder)
    raise TypeError(
        f"expected a grafanalib Dashboard, a Grafana Foundation SDK dashboard or a dict of "
        f"dashboard JSON, got {type(obj).__name__}"
    )
