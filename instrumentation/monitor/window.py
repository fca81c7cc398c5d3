"""A fixed-size sliding window of feature rows, stored as one numpy ring buffer.

Memory is ``features x size x 8`` bytes however many rows are streamed through it:
new rows overwrite the oldest ones. Each feature is a contiguous row of the buffer,
so a drift check reads (and sorts) one feature without striding.
"""

from __future__ import annotations

import threading

import numpy as np


class FeatureWindow:
    """The last ``size`` rows of ``n_features`` float columns (NaN marks a missing value)."""

    def __init__(self, n_features: int, size: int) -> None:
        if size < 1:
            raise ValueError(f"window size must be at least 1, got {size}")
        self.size = size
        self.n_features = n_features
        self._buffer = np.full((n_features, size), np.nan, dtype=np.float64)
        self._next = 0
        self._filled = 0
        self._total = 0
        self._lock = threading.Lock()

    @property
    def filled(self) -> int:
        """Rows currently held (at most ``size``)."""
        return self._filled

    @property
    def total_rows(self) -> int:
        """Rows appended since the window was created."""
        return self._total

    @property
    def nbytes(self) -> int:
        return self._buffer.nbytes

    def append(self, rows: np.ndarray) -> None:
        """Append a ``(n_rows, n_features)`` block; only its last ``size`` rows can survive."""
        n_rows = rows.shape[0]
        if n_rows == 0:
            return
        if rows.shape[1] != self.n_features:
            raise ValueError(f"expected {self.n_features} feature columns, got {rows.shape[1]}")
        with self._lock:
            self._total += n_rows
            if n_rows >= self.size:
                self._buffer[:, :] = rows[-self.size :].T
                self._next = 0
                self._filled = self.size
                return
            first = min(n_rows, self.size - self._next)
            self._buffer[:, self._next : self._next + first] = rows[:first].T
            rest = n_rows - first
            if rest:
                self._buffer[:, :rest] = rows[first:].T
            self._next = (self._next + n_rows) % self.size
            self._filled = min(self.size, self._filled + n_rows)

    def snapshot(self) -> np.ndarray:
        """A copy of the held rows as ``(n_features, filled)``, in no particular row order."""
        with self._lock:
            return self._buffer[:, : self._filled].copy()
