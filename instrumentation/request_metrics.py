"""Per-request metrics of your own, recorded by the middleware without changing it.

A :class:`RequestMetric` is a counter or histogram from a :class:`~instrumentation.catalog.MetricSpec`
(so it can go in a catalog and be checked like the built-in ones) and a function that turns the
finished request into its label values::

    from instrumentation import instrument
    from instrumentation.catalog import MetricSpec
    from instrumentation.request_metrics import RequestMetric, header_value

    TENANT_REQUESTS = MetricSpec(
        "tenant_requests", "counter", "HTTP requests per tenant.", labels=("tenant", "status"),
    )
    tenant = header_value("x-tenant-id", allowed={"acme", "globex"})   # others: "other"

    instrument(app, request_metrics=[
        RequestMetric(TENANT_REQUESTS, lambda r: (tenant(r), str(r.status)), headers=("x-tenant-id",)),
    ])

Labels stay bounded twice: by the function (``allowed``), and by the pipeline's series limit
(new label sets past it share one overflow series, as for ``http_*``). The function runs after
the response is sent; if it raises, the request is unaffected and the failure is counted in
``obscode_instrumentation_errors_total{component="request_metric"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Iterable, Sequence
from typing import Any, Protocol

from instrumentation.catalog import OVERFLOW_VALUE, MetricSpec

#: Label value of a header a request did not send (:func:`header_value`).
MISSING_VALUE = "none"
#: Label value of a header value outside ``allowed`` (:func:`header_value`).
OTHER_VALUE = "other"


class CompletedRequest(Protocol):
    """What a :class:`RequestMetric` reads of a finished request."""

    #: The ASGI scope (``scope["path"]``, ``scope["client"]``...).
    scope: Any
    #: The method as ``http_requests_total`` counts it (``_OTHER`` for non-standard ones).
    method: str
    #: The route template (``/items/{item_id}``), or ``<unmatched>``.
    route: str
    status: int
    seconds: float
    #: The request headers the middleware read: raw lower-case names to raw values; includes
    #: those named in ``RequestMetric(headers=...)``.
    headers: dict[bytes, bytes]


Labels = Callable[[CompletedRequest], Sequence[str] | None]


class RequestMetric:
    """A counter or histogram recorded once per request (see the module docstring).

    ``labels(request)`` gives the values of ``spec.labels`` in order, or ``None`` to skip the
    request. A counter adds ``value(request)`` (default 1); a histogram records it (default the
    request's duration in seconds). ``headers`` names request headers ``labels`` or ``value``
    read from ``request.headers``.
    """

    def __init__(
        self,
        spec: MetricSpec,
        labels: Labels,
        *,
        value: Callable[[CompletedRequest], float] | None = None,
        headers: Iterable[str] = (),
    ) -> None:
        kind = spec.instrument_kind
        if kind not in ("counter", "histogram"):
            raise ValueError(
                f"request metric {spec.name} is a {kind}; a per-request metric is a counter or a histogram"
            )
        if kind == "histogram" and not spec.buckets:
            raise ValueError(f"request metric {spec.name} is a histogram without buckets; give the spec buckets")
        self.spec = spec
        self.labels = labels
        self.value = value
        self.headers = tuple(name.lower().encode("latin-1") for name in headers)

    def bind(self, pipeline: Any) -> BoundRequestMetric:
        """This metric on ``pipeline`` (a :class:`~instrumentation.metrics.MetricsPipeline`)."""
        return BoundRequestMetric(self, pipeline)


class BoundRequestMetric:
    """A :class:`RequestMetric` with its series on one pipeline; :meth:`record` runs per request."""

    __slots__ = ("metric", "_limiter", "_values", "_histogram", "_cells")

    def __init__(self, metric: RequestMetric, pipeline: Any) -> None:
        self.metric = metric
        self._limiter = pipeline.limiter(metric.spec)
        histogram = metric.spec.instrument_kind == "histogram"
        self._histogram = pipeline.histogram(metric.spec) if histogram else None
        self._values = None if histogram else pipeline.observed(metric.spec)
        #: label values -> the series cell (bounded by the limiter: past it, the overflow cell).
        self._cells: dict[tuple[str, ...], Any] = {}

    def record(self, request: CompletedRequest) -> None:
        metric = self.metric
        labels = metric.labels(request)
        if labels is None:
            return
        key = tuple(labels)
        cell = self._cells.get(key)
        if cell is None:
            cell = self._cell(key)
        if self._histogram is not None:
            self._histogram.record_in(cell, request.seconds if metric.value is None else metric.value(request))
        else:
            self._values.add_to(cell, 1 if metric.value is None else metric.value(request))  # type: ignore[union-attr]

    def _cell(self, key: tuple[str, ...]) -> Any:
        if len(key) != len(self.metric.spec.labels):
            raise ValueError(
                f"request metric {self.metric.spec.name}: labels() gave {len(key)} values {key!r} "
                f"for the labels {self.metric.spec.labels}"
            )
        attributes = self._limiter.attributes(key)
        store: Any = self._histogram if self._histogram is not None else self._values
        cell = store.cell(attributes)
        if OVERFLOW_VALUE not in attributes.values():
            self._cells[key] = cell  # past the limit, keys are not kept: they are unbounded
        return cell


def header_value(
    header: str,
    allowed: Collection[str] | None = None,
    *,
    missing: str = MISSING_VALUE,
    other: str = OTHER_VALUE,
) -> Callable[[CompletedRequest], str]:
    """A label function: the request's ``header`` value, ``missing`` when absent, ``other``
    when not in ``allowed`` (give ``allowed`` whenever clients choose the value)."""
    name = header.lower().encode("latin-1")
    known = None if allowed is None else frozenset(allowed)

    def value(request: CompletedRequest) -> str:
        raw = request.headers.get(name)
        if raw is None:
            return missing
        text = raw.decode("latin-1")
        return text if known is None or text in known else other

    return value
