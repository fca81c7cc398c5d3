"""``CompactBatchSpanProcessor``, the batch processor ``instrument()`` exports spans through.

It lives in :mod:`instrumentation.fast.export`; this module keeps the import path services
and tests use.
"""

from instrumentation.fast.export import DEFAULT_BATCH_SIZE, CompactBatchSpanProcessor

__all__ = ["DEFAULT_BATCH_SIZE", "CompactBatchSpanProcessor"]
