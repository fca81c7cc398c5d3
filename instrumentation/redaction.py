"""Masking of secret values in log context and headers. Stdlib only.

A key is secret when, lower-cased with ``-`` read as ``_``, it contains one of the
configured names: ``token`` masks ``access_token`` and ``X-Auth-Token`` too, because
leaking a secret costs more than masking a harmless field.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

MASK = "[REDACTED]"
_MAX_DEPTH = 8


class Redactor:
    """Replaces the values of secret keys, recursively through dicts and lists."""

    def __init__(self, names: Iterable[str]) -> None:
        self.names = tuple(sorted({_normalise(n) for n in names if n.strip()}))
        self._verdicts: dict[str, bool] = {}

    def is_secret(self, key: str) -> bool:
        verdict = self._verdicts.get(key)
        if verdict is None:
            normal = _normalise(key)
            verdict = any(name in normal for name in self.names)
            if len(self._verdicts) < 10_000:
                self._verdicts[key] = verdict
        return verdict

    def mapping(self, data: Mapping[Any, Any], depth: int = 0) -> dict[Any, Any]:
        """A copy of ``data`` with secret values masked."""
        return {key: self._value(key, value, depth) for key, value in data.items()}

    def headers(self, raw: Iterable[tuple[bytes, bytes]]) -> dict[str, str]:
        """ASGI headers as a dict, secret ones masked (repeated headers joined with ``, ``)."""
        out: dict[str, str] = {}
        for name_b, value_b in raw:
            name = name_b.decode("latin-1").lower()
            value = MASK if self.is_secret(name) else value_b.decode("latin-1")
            out[name] = f"{out[name]}, {value}" if name in out else value
        return out

    def _value(self, key: Any, value: Any, depth: int) -> Any:
        if isinstance(key, str) and self.is_secret(key):
            return MASK
        if depth >= _MAX_DEPTH:
            return value
        if isinstance(value, Mapping):
            return self.mapping(value, depth + 1)
        if isinstance(value, (list, tuple)):
            return [self._value(None, item, depth + 1) for item in value]
        return value


def _normalise(name: str) -> str:
    return name.strip().lower().replace("-", "_")
