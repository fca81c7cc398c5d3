"""The reference a model's drift is measured against, prepared once when it is loaded.

Numeric features keep their finite values sorted (for the KS test) and bin edges at
the reference quantiles with the reference counts per bin (for Jensen–Shannon and
PSI). Categorical features keep their categories and counts; values never seen in
the reference are counted in an extra "unseen" bucket.

The same profile encodes incoming rows for the :class:`~.window.FeatureWindow`:
numbers stay numbers, categories become their index (``len(categories)`` for an
unseen one), and a missing value becomes NaN.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np

from instrumentation.monitor.ks import coarse_index

FeatureKind = Literal["numeric", "categorical"]

#: Quantile bins of a numeric reference (plus one bin below its minimum and one above its maximum).
DEFAULT_BINS = 10


@dataclass(frozen=True)
class NumericReference:
    name: str
    sorted_values: np.ndarray
    #: ``unique([min, q(1/k), ..., q((k-1)/k), max])`` of the finite reference values.
    edges: np.ndarray
    bin_counts: np.ndarray
    n_invalid: int

    kind: FeatureKind = "numeric"
    #: Every 16th sorted value (:func:`~.ks.coarse_index`), for the KS block bounds.
    coarse: np.ndarray | None = None

    @property
    def n(self) -> int:
        return int(self.sorted_values.shape[0])

    @property
    def constant(self) -> bool:
        return self.n > 0 and bool(self.sorted_values[0] == self.sorted_values[-1])

    def bin_of(self, values: np.ndarray) -> np.ndarray:
        """Bin index of finite values: 0 below the reference minimum, then one bin per
        ``(edge[i-1], edge[i]]`` (the minimum itself in bin 1), last bin above the maximum."""
        index = np.searchsorted(self.edges, values, side="left") + 1
        index[values < self.edges[0]] = 0
        return index

    @property
    def n_bins(self) -> int:
        return int(self.edges.shape[0]) + 2


@dataclass(frozen=True)
class CategoricalReference:
    name: str
    categories: tuple[Any, ...]
    #: Counts per category, then a 0 for the "unseen" bucket.
    counts: np.ndarray
    n_invalid: int

    kind: FeatureKind = "categorical"

    @property
    def n(self) -> int:
        return int(self.counts.sum())

    @property
    def constant(self) -> bool:
        return len(self.categories) == 1

    @property
    def unseen_code(self) -> int:
        return len(self.categories)


FeatureReference = NumericReference | CategoricalReference


class ReferenceProfile:
    """Per-feature references of one model, in a fixed feature order."""

    def __init__(self, features: Iterable[FeatureReference]) -> None:
        self.features: tuple[FeatureReference, ...] = tuple(features)
        if not self.features:
            raise ValueError("reference data has no columns to monitor")
        self.names: tuple[str, ...] = tuple(f.name for f in self.features)
        self.index: dict[str, int] = {name: i for i, name in enumerate(self.names)}
        self._codes: list[dict[Any, int] | None] = [
            {c: i for i, c in enumerate(f.categories)} if isinstance(f, CategoricalReference) else None
            for f in self.features
        ]

    @classmethod
    def from_columns(cls, columns: Mapping[str, Any] | Any, n_bins: int = DEFAULT_BINS) -> ReferenceProfile:
        """Build from a pandas DataFrame or a mapping of column name to values.

        Columns of a numeric (or boolean) dtype are numeric features; any other
        column is categorical.
        """
        return cls(_reference_of(str(name), columns[name], n_bins) for name in _column_names(columns))

    def encode(self, columns: Mapping[str, Any] | Any, n_rows: int) -> tuple[np.ndarray, dict[str, tuple[int, int]]]:
        """Rows for the window as ``(n_rows, n_features)``, and per feature the
        ``(nan, inf)`` counts of its invalid values. A feature missing from
        ``columns`` is NaN in every row."""
        block = np.empty((n_rows, len(self.features)), dtype=np.float64)
        invalid: dict[str, tuple[int, int]] = {}
        present = set(_column_names(columns))
        for i, feature in enumerate(self.features):
            if feature.name not in present:
                block[:, i] = np.nan
                invalid[feature.name] = (n_rows, 0)
                continue
            raw = columns[feature.name]
            codes = self._codes[i]
            if codes is None:
                values = _as_float(raw)
                block[:, i] = values
                n_nan = int(np.count_nonzero(np.isnan(values)))
                n_inf = int(np.count_nonzero(np.isinf(values)))
            else:
                values = self._encode_categories(raw, codes, feature.unseen_code)  # type: ignore[union-attr]
                block[:, i] = values
                n_nan = int(np.count_nonzero(np.isnan(values)))
                n_inf = 0
            if n_nan or n_inf:
                invalid[feature.name] = (n_nan, n_inf)
        return block, invalid

    @staticmethod
    def _encode_categories(raw: Any, codes: dict[Any, int], unseen: int) -> np.ndarray:
        values = raw.tolist() if hasattr(raw, "tolist") else list(raw)
        return np.array(
            [np.nan if _is_missing(v) else codes.get(v, unseen) for v in values], dtype=np.float64
        )


def _column_names(columns: Any) -> list[str]:
    if hasattr(columns, "columns"):
        return [str(c) for c in columns.columns]
    return [str(c) for c in columns.keys()]


def _is_missing(value: Any) -> bool:
    return value is None or (isinstance(value, float) and value != value)


def _as_float(raw: Any) -> np.ndarray:
    if hasattr(raw, "to_numpy"):
        try:
            return raw.to_numpy(dtype=np.float64, na_value=np.nan)
        except (TypeError, ValueError):
            pass
    try:
        return np.asarray(raw, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        return np.array([_float_or_nan(v) for v in raw], dtype=np.float64)


def _float_or_nan(value: Any) -> float:
    try:
        return float(value)
    except (TypeError, ValueError):
        return float("nan")


def _is_numeric(raw: Any) -> bool:
    dtype = getattr(raw, "dtype", None)
    if dtype is None:
        dtype = np.asarray(list(raw) if not hasattr(raw, "__array__") else raw).dtype
    kind = getattr(dtype, "kind", "O")
    return kind in "biuf"


def _reference_of(name: str, raw: Any, n_bins: int) -> FeatureReference:
    if _is_numeric(raw):
        values = _as_float(raw)
        finite = np.sort(values[np.isfinite(values)])
        n_invalid = int(values.shape[0] - finite.shape[0])
        if finite.size == 0:
            return NumericReference(name, finite, np.zeros(1), np.zeros(3, dtype=np.int64), n_invalid)
        quantiles = np.quantile(finite, np.linspace(0.0, 1.0, n_bins + 1))
        edges = np.unique(quantiles)
        ref = NumericReference(name, finite, edges, np.zeros(edges.shape[0] + 2, dtype=np.int64), n_invalid)
        counts = np.bincount(ref.bin_of(finite), minlength=ref.n_bins)
        return NumericReference(name, finite, edges, counts, n_invalid, coarse=coarse_index(finite))
    values = raw.tolist() if hasattr(raw, "tolist") else list(raw)
    present = [v for v in values if not _is_missing(v)]
    categories = tuple(sorted(set(present), key=lambda v: (type(v).__name__, str(v))))
    index = {c: i for i, c in enumerate(categories)}
    counts = np.zeros(len(categories) + 1, dtype=np.int64)
    np.add.at(counts, np.array([index[v] for v in present], dtype=np.int64), 1)
    return CategoricalReference(name, categories, counts, len(values) - len(present))
