"""Contained failures: counted in ``obscode_instrumentation_errors_total{component}``, never raised.

Code that must never harm the app (exporters, log sinks, user hooks) calls :func:`report`
from its ``except`` block. Every live :class:`~instrumentation.metrics.MetricsPipeline` that
called :func:`register` counts it. Stdlib only.
"""

from __future__ import annotations

import sys
import threading
import weakref
from typing import Any, Protocol

#: Components that can fail; each gets a zero-valued series at start so alerts can use rate().
COMPONENTS: tuple[str, ...] = ("span_exporter", "log_sink", "hook", "metrics", "middleware", "http_client")


class _Counter(Protocol):
    def add(self, amount: int, attributes: dict[str, str]) -> None: ...


_counters: weakref.WeakKeyDictionary[Any, _Counter] = weakref.WeakKeyDictionary()
_lock = threading.Lock()
_warned: set[str] = set()


def register(owner: Any, counter: _Counter) -> None:
    """Count future failures in ``counter`` for as long as ``owner`` lives."""
    with _lock:
        _counters[owner] = counter
    for component in COMPONENTS:
        counter.add(0, {"component": component})


def report(component: str, error: BaseException | None = None) -> None:
    """Count one contained failure of ``component``; warn on stderr the first time only."""
    with _lock:
        counters = list(_counters.values())
        first = component not in _warned
        _warned.add(component)
    for counter in counters:
        try:
            counter.add(1, {"component": component})
        except Exception:  # noqa: BLE001 - counting must not fail either
            pass
    if first:
        detail = f": {type(error).__name__}: {error}" if error is not None else ""
        try:
            sys.stderr.write(
                f"obscode instrumentation: {component} failed{detail} "
                "(counted in obscode_instrumentation_errors_total; further failures are not printed)\n"
            )
        except Exception:  # noqa: BLE001
            pass
