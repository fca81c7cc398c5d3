"""Per-feature drift tests of a window against a :class:`~.reference.ReferenceProfile`.

Methods (``DriftMethod``):

* ``"ks"`` — numeric features: two-sample Kolmogorov–Smirnov (score = D, with a
  p-value equal to ``scipy.stats.ks_2samp``); categorical features: chi-square test
  of homogeneity on category counts with an "unseen" bucket (score = Cramér's V).
  p-values are corrected across features (Bonferroni by default, or
  Benjamini–Hochberg); a feature drifts when its adjusted p-value is <= alpha.
* ``"js"`` — Jensen–Shannon distance, base 2, in [0, 1], on reference-quantile bins
  (categories for categorical features); drift when the distance exceeds the threshold.
* ``"psi"`` — population stability index on the same bins; drift above the threshold.

Non-finite values never enter a test. A feature with no finite reference or current
values, or fewer current values than ``min_samples``, gets a status saying so and no
score, so no NaN ever reaches a metric.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import Executor, ThreadPoolExecutor
from contextlib import nullcontext
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

import numpy as np
from scipy import stats

from instrumentation.monitor.config import DEFAULT_ALPHA
from instrumentation.monitor.ks import ks_pvalues, ks_statistic_sorted
from instrumentation.monitor.reference import CategoricalReference, NumericReference, ReferenceProfile

DriftMethod = Literal["ks", "js", "psi"]
Correction = Literal["bonferroni", "bh", "none"]
FeatureStatus = Literal["ok", "constant", "no_reference_data", "no_current_data", "insufficient_data"]

#: Share given to an empty bin in PSI, so ln(q/p) stays finite.
PSI_EPSILON = 1e-4


@dataclass(frozen=True)
class FeatureDrift:
    """One feature's result. ``score`` is what ``model_drift_score`` exports."""

    feature: str
    kind: Literal["numeric", "categorical"]
    test: Literal["ks", "chi2", "js", "psi"]
    status: FeatureStatus
    n_reference: int
    n_current: int
    #: The test statistic: KS D, chi-square, JS distance or PSI (None when not tested).
    statistic: float | None = None
    #: KS D, Cramér's V (chi-square), JS distance or PSI.
    score: float | None = None
    p_value: float | None = None
    adjusted_p_value: float | None = None
    drifted: bool = False

    @property
    def tested(self) -> bool:
        return self.score is not None


@dataclass(frozen=True)
class DriftReport:
    """Result of one drift check of one model."""

    model_id: str
    model_version: str
    method: DriftMethod
    correction: Correction
    #: Family-wise alpha (``ks``) or score threshold (``js``, ``psi``).
    threshold: float
    window_rows: int
    features: tuple[FeatureDrift, ...]
    checked_at: float = field(default_factory=time.time)

    @property
    def drift_detected(self) -> bool:
        return any(f.drifted for f in self.features)

    @property
    def drifted_features(self) -> list[str]:
        return [f.feature for f in self.features if f.drifted]

    def feature(self, name: str) -> FeatureDrift:
        for f in self.features:
            if f.feature == name:
                return f
        raise KeyError(f"feature {name!r} is not in the drift report of model {self.model_id!r}")

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["drift_detected"] = self.drift_detected
        out["drifted_features"] = self.drifted_features
        return out


def check_drift(
    profile: ReferenceProfile,
    window: np.ndarray,
    *,
    method: DriftMethod = "ks",
    threshold: float = DEFAULT_ALPHA,
    correction: Correction = "bonferroni",
    min_samples: int = 1,
    threads: int = 1,
) -> list[FeatureDrift]:
    """Test each feature of ``window`` (``(n_features, n_rows)``, as
    :meth:`FeatureWindow.snapshot` returns it) against ``profile``. Sorts each row of
    ``window`` in place: pass a copy you no longer need."""
    if method not in ("ks", "js", "psi"):
        raise ValueError(f"unknown drift method {method!r}: use 'ks', 'js' or 'psi'")
    if correction not in ("bonferroni", "bh", "none"):
        raise ValueError(f"unknown correction {correction!r}: use 'bonferroni', 'bh' or 'none'")
    with ThreadPoolExecutor(max_workers=threads) if threads > 1 else nullcontext() as pool:
        return _check(profile, window, method, threshold, correction, min_samples, pool, threads)


