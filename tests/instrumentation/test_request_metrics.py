"""Per-request metrics of the user's own (instrumentation.request_metrics), through instrument()."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.catalog import OVERFLOW_VALUE, SECONDS_BUCKETS, MetricSpec
from instrumentation.request_metrics import RequestMetric, header_value

TENANT_REQUESTS = MetricSpec("tenant_requests", "counter", "HTTP requests per tenant.", labels=("tenant", "status"))
TENANT_DURATION = MetricSpec(
    "tenant_request_duration", "histogram", "HTTP request duration per tenant.", labels=("tenant",),
    unit="s", buckets=SECONDS_BUCKETS,
)


def items_app() -> FastAPI:
    app = FastAPI()

    @app.get("/items/{item_id}")
    def read(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    return app


def values(served, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    out = {}
    for family in text_string_to_metric_families(served.metrics_text()):
        for sample in family.samples:
            if sample.name == name:
                out[tuple(sorted(sample.labels.items()))] = sample.value
    return out


def tenant_counter(**options) -> RequestMetric:
    tenant = header_value("x-tenant-id", **options)
    return RequestMetric(TENANT_REQUESTS, lambda r: (tenant(r), str(r.status)), headers=("X-Tenant-Id",))


def test_a_tenant_label_from_a_header_is_counted_per_request_and_bounded_by_the_allowed_set(serve):
    served = serve(items_app(), request_metrics=[tenant_counter(allowed={"acme", "globex"})])
    for tenant in ("acme", "acme", "globex", "mallory"):
        assert served.client.get("/items/1", headers={"x-tenant-id": tenant}).status_code == 200
    served.client.get("/items/x", headers={"x-tenant-id": "acme"})  # 422
    served.client.get("/items/2")
    assert values(served, "tenant_requests_total") == {
        (("status", "200"), ("tenant", "acme")): 2.0,
        (("status", "200"), ("tenant", "globex")): 1.0,
        (("status", "200"), ("tenant", "other")): 1.0,
        (("status", "422"), ("tenant", "acme")): 1.0,
        (("status", "200"), ("tenant", "none")): 1.0,
    }


def test_a_histogram_records_each_request_duration_under_its_labels(serve):
    tenant = header_value("x-tenant-id")
    metric = RequestMetric(TENANT_DURATION, lambda r: (tenant(r),), headers=("x-tenant-id",))
    served = serve(items_app(), request_metrics=[metric])
    for _ in range(3):
        served.client.get("/items/1", headers={"x-tenant-id": "acme"})
    counts = values(served, "tenant_request_duration_seconds_count")
    assert counts == {(("tenant", "acme"),): 3.0}
    assert values(served, "tenant_request_duration_seconds_sum")[(("tenant", "acme"),)] > 0


def test_label_values_past_the_series_limit_share_the_overflow_series():
    from fastapi.testclient import TestClient
    from opentelemetry.sdk.trace import TracerProvider

    from instrumentation import instrument
    from instrumentation.metrics import MetricsPipeline

    app = items_app()
    pipeline = MetricsPipeline(series_limit=2)
    handle = instrument(
        app, metrics=pipeline, tracer_provider=TracerProvider(), log_format="off",
        request_metrics=[tenant_counter()],  # no allowed set: clients choose the value
    )
    try:
        with TestClient(app) as client:
            for tenant in ("t1", "t2", "t3", "t4", "t5"):
                assert client.get("/items/1", headers={"x-tenant-id": tenant}).status_code == 200
        text = pipeline.exposition().decode()
    finally:
        handle.uninstrument()
    counted = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "tenant_requests_total":
                counted[sample.labels["tenant"]] = sample.value
    assert counted == {"t1": 1.0, "t2": 1.0, OVERFLOW_VALUE: 3.0}


def test_a_failing_label_function_leaves_the_request_alone_and_is_counted(serve):
    def broken(request):
        raise KeyError("tenant")

    served = serve(items_app(), request_metrics=[RequestMetric(TENANT_REQUESTS, broken)])
    assert served.client.get("/items/1").status_code == 200
    assert values(served, "obscode_instrumentation_errors_total")[(("component", "hook"),)] == 1.0
    assert len(served.server_spans()) == 1 and len(served.access_logs()) == 1


def test_labels_of_the_wrong_length_are_counted_as_a_failure_of_the_metric(serve):
    served = serve(items_app(), request_metrics=[RequestMetric(TENANT_REQUESTS, lambda r: ("acme",))])
    assert served.client.get("/items/1").status_code == 200
    assert values(served, "obscode_instrumentation_errors_total")[(("component", "hook"),)] == 1.0
    assert values(served, "tenant_requests_total") == {}


def test_returning_none_skips_the_request(serve):
    metric = RequestMetric(TENANT_REQUESTS, lambda r: None if r.route == "/items/{item_id}" else ("x", "y"))
    served = serve(items_app(), request_metrics=[metric])
    served.client.get("/items/1")
    assert values(served, "tenant_requests_total") == {}


@pytest.mark.parametrize(("spec", "message"), [
    (MetricSpec("tenants_active", "gauge", "g", labels=("tenant",)),
     "request metric tenants_active is a gauge; a per-request metric is a counter or a histogram"),
    (MetricSpec("tenant_latency", "histogram", "h", labels=("tenant",)),
     "request metric tenant_latency is a histogram without buckets; give the spec buckets"),
])
def test_metrics_that_cannot_be_recorded_per_request_are_refused_with_a_clear_message(spec, message):
    with pytest.raises(ValueError) as error:
        RequestMetric(spec, lambda r: ("acme",))
    assert str(error.value) == message
