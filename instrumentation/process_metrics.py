"""CPU, memory and file descriptors of the process, on the same ``/metrics`` as its requests.

:class:`ProcessMetrics` is a ``prometheus_client`` collector over the library's own
``ProcessCollector`` (which reads ``/proc/self`` on Linux and yields nothing elsewhere),
keeping the families ``instrumentation.catalog.PROCESS_METRICS`` declares, under the names
every Prometheus client library uses (``process_cpu_seconds_total``,
``process_resident_memory_bytes``, ...), so the usual queries and alerts work unchanged.

``process_start_time_seconds`` is left out on purpose: with several workers
(:mod:`instrumentation.multiproc`) the exposition sums each series over the live workers,
which gives the service's total CPU time, memory and open files, but no meaningful start time.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import ProcessCollector
from prometheus_client.metrics_core import Metric

from instrumentation.catalog import PROCESS_METRICS

#: The family names kept from ``ProcessCollector`` (as its ``collect`` names them).
FAMILIES: frozenset[str] = frozenset(spec.prometheus_name for spec in PROCESS_METRICS)


class ProcessMetrics:
    """The catalog's process families of this process, read at every collection."""

    def __init__(self) -> None:
        self._collector = ProcessCollector(registry=None)

    def collect(self) -> Iterator[Metric]:
        for family in self._collector.collect():
            if family.name in FAMILIES:
                yield family

    def describe(self) -> list[Metric]:
        """The families, for the registry's check that no other collector exposes them."""
        return list(self.collect())
