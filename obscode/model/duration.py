"""Prometheus durations: ``5m``, ``1h30m``, ``500ms``; never ``5 minutes``."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator

_UNITS = (("y", 365 * 86400_000), ("w", 7 * 86400_000), ("d", 86400_000), ("h", 3600_000),
          ("m", 60_000), ("s", 1000), ("ms", 1))
_DURATION = re.compile(
    r"^(?:(\d+)y)?(?:(\d+)w)?(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?(?:(\d+)ms)?$"
)


def parse_duration(text: str) -> int:
    """Milliseconds in a Prometheus duration; ``ValueError`` with a hint otherwise."""
    match = _DURATION.match(text) if isinstance(text, str) else None
    if text == "0":
        return 0
    if not text or match is None or not any(match.groups()):
        raise ValueError(
            f"{text!r} is not a Prometheus duration; write units in order y w d h m s ms "
            "without spaces, e.g. '30s', '5m', '1h30m'"
        )
    return sum(int(n) * ms for n, (_, ms) in zip(match.groups(), _UNITS) if n)


def _validate(text: str) -> str:
    parse_duration(text)
    return text


Duration = Annotated[str, AfterValidator(_validate)]
