"""Two-sample Kolmogorov–Smirnov test against a reference sorted once.

The results equal ``scipy.stats.ks_2samp(reference, current)`` (two-sided,
``method="auto"``): the same statistic, the same choice between the exact and the
asymptotic p-value (exact when both samples have at most 10,000 values), and the
same p-value, because the p-value comes from the same scipy routines.

What is faster than calling ``ks_2samp`` per feature:

* the reference is sorted once, when it is loaded, not on every check;
* the statistic needs one ``searchsorted`` of the (sorted) current sample into the
  reference instead of two searches of the concatenated samples;
* asymptotic p-values of all features with the same effective sample size are
  computed in one vectorised ``scipy.stats.kstwo.sf`` call.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import stats

#: Above this sample size scipy's ``method="auto"`` switches to the asymptotic p-value.
MAX_EXACT_N = 10_000

try:  # scipy's own exact-path routine, so exact p-values match it bit for bit.
    from scipy.stats._stats_py import _attempt_exact_2kssamp as _scipy_exact
except ImportError:  # pragma: no cover - only on a scipy that renamed it
    _scipy_exact = None


@dataclass(frozen=True)
class KSResult:
    """One feature's test: ``statistic`` is D, ``exact`` tells which p-value path ran."""

    statistic: float
    p_value: float
    exact: bool


def ks_statistic_sorted(reference: np.ndarray, current: np.ndarray) -> float:
    """D = sup |F_ref - F_cur| for two sorted, non-empty, finite samples.

    Evaluates the ECDF difference exactly where ``ks_2samp`` does, with the same
    floating-point expressions (``count / n``), so the value is identical.
    """
    n1 = reference.shape[0]
    n2 = current.shape[0]
    # F_ref just below and at each current value.
    below = np.searchsorted(reference, current, side="left")
    at = below
    inside = below < n1
    equal = np.zeros(n2, dtype=bool)
    equal[inside] = reference[below[inside]] == current[inside]
    if equal.any():
        at = below.copy()
        at[equal] = np.searchsorted(reference, current[equal], side="right")
    # F_cur at each current value (right-continuous: ties count in full).
    cur_at = _right_counts(current)

    diff_at_current = at / n1 - cur_at / n2
    min_s = min(max(-float(diff_at_current.min()), 0.0), 1.0)
    # Largest F_ref - F_cur at a reference point: on [c_j, c_{j+1}) F_cur is
    # constant and F_ref is largest just below c_{j+1}; before c_0, F_cur is 0.
    between = below[1:] / n1 - cur_at[:-1] / n2
    max_s = max(
        float(diff_at_current.max()),
        float(between.max()) if between.size else 0.0,
        below[0] / n1 - 0 / n2,
        0.0,
    )
    return min_s if min_s > max_s else max_s


def _right_counts(sorted_values: np.ndarray) -> np.ndarray:
    """For each element, how many elements are <= it (ties share the last index)."""
    n = sorted_values.shape[0]
    last_of_run = np.empty(n, dtype=bool)
    last_of_run[:-1] = sorted_values[1:] != sorted_values[:-1]
    last_of_run[-1] = True
    if last_of_run.all():
        return np.arange(1, n + 1)
    ends = np.flatnonzero(last_of_run)
    lengths = np.diff(ends, prepend=-1)
    return np.repeat(ends + 1, lengths)


def ks_pvalues(
    statistics: Sequence[float], n_reference: Sequence[int], n_current: Sequence[int]
) -> list[KSResult]:
    """p-values for many (D, n1, n2) triples, choosing exact or asymptotic like scipy.

    Asymptotic p-values sharing an effective size ``round(n1 n2 / (n1 + n2))`` are
    computed in a single ``kstwo.sf`` call.
    """
    results: list[KSResult | None] = [None] * len(statistics)
    asymptotic: dict[float, list[tuple[int, float]]] = {}
    for i, (d, n1, n2) in enumerate(zip(statistics, n_reference, n_current, strict=True)):
        if max(n1, n2) <= MAX_EXACT_N:
            exact = _exact(d, n1, n2)
            if exact is not None:
                results[i] = exact
                continue
            # scipy warns and falls back to the asymptotic formula here too.
            d = _lattice_statistic(d, n1, n2)
        m, n = sorted((float(n1), float(n2)), reverse=True)
        en = float(np.round(m * n / (m + n)))
        asymptotic.setdefault(en, []).append((i, d))
    for en, members in asymptotic.items():
        ds = np.array([d for _, d in members])
        probs = np.clip(stats.kstwo.sf(ds, en), 0.0, 1.0)
        for (i, d), p in zip(members, np.atleast_1d(probs), strict=True):
            results[i] = KSResult(float(d), float(p), exact=False)
    return [r for r in results if r is not None]


def _lattice_statistic(d: float, n1: int, n2: int) -> float:
    g = math.gcd(n1, n2)
    lcm = (n1 // g) * n2
    return int(np.round(d * lcm)) * 1.0 / lcm


def _exact(d: float, n1: int, n2: int) -> KSResult | None:
    g = math.gcd(n1, n2)
    if _scipy_exact is None:  # pragma: no cover
        return None
    success, d_exact, prob = _scipy_exact(n1, n2, g, d, "two-sided")
    if not success:
        warnings.warn(
            f"ks_2samp: exact p-value for sizes {n1} and {n2} failed; using the asymptotic one",
            RuntimeWarning,
            stacklevel=3,
        )
        return None
    return KSResult(float(d_exact), float(np.clip(prob, 0.0, 1.0)), exact=True)


def ks_2samp_sorted(reference: np.ndarray, current: np.ndarray) -> KSResult:
    """``ks_2samp`` for one pair of sorted, finite, non-empty samples."""
    d = ks_statistic_sorted(reference, current)
    return ks_pvalues([d], [reference.shape[0]], [current.shape[0]])[0]
