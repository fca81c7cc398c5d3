"""Data quality of a model's inputs: missing values, out-of-range values, schema changes of
the feature frames, and the shift of feature importances.

What is measured, per model and feature:

* **missing share**: the share of the current window's rows whose value is missing (NaN or
  None; a column absent from a frame is missing in each of its rows);
* **out-of-range share**: the share of the window's rows whose value is present but outside
  the reference: below the reference's minimum or above its maximum (infinite values
  included) for a numeric feature, a category the reference never had for a categorical one;
* **schema changes** of each incoming frame against the reference: a reference column the
  frame lacks (``missing``), a column the reference does not know (``extra``), a column whose
  type changed between numeric and categorical (``retyped``);
* **importance rank correlation**: Spearman's rank correlation of the current feature
  importances against the reference importances, over the features both have.

The shares and the correlation are computed in the monitor's cycle from the window and the
last importances; the schema check looks only at a frame's columns and dtypes, so it runs
when a frame is recorded.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from instrumentation.catalog import OVERFLOW_VALUE
from instrumentation.monitor.reference import CategoricalReference, FeatureKind, ReferenceProfile

logger = logging.getLogger(__name__)

SchemaChangeKind = Literal["missing", "extra", "retyped"]

#: Distinct unknown column names counted per model under their own name; later ones are
#: counted as ``OVERFLOW_VALUE``, so a frame with random column names cannot create series.
MAX_EXTRA_COLUMNS = 20
#: Present values of an ``object`` column inspected to tell numbers from categories.
_KIND_SAMPLE = 16


@dataclass(frozen=True)
class SchemaChange:
    """One difference between a recorded frame and the reference."""

    feature: str
    change: SchemaChangeKind
    #: The reference's kind of the column (None for an extra column).
    expected: FeatureKind | None
    #: The frame's kind of the column (None for a missing column or one with no present value).
    got: FeatureKind | None

    def describe(self) -> str:
        if self.change == "missing":
            return f"column {self.feature!r} ({self.expected}) is missing from the feature frame"
        if self.change == "extra":
            return f"column {self.feature!r} ({self.got}) is not in the reference"
        return f"column {self.feature!r} changed type from {self.expected} to {self.got}"


@dataclass(frozen=True)
class FeatureQuality:
    """Shares of one feature over the rows of the current window."""

    feature: str
    rows: int
    missing_share: float
    #: None when the reference holds no finite value of the feature (no range to compare).
    out_of_range_share: float | None


def _dtype_kind(dtype: Any) -> FeatureKind | None:
    """The kind a dtype says, or None for ``object`` (the values have to tell)."""
    kind = getattr(dtype, "kind", "O")
    if kind in "biuf":
        return "numeric"
    return None if kind == "O" else "categorical"


def column_kind(raw: Any) -> FeatureKind | None:
    """``numeric`` for a numeric or boolean column, ``categorical`` for any other, None when
    an ``object`` column holds no present value to tell."""
    dtype = getattr(raw, "dtype", None)
    if dtype is None:
        raw = raw if isinstance(raw, list | tuple) else list(raw)
        dtype = np.asarray(raw).dtype if raw else np.dtype(np.float64)
    kind = _dtype_kind(dtype)
    if kind is not None:
        return kind
    present = []
    for value in raw.tolist() if hasattr(raw, "tolist") else raw:
        if value is None or (isinstance(value, float) and value != value):
            continue
        present.append(value)
        if len(present) == _KIND_SAMPLE:
            break
    if not present:
        return None
    numeric = all(isinstance(v, int | float | np.number | bool | np.bool_) for v in present)
    return "numeric" if numeric else "categorical"


def schema_changes(reference: ReferenceProfile, columns: Any) -> list[SchemaChange]:
    """How the columns of ``columns`` (a DataFrame or a column mapping) differ from the
    reference, in the reference's column order, then the extra columns in the frame's order."""
    keys = list(columns.columns if hasattr(columns, "columns") else columns.keys())
    by_name = {str(key): key for key in keys}
    # A DataFrame's dtypes in one call: selecting each column would cost more than the check.
    dtypes = dict(zip(keys, columns.dtypes, strict=True)) if hasattr(columns, "dtypes") else {}

    def kind(key: Any) -> FeatureKind | None:
        known = _dtype_kind(dtypes[key]) if key in dtypes else None
        return known if known is not None else column_kind(columns[key])

    changes: list[SchemaChange] = []
    for feature in reference.features:
        if feature.name not in by_name:
            changes.append(SchemaChange(feature.name, "missing", feature.kind, None))
            continue
        got = kind(by_name[feature.name])
        if got is not None and got != feature.kind:
            changes.append(SchemaChange(feature.name, "retyped", feature.kind, got))
    for name, key in by_name.items():
        if name not in reference.index:
            changes.append(SchemaChange(name, "extra", None, kind(key)))
    return changes


def window_quality(reference: ReferenceProfile, window: np.ndarray) -> list[FeatureQuality]:
    """Missing and out-of-range shares of each feature over a ``(features, rows)`` window
    snapshot (as :meth:`~.window.FeatureWindow.snapshot` returns). Empty for an empty window."""
    rows = int(window.shape[1])
    if rows == 0:
        return []
    out = []
    for feature, values in zip(reference.features, window, strict=True):
        missing = np.isnan(values)
        n_missing = int(np.count_nonzero(missing))
        present = values[~missing]
        if isinstance(feature, CategoricalReference):
            n_outside: int | None = int(np.count_nonzero(present == feature.unseen_code))
        elif feature.n == 0:
            n_outside = None
        else:
            low, high = feature.sorted_values[0], feature.sorted_values[-1]
            n_outside = int(np.count_nonzero((present < low) | (present > high)))
        out.append(FeatureQuality(
            feature=feature.name, rows=rows, missing_share=n_missing / rows,
            out_of_range_share=None if n_outside is None else n_outside / rows,
        ))
    return out


def rank_correlation(reference: Mapping[str, float], current: Mapping[str, float]) -> float | None:
    """Spearman's rank correlation of the importances of the features both mappings have
    (ties get their average rank). None with fewer than two common features, or when the
    importances of either side are all equal (no ranking to compare)."""
    common = sorted(set(reference) & set(current))
    if len(common) < 2:
        return None
    a = _average_ranks(np.array([reference[n] for n in common], dtype=np.float64))
    b = _average_ranks(np.array([current[n] for n in common], dtype=np.float64))
    a -= a.mean()
    b -= b.mean()
    norm = float(np.sqrt(np.dot(a, a) * np.dot(b, b)))
    if norm == 0.0:
        return None
    return float(np.clip(np.dot(a, b) / norm, -1.0, 1.0))


def _average_ranks(values: np.ndarray) -> np.ndarray:
    """Ranks from 1, ties sharing the average of their ranks (scipy's ``rankdata`` default)."""
    unique, inverse, counts = np.unique(values, return_inverse=True, return_counts=True)
    ends = np.cumsum(counts).astype(np.float64)
    return ((ends - (counts - 1) / 2.0)[inverse]).astype(np.float64)


@dataclass
class QualityState:
    """What the monitor remembers about one model's data quality between calls."""

    #: Importances the current ones are compared with (the first recorded, or set explicitly).
    reference_importance: dict[str, float] | None = None
    current_importance: dict[str, float] = field(default_factory=dict)
    #: (feature label, change) pairs already logged, so each change is logged once.
    logged: set[tuple[str, str]] = field(default_factory=set)
    extra_names: set[str] = field(default_factory=set)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def record_importance(self, importances: Mapping[str, float]) -> None:
        """The latest importances replace the current ones; the first non-empty ones are the reference."""
        if not importances:
            return
        with self.lock:
            self.current_importance = dict(importances)
            if self.reference_importance is None:
                self.reference_importance = dict(importances)

    def set_reference_importance(self, importances: Mapping[str, float]) -> None:
        with self.lock:
            self.reference_importance = dict(importances)

    def importance_correlation(self) -> float | None:
        with self.lock:
            if self.reference_importance is None:
                return None
            return rank_correlation(self.reference_importance, self.current_importance)

    def label_of(self, change: SchemaChange) -> str:
        """The ``feature_name`` a change is counted under (extra columns past the cap: overflow)."""
        if change.change != "extra":
            return change.feature
        with self.lock:
            if change.feature in self.extra_names:
                return change.feature
            if len(self.extra_names) < MAX_EXTRA_COLUMNS:
                self.extra_names.add(change.feature)
                return change.feature
        return OVERFLOW_VALUE

    def first_time(self, label: str, change: SchemaChange) -> bool:
        """True the first time this change of this column is seen (to log it once)."""
        key = (label if label == OVERFLOW_VALUE else change.feature, change.change)
        with self.lock:
            if key in self.logged:
                return False
            self.logged.add(key)
            return True
