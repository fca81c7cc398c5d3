"""The route template of a served request (``/items/{item_id}``), never the raw URL.

Starlette records the innermost matched route in ``scope["route"]``. Routes of mounted
sub-apps and routers only know their own part of the path, so :class:`RouteTemplates`
walks the app's route tree once, remembers every route's full template (mount prefixes
included), and answers per request with one dict lookup. Routes added later are picked up
by a rebuild the first time one of them is seen.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from instrumentation.catalog import UNMATCHED_PATH


class RouteTemplates:
    """Full route templates of one ASGI app, keyed by route object."""

    def __init__(self, app: Any) -> None:
        self._app = app
        self._templates: dict[int, str] = {}
        self._build()

    def template(self, scope: dict[str, Any]) -> str:
        """The full template of the route that served ``scope``, or ``UNMATCHED_PATH``."""
        route = scope.get("route")
        if route is None:
            return UNMATCHED_PATH
        found = self._templates.get(id(route))
        if found is None:
            self._build()
            found = self._templates.get(id(route))
            if found is None:
                found = _own_template(route) or UNMATCHED_PATH
        return found

    def _build(self) -> None:
        templates: dict[int, str] = {}
        _walk(getattr(self._app, "routes", ()), "", templates, depth=0)
        self._templates = templates


def _own_template(route: Any) -> str | None:
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else None


def _walk(routes: Iterable[Any], prefix: str, out: dict[int, str], depth: int) -> None:
    if depth > 32:  # a mount cycle; nothing real nests this deep
        return
    for route in routes:
        own = _own_template(route) or ""
        full = prefix + own
        children = getattr(route, "routes", None)
        if children is not None and not hasattr(route, "endpoint"):
            # A Mount (or Host): requests it serves itself have a path below it.
            out.setdefault(id(route), full.rstrip("/") + "/{path:path}")
            _walk(children, full.rstrip("/"), out, depth + 1)
        else:
            out.setdefault(id(route), full or "/")
