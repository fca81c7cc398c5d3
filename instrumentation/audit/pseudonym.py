"""Keyed pseudonyms for user ids and client addresses in audit lines. Stdlib only.

A pseudonym is HMAC-SHA256 of the identifier under a secret key, as 64 hex digits: the same
user gets the same pseudonym on every line (so an investigation can follow them), while
nobody without the key can reverse it or confirm a guess. Without a key there is no
pseudonym at all: the audit line leaves the field out, and never writes the raw value.
"""

from __future__ import annotations

import hashlib
import hmac

#: Shortest key accepted: HMAC-SHA256's block of security (RFC 2104 asks for at least the hash length).
MIN_KEY_BYTES = 32


class Pseudonymiser:
    """Turns identifiers into keyed pseudonyms; with no key, into ``None`` (left out)."""

    def __init__(self, key: bytes | None) -> None:
        if key is not None and len(key) < MIN_KEY_BYTES:
            from instrumentation.config import ConfigError

            raise ConfigError(
                f"OBSCODE_AUDIT_KEY is {len(key)} bytes; a pseudonymisation key needs at least "
                f"{MIN_KEY_BYTES} (for example the output of `openssl rand -hex 32`)"
            )
        self._key = key

    @property
    def enabled(self) -> bool:
        """Whether identifiers are written (as pseudonyms) at all."""
        return self._key is not None

    def __call__(self, identifier: object) -> str | None:
        """The pseudonym of ``identifier`` (its ``str``), or ``None`` without a key or identifier."""
        if self._key is None or identifier is None:
            return None
        return hmac.new(self._key, str(identifier).encode("utf-8"), hashlib.sha256).hexdigest()

    def __repr__(self) -> str:  # never show the key
        return f"Pseudonymiser(enabled={self.enabled})"
