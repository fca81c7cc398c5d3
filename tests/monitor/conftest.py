"""Fixtures for the model-monitor tests: an isolated metrics pipeline per test and
a scrape helper that parses the pipeline's exposition."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from prometheus_client.parser import text_string_to_metric_families

from instrumentation.metrics import MetricsPipeline


@pytest.fixture
def pipeline() -> Iterator[MetricsPipeline]:
    p = MetricsPipeline()
    yield p
    p.shutdown()


Samples = dict[frozenset[tuple[str, str]], float]


@pytest.fixture
def scrape(pipeline: MetricsPipeline) -> Callable[[str], Samples]:
    """``scrape(name)``: the samples named ``name`` as {frozenset(label items): value}."""

    def read(name: str) -> Samples:
        out: Samples = {}
        for family in text_string_to_metric_families(pipeline.exposition().decode()):
            for sample in family.samples:
                if sample.name == name:
                    out[frozenset(sample.labels.items())] = sample.value
        return out

    return read
