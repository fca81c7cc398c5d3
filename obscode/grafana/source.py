"""Turning what a stack lists in ``dashboards`` into plain dashboard JSON (not yet normalised)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

#: Called with each grafanalib or SDK object and its JSON data; returns the data to write
#: (:mod:`obscode.grafana.origins` marks where each object was built this way).
Mark = Callable[[Any, Any], Any]


def _plain(data: Any, encoder: type[json.JSONEncoder] | None = None, mark: Mark | None = None) -> dict[str, Any]:
    """A deep copy made of dicts, lists and scalars only."""
    options = {"mark": mark} if mark is not None else {}
    result = json.loads(json.dumps(data, cls=encoder, sort_keys=True, **options))
    if not isinstance(result, dict):
        raise TypeError("dashboard JSON must be an object")
    return result


class GrafanalibEncoder(json.JSONEncoder):
    """JSON of grafanalib's attrs objects through their public ``to_json_data()`` (what its
    private ``grafanalib._gen.DashboardEncoder`` does, without depending on it)."""

    def __init__(self, *args: Any, mark: Mark | None = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.mark = mark

    def default(self, o: Any) -> Any:
        to_json_data = getattr(o, "to_json_data", None)
        if callable(to_json_data):
            data = to_json_data()
            return self.mark(o, data) if self.mark is not None else data
        return super().default(o)


def _sdk_encoder() -> type[json.JSONEncoder]:
    """The Foundation SDK's encoder, passing each model's JSON through ``mark``."""
    from grafana_foundation_sdk.cog.encoder import JSONEncoder

    class SdkEncoder(JSONEncoder):
        def __init__(self, *args: Any, mark: Mark | None = None, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.mark = mark

        def default(self, obj: Any) -> Any:
            data = super().default(obj)
            return self.mark(obj, data) if self.mark is not None else data

    return SdkEncoder


def dashboard_json(obj: Any, mark: Mark | None = None) -> dict[str, Any]:
    """The dashboard JSON of ``obj``.

    Accepts a grafanalib ``Dashboard``, a Grafana Foundation SDK dashboard (its builder,
    or the model ``build()`` returns), or a dict of dashboard JSON such as an export from
    Grafana. Raises ``TypeError`` for anything else. ``mark`` sees every grafanalib or SDK
    object and its JSON data (the dashboard's included) and returns the data to keep.
    """
    if isinstance(obj, Mapping):
        return _plain(dict(obj))
    if hasattr(obj, "to_json_data"):  # grafanalib
        return _plain(obj, GrafanalibEncoder, mark)
    if hasattr(obj, "build") and callable(obj.build):  # Foundation SDK builder
        obj = obj.build()
    if hasattr(obj, "to_json") and callable(obj.to_json):  # Foundation SDK model
        return _plain(obj, _sdk_encoder(), mark)
    raise TypeError(
        f"expected a grafanalib Dashboard, a Grafana Foundation SDK dashboard or a dict of "
        f"dashboard JSON, got {type(obj).__name__}"
    )
