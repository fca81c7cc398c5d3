"""Auto-instrumentation: ``import instrumentation.auto`` before the app is created.

Reads the configuration from the environment once (``OTEL_*`` and ``OBSCODE_*``, see
docs/instrumentation.md) and instruments every ``FastAPI`` app constructed afterwards,
sub-apps included (a mounted sub-app's requests are measured once, by the outer app).
An invalid environment raises :class:`~instrumentation.config.ConfigError` at import,
before the service starts serving.
"""

from __future__ import annotations

import functools
from typing import Any

from fastapi import FastAPI

from instrumentation.config import InstrumentationConfig
from instrumentation.fastapi import instrument

config = InstrumentationConfig.from_env()
_original_init = FastAPI.__init__


@functools.wraps(_original_init)
def _instrumented_init(self: FastAPI, *args: Any, **kwargs: Any) -> None:
    _original_init(self, *args, **kwargs)
    instrument(self, config=config)


def enable() -> None:
    """Instrument every FastAPI app created from now on (done on import)."""
    FastAPI.__init__ = _instrumented_init  # type: ignore[method-assign]


def disable() -> None:
    """Stop instrumenting new apps (apps already instrumented stay so)."""
    FastAPI.__init__ = _original_init  # type: ignore[method-assign]


enable()
