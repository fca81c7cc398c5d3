"""Counting HTTP 429 responses by route template, whichever limiter sent them."""

from __future__ import annotations

from typing import Any

from instrumentation.audit.auditor import Auditor
from instrumentation.catalog import OTHER_METHOD
from instrumentation.routes import RouteTemplates

_KNOWN_METHODS = frozenset(("GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"))


class RateLimitedResponses:
    """ASGI middleware: ``app.add_middleware(RateLimitedResponses, auditor=audit)``.

    Counts every response with status 429 in ``audit_rate_limited_responses_total{method, path}``,
    ``path`` being the route template (``<unmatched>`` when no route matched), so a limiter
    in front of the routes, in a dependency or in a handler is counted alike.
    """

    def __init__(self, app: Any, auditor: Auditor) -> None:
        self.app = app
        self.auditor = auditor
        self._routes: RouteTemplates | None = None

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        status = 0

        async def watch(message: dict[str, Any]) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, watch)
        finally:
            if status == 429:
                method = scope.get("method", "")
                self.auditor.rate_limited_response(
                    method if method in _KNOWN_METHODS else OTHER_METHOD, self._template(scope),
                )

    def _template(self, scope: dict[str, Any]) -> str:
        if self._routes is None:
            self._routes = RouteTemplates(scope.get("app", self.app))
        return self._routes.template(scope)
