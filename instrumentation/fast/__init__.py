"""The per-request fast path, behind a small interface.

- :class:`ServerSpans` starts the middleware's ``SERVER`` spans (``start``) and
  :func:`add_attributes` adds attributes the middleware built itself;
- :class:`CompactBatchSpanProcessor` is the ``BatchSpanProcessor`` ``instrument()`` exports through;
- :mod:`instrumentation.fast.compat` holds every use of OpenTelemetry internals, probes the
  installed SDK when imported, and says (``compat.FAST``) whether the fast path is on; when it
  is off (an internal moved upstream, or ``OBSCODE_OTEL_FAST=0``) everything above takes the
  public SDK path. The current context's functions (``current_context``, ``attach_context``,
  ``detach_context``, ``context_with_span``) are there too.

Everything is decided when an object is built, so a new probe (``compat.probe()``) applies to
middleware and processors built after it.
"""

from instrumentation.fast import compat
from instrumentation.fast.export import DEFAULT_BATCH_SIZE, CompactBatchSpanProcessor
from instrumentation.fast.spans import ServerSpans, Trusted, add_attributes

__all__ = ["DEFAULT_BATCH_SIZE", "CompactBatchSpanProcessor", "ServerSpans", "Trusted", "add_attributes", "compat"]