def _check(
    profile: ReferenceProfile,
    window: np.ndarray,
    method: DriftMethod,
    threshold: float,
    correction: Correction,
    min_samples: int,
    pool: Executor | None,
    threads: int,
) -> list[FeatureDrift]:
    current = _sorted_finite_rows(window, len(profile.features), pool, threads)
    results: list[FeatureDrift | None] = [None] * len(profile.features)
    to_test: list[int] = []
    for i, (ref, cur) in enumerate(zip(profile.features, current, strict=True)):
        status = _untestable(ref, cur, min_samples)
        if status is not None:
            results[i] = FeatureDrift(ref.name, ref.kind, _test_name(ref, method), status, ref.n, cur.shape[0])
        else:
            to_test.append(i)

    if method == "ks":
        numeric = [i for i in to_test if isinstance(profile.features[i], NumericReference)]
        categorical = [i for i in to_test if isinstance(profile.features[i], CategoricalReference)]
        tested = _ks_features(profile, current, numeric, pool, threads) + [
            _chi2_feature(profile.features[i], current[i]) for i in categorical  # type: ignore[arg-type]
        ]
        for feature in _corrected(tested, threshold, correction):
            results[profile.index[feature.feature]] = feature
    else:
        for i in to_test:
            results[i] = _binned_feature(profile.features[i], current[i], method, threshold)
    return [r for r in results if r is not None]


def _sorted_finite_rows(
    window: np.ndarray, n_features: int, pool: Executor | None, threads: int
) -> list[np.ndarray]:
    """Each feature's finite values, sorted: one in-place sort of ``window`` (the
    caller's snapshot copy; split into ``threads`` row ranges on ``pool``), then
    views of it, no copies."""
    rows = window[:n_features]
    if pool is not None and n_features > 1:
        bounds = np.linspace(0, n_features, min(threads, n_features) + 1).astype(int)
        list(pool.map(lambda b: rows[b[0] : b[1]].sort(axis=1), zip(bounds[:-1], bounds[1:])))
    else:
        rows.sort(axis=1)  # -inf first, then +inf, then NaN last
    return [_finite_part(rows[i]) for i in range(n_features)]


def _finite_part(values: np.ndarray) -> np.ndarray:
    """The finite middle of a sorted row (a view)."""
    low = int(np.searchsorted(values, -np.inf, side="right"))
    high = int(np.searchsorted(values, np.inf, side="left"))
    return values[low:high]


def _test_name(ref: NumericReference | CategoricalReference, method: DriftMethod) -> Any:
    if method == "ks":
        return "ks" if isinstance(ref, NumericReference) else "chi2"
    return method


def _untestable(
    ref: NumericReference | CategoricalReference, cur: np.ndarray, min_samples: int
) -> FeatureStatus | None:
    if ref.n == 0:
        return "no_reference_data"
    if cur.shape[0] == 0:
        return "no_current_data"
    if cur.shape[0] < min_samples:
        return "insufficient_data"
    return None


def _status(ref: NumericReference | CategoricalReference, cur: np.ndarray) -> FeatureStatus:
    return "constant" if ref.constant and bool(np.all(cur == cur[0])) else "ok"


def _ks_features(
    profile: ReferenceProfile, current: list[np.ndarray], indices: list[int], pool: Executor | None, threads: int
) -> list[FeatureDrift]:
    def statistic(i: int) -> tuple[float, np.ndarray]:
        cur = current[i]
        ref = profile.features[i]
        return ks_statistic_sorted(ref.sorted_values, cur, coarse=ref.coarse), cur  # type: ignore[union-attr]

    if pool is not None and len(indices) > 1:
        computed = list(pool.map(statistic, indices))
    else:
        computed = [statistic(i) for i in indices]
    refs = [profile.features[i] for i in indices]
    tests = ks_pvalues(
        [d for d, _ in computed], [r.n for r in refs], [c.shape[0] for _, c in computed], pool, threads,
        samples=[(r.sorted_values, c) for r, (_, c) in zip(refs, computed, strict=True)],  # type: ignore[union-attr]
    )
    return [
        FeatureDrift(
            ref.name, "numeric", "ks", _status(ref, cur), ref.n, cur.shape[0],
            statistic=t.statistic, score=t.statistic, p_value=t.p_value,
        )
        for ref, (_, cur), t in zip(refs, computed, tests, strict=True)
    ]


def _chi2_feature(ref: CategoricalReference, cur: np.ndarray) -> FeatureDrift:
    cur_counts = np.bincount(cur.astype(np.int64), minlength=ref.counts.shape[0])
    table = np.vstack([ref.counts, cur_counts])
    table = table[:, table.sum(axis=0) > 0]
    n_cur = int(cur.shape[0])
    if table.shape[1] < 2:  # one category on both sides: nothing can differ
        return FeatureDrift(
            ref.name, "categorical", "chi2", "constant", ref.n, n_cur,
            statistic=0.0, score=0.0, p_value=1.0,
        )
    result = stats.chi2_contingency(table, correction=False)
    chi2 = float(result.statistic)
    cramers_v = float(np.sqrt(chi2 / table.sum()))
    return FeatureDrift(
        ref.name, "categorical", "chi2", "ok", ref.n, n_cur,
        statistic=chi2, score=min(cramers_v, 1.0), p_value=float(result.pvalue),
    )


def _corrected(tested: Sequence[FeatureDrift], alpha: float, correction: Correction) -> list[FeatureDrift]:
    if not tested:
        return []
    p = np.array([f.p_value for f in tested], dtype=np.float64)
    adjusted = adjust_p_values(p, correction)
    return [
        replace(f, adjusted_p_value=float(a), drifted=bool(a <= alpha))
        for f, a in zip(tested, adjusted, strict=True)
    ]


def adjust_p_values(p: np.ndarray, correction: Correction) -> np.ndarray:
    """Bonferroni (``min(1, m p)``), Benjamini–Hochberg step-up, or unchanged."""
    m = p.shape[0]
    if correction == "none" or m == 0:
        return p.copy()
    if correction == "bonferroni":
        return np.minimum(1.0, p * m)
    order = np.argsort(p, kind="stable")
    scaled = p[order] * m / np.arange(1, m + 1)
    stepped = np.minimum.accumulate(scaled[::-1])[::-1]
    adjusted = np.empty(m)
    adjusted[order] = np.minimum(1.0, stepped)
    return adjusted


def _distributions(ref: NumericReference | CategoricalReference, cur: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if isinstance(ref, NumericReference):
        ref_counts = ref.bin_counts
        cur_counts = np.bincount(ref.bin_of(cur), minlength=ref.n_bins)
    else:
        ref_counts = ref.counts
        cur_counts = np.bincount(cur.astype(np.int64), minlength=ref.counts.shape[0])
    return ref_counts / ref_counts.sum(), cur_counts / cur_counts.sum()


def js_distance(p: np.ndarray, q: np.ndarray) -> float:
    """Jensen–Shannon distance, base 2 (the square root of the divergence), in [0, 1]."""
    m = (p + q) / 2.0
    divergence = 0.5 * _kl_bits(p, m) + 0.5 * _kl_bits(q, m)
    return float(np.sqrt(min(max(divergence, 0.0), 1.0)))


def _kl_bits(p: np.ndarray, m: np.ndarray) -> float:
    mask = p > 0
    return float(np.sum(p[mask] * np.log2(p[mask] / m[mask])))


def psi(p: np.ndarray, q: np.ndarray, epsilon: float = PSI_EPSILON) -> float:
    """Population stability index ``sum((q - p) ln(q / p))``; empty bins count as ``epsilon``."""
    p = np.maximum(p, epsilon)
    q = np.maximum(q, epsilon)
    return float(np.sum((q - p) * np.log(q / p)))


def _binned_feature(
    ref: NumericReference | CategoricalReference, cur: np.ndarray, method: DriftMethod, threshold: float
) -> FeatureDrift:
    p, q = _distributions(ref, cur)
    score = js_distance(p, q) if method == "js" else psi(p, q)
    return FeatureDrift(
        ref.name, ref.kind, method, _status(ref, cur), ref.n, int(cur.shape[0]),  # type: ignore[arg-type]
        statistic=score, score=score, drifted=score > threshold,
    )
